"""Notebook 3's model builders: shapes, parameter counts, and rebuilding from settings."""

import numpy as np
import pytest

from gan_helpers import models


def dense(n_in, n_out, bias=True):
    return n_in * n_out + (n_out if bias else 0)


@pytest.mark.parametrize("n_class", [0, 10])
def test_mlp_generator_with_the_note_sizes_has_the_note_parameter_count(n_class):
    generator = models.build_mlp_generator(128, 256, 784, n_class=n_class)
    assert generator.count_params() == dense(128 + n_class, 256) + dense(256, 784)
    if n_class == 0:
        assert generator.count_params() == models.build_generator().count_params()
    else:
        assert generator.count_params() == models.build_cgan_generator().count_params()


def test_deeper_mlp_generator_with_batch_norm():
    generator = models.build_mlp_generator(128, [256, 512, 1024], batch_norm=True, activation="leaky_relu")
    expected = (dense(128, 256) + dense(256, 512) + dense(512, 1024) + dense(1024, 784)
                + 4 * (256 + 512 + 1024))  # batch norm: gamma, beta, moving mean, moving variance
    assert generator.count_params() == expected
    images = generator(np.zeros((3, 128), np.float32), training=False).numpy()
    assert images.shape == (3, 784) and images.min() >= 0 and images.max() <= 1


def test_mlp_discriminator_uses_sizes_largest_first_and_one_extra_input_for_minibatch_std():
    plain = models.build_mlp_discriminator(784, [256, 512, 1024])
    assert [layer.units for layer in plain.layers if hasattr(layer, "units")] == [1024, 512, 256, 1]
    with_std = models.build_mlp_discriminator(784, [256, 512, 1024], minibatch_std=True, dropout=0.3)
    assert with_std.count_params() == plain.count_params() + 512  # one more input to the 512-unit layer
    assert with_std(np.zeros((5, 784), np.float32)).shape == (5, 1)


def test_minibatch_std_feature_is_zero_for_identical_images_and_grows_with_spread():
    layer = models.MinibatchStdDev()
    same = layer(np.ones((4, 3), np.float32)).numpy()
    assert same.shape == (4, 4) and np.all(same[:, 3] == 0)
    spread = layer(np.array([[0, 0], [2, 4]], np.float32)).numpy()
    np.testing.assert_allclose(spread[:, 2], [1.5, 1.5])  # mean of the stds 1 and 2


@pytest.mark.parametrize("n_class", [0, 10])
def test_dcgan_generator_and_discriminator(n_class):
    w = 16
    generator = models.build_dcgan_generator(128, n_class=n_class, width=w)
    expected_g = (dense(128 + n_class, 7 * 7 * 2 * w, bias=False) + 4 * 7 * 7 * 2 * w
                  + 4 * 4 * 2 * w * w + 4 * w + 4 * 4 * w + 1)
    assert generator.count_params() == expected_g
    discriminator = models.build_dcgan_discriminator(784, n_class=n_class, width=w, dropout=0.3)
    expected_d = (4 * 4 * (1 + n_class) * w + w) + (4 * 4 * w * 2 * w + 2 * w) + dense(7 * 7 * 2 * w, 1)
    assert discriminator.count_params() == expected_d
    noise = np.zeros((2, 128), np.float32)
    labels = np.eye(10, dtype=np.float32)[[3, 7]]
    images = generator([noise, labels] if n_class else noise, training=False).numpy()
    assert images.shape == (2, 784)
    assert discriminator([images, labels] if n_class else images).shape == (2, 1)


def test_dcgan_discriminator_sees_the_label():
    discriminator = models.build_dcgan_discriminator(784, n_class=10, width=8)
    image = np.zeros((10, 784), np.float32)
    logits = discriminator([image, np.eye(10, dtype=np.float32)]).numpy().ravel()
    assert len(set(np.round(logits, 6))) > 1, "the same image with another label gets another verdict"


@pytest.mark.parametrize("kind", ["gan", "cgan"])
@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
def test_better_settings_rebuild_the_same_models(kind, arch):
    settings = models.better_settings(kind, arch, n_hidden=[64, 128], width=8, activation="leaky_relu",
                                      init="glorot", dropout=0.2)
    settings.update(batch_norm=True, minibatch_std=True)
    g1, d1 = models.build_from_settings(settings)
    g2, d2 = models.build_from_settings(dict(settings))
    assert g1.count_params() == g2.count_params() and d1.count_params() == d2.count_params()
    images = models.generate(g1, settings, 6, seed=3, digit=4 if kind == "cgan" else None)
    assert images.shape == (6, 784)
    g2.set_weights(g1.get_weights())
    again = models.generate(g2, settings, 6, seed=3, digit=4 if kind == "cgan" else None)
    np.testing.assert_array_equal(images, again)


def test_old_settings_still_build_the_note_models():
    g, d = models.build_from_settings(models.gan_settings())
    assert g.count_params() == models.build_generator().count_params()
    g, d = models.build_from_settings(models.cgan_settings())
    assert d.count_params() == models.build_cgan_discriminator().count_params()


def test_unknown_arch_is_refused():
    with pytest.raises(ValueError, match="unknown arch 'resnet'"):
        models.build_from_settings(dict(models.better_settings(), arch="resnet"))

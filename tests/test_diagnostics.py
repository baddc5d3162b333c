"""gan_helpers.diagnostics: each link of the generator's gradient chain, checked against what it must be."""

import math

import numpy as np
import pytest

from gan_helpers import diagnostics, models, training_steps

tf = diagnostics.tf


def tiny_models(seed=0, conditional=False):
    import keras

    keras.utils.set_random_seed(seed)
    if conditional:
        return models.build_cgan_generator(8, 10, 16, 784), models.build_cgan_discriminator(784, 10, 16)
    return models.build_generator(8, 16, 784), models.build_discriminator(784, 16)


def nonsaturating(logits):
    return -training_steps.G_objective(logits)          # notebook 1's objective, minimised


def minimax(logits):
    return tf.reduce_mean(-tf.nn.softplus(logits))   # mean(log(1 - D)), minimised


@pytest.mark.parametrize("loss, factor", [(nonsaturating, lambda d: 1 - d), (minimax, lambda d: d)])
def test_gradient_at_the_logit_is_one_minus_D_or_D(loss, factor):
    generator, discriminator = tiny_models()
    noise = tf.random.Generator.from_seed(1).normal([64, 8])
    signal = diagnostics.generator_signal(generator, discriminator, loss, noise)
    d = tf.sigmoid(discriminator(generator(noise))).numpy().ravel()
    assert signal["D(G(z))"] == pytest.approx(d.mean(), rel=1e-5)
    assert signal["|dloss/dlogit|"] == pytest.approx(np.mean(factor(d)), rel=1e-4)


def test_grad_G_is_the_norm_the_optimiser_receives():
    generator, discriminator = tiny_models(conditional=True)
    noise = tf.random.Generator.from_seed(2).uniform([50, 8], -1, 1)
    labels = tf.one_hot(np.arange(50) % 10, 10)
    signal = diagnostics.generator_signal(generator, discriminator, training_steps.G_loss, noise, labels)
    with tf.GradientTape() as tape:
        loss = training_steps.G_loss(discriminator([generator([noise, labels]), labels]))
    grads = tape.gradient(loss, generator.trainable_variables)
    expected = math.sqrt(sum(float(tf.reduce_sum(g ** 2)) for g in grads))
    assert signal["|grad G|"] == pytest.approx(expected, rel=1e-4)
    assert signal["|grad G|"] > 0


def test_a_saturated_generator_passes_almost_nothing_back():
    """Push the output layer's bias far out: every pixel is 0 or 1, and the gradient to G's weights dies
    although the discriminator still passes back a full-size gradient at its logit."""
    generator, discriminator = tiny_models()
    noise = tf.random.Generator.from_seed(3).normal([64, 8])
    before = diagnostics.generator_signal(generator, discriminator, nonsaturating, noise)
    bias = generator.layers[-1].bias
    bias.assign(tf.where(tf.range(784) % 2 == 0, 30.0, -30.0))
    after = diagnostics.generator_signal(generator, discriminator, nonsaturating, noise)
    assert before["saturated"] < 0.05 and after["saturated"] == 1.0
    assert after["|dloss/dlogit|"] > 0.3                       # D's side is not what vanished
    assert after["|dD/dx|"] == pytest.approx(after["|dD/dx|"]) and after["|dD/dx|"] > 0
    assert after["|grad G|"] < 1e-6 * before["|grad G|"]


def test_saturated_share_counts_pixels_outside_0_01_to_0_99():
    images = np.array([[0.0, 0.005, 0.5, 0.995, 1.0, 0.02, 0.98, 0.01]])
    assert diagnostics.saturated_share(images) == pytest.approx(4 / 8)   # 0.01 itself is not below 0.01


def test_format_row_follows_the_columns():
    values = {c: 0.5 for c in diagnostics.COLUMNS}
    row = diagnostics.format_row(values)
    assert row.split() == ["0.5", "0.5", "0.5", "50.0%", "0.5", "0.5"]
    assert diagnostics.format_row(values, ["saturated"]).split() == ["50.0%"]


def test_D_of_real_images_is_reported_when_real_images_are_given():
    generator, discriminator = tiny_models(conditional=True)
    noise = tf.random.Generator.from_seed(4).uniform([20, 8], -1, 1)
    labels = tf.one_hot(np.arange(20) % 10, 10)
    real = [tf.random.Generator.from_seed(5).uniform([20, 784]), labels]
    without = diagnostics.generator_signal(generator, discriminator, training_steps.G_loss, noise, labels)
    with_real = diagnostics.generator_signal(generator, discriminator, training_steps.G_loss, noise, labels, real=real)
    assert "D(x)" not in without and with_real.keys() - without.keys() == {"D(x)"}
    assert with_real["D(x)"] == pytest.approx(float(tf.reduce_mean(tf.sigmoid(discriminator(real)))), rel=1e-5)


def test_signal_watch_reports_how_far_G_moved_and_keeps_one_row_per_epoch():
    generator, discriminator = tiny_models()
    noise = tf.random.Generator.from_seed(1).normal([32, 8])
    watch = diagnostics.SignalWatch(generator, discriminator, nonsaturating, noise, n_pictures=4)
    still = watch()
    assert still["|change of G|"] == 0.0                      # nothing trained yet
    assert set(diagnostics.COLUMNS) <= set(still)
    before = [w.numpy() for w in generator.trainable_variables]
    generator.trainable_variables[0].assign_add(tf.fill(generator.trainable_variables[0].shape, 0.5))
    moved = watch()["|change of G|"]
    expected = math.sqrt(generator.trainable_variables[0].shape.num_elements()) * 0.5
    assert moved == pytest.approx(expected, rel=1e-5)
    assert len(watch.pictures) == 2 and watch.pictures[0].shape == (4, 784)
    assert not np.allclose(watch.pictures[0], watch.pictures[1])   # the second row shows the moved G
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before[1:], generator.trainable_variables[1:]))


def test_the_compiled_signal_gives_generator_signals_numbers_and_follows_the_weights():
    """A watch uses the traced version after every epoch: same numbers, and the models' *current* weights."""
    generator, discriminator = tiny_models(conditional=True)
    noise = tf.random.Generator.from_seed(1).normal([50, 8])
    labels = tf.one_hot(np.arange(50) % 10, 10)
    real = [tf.random.Generator.from_seed(2).uniform([50, 784]), labels]
    compiled = diagnostics.compiled_signal(generator, discriminator, training_steps.G_loss, noise, labels, real=real)
    for _ in range(2):
        eager = diagnostics.generator_signal(generator, discriminator, training_steps.G_loss, noise, labels, real=real)
        traced = compiled()
        assert set(traced) == set(eager) == {"D(x)", *diagnostics.COLUMNS}
        for name, value in eager.items():
            assert traced[name] == pytest.approx(value, rel=1e-4, abs=1e-7), name
        for w in discriminator.trainable_variables:     # training moves D: the next call must see it
            w.assign(w * 3.0 + 0.01)
    assert traced["D(G(z))"] != pytest.approx(compiled()["D(G(z))"], rel=1e-3)

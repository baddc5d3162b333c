"""Notebook 3's training step (``experiments.make_train_step``): the losses it optimises, each option."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_helpers import experiments, models
from gan_helpers.errors import GanHelpersError

N_NOISE, BATCH = 8, 16


def _step(loss, real_label=1.0, n_class=0):
    keras.utils.set_random_seed(0)
    G = models.build_mlp_generator(N_NOISE, 16, 784, n_class=n_class, activation="leaky_relu", init="glorot")
    D = models.build_mlp_discriminator(784, 16, n_class=n_class, activation="leaky_relu", init="glorot")
    Z = tf.random.stateless_normal((BATCH, N_NOISE), seed=(1, 2))
    frozen = keras.optimizers.SGD(0.0)             # learning rate 0: the losses are of these very models
    step = experiments.make_train_step(G, D, frozen, keras.optimizers.SGD(0.0), lambda b, n: Z, BATCH, N_NOISE,
                                       real_label=real_label, loss=loss)
    return G, D, Z, step


def test_hinge_loss_is_the_hinge_of_the_logits():
    G, D, Z, step = _step("hinge")
    X = tf.random.stateless_uniform((BATCH, 784), seed=(3, 4))
    loss_D, loss_G = step(X)
    real, fake = D(X, training=True).numpy(), D(G(Z, training=True), training=True).numpy()
    assert float(loss_D) == pytest.approx(np.maximum(0, 1 - real).mean() + np.maximum(0, 1 + fake).mean(), rel=1e-5)
    assert float(loss_G) == pytest.approx(-fake.mean(), rel=1e-5)


@pytest.mark.parametrize("real_label", [1.0, 0.9])
def test_cross_entropy_is_the_default_with_its_real_label(real_label):
    G, D, Z, step = _step("cross-entropy", real_label)
    X = tf.random.stateless_uniform((BATCH, 784), seed=(3, 4))
    loss_D, loss_G = step(X)
    real, fake = D(X, training=True).numpy(), D(G(Z, training=True), training=True).numpy()

    def bce(label, logit):   # -[t log s(l) + (1 - t) log(1 - s(l))], averaged
        return np.mean(np.logaddexp(0, logit) - label * logit)

    assert float(loss_D) == pytest.approx(bce(real_label, real) + bce(0.0, fake), rel=1e-5)
    assert float(loss_G) == pytest.approx(bce(1.0, fake), rel=1e-5)


def test_an_unknown_loss_is_one_line_naming_the_choices():
    with pytest.raises(GanHelpersError, match="unknown loss 'wasserstein'; use one of 'cross-entropy', 'hinge'"):
        _step("wasserstein")

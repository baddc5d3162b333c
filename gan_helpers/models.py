"""The generator and discriminator of both notebooks, built with Keras 3.

Each builder mirrors the note's TF1 code; the comments name the note's
variables so a learner can map one to the other. The discriminators return a
*logit* (no sigmoid): the sigmoid moves into the loss, which is then computed in a
numerically stable form (see notebook 1, step #10).
"""

from __future__ import annotations

from ._quiet import import_tensorflow_quietly

import_tensorflow_quietly()

import keras  # noqa: E402
from keras import layers  # noqa: E402


# --- notebook 1: the vanilla GAN (note tfGAN.ipynb, steps #4-#7) -----------------

def note_init():
    """tf.random_normal(stddev=0.01) for weights, as in the note's #4/#5."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.01)


def build_generator(n_noise=128, n_hidden=256, n_input=28 * 28):
    """Note #4 + #6: noise (n_noise) -> ReLU (n_hidden) -> sigmoid image (n_input)."""
    return keras.Sequential([
        keras.Input(shape=(n_noise,), name="noise"),               # Z
        layers.Dense(n_hidden, activation="relu", name="hidden",   # G_W1, G_b1
                     kernel_initializer=note_init(), bias_initializer="zeros"),
        layers.Dense(n_input, activation="sigmoid", name="image",  # G_W2, G_b2
                     kernel_initializer=note_init(), bias_initializer="zeros"),
    ], name="generator")


def build_discriminator(n_input=28 * 28, n_hidden=256):
    """Note #5 + #7: image (n_input) -> ReLU (n_hidden) -> one logit (sigmoid is in the loss)."""
    return keras.Sequential([
        keras.Input(shape=(n_input,), name="image"),               # X or G(Z)
        layers.Dense(n_hidden, activation="relu", name="hidden",   # D_W1, D_b1
                     kernel_initializer=note_init(), bias_initializer="zeros"),
        layers.Dense(1, activation=None, name="logit",             # D_W2, D_b2
                     kernel_initializer=note_init(), bias_initializer="zeros"),
    ], name="discriminator")


# --- notebook 2: the conditional GAN (note tfGAN2.ipynb, steps #2-#3) -------------
# Dense layers keep Keras' defaults, which are tf.layers.dense's: Glorot-uniform
# weights and zero biases.

def build_cgan_generator(n_noise=128, n_class=10, n_hidden=256, n_input=28 * 28):
    """Note #2: concat(noise, one-hot label) -> ReLU (n_hidden) -> sigmoid image."""
    noise = keras.Input(shape=(n_noise,), name="noise")            # Z
    labels = keras.Input(shape=(n_class,), name="labels")          # Y
    x = layers.Concatenate(name="noise_and_label")([noise, labels])
    x = layers.Dense(n_hidden, activation="relu", name="hidden")(x)
    image = layers.Dense(n_input, activation="sigmoid", name="image")(x)
    return keras.Model([noise, labels], image, name="generator")


def build_cgan_discriminator(n_input=28 * 28, n_class=10, n_hidden=256):
    """Note #3: concat(image, one-hot label) -> ReLU (n_hidden) -> one logit."""
    image = keras.Input(shape=(n_input,), name="image")            # X or G
    labels = keras.Input(shape=(n_class,), name="labels")          # Y
    x = layers.Concatenate(name="image_and_label")([image, labels])
    x = layers.Dense(n_hidden, activation="relu", name="hidden")(x)
    logit = layers.Dense(1, activation=None, name="logit")(x)
    return keras.Model([image, labels], logit, name="discriminator")

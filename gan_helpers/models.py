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


# --- noise: what the generators are fed (note tfGAN #8 and tfGAN2 #4) ---------------
# ``rng`` is a tf.random.Generator, so the noise can be drawn inside a tf.function and a
# seed reproduces it.

def standard_normal_noise(rng, batch_size, n_noise):
    """Notebook 1 (note tfGAN #8): np.random.normal(size=...), mean 0 and standard deviation 1."""
    return rng.normal((batch_size, n_noise))


def uniform_noise(rng, batch_size, n_noise):
    """Notebook 2: what the note's text says, and the original tutorial's np.random.uniform(-1., 1.)."""
    return rng.uniform((batch_size, n_noise), minval=-1.0, maxval=1.0)


def note_normal_noise(rng, batch_size, n_noise):
    """What the note's tfGAN2 #4 code does: np.random.normal(-1., 1.) = mean -1, standard deviation 1."""
    return rng.normal((batch_size, n_noise), mean=-1.0, stddev=1.0)


NOISE = {
    "normal(0, 1)": standard_normal_noise,
    "uniform(-1, 1)": uniform_noise,
    "normal(-1, 1)": note_normal_noise,
}


# --- settings: enough to rebuild a model without the notebook --------------------

def gan_settings(n_noise=128, n_hidden=256, n_input=28 * 28, noise="normal(0, 1)"):
    return {"kind": "gan", "n_noise": n_noise, "n_hidden": n_hidden, "n_input": n_input, "noise": noise}


def cgan_settings(n_noise=128, n_class=10, n_hidden=256, n_input=28 * 28, noise="uniform(-1, 1)"):
    return {"kind": "cgan", "n_noise": n_noise, "n_class": n_class, "n_hidden": n_hidden,
            "n_input": n_input, "noise": noise}


def build_from_settings(settings):
    """(generator, discriminator) for a settings dict from :func:`gan_settings` / :func:`cgan_settings`."""
    if settings["noise"] not in NOISE:
        raise ValueError(f"unknown noise {settings['noise']!r}")
    if settings["kind"] == "gan":
        return (build_generator(settings["n_noise"], settings["n_hidden"], settings["n_input"]),
                build_discriminator(settings["n_input"], settings["n_hidden"]))
    if settings["kind"] == "cgan":
        return (build_cgan_generator(settings["n_noise"], settings["n_class"], settings["n_hidden"],
                                     settings["n_input"]),
                build_cgan_discriminator(settings["n_input"], settings["n_class"], settings["n_hidden"]))
    raise ValueError(f"unknown kind {settings['kind']!r}")


def generate(generator, settings, count, seed=0, digit=None, same_noise=False):
    """``count`` images (float32, (count, n_input)) from ``generator`` with noise drawn from ``seed``.

    The same seed gives the same noise, so the same images; for a conditional GAN ``digit``
    (0 .. n_class-1, or a sequence of digits) is the label asked for. ``same_noise=True``
    repeats the seed's first noise vector, so only the label changes between images.
    """
    import numpy as np
    import tensorflow as tf

    noise = NOISE[settings["noise"]](tf.random.Generator.from_seed(seed), 1 if same_noise else count,
                                     settings["n_noise"])
    if same_noise:
        noise = tf.repeat(noise, count, axis=0)
    if settings["kind"] == "gan":
        return generator(noise, training=False).numpy()
    digits = np.broadcast_to(np.asarray(digit if digit is not None else 0), (count,))
    labels = tf.one_hot(digits, settings["n_class"])
    return generator([noise, labels], training=False).numpy()

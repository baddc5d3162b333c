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


# The settings and their checks live in gan_helpers.settings (no TensorFlow there); the notebooks make them here.
from .settings import (ACTIVATIONS, ARCHS, INITS, KINDS, Settings, SettingsError, _allowed,  # noqa: E402,F401
                       better_settings, cgan_settings, gan_settings, require)


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


# --- notebook 3: better models for the same budget ---------------------------------
# ``n_class=0`` builds an unconditional model (one input); ``n_class=10`` a conditional one
# with the one-hot label as a second input, joined as in the note (concat).

def _activation(name):
    return layers.LeakyReLU(0.2) if _allowed("activation", name, ACTIVATIONS) == "leaky_relu" else layers.ReLU()


def _kernel_init(init):
    """The note's RandomNormal(stddev=0.01) for init "note"; Keras' default, Glorot-uniform, for "glorot"."""
    return note_init() if _allowed("init", init, INITS) == "note" else "glorot_uniform"


def _inputs(first, n_first, n_class):
    inputs = [keras.Input(shape=(n_first,), name=first)]
    if n_class:
        inputs.append(keras.Input(shape=(n_class,), name="labels"))
    return inputs


def _hidden_sizes(n_hidden):
    return [n_hidden] if isinstance(n_hidden, int) else list(n_hidden)


class MinibatchStdDev(layers.Layer):
    """Appends one feature: how much the batch varies (mean standard deviation over the batch).

    A generator that draws the same few digits gives batches that vary little, and the
    discriminator can see that in this one number (Karras et al. 2018, "minibatch standard
    deviation"; a simple form of Salimans et al. 2016's minibatch discrimination).
    """

    def __init__(self, epsilon=0.0, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def spread(self, x):
        """The one number: the standard deviation over the batch of each feature, averaged over the features."""
        if self.epsilon:   # sqrt(variance + epsilon): finite gradient where a feature is constant over the batch
            per_feature = keras.ops.sqrt(keras.ops.var(x, axis=0) + self.epsilon)
        else:              # the form notebook 3's runs were trained with (kept: its saved results stay reproducible)
            per_feature = keras.ops.std(x, axis=0)
        return keras.ops.mean(per_feature)

    def call(self, x):
        return keras.ops.concatenate([x, keras.ops.ones_like(x[:, :1]) * self.spread(x)], axis=1)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def build_mlp_generator(n_noise=128, n_hidden=256, n_input=28 * 28, n_class=0,
                        activation="relu", init="note", batch_norm=False, conditional_batch_norm=False):
    """Notebook 1's generator with choices: hidden sizes (an int or a list), activation,
    weight initialisation, batch normalisation, a label input.

    ``conditional_batch_norm`` (conditional, with ``batch_norm``): each batch normalisation's scale and
    shift are computed from the label (de Vries et al. 2017; Miyato & Koyama 2018 use it in the generator
    beside the projection discriminator), so the label steers every layer, not only the first. They start
    as the plain layer's (scale 1, shift 0).
    """
    _allowed("activation", activation, ACTIVATIONS)  # refused before any layer is made
    if conditional_batch_norm and not (n_class and batch_norm):
        raise SettingsError("conditional_batch_norm needs a conditional generator with batch_norm; "
                            "set it only for kind 'cgan' with 'batch_norm': True")
    kernel_init = _kernel_init(init)
    inputs = _inputs("noise", n_noise, n_class)
    x = layers.Concatenate(name="noise_and_label")(inputs) if n_class else inputs[0]
    for i, size in enumerate(_hidden_sizes(n_hidden)):
        x = layers.Dense(size, kernel_initializer=kernel_init, name="hidden" if i == 0 else f"hidden_{i + 1}")(x)
        if conditional_batch_norm:
            x = layers.BatchNormalization(center=False, scale=False)(x)
            scale = layers.Dense(size, kernel_initializer="zeros", bias_initializer="ones",
                                 name=f"label_scale_{i + 1}")(inputs[1])
            shift = layers.Dense(size, kernel_initializer="zeros", name=f"label_shift_{i + 1}")(inputs[1])
            x = layers.Add()([layers.Multiply()([x, scale]), shift])
        elif batch_norm:
            x = layers.BatchNormalization()(x)
        x = _activation(activation)(x)
    image = layers.Dense(n_input, activation="sigmoid", kernel_initializer=kernel_init, name="image")(x)
    return keras.Model(inputs if n_class else inputs[0], image, name="generator")


def build_mlp_discriminator(n_input=28 * 28, n_hidden=256, n_class=0, activation="relu",
                            init="note", dropout=0.0, minibatch_std=False, spectral_norm=False,
                            projection=False):
    """Notebook 1's discriminator with choices: hidden sizes (an int, or a list used largest
    first), activation, initialisation, dropout, minibatch standard deviation, a label input.

    ``spectral_norm``: every Dense layer divided by its largest singular value, estimated by one
    power iteration per training call (Miyato et al. 2018, ``keras.layers.SpectralNormalization``).
    ``projection`` (conditional only): the label is not concatenated to the image; instead the
    logit gets the inner product of a learned embedding of the label with the last hidden
    features (Miyato & Koyama 2018, "projection discriminator").
    """
    _allowed("activation", activation, ACTIVATIONS)  # refused before any layer is made
    if projection and not n_class:
        raise SettingsError("projection needs a conditional discriminator (n_class > 0); "
                            "set 'projection' only for kind 'cgan'")
    kernel_init = _kernel_init(init)

    def dense(size, name):
        layer = layers.Dense(size, kernel_initializer=kernel_init, name=name)
        return layers.SpectralNormalization(layer, name=f"sn_{name}") if spectral_norm else layer

    inputs = _inputs("image", n_input, n_class)
    x = layers.Concatenate(name="image_and_label")(inputs) if n_class and not projection else inputs[0]
    for i, size in enumerate(sorted(_hidden_sizes(n_hidden), reverse=True)):
        if minibatch_std and i == 1:
            x = MinibatchStdDev(name="minibatch_std")(x)
        x = dense(size, "hidden" if i == 0 else f"hidden_{i + 1}")(x)
        x = _activation(activation)(x)
        x = layers.Dropout(dropout)(x) if dropout else x
    if minibatch_std and len(_hidden_sizes(n_hidden)) == 1:
        x = MinibatchStdDev(name="minibatch_std")(x)
    logit = dense(1, "logit")(x)
    if projection:
        embedded = layers.Dense(x.shape[-1], use_bias=False, kernel_initializer=kernel_init,
                                name="label_embedding")(inputs[1])
        match = layers.Dot(axes=1, name="label_match")([embedded, x])
        logit = layers.Add(name="logit_plus_label_match")([logit, match])
    return keras.Model(inputs if n_class else inputs[0], logit, name="discriminator")


def build_dcgan_generator(n_noise=128, n_class=0, width=32, activation="relu", init="glorot", batch_norm=True):
    """DCGAN style: noise (+ label) -> 7x7 feature maps -> two transposed convolutions -> 28x28.

    ``activation`` is the hidden layers' ("relu", DCGAN's, or "leaky_relu"); ``init`` the weights' ("glorot",
    Keras' default, or "note": RandomNormal(stddev=0.01)). ``batch_norm``: a batch normalisation after the
    dense layer and after the first transposed convolution keeps the signal in a healthy range (DCGAN's
    choice); without it those two layers get a bias instead (the shift the batch norm would have learned).
    The last layer is a sigmoid image, flattened to 784 like every other generator here.
    """
    _allowed("activation", activation, ACTIVATIONS)  # refused before any layer is made
    kernel_init = _kernel_init(init)

    def normalised(x):
        return _activation(activation)(layers.BatchNormalization()(x) if batch_norm else x)

    inputs = _inputs("noise", n_noise, n_class)
    x = layers.Concatenate(name="noise_and_label")(inputs) if n_class else inputs[0]
    x = layers.Dense(7 * 7 * 2 * width, use_bias=not batch_norm, kernel_initializer=kernel_init, name="project")(x)
    x = layers.Reshape((7, 7, 2 * width))(normalised(x))                                    # 7x7
    x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=not batch_norm,
                               kernel_initializer=kernel_init)(x)
    x = normalised(x)                                                                        # 14x14
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid",
                               kernel_initializer=kernel_init)(x)                            # 28x28
    image = layers.Flatten(name="image")(x)
    return keras.Model(inputs if n_class else inputs[0], image, name="generator")


def build_dcgan_discriminator(n_input=28 * 28, n_class=0, width=32, dropout=0.0, activation="leaky_relu",
                              init="glorot", minibatch_std=False):
    """DCGAN style: 28x28 image (+ the label as ten constant channels) -> two strided convolutions -> logit.

    ``activation`` is the hidden layers' as in the MLP ("leaky_relu", DCGAN's, or "relu"); ``init`` as for
    the generator. ``minibatch_std``: one more feature after flattening, how much the batch varies
    (:class:`MinibatchStdDev`), so the logit can see a batch of look-alikes.
    """
    _allowed("activation", activation, ACTIVATIONS)  # refused before any layer is made
    kernel_init = _kernel_init(init)
    inputs = _inputs("image", n_input, n_class)
    x = layers.Reshape((28, 28, 1))(inputs[0])
    if n_class:  # the label as 10 extra channels, the conv version of the note's concat
        label_maps = layers.Reshape((1, 1, n_class))(inputs[1])
        x = layers.Concatenate(name="image_and_label")([x, layers.UpSampling2D(28)(label_maps)])
    for filters in (width, 2 * width):                                             # 14x14, 7x7
        x = layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=kernel_init)(x)
        x = _activation(activation)(x)
        x = layers.Dropout(dropout)(x) if dropout else x
    x = layers.Flatten()(x)
    if minibatch_std:
        x = MinibatchStdDev(name="minibatch_std")(x)
    logit = layers.Dense(1, kernel_initializer=kernel_init, name="logit")(x)
    return keras.Model(inputs if n_class else inputs[0], logit, name="discriminator")


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

def build_from_settings(settings: Settings):
    """(generator, discriminator) for :class:`~gan_helpers.settings.Settings` (``gan_settings()``,
    ``cgan_settings()``, ``better_settings()`` or ``Settings.read("settings.json")``).

    A model option this arch cannot honour (e.g. ``n_hidden`` or ``spectral_norm`` for arch "dcgan") raises
    :class:`SettingsError` with one line, instead of building a model without it.
    """
    s = require(settings)
    if s.unused():
        options = ", ".join(f"{key}={value!r}" for key, value in s.unused().items())
        raise SettingsError(f"arch {s.arch!r} cannot use {options}; leave that out, or use arch 'mlp'")
    if s.arch == "note":
        if s.kind == "gan":
            return build_generator(s.n_noise, s.n_hidden, s.n_input), build_discriminator(s.n_input, s.n_hidden)
        return (build_cgan_generator(s.n_noise, s.n_class, s.n_hidden, s.n_input),
                build_cgan_discriminator(s.n_input, s.n_class, s.n_hidden))
    if s.arch == "mlp":
        shape = dict(n_hidden=s.n_hidden, n_input=s.n_input, n_class=s.n_class, activation=s.activation, init=s.init)
        return (build_mlp_generator(s.n_noise, batch_norm=s.batch_norm,
                                    conditional_batch_norm=s.conditional_batch_norm, **shape),
                build_mlp_discriminator(dropout=s.dropout, minibatch_std=s.minibatch_std,
                                        spectral_norm=s.spectral_norm, projection=s.projection, **shape))
    # arch == "dcgan": each option means what it means for "mlp" (activation: both models' hidden layers), so
    # the table's DCGAN row changes the layers and nothing else; the builders' own defaults are DCGAN's
    shape = dict(n_class=s.n_class, width=s.width, activation=s.activation, init=s.init)
    return (build_dcgan_generator(s.n_noise, batch_norm=s.batch_norm, **shape),
            build_dcgan_discriminator(s.n_input, dropout=s.dropout, minibatch_std=s.minibatch_std, **shape))


def generate(generator, settings, count, seed=0, digit=None, same_noise=False):
    """``count`` images (float32, (count, n_input)) from ``generator`` with noise drawn from ``seed``.

    The same seed gives the same noise, so the same images; for a conditional GAN ``digit``
    (0 .. n_class-1, or a sequence of digits) is the label asked for. ``same_noise=True``
    repeats the seed's first noise vector, so only the label changes between images.
    """
    import numpy as np
    import tensorflow as tf

    noise = NOISE[settings.noise](tf.random.Generator.from_seed(seed), 1 if same_noise else count, settings.n_noise)
    if same_noise:
        noise = tf.repeat(noise, count, axis=0)
    if settings.kind == "gan":
        return generator(noise, training=False).numpy()
    digits = np.broadcast_to(np.asarray(digit if digit is not None else 0), (count,))
    labels = tf.one_hot(digits, settings.n_class)
    return generator([noise, labels], training=False).numpy()

"""A tiny checkpoint made by the tests themselves (a few training steps on random data)."""

import keras
import numpy as np
import tensorflow as tf

from gan_helpers import checkpoints, models


def make_checkpoint(directory, kind="cgan", n_noise=16, n_hidden=32, steps=3, seed=0, epochs=1, settings=None):
    """``settings``: any Settings (e.g. notebook 3's ``models.better_settings``); default notebook 1/2's."""
    if settings is None:
        settings = (models.cgan_settings(n_noise=n_noise, n_hidden=n_hidden) if kind == "cgan"
                    else models.gan_settings(n_noise=n_noise, n_hidden=n_hidden))
    kind, n_noise = settings.kind, settings.n_noise
    keras.utils.set_random_seed(seed)
    generator, discriminator = models.build_from_settings(settings)
    D_opt, G_opt = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    rng = tf.random.Generator.from_seed(seed)
    ckpt = checkpoints.TrainingCheckpoint(directory, settings, generator=generator, discriminator=discriminator,
                                          D_optimizer=D_opt, G_optimizer=G_opt, rng=rng)
    x = tf.constant(np.random.default_rng(seed).random((20, 784), dtype=np.float32))
    y = tf.one_hot(np.arange(20) % 10, 10)
    history = {"D loss": [], "G loss": []}
    for epoch in range(epochs):
        for _ in range(steps):
            z = models.NOISE[settings.noise](rng, 20, n_noise)
            g_in = [z, y] if kind == "cgan" else z
            with tf.GradientTape() as tape:
                fake = generator(g_in)
                d_in = [fake, y] if kind == "cgan" else fake
                loss = -tf.reduce_mean(discriminator(d_in))
            G_opt.apply_gradients(zip(tape.gradient(loss, generator.trainable_variables),
                                      generator.trainable_variables))
            with tf.GradientTape() as tape:
                d_real = [x, y] if kind == "cgan" else x
                loss_d = tf.reduce_mean(discriminator(d_in)) - tf.reduce_mean(discriminator(d_real))
            D_opt.apply_gradients(zip(tape.gradient(loss_d, discriminator.trainable_variables),
                                      discriminator.trainable_variables))
        history["D loss"].append(float(loss_d))
        history["G loss"].append(float(loss))
        ckpt.save(epoch + 1, history)
    return generator, settings, (generator, discriminator, D_opt, G_opt, rng)

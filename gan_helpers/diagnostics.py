"""Where the generator's learning signal goes: measured on one fixed batch, as often as you like.

The generator learns only through the discriminator: its loss is a function of ``D``'s logit for
the fake images, so the gradient that reaches the generator's weights is a chain of factors

    dloss/dlogit  ->  dlogit/dimage (the discriminator's gradient w.r.t. its input)
                  ->  dimage/da = p (1 - p) (the generator's sigmoid, per pixel)
                  ->  da/dweights.

:func:`generator_signal` measures each link on the same batch, so a notebook can show which one
is small when the generator stops learning, instead of guessing. Nothing here trains: the
models are only called (``training=False``).
"""

from __future__ import annotations

import numpy as np

from ._quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

SATURATED = 0.01   # a sigmoid output below 0.01 or above 0.99 passes back less than 0.0099 of its gradient

COLUMNS = ("D(G(z))", "|dloss/dlogit|", "|dD/dx|", "saturated", "|dloss/da|", "|grad G|")
"""What :func:`generator_signal` returns, in the order of the chain above:

- ``D(G(z))``: mean probability the discriminator gives the fakes;
- ``|dloss/dlogit|``: mean size of the generator loss' gradient w.r.t. each fake's logit
  (non-saturating loss: 1 - D(G(z)); minimax loss: D(G(z)));
- ``|dD/dx|``: mean norm, per image, of the gradient of the discriminator's logit w.r.t. the image;
- ``saturated``: share of the generator's output pixels below 0.01 or above 0.99;
- ``|dloss/da|``: mean norm, per image, of the gradient w.r.t. the generator's pre-sigmoid output
  (the image gradient times p (1 - p));
- ``|grad G|``: global norm of the gradient of the batch-mean loss w.r.t. all the generator's weights
  (what the optimiser receives).
"""


def generator_signal(generator, discriminator, G_loss, noise, labels=None, real=None) -> dict:
    """Each link of the chain above for one batch of ``noise`` (and one-hot ``labels`` for a conditional GAN).

    ``G_loss(logits)`` is the generator's loss as a *minimised* batch mean, e.g. notebook 2's
    ``G_loss`` or ``lambda logits: -G_objective(logits)`` for notebook 1's objective.
    The generator must end in a sigmoid (its output is the probability ``p`` per pixel).
    ``real``: the discriminator's input for real images (``[images, labels]`` for a conditional
    GAN); then ``"D(x)"``, its mean probability for them, is returned too.
    """
    return {name: float(value) for name, value in _signal_tensors(generator, discriminator, G_loss, noise,
                                                                  labels, real).items()}


def _signal_tensors(generator, discriminator, G_loss, noise, labels, real) -> dict:
    """:func:`generator_signal`'s numbers as scalar tensors (eager, or inside a ``tf.function``)."""
    conditional = labels is not None
    batch = int(noise.shape[0])
    with tf.GradientTape(persistent=True) as tape:
        fake = generator([noise, labels] if conditional else noise, training=False)
        tape.watch(fake)
        logits = discriminator([fake, labels] if conditional else fake, training=False)
        loss = G_loss(logits)
    dloss_dlogit = tape.gradient(loss, logits) * batch           # per image, not divided by the batch
    dloss_dx = tape.gradient(loss, fake) * batch
    grads = tape.gradient(loss, generator.trainable_variables)
    del tape
    # dlogit/dx per image: the image gradient divided by dloss/dlogit (both per image); where
    # dloss/dlogit is exactly 0 the ratio is undefined, so measure it directly instead.
    with tf.GradientTape() as tape:
        tape.watch(fake)
        logit_sum = tf.reduce_sum(discriminator([fake, labels] if conditional else fake, training=False))
    dlogit_dx = tape.gradient(logit_sum, fake)
    p = fake
    dloss_da = dloss_dx * p * (1.0 - p)
    found = {} if real is None else {"D(x)": tf.reduce_mean(tf.sigmoid(discriminator(real, training=False)))}
    return {
        **found,
        "D(G(z))": tf.reduce_mean(tf.sigmoid(logits)),
        "|dloss/dlogit|": tf.reduce_mean(tf.abs(dloss_dlogit)),
        "|dD/dx|": tf.reduce_mean(tf.norm(dlogit_dx, axis=1)),
        "saturated": tf.reduce_mean(tf.cast((p < SATURATED) | (p > 1 - SATURATED), tf.float32)),
        "|dloss/da|": tf.reduce_mean(tf.norm(dloss_da, axis=1)),
        "|grad G|": tf.linalg.global_norm(grads),
    }


def compiled_signal(generator, discriminator, G_loss, noise, labels=None, real=None):
    """:func:`generator_signal` for these arguments as a function of nothing, traced once by ``tf.function``.

    For a ``watch`` called after every epoch: one graph call instead of some forty eager operations
    (notebook 2's watch: about 50 ms per epoch eagerly, benchmarks/profile.md).
    """
    signal = tf.function(lambda: _signal_tensors(generator, discriminator, G_loss, noise, labels, real))
    return lambda: {name: float(value) for name, value in signal().items()}


def saturated_share(images) -> float:
    """Share of pixels below 0.01 or above 0.99 (for real images: the background and the stroke cores)."""
    images = np.asarray(images)
    return float(np.mean((images < SATURATED) | (images > 1 - SATURATED)))


def format_row(values: dict, columns=COLUMNS) -> str:
    """One line of numbers in ``columns`` order (shares as %, the rest in 3 significant digits)."""
    cells = []
    for c in columns:
        v = values[c]
        cells.append(f"{v:>15.1%}" if c == "saturated" else f"{v:>15.3g}")
    return "".join(cells)


class SignalWatch:
    """A ``watch`` for :meth:`~gan_helpers.runner.Run.fit`: :func:`generator_signal` after every epoch,
    plus ``|change of G|``, how far the generator's weights moved during the epoch (global L2 norm).

    It also keeps the generator's pictures for the first ``n_pictures`` noise vectors, one row per
    epoch, in ``self.pictures``. Nothing is trained; the noise is fixed, so epochs compare.
    """

    def __init__(self, generator, discriminator, G_loss, noise, n_pictures=10):
        self.generator, self.discriminator, self.G_loss, self.noise = generator, discriminator, G_loss, noise
        self.n_pictures = n_pictures
        self.pictures = []
        self._previous = self._weights()
        self._signal = compiled_signal(generator, discriminator, G_loss, noise)

    def _weights(self):
        return [w.numpy() for w in self.generator.trainable_variables]

    def __call__(self) -> dict:
        self.pictures.append(self.generator(self.noise[:self.n_pictures], training=False).numpy())
        now = self._weights()
        moved = float(np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(now, self._previous))))
        self._previous = now
        return {**self._signal(), "|change of G|": moved}


def discriminator_watch(generator, discriminator, settings, images, labels=None, n=500, seed=5):
    """A ``watch`` for :meth:`~gan_helpers.runner.Run.fit`: D's mean probability for real and fake images.

    ``D(x)`` on the first ``n`` of ``images`` (with their one-hot ``labels`` for a conditional GAN),
    ``D(G(z))`` on ``n`` fakes from fixed noise of the settings' kind (its own generator, ``seed``,
    so watching does not change the training's random draws; conditional: digits 0-9 in turn).
    """
    from . import models

    conditional = settings.kind == "cgan"
    noise = models.NOISE[settings.noise](tf.random.Generator.from_seed(seed), n, settings.n_noise)
    fake_labels = tf.one_hot(np.arange(n) % settings.n_class, settings.n_class) if conditional else None
    real = tf.constant(images[:n])
    real_in = [real, tf.constant(labels[:n])] if conditional else real

    def watch():
        fakes = generator([noise, fake_labels] if conditional else noise, training=False)
        fake_in = [fakes, fake_labels] if conditional else fakes
        return {"D(x)": float(tf.reduce_mean(tf.sigmoid(discriminator(real_in, training=False)))),
                "D(G(z))": float(tf.reduce_mean(tf.sigmoid(discriminator(fake_in, training=False))))}

    return watch

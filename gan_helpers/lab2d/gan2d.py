"""Notebook 00: a GAN on points in the plane, small enough to watch while it learns.

The real data are 2-D point clouds (:data:`DATASETS`); the generator turns 2-D noise into
points, the discriminator gives every point of the plane a probability of being real. Because
everything is 2-D, the whole state of training can be drawn: real and generated points, D's
probability over the plane, and the direction G's loss pushes each generated point.

The training step is the one of notebooks 1-3 (Adam, cross-entropy on logits, D first, then G)
with two choices the widget can switch while training runs: the generator's loss
(``"non-saturating"``, the note's ``-log D(G(z))``, or ``"minimax"``, ``log(1 - D(G(z)))``, the
one in V(D, G)) and the number of D steps per G step.

Mode coverage follows Srivastava et al. 2017 (VEEGAN, section 5.1): a generated point is
*high quality* if it lies within three standard deviations of the nearest mode's centre; the
number of *modes captured* is the number of mixture components whose centre is the nearest
centre of at least one high-quality point. The ring and grid are the mixtures used there
(ring: Metz et al. 2017, 8 Gaussians on a circle of radius 2, standard deviation 0.02;
grid: 25 Gaussians at -4, -2, 0, 2, 4 in each axis, standard deviation 0.05).
"""

from __future__ import annotations

import logging
import math
import numbers
import time

import numpy as np

from .._quiet import import_tensorflow_quietly
from ..errors import GanHelpersError
from ..models import MinibatchStdDev
from .. import results

tf = import_tensorflow_quietly()
import keras  # noqa: E402
from keras import layers  # noqa: E402


class _OwnTracesFilter(logging.Filter):
    """Every Gan2d compiles its own step and view functions, once each, on purpose (they hold its two
    models). TensorFlow counts those traces across objects and warns of "retracing" after a few models;
    only that warning, and only about Gan2d's functions, is dropped."""

    def filter(self, record):
        message = record.getMessage()
        return not ("triggered tf.function retracing" in message and "Gan2d." in message)


tf.get_logger().addFilter(_OwnTracesFilter())

DATASETS = ("ring", "grid", "moons", "gaussian")
LOSSES = ("non-saturating", "minimax")
NOISE_DIM = 2
HIDDEN = (128, 128)
BATCH_SIZE = 256
LEARNING_RATE = 1e-3
BETA_1 = 0.9                   # Adam's beta_1: the note's (TF1 AdamOptimizer's default)
COVERAGE_SAMPLES = 2500        # as in VEEGAN
SPREAD_EPSILON = 1e-8          # minibatch std: a ReLU unit that is 0 for the whole batch has std 0, and sqrt'(0) is inf
HIGH_QUALITY_STDS = 3.0        # "within three standard deviations"
PLANE = {"ring": 3.0, "grid": 5.5, "moons": 2.5, "gaussian": 3.0}   # half-width of the square drawn

_RING_RADIUS, _RING_STD = 2.0, 0.02
_GRID_STD = 0.05
_GAUSSIAN_STD = 0.5
_MOONS_NOISE = 0.05


class Gan2dError(GanHelpersError, ValueError):
    """A 2-D GAN setting the notebook does not know (data set, loss, a rate or count out of range)."""


def _check(what, value, allowed):
    if value not in allowed:
        raise Gan2dError(f"unknown {what} {value!r}; use one of {', '.join(map(repr, allowed))}")


def mode_centres(data: str) -> np.ndarray | None:
    """The centres of the mixture's components, shape (k, 2); ``None`` for the moons (not a mixture)."""
    _check("data set", data, DATASETS)
    if data == "ring":
        angles = 2 * np.pi * np.arange(8) / 8
        return (_RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)
    if data == "grid":
        ticks = np.arange(-4.0, 5.0, 2.0)
        return np.array([(x, y) for x in ticks for y in ticks], dtype=np.float32)
    if data == "gaussian":
        return np.zeros((1, 2), np.float32)
    return None


def mode_std(data: str) -> float | None:
    """Each component's standard deviation (per axis); ``None`` for the moons."""
    _check("data set", data, DATASETS)
    return {"ring": _RING_STD, "grid": _GRID_STD, "gaussian": _GAUSSIAN_STD}.get(data)


def sample_real(data: str, n: int, rng: tf.random.Generator):
    """``n`` real points (float32 tensor, shape (n, 2)) drawn with ``rng``; works inside ``tf.function``."""
    _check("data set", data, DATASETS)
    if data == "moons":   # two interleaved half circles, as scikit-learn's make_moons
        upper = rng.uniform([n], 0, 2, dtype=tf.int32)
        t = rng.uniform([n], 0.0, math.pi)
        x = tf.where(upper == 1, tf.cos(t), 1.0 - tf.cos(t))
        y = tf.where(upper == 1, tf.sin(t), 0.5 - tf.sin(t))
        points = tf.stack([x - 0.5, y - 0.25], axis=1) * 1.5
        return points + rng.normal([n, 2], stddev=_MOONS_NOISE * 1.5)
    centres = tf.constant(mode_centres(data))
    which = rng.uniform([n], 0, centres.shape[0], dtype=tf.int32)
    return tf.gather(centres, which) + rng.normal([n, 2], stddev=mode_std(data))


def real_density(data: str, points) -> np.ndarray:
    """p_data at ``points`` (shape (m, 2)): exact for the mixtures; ``None`` for the moons."""
    centres, std = mode_centres(data), mode_std(data)
    if centres is None:
        return None
    points = np.asarray(points, np.float64)
    d2 = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    return np.exp(-d2 / (2 * std**2)).mean(axis=1) / (2 * np.pi * std**2)


def kernel_density(samples, points, bandwidth: float) -> np.ndarray:
    """A Gaussian kernel density estimate from ``samples`` (n, 2) at ``points`` (m, 2)."""
    samples = np.asarray(samples, np.float64)
    points = np.asarray(points, np.float64)
    out = np.zeros(len(points))
    for start in range(0, len(points), 2048):   # in chunks: m x n distances at most 2048 x n
        d2 = ((points[start:start + 2048, None, :] - samples[None, :, :]) ** 2).sum(-1)
        out[start:start + 2048] = np.exp(-d2 / (2 * bandwidth**2)).mean(axis=1)
    return out / (2 * np.pi * bandwidth**2)


def coverage(points, data: str, min_count: int = 1) -> dict:
    """VEEGAN's two numbers for ``points`` (n, 2) against the mixture ``data``.

    ``modes``: how many components have at least ``min_count`` high-quality points nearest to
    them (VEEGAN: 1); ``high_quality``: the share of points within three standard deviations of
    their nearest centre; ``per_mode``: the count of high-quality points per component.
    """
    centres, std = mode_centres(data), mode_std(data)
    if centres is None:
        raise Gan2dError(f"{data!r} has no modes to count; coverage is measured on 'ring', 'grid' or 'gaussian'")
    points = np.asarray(points, np.float64).reshape(-1, 2)
    distance = np.sqrt(((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1))
    nearest = distance.argmin(axis=1)
    good = distance[np.arange(len(points)), nearest] <= HIGH_QUALITY_STDS * std
    per_mode = np.bincount(nearest[good], minlength=len(centres))
    return {"modes": int((per_mode >= min_count).sum()), "of": len(centres),
            "high_quality": float(good.mean()) if len(points) else 0.0, "per_mode": per_mode.tolist()}


def build_generator(hidden=HIDDEN, noise_dim=NOISE_DIM) -> keras.Model:
    """Noise (2 numbers) -> a point in the plane: ReLU layers as in the note, a linear output."""
    noise = keras.Input((noise_dim,), name="noise")
    x = noise
    for i, size in enumerate(hidden, start=1):
        x = layers.Dense(size, activation="relu", name=f"hidden_{i}")(x)
    return keras.Model(noise, layers.Dense(2, name="point")(x), name="generator")


def build_discriminator(hidden=HIDDEN, minibatch_std=False) -> keras.Model:
    """A point -> the logit of "real"; optionally notebook 3's minibatch standard deviation feature."""
    point = keras.Input((2,), name="point")
    x = point
    for i, size in enumerate(hidden, start=1):
        x = layers.Dense(size, activation="relu", name=f"hidden_{i}")(x)
        if minibatch_std and i == 1:
            x = MinibatchStdDev(epsilon=SPREAD_EPSILON, name="minibatch_std")(x)
    return keras.Model(point, layers.Dense(1, name="logit")(x), name="discriminator")


def generator_loss(fake_logit, loss: str):
    """G's loss from D's logits on generated points.

    ``"non-saturating"`` (the note): minimise -log D(G(z)) = softplus(-logit).
    ``"minimax"`` (the value function V): minimise log(1 - D(G(z))) = -softplus(logit).
    """
    if loss == "non-saturating":
        return tf.reduce_mean(tf.nn.softplus(-fake_logit))
    return -tf.reduce_mean(tf.nn.softplus(fake_logit))


def discriminator_loss(real_logit, fake_logit):
    """-log D(x) - log(1 - D(G(z))), from logits (notebook 1, step #10)."""
    return tf.reduce_mean(tf.nn.softplus(-real_logit)) + tf.reduce_mean(tf.nn.softplus(fake_logit))


class Gan2d:
    """A generator, a discriminator, their optimisers and the training step, for one 2-D data set.

    ``train(n)`` runs ``n`` G steps (each after ``d_steps`` D steps) in one TensorFlow call and
    appends one line to ``history``. ``loss``, ``d_steps`` and the learning rates may change
    between calls (the widget does that while training runs); the data set may not (make a new one).
    Everything random comes from ``seed``: two objects with the same arguments train identically.
    """

    def __init__(self, data="ring", loss="non-saturating", d_lr=LEARNING_RATE, g_lr=LEARNING_RATE,
                 d_steps=1, minibatch_std=False, seed=42, batch_size=BATCH_SIZE, hidden=HIDDEN,
                 beta_1=BETA_1):
        _check("data set", data, DATASETS)
        self.data, self.seed, self.batch_size = data, int(seed), int(batch_size)
        self.minibatch_std, self.hidden, self.beta_1 = bool(minibatch_std), tuple(hidden), beta_1
        keras.utils.set_random_seed(self.seed)
        self.generator = build_generator(self.hidden)
        self.discriminator = build_discriminator(self.hidden, self.minibatch_std)
        self.d_optimizer = keras.optimizers.Adam(d_lr, beta_1=beta_1)
        self.g_optimizer = keras.optimizers.Adam(g_lr, beta_1=beta_1)
        self.rng = tf.random.Generator.from_seed(self.seed)
        self._d_steps = tf.Variable(1, dtype=tf.int32, trainable=False)
        self._steps = {name: self._make_step(name) for name in LOSSES}
        self._make_views()
        self.loss = loss
        self.d_steps = d_steps
        self.step = 0
        self.history = {key: [] for key in ("step", "d_loss", "g_loss", "d_real", "d_fake")}
        view_rng = np.random.default_rng(self.seed + 1)
        self.view_noise = view_rng.standard_normal((COVERAGE_SAMPLES, NOISE_DIM)).astype(np.float32)

    # -- what may change while training -------------------------------------------------
    @property
    def loss(self) -> str:
        return self._loss

    @loss.setter
    def loss(self, value):
        _check("generator loss", value, LOSSES)
        self._loss = value

    @property
    def step_function(self):
        """The compiled step for the current loss (one per loss, so switching costs no retrace)."""
        return self._steps[self._loss]

    @property
    def d_steps(self) -> int:
        return int(self._d_steps.numpy())

    @d_steps.setter
    def d_steps(self, value):
        if isinstance(value, bool) or not (isinstance(value, (int, np.integer)) and 1 <= value <= 10):
            raise Gan2dError(f"d_steps={value!r}: use a whole number of D steps per G step from 1 to 10")
        self._d_steps.assign(int(value))

    def set_learning_rates(self, d_lr=None, g_lr=None):
        for rate, optimizer in ((d_lr, self.d_optimizer), (g_lr, self.g_optimizer)):
            if rate is None:
                continue
            if isinstance(rate, bool) or not (isinstance(rate, numbers.Real) and 0 < rate <= 1):
                raise Gan2dError(f"learning rate {rate!r}: use a number above 0 and at most 1, e.g. 0.001")
            optimizer.learning_rate.assign(rate)

    @property
    def learning_rates(self) -> tuple[float, float]:
        return float(self.d_optimizer.learning_rate.numpy()), float(self.g_optimizer.learning_rate.numpy())

    # -- training -----------------------------------------------------------------------
    def _make_step(self, loss):
        generator, discriminator = self.generator, self.discriminator
        d_opt, g_opt, rng, data, batch = self.d_optimizer, self.g_optimizer, self.rng, self.data, self.batch_size

        def d_step():
            real = sample_real(data, batch, rng)
            fake = generator(rng.normal([batch, NOISE_DIM]), training=True)
            with tf.GradientTape() as tape:
                real_logit = discriminator(real, training=True)
                fake_logit = discriminator(fake, training=True)
                d_loss = discriminator_loss(real_logit, fake_logit)
            d_opt.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_variables),
                                      discriminator.trainable_variables))
            return d_loss, tf.reduce_mean(tf.sigmoid(real_logit)), tf.reduce_mean(tf.sigmoid(fake_logit))

        def g_step():
            with tf.GradientTape() as tape:
                fake_logit = discriminator(generator(rng.normal([batch, NOISE_DIM]), training=True), training=True)
                g_loss = generator_loss(fake_logit, loss)
            g_opt.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_variables),
                                      generator.trainable_variables))
            return g_loss

        @tf.function(jit_compile=False, reduce_retracing=True)
        def train_steps(n):
            sums = tf.zeros([4])
            for _ in tf.range(n):
                for _ in tf.range(self._d_steps):
                    d_loss, d_real, d_fake = d_step()
                g_loss = g_step()
                sums += tf.stack([d_loss, g_loss, d_real, d_fake])   # the last D step's numbers
            return sums / tf.cast(n, tf.float32)

        return train_steps

    def train(self, n: int = 1) -> dict:
        """``n`` G steps; returns and records the means of D's loss, G's loss, D(x) and D(G(z)) over them."""
        if not (isinstance(n, (int, np.integer)) and n >= 1):
            raise Gan2dError(f"train(n={n!r}): n is a whole number of steps >= 1")
        d_loss, g_loss, d_real, d_fake = self.step_function(tf.constant(int(n))).numpy().tolist()
        self.step += int(n)
        line = {"step": self.step, "d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake}
        for key, value in line.items():
            self.history[key].append(value)
        return line

    # -- what the pictures and the measures read ------------------------------------------
    def generated(self, n: int = COVERAGE_SAMPLES) -> np.ndarray:
        """G's points for the first ``n`` of a fixed set of noise vectors (the same every call)."""
        return self._generate(self.view_noise[:n]).numpy()

    def coverage(self, min_count: int = 1) -> dict:
        """:func:`coverage` of 2,500 generated points (VEEGAN's sample size)."""
        return coverage(self.generated(COVERAGE_SAMPLES), self.data, min_count)

    def d_probability(self, points, reference=None) -> np.ndarray:
        """D(x), the probability D gives each point of being real.

        With minibatch std, D's answer depends on the batch: ``points`` are then judged as if they
        came with the spread of ``reference`` (default: 500 generated points), not their own.
        """
        points = np.asarray(points, np.float32)
        if not self.minibatch_std:
            return tf.sigmoid(self._d_logit(points)).numpy()[:, 0]
        reference = self.generated(500) if reference is None else np.asarray(reference, np.float32)
        return tf.sigmoid(self._d_logit_beside(points, reference)).numpy()[:, 0]

    def push(self, points) -> np.ndarray:
        """Where G's loss pushes each generated point: minus the gradient of the loss at that point.

        Each point's own term of the current loss is differentiated (D is held fixed), so the
        arrow is the direction a small change of that one point lowers G's loss.
        """
        return self._push[self._loss](tf.constant(np.asarray(points, np.float32))).numpy()

    def _make_views(self):
        generator, discriminator = self.generator, self.discriminator
        any_count = [tf.TensorSpec([None, 2], tf.float32)]   # any number of points (or noise vectors), one trace
        self._generate = tf.function(lambda z: generator(z, training=False), input_signature=any_count)
        self._d_logit = tf.function(lambda x: discriminator(x, training=False), input_signature=any_count)

        def beside(points, reference):
            # D's layers up to the minibatch-std feature, that feature from ``reference``, the rest as usual
            spread_layer = discriminator.get_layer("minibatch_std")
            h_points, h_reference = points, reference
            for layer in discriminator.layers[1:]:
                if layer is spread_layer:
                    spread = layer.spread(h_reference)
                    h_points = tf.concat([h_points, tf.ones_like(h_points[:, :1]) * spread], axis=1)
                    h_reference = layer(h_reference)
                else:
                    h_points, h_reference = layer(h_points), layer(h_reference)
            return h_points

        self._d_logit_beside = tf.function(beside, input_signature=any_count * 2)

        def make_push(loss):
            @tf.function(input_signature=any_count)
            def push(points):
                with tf.GradientTape() as tape:
                    tape.watch(points)
                    logit = discriminator(points, training=False)
                    total = generator_loss(logit, loss) * tf.cast(tf.shape(points)[0], tf.float32)
                return -tape.gradient(total, points)
            return push

        self._push = {loss: make_push(loss) for loss in LOSSES}


def grid_points(data: str, resolution: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """A square of ``resolution`` x ``resolution`` points covering the drawn plane; (points, axis ticks)."""
    half = PLANE[data]
    ticks = np.linspace(-half, half, resolution, dtype=np.float32)
    xx, yy = np.meshgrid(ticks, ticks[::-1])   # row 0 is the top of the picture
    return np.stack([xx.ravel(), yy.ravel()], axis=1), ticks


# -- the measured comparison (make coverage-2d writes it to results/coverage-2d/, notebook 00 reads it) --
COVERAGE_RESULTS = results.RESULTS["coverage-2d"].path
COVERAGE_DATA = ("ring", "grid")
COVERAGE_SEEDS = (42, 7, 1)
COVERAGE_STEPS = 5000
COVERAGE_EVERY = 100
COVERAGE_ROWS = {   # row -> Gan2d arguments that differ from the defaults (the note's Adam, its loss)
    "note's loss (non-saturating)": {},
    "minimax loss": {"loss": "minimax"},
    "+ Adam beta_1 0.5 (notebook 3)": {"beta_1": 0.5},
    "+ beta_1 0.5, minibatch std (notebook 3)": {"beta_1": 0.5, "minibatch_std": True},
}


def trace_run(data, seed, steps=COVERAGE_STEPS, every=COVERAGE_EVERY, **settings) -> dict:
    """Train one :class:`Gan2d` for ``steps`` G steps, measuring coverage every ``every`` steps."""
    start = time.perf_counter()
    model = Gan2d(data, seed=seed, **settings)
    trace = []
    while model.step < steps:
        model.train(min(every, steps - model.step))
        c = model.coverage()
        trace.append({"step": model.step, "modes": c["modes"], "high_quality": round(c["high_quality"], 4)})
    seconds = time.perf_counter() - start
    return {"data": data, "seed": seed, "settings": settings, "steps": steps, "final": model.coverage(),
            "trace": trace, "seconds": round(seconds, 2), "steps/s": round(steps / seconds, 1),
            "last": {key: round(values[-1], 4) for key, values in model.history.items() if key != "step"}}


def coverage_table(results: dict) -> str:
    """Per data set and row: modes captured and high-quality share, mean over seeds and each seed."""
    seeds = results["seeds"]
    lines = []
    for data in results["data"]:
        of = len(mode_centres(data))
        lines.append(f"{data} ({of} modes), after {results['steps']:,} steps; seeds {', '.join(map(str, seeds))}")
        lines.append(f"  {'':42s} {'modes (mean)':>12s} {'per seed':>14s}   {'high quality (mean)':>19s} {'per seed':>18s}")
        for row in results["rows"]:
            runs = [results["runs"][f"{data}|{row}|{seed}"]["final"] for seed in seeds]
            modes = [r["modes"] for r in runs]
            quality = [r["high_quality"] for r in runs]
            lines.append(f"  {row:42s} {np.mean(modes):12.1f} {' '.join(f'{m:>4d}' for m in modes):>14s}   "
                         f"{np.mean(quality):18.1%} {' '.join(f'{q:5.0%}' for q in quality):>18s}")
        lines.append("")
    return "\n".join(lines).rstrip()

"""Notebook 1's training step four ways, bare (no checkpoints, grids or watch): where the speed comes from (issues 15, 25).

- ``Python loop``: what notebooks 1 and 2 show and run (``training.train``): one call of the compiled step per batch;
- ``loop outside XLA``: the step compiled with XLA, the loop over a chunk's steps in TensorFlow's graph
  executor (``training.train_fast(..., whole_loop_in_xla=False)``; the notebooks' loop before issue 15);
- ``whole loop in XLA``: the opt-in fast path (``training.train_fast``; the notebooks' loop in issues 15-24);
- ``generator(Z) once``: as the previous one, with the two tapes nested so the generator's output is computed
  once and used by both updates (the same math: G's weights do not change in between).

Each: a fresh model (seed 42), one untimed epoch, then ``--repeats`` pairs of fits of 2 and ``--epochs`` epochs;
steps/s is marginal, extra steps / extra time, so each fit's own compilation (about 1 s for the whole loop in XLA,
paid once per run) cancels out. Prints steps/s per repeat, the weights' checksum after training (equal
checksums: the same training) and the CPU.

    MNIST_NPZ=../shared/data/mnist-offline.npz .venv/bin/python benchmarks/step_variants.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tools"))   # _baseline: the TF1 scripts' data and batching

import _baseline  # noqa: E402
from gan_helpers import models, training_steps, timing, training  # noqa: E402
from gan_helpers.runner import Run  # noqa: E402
from gan_helpers._quiet import import_tensorflow_quietly  # noqa: E402

tf = import_tensorflow_quietly()
import keras  # noqa: E402

BATCH, N_NOISE = 100, 128


def generator_once_step(generator, discriminator, D_optimizer, G_optimizer, get_noise):
    """Notebook 1's step with ``generator(Z)`` computed once for both updates."""
    D_vars, G_vars = discriminator.trainable_variables, generator.trainable_variables

    @tf.function(jit_compile=True)
    def train_step(X):
        Z = get_noise(BATCH, N_NOISE)
        with tf.GradientTape() as G_tape:
            G_Z = generator(Z)
            with tf.GradientTape() as D_tape:
                loss_D = training_steps.D_objective(discriminator(X), discriminator(G_Z))
                minimized_D = -loss_D
            D_optimizer.apply_gradients(zip(D_tape.gradient(minimized_D, D_vars), D_vars))
            loss_G = training_steps.G_objective(discriminator(G_Z))
            minimized_G = -loss_G
        G_optimizer.apply_gradients(zip(G_tape.gradient(minimized_G, G_vars), G_vars))
        return loss_D, loss_G

    return train_step


def measure(variant, x_train, epochs, repeats, seed=42):
    rng = training.seeded_rng(seed)
    generator, discriminator = models.build_generator(N_NOISE, 256, 784), models.build_discriminator(784, 256)
    D_optimizer = keras.optimizers.Adam(0.0002, epsilon=1e-8)
    G_optimizer = keras.optimizers.Adam(0.0002, epsilon=1e-8)

    def get_noise(batch_size, n_noise):
        return models.standard_normal_noise(rng, batch_size, n_noise)

    if variant == "generator(Z) once":
        step = generator_once_step(generator, discriminator, D_optimizer, G_optimizer, get_noise)
    else:
        step = training_steps.make_gan_train_step(generator, discriminator, D_optimizer, G_optimizer, get_noise,
                                              BATCH, N_NOISE)

    def fit(total_epoch):
        run = Run({}, generator, discriminator, D_optimizer, G_optimizer, rng, log=None)
        if variant == "Python loop":
            return training.train(run, step, [x_train], total_epoch=total_epoch, batch_size=BATCH)
        return training.train_fast(run, step, [x_train], total_epoch=total_epoch, batch_size=BATCH,
                                   whole_loop_in_xla=variant != "loop outside XLA")

    fit(1)
    rates = []
    for _ in range(repeats):
        took = {}
        for n in (2, epochs):
            start = time.perf_counter()
            took[n] = (fit(n).steps, time.perf_counter() - start)
        rates.append((took[epochs][0] - took[2][0]) / (took[epochs][1] - took[2][1]))
    checksum = float(sum(tf.reduce_sum(tf.abs(w)) for w in generator.weights + discriminator.weights))
    return rates, checksum


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    x_train = _baseline.mnist().x_train
    print(f"notebook 1's step, bare, {args.epochs} epochs per fit, {timing.describe()}, TensorFlow {tf.__version__}")
    for variant in ("Python loop", "loop outside XLA", "whole loop in XLA", "generator(Z) once"):
        rates, checksum = measure(variant, x_train, args.epochs, args.repeats)
        print(f"  {variant:20s} median {statistics.median(rates):4.0f} steps/s  (repeats: "
              f"{', '.join(f'{r:.0f}' for r in rates)}); weights' checksum {checksum:.6g}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

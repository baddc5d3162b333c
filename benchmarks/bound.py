"""The compute bound of a training step on this machine, for ``make bench`` (issue 15).

How fast could notebook 1's (``gan``) or notebook 2's (``cgan``) training step run here, if it did
nothing but its matrix products? Two numbers, both from the models themselves:

1. **FLOPs per step.** The models are built as ``tf2_notebooks.py`` builds them (batch 100). The
   compiled step (``gan_helpers.training_steps``) updates D on a real and a fake batch, then G against the
   updated D, on the same noise. With ``F_X`` = the sum over model X's Dense layers of
   2 x batch x fan_in x fan_out and ``F_X1`` = its first Dense layer's share, its matmuls are:

   - D's turn: G forward (F_G); D forward on the real and the fake batch (2 F_D); D's weight gradients
     for both passes (2 F_D); D's input gradients for every layer but the first, both passes
     (2 (F_D - F_D1)).
   - G's turn: ``generator(Z)`` is the tensor D's turn computed (G's weights have not changed, and XLA
     computes it once), D forward on the fake batch (F_D), D's input gradients for every layer (F_D),
     G's weight gradients (F_G), G's input gradients for every layer but the first (F_G - F_G1).

   Total 3 F_G - F_G1 + 8 F_D - 2 F_D1 (375 MFLOP for the vanilla GAN). ``tests/test_bound.py``
   checks this list against the MatMul ops of the traced step that XLA keeps, and against the
   compiled step's HLO.

2. **fp32 matmul throughput at the step's shapes.** One XLA-compiled function does exactly those
   matmuls (same m, k, n and transposes) on random float32 inputs, ``--iterations`` times in a
   ``tf.while_loop``. Each iteration adds a scalar taken from the previous iteration's products (the
   sum of each product's first row) to the smaller operand of every matmul, so XLA can neither hoist
   nor drop them; that extra elementwise work is about 0.1 % of the FLOPs (``extra_elementwise`` in
   the JSON). Summing whole products instead made XLA fuse some matmuls with their sums, about 5 %
   slower here. After an untimed warm-up call (compilation), ``--repeats`` calls are timed; the median
   time per iteration gives ``bound_steps_per_s`` = 1 / time and ``gflops`` = FLOPs / time.

Nothing else of a step is in the bound (the losses, Adam's updates, the noise, the data), so a real
step should be slower (when it is not, the measurement was disturbed: bench.py says so).

    python benchmarks/bound.py gan       # one JSON line
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/bound.py` from a checkout
    sys.path.insert(0, str(ROOT))

from gan_helpers import models, timing  # noqa: E402
from gan_helpers._quiet import import_tensorflow_quietly  # noqa: E402

tf = import_tensorflow_quietly()
import keras  # noqa: E402

# tf2_notebooks.py's sizes (notebook 1 cell #2; notebook 2 cell #1, = gan_helpers.cgan.NOTE and BATCH_SIZE).
BATCH_SIZE = 100
N_NOISE, N_HIDDEN, N_INPUT, N_CLASS = 128, 256, 28 * 28, 10


def build(model: str, n_hidden: int = N_HIDDEN, n_noise: int = N_NOISE):
    """``(generator, discriminator)`` of notebook 1 (``gan``) or 2 (``cgan``), as tf2_notebooks.py builds them."""
    if model == "gan":
        return (models.build_generator(n_noise, n_hidden, N_INPUT),
                models.build_discriminator(N_INPUT, n_hidden))
    if model == "cgan":
        return (models.build_cgan_generator(n_noise, N_CLASS, n_hidden, N_INPUT),
                models.build_cgan_discriminator(N_INPUT, N_CLASS, n_hidden))
    raise ValueError(f"unknown model {model!r}; use 'gan' or 'cgan'")


# ---------------------------------------------------------------- what a step computes

@dataclasses.dataclass(frozen=True)
class MatMul:
    """``tf.matmul(a, b, transpose_a, transpose_b)`` giving an (m, n) product over k."""

    what: str
    m: int
    k: int
    n: int
    transpose_a: bool = False
    transpose_b: bool = False

    @property
    def flops(self) -> int:
        return 2 * self.m * self.k * self.n

    @property
    def shapes(self):
        """The shapes of ``a`` and ``b`` as passed to ``tf.matmul``."""
        a = (self.k, self.m) if self.transpose_a else (self.m, self.k)
        b = (self.n, self.k) if self.transpose_b else (self.k, self.n)
        return a, b

    @property
    def key(self):
        return self.m, self.k, self.n, self.transpose_a, self.transpose_b


def dense_kernels(model) -> list[tuple[int, int]]:
    """``(fan_in, fan_out)`` of each Dense layer of ``model``, input to output; they must form a chain."""
    kernels = [tuple(int(d) for d in layer.kernel.shape) for layer in model.layers
               if isinstance(layer, keras.layers.Dense)]
    if not kernels:
        raise ValueError(f"{model.name} has no Dense layer")
    for (_, fan_out), (fan_in, _) in zip(kernels, kernels[1:]):
        if fan_in != fan_out:
            raise ValueError(f"{model.name}'s Dense layers are not a chain: {kernels}")
    return kernels


def _forward(name, kernels, batch):
    return [MatMul(f"{name} layer {i + 1} forward", batch, fan_in, fan_out)
            for i, (fan_in, fan_out) in enumerate(kernels)]


def _weight_gradients(name, kernels, batch):  # x^T @ dy
    return [MatMul(f"{name} layer {i + 1} weight gradient", fan_in, batch, fan_out, transpose_a=True)
            for i, (fan_in, fan_out) in enumerate(kernels)]


def _input_gradients(name, kernels, batch, first: bool):  # dy @ W^T; the first layer's only if ``first``
    return [MatMul(f"{name} layer {i + 1} input gradient", batch, fan_out, fan_in, transpose_b=True)
            for i, (fan_in, fan_out) in enumerate(kernels) if first or i > 0]


def step_matmuls(generator, discriminator, batch: int = BATCH_SIZE) -> list[MatMul]:
    """The matmuls one compiled training step does (see the module docstring), the generator forward once."""
    G, D = dense_kernels(generator), dense_kernels(discriminator)
    d_turn = (_forward("G", G, batch)
              + _forward("D (real)", D, batch) + _forward("D (fake)", D, batch)
              + _weight_gradients("D (real)", D, batch) + _weight_gradients("D (fake)", D, batch)
              + _input_gradients("D (real)", D, batch, first=False)
              + _input_gradients("D (fake)", D, batch, first=False))
    g_turn = (_forward("updated D (fake)", D, batch)
              + _input_gradients("updated D (fake)", D, batch, first=True)
              + _weight_gradients("G", G, batch)
              + _input_gradients("G", G, batch, first=False))
    return d_turn + g_turn


def formula_flops(generator, discriminator, batch: int = BATCH_SIZE) -> int:
    """3 F_G - F_G1 + 8 F_D - 2 F_D1, from the models' Dense kernels."""
    def total(kernels):
        return sum(2 * batch * fan_in * fan_out for fan_in, fan_out in kernels)

    G, D = dense_kernels(generator), dense_kernels(discriminator)
    return 3 * total(G) - total(G[:1]) + 8 * total(D) - 2 * total(D[:1])


# ---------------------------------------------------------------- timing them

def extra_elementwise(matmuls) -> int:
    """Per iteration: one addition per element of each smaller operand, one per element of each product's first row."""
    return sum(min(a[0] * a[1], b[0] * b[1]) + mm.n for mm in matmuls for a, b in [mm.shapes])


def matmul_loop(matmuls, iterations: int):
    """An XLA-compiled ``run(operands) -> scalar`` doing ``matmuls`` ``iterations`` times, each iteration
    depending on the one before; and random operands for it."""
    rng = tf.random.Generator.from_seed(0)
    operands = [tuple(rng.normal(shape) for shape in mm.shapes) for mm in matmuls]

    @tf.function(jit_compile=True)
    def run(operands):
        def body(i, carried):
            total = tf.constant(0.0)
            for mm, (a, b) in zip(matmuls, operands):
                if a.shape.num_elements() <= b.shape.num_elements():
                    a = a + carried
                else:
                    b = b + carried
                product = tf.matmul(a, b, transpose_a=mm.transpose_a, transpose_b=mm.transpose_b)
                total += tf.reduce_sum(product[0])
            return i + 1, 1e-9 * tf.tanh(total)  # tiny and bounded, but XLA cannot know its value

        return tf.while_loop(lambda i, _: i < iterations, body, (tf.constant(0), tf.constant(0.0)))[1]

    return run, operands


def measure(matmuls, iterations: int = 100, repeats: int = 7) -> list[float]:
    """Seconds per iteration of :func:`matmul_loop`, one figure per timed call (after an untimed one)."""
    run, operands = matmul_loop(matmuls, iterations)
    run(operands).numpy()  # tracing and XLA compilation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(operands).numpy()
        times.append((time.perf_counter() - start) / iterations)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=["gan", "cgan"], help="gan = notebook 1, cgan = notebook 2")
    parser.add_argument("--iterations", type=int, default=100, help="step's matmuls per timed call (default 100)")
    parser.add_argument("--repeats", type=int, default=7, help="timed calls, median (default 7)")
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.repeats < 1:
        parser.error("--iterations and --repeats: at least 1")
    generator, discriminator = build(args.model)
    matmuls = step_matmuls(generator, discriminator, BATCH_SIZE)
    flops = sum(mm.flops for mm in matmuls)
    times = measure(matmuls, args.iterations, args.repeats)
    seconds = statistics.median(times)
    print(json.dumps({
        "script": "bound", "model": args.model, "batch_size": BATCH_SIZE,
        "flops_per_step": flops, "gflops": round(flops / seconds / 1e9, 2),
        "bound_steps_per_s": round(1 / seconds, 2), "seconds_per_step": seconds,
        "seconds_per_iteration": times, "iterations": args.iterations, "repeats": args.repeats,
        "matmuls": [dataclasses.asdict(mm) for mm in matmuls], "extra_elementwise": extra_elementwise(matmuls),
        "machine": timing.describe(), "tensorflow": tf.__version__, "problem": None,
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

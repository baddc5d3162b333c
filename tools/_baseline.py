"""Shared plumbing of the two TF1 baseline scripts: data, batching, timing, the command line.

Not part of the lesson. The training loops themselves are in ``tf1_gan.py`` and
``tf1_cgan.py``; this file only feeds them the project's ``load_mnist()`` arrays the
way the note's ``mnist.train.next_batch`` did, and times them.

Importing this file loads neither TensorFlow nor Keras (``tests/test_benchmarks.py`` checks): the
TF1 scripts must call ``tf.disable_eager_execution()`` before any Keras/eager machinery is set up.
``gan_helpers.data`` is imported only when the data is first read (:func:`mnist`, :func:`main`),
which the TF1 scripts reach after that call. ``benchmarks/tf2_notebooks.py`` imports this file too, for the
same data and :func:`marginal`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python tools/tf1_gan.py` from a checkout
    sys.path.insert(0, str(ROOT))

BATCH_SIZE = 100
SAMPLE_SEED = 1  # np.random.seed before drawing the sample noise of ``run(..., samples=N)`` (after training)
_MNIST = None


def mnist():
    """``load_mnist()`` once per process (it reads ``$MNIST_NPZ`` like the notebooks)."""
    global _MNIST
    if _MNIST is None:
        from gan_helpers.data import load_mnist  # here, not at the top: see the module docstring

        _MNIST = load_mnist()
    return _MNIST


def batches(data, steps, batch_size=BATCH_SIZE):
    """Yield ``(epoch, i, total_batch, index)`` for ``steps`` steps.

    Like the note's ``next_batch``: every epoch a new random order (``np.random``),
    ``total_batch = N // batch_size`` batches of it, the rest of the images skipped.
    """
    total_batch = data.num_train // batch_size
    step = 0
    epoch = 0
    while step < steps:
        order = np.random.permutation(data.num_train)
        for i in range(min(total_batch, steps - step)):
            yield epoch, i, total_batch, order[i * batch_size:(i + 1) * batch_size]
        step += min(total_batch, steps - step)
        epoch += 1


def epoch_line(epoch, loss_D, loss_G):
    """The note's per-epoch line (the loss of the epoch's last step, as the note printed)."""
    return " ".join(["Epoch", "%04d" % epoch, "D loss: {:.4}".format(loss_D), "G loss: {:.4}".format(loss_G)])


class LossRecord:
    """What a TF1 loop's losses did: the note's per-epoch values and whether any step's loss was nan/inf.

    ``step(loss_D, loss_G, epoch_end)`` once per training step; ``result()`` for ``run``'s return value.
    The note's ``tf.log`` of a sigmoid output can reach ``log(0) = -inf`` (then nan); that is recorded, not raised.
    """

    def __init__(self):
        self.epochs = []
        self.steps = 0
        self.nonfinite = 0
        self.first_nonfinite = None

    def step(self, loss_D, loss_G, epoch_end):
        self.steps += 1
        if not (math.isfinite(loss_D) and math.isfinite(loss_G)):
            self.nonfinite += 1
            if self.first_nonfinite is None:
                self.first_nonfinite = self.steps
        if epoch_end:
            self.epochs.append((float(loss_D), float(loss_G)))

    def result(self):
        return {"epoch_losses": self.epochs, "nonfinite_steps": self.nonfinite,
                "first_nonfinite_step": self.first_nonfinite}


def marginal(t_short, t_long, steps_short, steps_long):
    """Steps per second of the extra steps of the long run: start-up and compilation cancel out."""
    if steps_long <= steps_short:
        raise ValueError(f"the long run ({steps_long} steps) must have more steps than the short one ({steps_short})")
    if t_long <= t_short:
        raise ValueError(f"the long run took {t_long:.3f} s, not more than the short run's {t_short:.3f} s")
    return (steps_long - steps_short) / (t_long - t_short)


def main(name, run, argv=None, extra_options=None):
    """Command line of a baseline script: a warm-up, then a short and a long run; one JSON line each repeat.

    ``extra_options``: ``{"--flag": dict(choices=..., default=..., help=...)}``, passed on to ``run`` by name.
    """
    parser = argparse.ArgumentParser(description=f"TF1 baseline {name}: marginal steps/s (long run minus short run)")
    parser.add_argument("--short", type=int, default=300, help="steps of the short run (default 300)")
    parser.add_argument("--long", type=int, default=1500, help="steps of the long run (default 1500)")
    parser.add_argument("--warmup", type=int, default=20,
                        help="steps of an untimed first run, so one-time process start-up is in neither timed run")
    parser.add_argument("--repeats", type=int, default=1, help="short+long pairs to time (one JSON line each)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="print the note's per-epoch line to stderr")
    extra = {}
    for flag, spec in (extra_options or {}).items():
        extra[flag.lstrip("-").replace("-", "_")] = None
        parser.add_argument(flag, **spec)
    args = parser.parse_args(argv)
    extra = {key: getattr(args, key) for key in extra}
    if args.long <= args.short:
        parser.error("--long must be larger than --short")

    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose else None
    from gan_helpers.errors import MnistDataError

    try:
        mnist()  # read the data before any timing
    except MnistDataError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    if args.warmup:
        run(args.warmup, seed=args.seed, **extra)
    for repeat in range(args.repeats):
        short = run(args.short, seed=args.seed + repeat, log=log, **extra)
        long = run(args.long, seed=args.seed + repeat, log=log, **extra)
        finite = all(math.isfinite(v) for r in (short, long) for v in r["last"])
        try:
            rate, problem = marginal(short["seconds"], long["seconds"], short["steps"], long["steps"]), None
        except ValueError as exc:  # a disturbed measurement: report it, do not crash
            rate, problem = None, str(exc)
        print(json.dumps({
            "baseline": name, **extra,
            "short_steps": short["steps"], "long_steps": long["steps"],
            "short_s": round(short["seconds"], 4), "long_s": round(long["seconds"], 4),
            "steps_per_s": None if rate is None else round(rate, 2), "problem": problem,
            "loop_steps_per_s_long": round(long["steps"] / long["loop_seconds"], 2),
            "last_loss_D": long["last"][0], "last_loss_G": long["last"][1], "finite": finite,
            "num_train": mnist().num_train, "pid": os.getpid(),
        }), flush=True)


def timer():
    return time.perf_counter()

"""Where an epoch's time goes in notebooks 1, 2 and 3 (issue 15): the compiled steps and each per-epoch cost.

Builds the notebook's run exactly as ``make bench`` does (``tf2_notebooks.gan_run`` / ``cgan_run``: models,
training step, checkpoints, sample grids, the animation's frames, and notebook 2's watch), trains it, and
times every piece that ``Run.fit`` does after an epoch by wrapping it. Prints one line per piece: total
seconds over the epochs after the first (compilation), ms per epoch and share of the epoch. CPU model
beside the figures. ``gan-better`` / ``cgan-better``: notebook 3's final runs (``experiments.run_experiment``
with ``FINAL_GAN`` / ``FINAL_CGAN``, checkpoints and grids, as its training cells call it; their watch is in
"the rest of the loop").

    MNIST_NPZ=../shared/data/mnist-offline.npz .venv/bin/python benchmarks/profile_epoch.py gan --epochs 12
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import tf2_notebooks  # noqa: E402
from gan_helpers import animation, checkpoints, experiments, plotting, runner, timing  # noqa: E402

FURTHER = {"gan-better": experiments.FINAL_GAN, "cgan-better": experiments.FINAL_CGAN}


def profile(model: str, epochs: int, seed: int = 42) -> str:
    spent = defaultdict(float)
    epoch_ends = []

    def timed(owner, name, label):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                if len(epoch_ends) >= 1:          # epoch 0 holds the compilation: left out
                    spent[label] += time.perf_counter() - start
        setattr(owner, name, wrapper)
        return original

    patches = [(checkpoints.TrainingCheckpoint, "save", "checkpoint (weights, optimiser, history, log)"),
               (plotting, "save_grid", "sample grid PNG (epochs 0, 9, 19, ...)"),
               (animation.Frames, "add", "animation frame"),
               (animation, "write_gif", "GIF at the end")]
    originals = [(owner, name, timed(owner, name, label)) for owner, name, label in patches]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            mnist = tf2_notebooks._baseline.mnist()
            if model in FURTHER:
                def train():
                    return experiments.run_experiment(FURTHER[model], seed, mnist, total_epoch=epochs,
                                                      checkpoint_dir=Path(tmp) / "checkpoints",
                                                      sample_dir=Path(tmp) / "samples", log=None)
                arrays, watch = [mnist.x_train], None
            else:
                run, train_step, arrays, watch = tf2_notebooks.BUILDERS[model](seed, mnist, Path(tmp))

                def train():
                    run.fit(train_step, arrays, total_epoch=epochs, batch_size=tf2_notebooks.batch_size, log=None,
                            watch=watch_timed, desc=model)
            watch_timed = watch
            if watch is not None:
                watch_inner = watch

                def watch_timed():
                    start = time.perf_counter()
                    try:
                        return watch_inner()
                    finally:
                        if len(epoch_ends) >= 1:
                            spent["watch (nb 1: D(x), D(G(z)), diversity; nb 2: signal)"] += time.perf_counter() - start
            end_epoch = runner.Run.end_epoch

            def end_epoch_marked(self, *args, **kwargs):
                end_epoch(self, *args, **kwargs)
                epoch_ends.append(time.perf_counter())

            runner.Run.end_epoch = end_epoch_marked
            try:
                train()
            finally:
                runner.Run.end_epoch = end_epoch
            end = time.perf_counter()
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    measured = len(epoch_ends) - 1
    total = epoch_ends[-1] - epoch_ends[0]
    steps = measured * (len(arrays[0]) // tf2_notebooks.batch_size)
    per_epoch_work = sum(v for k, v in spent.items() if k != "GIF at the end")
    spent["compiled training steps and the rest of the loop"] = total - per_epoch_work
    lines = [f"{model}: epochs 1-{epochs - 1} ({measured} epochs, {steps:,} steps) took {total:.2f} s = "
             f"{steps / total:.0f} steps/s with every per-epoch cost; {timing.describe()}"]
    for label, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        share = "" if label == "GIF at the end" else f"{seconds / total:6.1%}"
        lines.append(f"  {label:52s} {seconds:7.2f} s {1000 * seconds / measured:8.1f} ms/epoch {share}")
    lines.append(f"  (after the loop: GIF {spent['GIF at the end']:.2f} s; the whole fit {end - epoch_ends[0]:.2f} s "
                 "after epoch 0)")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(tf2_notebooks.BUILDERS) + sorted(FURTHER))
    parser.add_argument("--epochs", type=int, default=12)
    args = parser.parse_args(argv)
    print(profile(args.model, args.epochs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""OURS, for ``make bench``: notebook 1's or notebook 2's training run, from the code the notebook shows (issue 12).

The counterpart of ``tf1_gan.py`` / ``tf1_cgan.py``: it trains the notebook's model *as the
notebook does*, but imports everything from ``gan_helpers`` instead of executing notebook cells:

- ``gan``  = ``01_gan.ipynb``: ``models.build_generator`` / ``build_discriminator`` (n_noise 128,
  n_hidden 256), two ``Adam(0.0002, epsilon=1e-8)``, normal(0, 1) noise from
  ``rng = training.seeded_rng(seed)``, the
  training step ``training_steps.make_gan_train_step`` (the notebook shows and runs the same function);
  sample grid: one row, ``generator(sample_noise)`` for ten noise vectors drawn once before training; the
  per-epoch ``watch`` (D(x), D(G(z)), diversity: ``training_steps.make_gan_watch``, as the notebook). Speed
  is what is measured, so the random state need not be the notebook's (its demonstration draws are not replayed).
- ``cgan`` = ``02_conditional_gan.ipynb``'s ``train_cgan("uniform(-1, 1)", seed)``: ``build_cgan_*``,
  two ``Adam(0.001, epsilon=1e-8)``, uniform(-1, 1) noise, ``training_steps.make_cgan_train_step``;
  sample grid: ``mnist.x_test[:10]`` above the generator's images for ``mnist.y_test[:10]``.
- ``further`` (``--full`` only) = notebook 3's two final runs, ``experiments.run_experiment`` with
  ``FINAL_GAN`` and ``FINAL_CGAN``.

Every run goes through ``gan_helpers.training.train`` (the loop the notebooks show and run; ``--fast``:
``training.train_fast``, the opt-in chunked XLA loop) and ``gan_helpers.runner.Run`` with a checkpoint folder and a sample folder
(fresh, in a temporary directory, or under ``--workdir``), so what a learner pays per epoch is in the
time: the checkpoints (every 10 s and after the last epoch), the sample grid at epochs 0, 9, 19, ..., the
animation's frames, the notebook's per-epoch watch, the progress
bar and the per-epoch ``Epoch ... D loss ... G loss ...`` line (kept, written to stderr; stdout holds
only the JSON lines).

Numbers come from what the code returns, never from printed text: the time of a run is
``time.perf_counter()`` around ``run.fit`` (``history.seconds``, the progress bar's own clock, is
reported beside it as ``*_fit_s``), the steps are ``history.steps``, the losses are the returned history.
``--full`` adds ``wall_seconds``: models built, then trained (the data is loaded before; the process's
imports are not in it), and ``peak_rss``, this process's ``getrusage`` peak.

Speed (like the TF1 scripts): a warm-up run of ``--warmup`` epochs (untimed: process start-up, the
first XLA compilation, matplotlib's first figure), then per repeat a run of ``--short`` and one of
``--long`` epochs, each with fresh models (so both pay the same tracing and compilation); one JSON
line per repeat with the marginal steps/s = extra steps / extra seconds. With ``make bench``'s 2 and 32
the 30 extra epochs hold three sample grids (epochs 9, 19, 29) and about one interval checkpoint, the
rates of a full run (11 grids and about 4 checkpoints in 100 epochs).

    python benchmarks/tf2_notebooks.py gan --short 2 --long 12        # one JSON line
    python benchmarks/tf2_notebooks.py cgan --full 100 --seed 1       # a full run: wall time, NaN check
    python benchmarks/tf2_notebooks.py further --full 100             # notebook 3's two final runs
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(HERE), str(ROOT / "tools"), str(ROOT)):  # run as `python benchmarks/tf2_notebooks.py`; tools/: _baseline
    if _path not in sys.path:
        sys.path.insert(0, _path)

import _baseline  # noqa: E402  (no TensorFlow: data and the marginal rate)
from gan_helpers import cgan, models, training, training_steps, timing  # noqa: E402
from gan_helpers._quiet import import_tensorflow_quietly  # noqa: E402
from gan_helpers.runner import Run  # noqa: E402

tf = import_tensorflow_quietly()
import keras  # noqa: E402

NOTEBOOKS = {"gan": "01_gan.ipynb", "cgan": "02_conditional_gan.ipynb", "further": "03_going_further.ipynb"}

# Both notebooks' sizes (notebook 1 cell #2, notebook 2 cell #1).
batch_size = 100
n_hidden = 256
n_input = 28 * 28
n_noise = 128
n_class = 10
sample_size = 10


def gan_run(seed, mnist, folder: Path):
    """Notebook 1: its models, optimisers, noise and training step; a Run saving into ``folder``."""
    learning_rate = 0.0002
    rng = training.seeded_rng(seed)             # noise and batch orders are drawn from rng
    generator = models.build_generator(n_noise, n_hidden, n_input)
    discriminator = models.build_discriminator(n_input, n_hidden)

    def get_noise(batch_size, n_noise):
        return models.standard_normal_noise(rng, batch_size, n_noise)

    D_optimizer = keras.optimizers.Adam(learning_rate, epsilon=1e-8)
    G_optimizer = keras.optimizers.Adam(learning_rate, epsilon=1e-8)
    train_step = training_steps.make_gan_train_step(generator, discriminator, D_optimizer, G_optimizer,
                                                get_noise, batch_size, n_noise)
    sample_noise = get_noise(sample_size, n_noise)   # the same ten z's at every sample epoch

    def sample_rows():
        return [generator(sample_noise, training=False).numpy()]

    watch_real = tf.constant(mnist.x_test[:500])
    watch_noise = models.standard_normal_noise(tf.random.Generator.from_seed(1), 500, n_noise)
    watch = training_steps.make_gan_watch(generator, discriminator, watch_real, watch_noise)
    run = Run(models.gan_settings(n_noise, n_hidden, n_input, noise="normal(0, 1)"),
              generator, discriminator, D_optimizer, G_optimizer, rng,
              checkpoint_dir=folder / "checkpoints" / "gan", sample_dir=folder / "samples" / "gan",
              sample_rows=sample_rows, fresh=True)
    return run, train_step, [mnist.x_train], watch


def cgan_run(seed, mnist, folder: Path):
    """Notebook 2's ``train_cgan("uniform(-1, 1)", seed, sample_dir, checkpoint_dir)``: ``gan_helpers.cgan.build``
    with the notebook's training step (``training_steps``) and its per-epoch learning-signal watch."""
    run, train_step, watch = cgan.build("uniform(-1, 1)", seed, mnist,
                                        checkpoint_dir=folder / "checkpoints" / "cgan",
                                        sample_dir=folder / "samples" / "cgan", fresh=True)
    return run, train_step, [mnist.x_train, mnist.y_train], watch


BUILDERS = {"gan": gan_run, "cgan": cgan_run}


def epoch_log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def written(folder: Path) -> dict:
    """What a run left in ``folder``: sample grids and checkpoint index files, by name."""
    return {"samples": sorted(p.name for p in folder.glob("samples/*/[0-9][0-9][0-9].png")),
            "checkpoints": sorted(p.name for p in folder.glob("checkpoints/*/ckpt-*.index"))}


def losses_summary(history) -> dict:
    d_loss, g_loss = list(history["D loss"]), list(history["G loss"])
    bad = [epoch for epoch, pair in enumerate(zip(d_loss, g_loss)) if not all(map(math.isfinite, pair))]
    return {"finite": not bad and bool(d_loss), "nonfinite_epochs": bad,
            "last_loss_D": d_loss[-1] if d_loss else None, "last_loss_G": g_loss[-1] if g_loss else None}


FAST = False   # --fast: training.train_fast, the opt-in chunked XLA loop, instead of training.train


def train(model, epochs, seed, folder: Path) -> dict:
    """One fresh training run of ``model`` for ``epochs`` epochs, saving into ``folder``."""
    run, train_step, arrays, watch = BUILDERS[model](seed, _baseline.mnist(), folder)
    start = time.perf_counter()
    history = run.fit(train_step, arrays, total_epoch=epochs, batch_size=batch_size, log=epoch_log, desc=model,
                      watch=watch, fast=FAST)
    seconds = time.perf_counter() - start
    return {"epochs": epochs, "steps": history.steps, "seconds": seconds, "fit_seconds": history.seconds,
            **losses_summary(history), "written": written(folder)}


def further(epochs, seed, folder: Path) -> dict:
    """Notebook 3's final vanilla and conditional runs (``run_experiment``, as its training cells call it)."""
    from gan_helpers import experiments

    runs = {}
    for kind, settings in (("gan", experiments.FINAL_GAN), ("cgan", experiments.FINAL_CGAN)):
        start = time.perf_counter()
        run = experiments.run_experiment(settings, seed, _baseline.mnist(), total_epoch=epochs,
                                         checkpoint_dir=folder / "checkpoints" / f"{kind}-better",
                                         sample_dir=folder / "samples" / f"{kind}-better", fresh=True, log=epoch_log)
        runs[kind] = {"seconds": time.perf_counter() - start, "steps": run.history.steps,
                      "fit_seconds": run.history.seconds, **losses_summary(run.history)}
    return {"epochs": epochs, "steps": sum(r["steps"] for r in runs.values()),
            "seconds": sum(r["seconds"] for r in runs.values()),
            "fit_seconds": sum(r["fit_seconds"] for r in runs.values()),
            "finite": all(r["finite"] for r in runs.values()),
            "nonfinite_epochs": sorted({e for r in runs.values() for e in r["nonfinite_epochs"]}),
            "runs": runs, "written": written(folder)}


def peak_rss() -> int:
    """This process's peak resident set size so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Folders:
    """A fresh folder per run: under ``--workdir`` (kept) or in a temporary directory (deleted)."""

    def __init__(self, workdir):
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="gan-tf2-bench-")
        self.root = Path(workdir) if workdir else Path(self._tmp.name)

    def __call__(self, name) -> Path:
        return self.root / name

    def close(self):
        if self._tmp is not None:
            self._tmp.cleanup()


def emit(record):
    print(json.dumps(record), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Notebook 1/2's training run, timed (see the module docstring)")
    parser.add_argument("model", choices=sorted(NOTEBOOKS), help="gan = notebook 1, cgan = notebook 2, "
                                                                 "further = notebook 3's final runs (--full only)")
    parser.add_argument("--short", type=int, default=2, help="epochs of the short run (default 2)")
    parser.add_argument("--long", type=int, default=12, help="epochs of the long run (default 12)")
    parser.add_argument("--warmup", type=int, default=1, help="epochs of an untimed first run (default 1; 0: none)")
    parser.add_argument("--repeats", type=int, default=1, help="short+long pairs to time (one JSON line each)")
    parser.add_argument("--seed", type=int, default=42, help="the notebooks' SEED (default 42)")
    parser.add_argument("--full", type=int, metavar="EPOCHS",
                        help="instead: one run of EPOCHS epochs; JSON with wall time, peak RSS, NaN check")
    parser.add_argument("--fast", action="store_true",
                        help="train with training.train_fast (the opt-in chunked XLA loop) instead of training.train")
    parser.add_argument("--workdir", type=Path,
                        help="keep the checkpoints and sample grids here (one subfolder per run) instead of "
                             "a temporary directory; the subfolders are replaced")
    args = parser.parse_args(argv)
    global FAST
    FAST = args.fast
    if args.full is None and args.model == "further":
        parser.error("further: only --full EPOCHS")
    if args.full is None and args.long <= args.short:
        parser.error("--long must be larger than --short")
    if args.full is not None and args.full < 1:
        parser.error("--full: at least 1 epoch")

    from gan_helpers.errors import MnistDataError

    try:
        mnist = _baseline.mnist()  # read the data before any timing
    except MnistDataError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    common = {"script": "tf2_notebooks", "model": args.model, "notebook": NOTEBOOKS[args.model],
              "num_train": mnist.num_train, "machine": timing.describe(), "pid": os.getpid(),
              "loop": "training.train_fast" if args.fast else "training.train"}
    folders = Folders(args.workdir)
    try:
        if args.full is not None:
            start = time.perf_counter()
            if args.model == "further":
                result = further(args.full, args.seed, folders("full"))
            else:
                result = train(args.model, args.full, args.seed, folders("full"))
            emit({**common, "mode": "full", "seed": args.seed, **result,
                  "wall_seconds": time.perf_counter() - start, "peak_rss": peak_rss()})
            return 0
        if args.warmup:
            train(args.model, args.warmup, args.seed, folders("warmup"))
        for repeat in range(args.repeats):
            seed = args.seed + repeat
            short = train(args.model, args.short, seed, folders(f"short-{repeat}"))
            long = train(args.model, args.long, seed, folders(f"long-{repeat}"))
            try:
                rate, problem = _baseline.marginal(short["seconds"], long["seconds"], short["steps"], long["steps"]), None
            except ValueError as exc:  # a disturbed measurement: report it, do not crash
                rate, problem = None, str(exc)
            emit({**common, "mode": "speed", "seed": seed,
                  "short_epochs": args.short, "long_epochs": args.long,
                  "short_steps": short["steps"], "long_steps": long["steps"],
                  "short_s": round(short["seconds"], 4), "long_s": round(long["seconds"], 4),
                  "short_fit_s": round(short["fit_seconds"], 4), "long_fit_s": round(long["fit_seconds"], 4),
                  "steps_per_s": None if rate is None else round(rate, 2), "problem": problem,
                  "last_loss_D": long["last_loss_D"], "last_loss_G": long["last_loss_G"],
                  "finite": short["finite"] and long["finite"], "written": long["written"],
                  "peak_rss": peak_rss()})
        return 0
    finally:
        folders.close()


if __name__ == "__main__":
    sys.exit(main())

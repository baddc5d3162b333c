"""make cgan-noise: notebook 2's noise comparison, trained once and saved for the notebook to read.

Four 100-epoch runs of the note's conditional GAN (gan_helpers.cgan.COMPARISON: uniform(-1, 1) and the
note's normal(-1, 1), seeds 42 and 7), built exactly as notebook 2 builds them (gan_helpers.cgan.build,
the training step training_steps.make_cgan_train_step, a line-for-line copy of the notebook's), measured by
gan_helpers.cgan.measure with the project's classifier, saved in results/cgan-noise/ (results.json with
each run's history and measures and the provenance record of gan_helpers.results: the fingerprint of the
code named in CODE_OF, the settings, CPU and TensorFlow; a 10x10 grid per run). No notebook cell is
executed. Trials with --epochs must go elsewhere (--out).

    MNIST_NPZ=../shared/data/mnist-offline.npz make cgan-noise       # about 4 min on 2 cores
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python tools/cgan_noise.py` from a checkout
    sys.path.insert(0, str(ROOT))

from gan_helpers import cgan, classifier, paths, results, timing  # noqa: E402
from gan_helpers.data import load_mnist  # noqa: E402
from gan_helpers.errors import GanHelpersError  # noqa: E402

# What makes the saved runs (the provenance record's "code of"): notebook 2's run as cgan builds it, its
# training step, models and noises, the learning-signal watch, the loop that trains it, the measures.
CODE_OF = ("gan_helpers.cgan.NOTE", "gan_helpers.cgan.note_train_step", "gan_helpers.cgan.signal_watch",
           "gan_helpers.cgan.build", "gan_helpers.cgan.generate", "gan_helpers.cgan.probe", "gan_helpers.cgan.measure",
           "gan_helpers.cgan.result_entry", "gan_helpers.training_steps.D_loss", "gan_helpers.training_steps.G_loss",
           "gan_helpers.training_steps.make_cgan_train_step", "gan_helpers.models.build_cgan_generator",
           "gan_helpers.models.build_cgan_discriminator", "gan_helpers.models.uniform_noise",
           "gan_helpers.models.note_normal_noise", "gan_helpers.diagnostics", "gan_helpers.runner.Run",
           "gan_helpers.training", "tools.cgan_noise.main")


def note_record() -> dict:
    """The note's model and recipe as plain JSON (the record's ``settings["note"]``)."""
    model = cgan.NOTE.to_dict()
    return {"batch_size": cgan.BATCH_SIZE, "learning_rate": cgan.LEARNING_RATE,
            **{key: model[key] for key in ("n_hidden", "n_input", "n_noise", "n_class")}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="cgan_noise", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=cgan.EPOCHS, help=f"epochs per run (default {cgan.EPOCHS})")
    parser.add_argument("--out", type=Path, default=cgan.RESULTS, help="results.json to write")
    args = parser.parse_args(argv)
    if os.environ.get("GAN_EPOCHS", "").strip():
        parser.exit(2, "cgan-noise: the notebook reads 100-epoch runs; unset GAN_EPOCHS (trials: --epochs N --out DIR)\n")
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    refused = results.trial_refusal("cgan-noise", args.out, None if args.epochs == cgan.EPOCHS
                                    else f"{args.epochs} epochs, not {cgan.EPOCHS}")
    if refused:
        parser.exit(2, f"cgan-noise: {refused}\n")
    try:
        mnist = load_mnist()
        judge, _ = classifier.load_or_train_classifier(mnist, paths.checkpoint_dir("classifier"))
        print(f"{mnist.describe()} | {timing.describe()}", flush=True)
        entries = {}
        for noise, seed in cgan.COMPARISON:
            start = time.perf_counter()
            run, train_step, watch = cgan.build(noise, seed, mnist)
            run.fit(train_step, [mnist.x_train, mnist.y_train], total_epoch=args.epochs,
                    batch_size=cgan.BATCH_SIZE, watch=watch, log=None, desc=f"{noise}, seed {seed}")
            entries[noise, seed] = cgan.result_entry(run, judge, mnist)
            m = entries[noise, seed]["measured"]
            print(f"{noise}, seed {seed}: label acc {m['label acc']:.1%} | last epoch D loss "
                  f"{run.history['D loss'][-1]:.4g} G loss {run.history['G loss'][-1]:.4g} | "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
        record = results.record(CODE_OF, {"epochs": args.epochs, "runs": [list(key) for key in cgan.COMPARISON],
                                          "note": note_record()}, data=mnist.describe())
        print(f"wrote {cgan.save_results(entries, record, args.out, args.epochs, data=mnist.describe())}")
    except GanHelpersError as exc:
        print(f"cgan-noise: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

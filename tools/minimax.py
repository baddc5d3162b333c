"""make minimax: notebook 1's experiment (the generator's loss in the minimax form), on three seeds, saved for the notebook.

Six 20-epoch runs of notebook 1's GAN: the two generator objectives of gan_helpers.brief_gan.FORMS (the note's
non-saturating one and the minimax one, nothing else changed) with seeds 42, 7 and 1, each built exactly as
notebook 1's train_briefly builds it (gan_helpers.brief_gan.build: the training step
training_steps.make_gan_train_step, the notebook's watch and diagnostics.SignalWatch after every epoch) and
trained by training.train. Saved in results/minimax/results.json: each run's per-epoch history (D(x), D(G(z)),
diversity, |grad G|, the losses, ...), its end measures (score, top class and FD of 10,000 samples, as the
notebook's brief_report) and the provenance record of gan_helpers.results. No notebook cell is executed.
Trials with --epochs or --seeds must go elsewhere (--out).

    MNIST_NPZ=../shared/data/mnist-offline.npz make minimax       # 7 min 31 s on 2 cores shared with other jobs
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python tools/minimax.py` from a checkout
    sys.path.insert(0, str(ROOT))

from gan_helpers import brief_gan, classifier, paths, results, timing  # noqa: E402
from gan_helpers.data import load_mnist  # noqa: E402
from gan_helpers.errors import GanHelpersError  # noqa: E402

# What makes the saved runs (the provenance record's "code of"): notebook 1's brief run as brief_gan builds it,
# its objectives, training step and watch, the models and noise, the learning-signal watch, the loop, the measures.
CODE_OF = ("gan_helpers.brief_gan", "gan_helpers.training_steps.D_objective", "gan_helpers.training_steps.G_objective",
           "gan_helpers.training_steps.minimax_G_objective", "gan_helpers.training_steps.make_gan_train_step",
           "gan_helpers.training_steps.make_gan_watch", "gan_helpers.models.build_generator",
           "gan_helpers.models.build_discriminator", "gan_helpers.models.note_init",
           "gan_helpers.models.standard_normal_noise", "gan_helpers.models.generate", "gan_helpers.diagnostics",
           "gan_helpers.runner.Run", "gan_helpers.training", "gan_helpers.classifier.sample_quality",
           "tools.minimax.main")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="minimax", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=brief_gan.EPOCHS, help=f"epochs per run (default {brief_gan.EPOCHS})")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(brief_gan.SEEDS),
                        help=f"seeds (default {' '.join(map(str, brief_gan.SEEDS))})")
    parser.add_argument("--out", type=Path, default=brief_gan.RESULTS, help="results.json to write")
    args = parser.parse_args(argv)
    if os.environ.get("GAN_EPOCHS", "").strip():
        parser.exit(2, f"minimax: the notebook reads {brief_gan.EPOCHS}-epoch runs; unset GAN_EPOCHS "
                       "(trials: --epochs N --out DIR)\n")
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    trial = "; ".join(([] if args.epochs == brief_gan.EPOCHS else [f"{args.epochs} epochs, not {brief_gan.EPOCHS}"])
                      + ([] if tuple(args.seeds) == brief_gan.SEEDS else
                         [f"seeds {' '.join(map(str, args.seeds))}, not {' '.join(map(str, brief_gan.SEEDS))}"]))
    refused = results.trial_refusal("minimax", args.out, trial or None)
    if refused:
        parser.exit(2, f"minimax: {refused}\n")
    try:
        mnist = load_mnist()
        judge, _ = classifier.load_or_train_classifier(mnist, paths.checkpoint_dir("classifier"))
        real_features = classifier.features(judge, mnist.x_test)
        print(f"{mnist.describe()} | {timing.describe()}", flush=True)
        entries = []
        for seed in args.seeds:
            for form, objective in brief_gan.FORMS.items():
                start = time.perf_counter()
                run, train_step, _ = brief_gan.build(seed, mnist, objective)
                run.fit(train_step, [mnist.x_train], total_epoch=args.epochs, batch_size=brief_gan.BATCH_SIZE,
                        desc=f"{form}, seed {seed}")
                seconds = time.perf_counter() - start
                entries.append(brief_gan.result_entry(form, seed, run, judge, real_features, seconds))
                m, h = entries[-1]["measured"], run.history
                print(f"{form}, seed {seed}: lowest diversity {min(h['diversity']):.3f} | score {m['score']:.2f} "
                      f"top class {m['top class']:.1%} FD {m['FD']:.0f} | {seconds:.0f} s", flush=True)
        record = results.record(CODE_OF, {"epochs": args.epochs, "seeds": list(args.seeds),
                                          "forms": list(brief_gan.FORMS), "note": brief_gan.NOTE.to_dict(),
                                          "batch_size": brief_gan.BATCH_SIZE, "learning_rate": brief_gan.LEARNING_RATE,
                                          "samples": brief_gan.SAMPLES, "sample seed": brief_gan.SAMPLE_SEED},
                                data=mnist.describe())
        print(f"wrote {brief_gan.save_results(entries, record, args.out, args.epochs, data=mnist.describe())}")
    except GanHelpersError as exc:
        print(f"minimax: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

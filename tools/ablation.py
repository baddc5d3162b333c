"""``make ablation``: notebook 3's ablation table, one full training run per row (issue 8).

Every row of the table is 100 epochs (14,100 steps on the offline set) of one setting and
takes 2-10 minutes here, so the table does not fit the notebook's own budget. This script
trains the rows with the code the notebook shows and calls, imported from
``gan_helpers.experiments`` (``run_experiment``, ``measure``, the rows ``GAN_ROWS`` /
``CGAN_ROWS``): no notebook cell is executed. Each result is written (atomically) to
``results/ablation/{kind}-{row}-seed{seed}.json`` with its provenance record (``gan_helpers.results``:
the fingerprint of the code named in :data:`CODE_OF`, the row's settings, CPU and TensorFlow); the
notebook reads those files and refuses a file whose record names other settings than its row.

    python tools/ablation.py                 # every missing row, seed 42; final and leave-one-out rows also 7 and 1
    python tools/ablation.py --list          # rows and whether a result exists
    python tools/ablation.py --only gan:"+ dropout 0.3 in D" --redo

Run it on an otherwise idle machine: the steps/s column is measured as the rows train.
Every row of the table trains exactly 100 epochs; ``GAN_EPOCHS`` is refused, and ``--epochs``
(for tests and trials) needs ``--out`` in another folder, so a short run can never be
saved as a table row. ``--checkpoints DIR`` keeps each row's trained models (``DIR/{kind}-{row}-seed{seed}``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python tools/ablation.py` from a checkout
    sys.path.insert(0, str(ROOT))

# What makes a row (the provenance record's "code of"): notebook 3's experiment code, the models and
# settings, the loop that trains them, the classifier's measures, and this tool.
CODE_OF = ("gan_helpers.experiments.cross_entropy", "gan_helpers.experiments.make_train_step",
           "gan_helpers.experiments.sample_rows", "gan_helpers.experiments.run_experiment",
           "gan_helpers.experiments.measure", "gan_helpers.experiments.row_result", "gan_helpers.models",
           "gan_helpers.runner.Run", "gan_helpers.training", "gan_helpers.classifier", "tools.ablation.main")


def jobs(seeds=None, only=()):
    """``[(kind, name, seed)]`` of every row (or the ``only`` ones: ``{(kind, name)}``)."""
    from gan_helpers import experiments

    found = [(kind, name, seed) for kind in experiments.TABLES for name in experiments.all_rows(kind)
             for seed in (seeds or experiments.row_seeds(kind, name))]
    unknown = set(only) - {(kind, name) for kind, name, _ in found}
    if unknown:
        raise SystemExit(f"ablation: unknown row(s) {sorted(unknown)}; see --list")
    return [job for job in found if not only or job[:2] in only]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], metavar="KIND:ROW",
                        help="run just this row (repeatable); KIND is gan or cgan")
    parser.add_argument("--seeds", type=int, nargs="+", help="seeds for every row (default: 42; the final and leave-one-out rows 42, 7 and 1)")
    parser.add_argument("--redo", action="store_true", help="run again even if a result exists")
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    parser.add_argument("--out", "--results", type=Path, dest="results",
                        help="folder for the results (default: results/ablation)")
    parser.add_argument("--epochs", type=int, default=100,
                        help="epochs per row (default 100; another number only with --out elsewhere)")
    parser.add_argument("--checkpoints", type=Path, help="keep each row's trained models in this folder")
    args = parser.parse_args(argv)
    if os.environ.get("GAN_EPOCHS", "").strip():
        parser.exit(2, "ablation: every table row trains the full 100 epochs; unset GAN_EPOCHS\n")
    only = {tuple(o.split(":", 1)) for o in args.only}

    from gan_helpers import classifier, experiments, paths
    from gan_helpers import results as saved_results
    from gan_helpers.data import load_mnist
    from gan_helpers.atomic import write_json_atomic

    results = args.results or experiments.ABLATION_DIR
    trial = [f"{args.epochs} epochs, not {experiments.ABLATION_EPOCHS}"] if args.epochs != experiments.ABLATION_EPOCHS else []
    if set(args.seeds or ()) - set(experiments.FINAL_SEEDS):
        trial.append(f"seeds {' '.join(map(str, args.seeds))}, not the table's {experiments.FINAL_SEEDS}")
    refused = saved_results.trial_refusal("ablation", results, "; ".join(trial))
    if refused:
        parser.exit(2, f"ablation: {refused}\n")
    todo = []
    for kind, name, seed in jobs(args.seeds, only):
        path = experiments.row_path(kind, name, seed, results)
        saved = experiments.saved_path(kind, name, seed, results)
        if args.list:
            shared = "" if saved in (None, path) else f" (the result of the same settings: {saved.name})"
            print(f"{'missing' if saved is None else 'done   '} {kind}:{name} seed {seed}{shared}")
        elif args.redo or saved is None:
            todo.append((kind, name, seed, path))
    if args.list or not todo:
        return 0

    started = time.time()
    mnist = load_mnist()
    judge, _ = classifier.load_or_train_classifier(mnist, paths.checkpoint_dir("classifier"))
    real_features = classifier.features(judge, mnist.x_test)
    for kind, name, seed, path in todo:
        print(f"[{time.strftime('%H:%M:%S')}] {kind}: {name!r} seed {seed} ...", flush=True)
        settings = experiments.all_rows(kind)[name]
        keep = args.checkpoints / path.stem if args.checkpoints else None
        run = experiments.run_experiment(settings, seed, mnist, total_epoch=args.epochs, checkpoint_dir=keep,
                                         fresh=keep is not None)
        quality = experiments.measure(run.generator, settings, judge, real_features)
        row = experiments.row_result(kind, name, seed, run, quality, args.epochs)
        record = saved_results.record(CODE_OF, experiments.row_settings(kind, name, seed, args.epochs),
                                      data=mnist.describe())
        write_json_atomic(path, saved_results.with_record(row, record))
        print(f"    score {quality['score']:.2f}, top class {quality['top class']:.1%}, FD {quality['FD']:.1f}"
              + (f", label acc {quality['label acc']:.1%}" if quality["label acc"] is not None else ""), flush=True)
    print(f"done in {(time.time() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())

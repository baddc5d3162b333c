"""Command line: draw samples from a trained checkpoint without opening a notebook.

    python -m gan_helpers sample {gan,cgan} [--digit D] [--count N] [--seed S]
                                 [--checkpoint DIR] --out FILE

``FILE`` ending in ``.png`` gets a grid (ten images a row); ``.npz`` gets ``images``
(float32, (N, 28, 28), in [0, 1]) and ``labels`` (int, (N,): the requested digit, or -1
for the vanilla GAN). The same seed gives the same output. ``DIR`` defaults to
``checkpoints/KIND`` of the project (see :mod:`gan_helpers.paths`; ``$GAN_PROJECT_ROOT``
moves it).

Exit status: 0 done; 1 no usable checkpoint, or ``FILE`` cannot be written (its folder is
missing, it is a folder, no permission, disk full), said in one line and with nothing
left behind; 2 bad arguments, with the usage.

TensorFlow is imported only to draw the samples: ``--help`` and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from . import paths
from .atomic import is_disk_full, reason, why_not_writable

MAX_COUNT = 10000
SUFFIXES = (".png", ".npz")
TRAINED_BY = {  # the notebook that writes each of the project's checkpoint folders
    "gan": "notebooks/01_gan.ipynb",
    "cgan": "notebooks/02_conditional_gan.ipynb",
    "gan-better": "notebooks/03_going_further.ipynb",
    "cgan-better": "notebooks/03_going_further.ipynb",
}


def how_to_make(directory, kind: str) -> str:
    """What to run for a missing checkpoint folder: its notebook (by the folder's name, else by ``kind``)."""
    name = Path(directory).name
    return f"train it first: run {TRAINED_BY[name] if name in TRAINED_BY else TRAINED_BY[kind]}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gan_helpers",
                                     description="Tools for the GAN tutorial notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)
    sample = sub.add_parser("sample", help="draw images from a trained generator",
                            description="Draw images from the generator saved in a checkpoint folder.")
    sample.add_argument("kind", choices=["gan", "cgan"], help="vanilla GAN (notebook 1) or conditional GAN (notebook 2)")
    sample.add_argument("--digit", type=int, help="cgan only: the digit to draw, 0-9 (default: 0,1,...,9 in turn)")
    sample.add_argument("--count", type=int, default=10, help=f"how many images, 1-{MAX_COUNT} (default 10)")
    sample.add_argument("--seed", type=int, default=0, help="noise seed; the same seed gives the same images (default 0)")
    sample.add_argument("--checkpoint", type=Path,
                        help=f"checkpoint folder (default: {str(paths.checkpoint_dir('KIND')).replace('%', '%%')}; "
                             f"${paths.ROOT_ENV} moves it)")
    sample.add_argument("--out", type=Path, required=True, help="output file: .png (grid) or .npz (arrays)")
    return parser, sample


def _check(sample, args) -> None:
    """Range checks argparse cannot do; errors exit 2 with the sample command's usage."""
    if not 1 <= args.count <= MAX_COUNT:
        sample.error(f"--count must be 1-{MAX_COUNT}, got {args.count}")
    if args.digit is not None and args.kind == "gan":
        sample.error("--digit is for cgan only: the vanilla GAN cannot be told which digit to draw")
    if args.digit is not None and not 0 <= args.digit <= 9:
        sample.error(f"--digit must be 0-9, got {args.digit}")
    if not 0 <= args.seed < 2**63:
        sample.error(f"--seed must be a non-negative integer, got {args.seed}")
    if args.out.suffix.lower() not in SUFFIXES and not args.out.is_dir():  # a folder: see _output_problem
        sample.error(f"--out must end in .png or .npz, got {args.out.name!r}")


def _output_problem(args) -> str | None:
    """One line (for exit status 1) if ``--out`` cannot be written; checked before TensorFlow is loaded."""
    out = args.out
    why = why_not_writable(out)
    if why is None:
        return None
    if out.is_dir():
        fix = f"name a file in it, e.g. --out {out / (args.kind + '.png')}"
    elif not out.parent.exists():
        fix = f"create the folder (mkdir -p {out.parent}) or choose another --out"
    else:
        fix = "choose another --out"
    return f"cannot write {out} ({why}); {fix}"


def sample(args) -> int:
    import numpy as np

    from . import checkpoints, models, plotting
    from .atomic import write_bytes_atomic

    directory = args.checkpoint or paths.checkpoint_dir(args.kind)
    try:
        generator, settings = checkpoints.load_generator(
            directory, expect_kind=args.kind, how_to_make=how_to_make(directory, args.kind))
    except checkpoints.CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.kind == "cgan":
        labels = (np.full(args.count, args.digit) if args.digit is not None
                  else np.arange(args.count) % settings.n_class)
    else:
        labels = np.full(args.count, -1)
    images = models.generate(generator, settings, args.count, seed=args.seed,
                             digit=labels if args.kind == "cgan" else None)
    images = images.reshape(args.count, 28, 28).astype(np.float32)
    if args.out.suffix.lower() == ".npz":
        buf = io.BytesIO()
        np.savez(buf, images=images, labels=labels.astype(np.int64))
        data = buf.getvalue()
    else:
        rows = [images[i:i + 10] for i in range(0, args.count, 10)]
        data = plotting.images_to_png(rows, scale=2)
    try:
        write_bytes_atomic(args.out, data)  # a failure leaves the old file (if any) and no temporary file
    except OSError as exc:
        fix = "free some disk space or choose another --out" if is_disk_full(exc) else "choose another --out"
        print(f"error: cannot write {args.out} ({reason(exc)}); {fix}", file=sys.stderr)
        return 1
    what = f"digit {args.digit}" if args.digit is not None else ("digits 0-9 in turn" if args.kind == "cgan" else "")
    print(f"wrote {args.out} ({args.count} {args.kind} images{', ' + what if what else ''}, seed {args.seed})")
    return 0


def main(argv=None) -> int:
    parser, sample_parser = _parser()
    args = parser.parse_args(argv)
    if args.command != "sample":  # pragma: no cover - argparse rejects other commands
        return 2
    _check(sample_parser, args)
    problem = _output_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return sample(args)


if __name__ == "__main__":
    sys.exit(main())

"""``make note-tf1``: the note's own TF1 code, trained as transcribed, its samples drawn and scored.

For each configuration (``gan_helpers.CONFIGS``)

- ``gan``: ``tf1_gan.py`` as transcribed (noise normal(0, 1), Adam lr 0.0002),
- ``cgan-note-normal``: ``tf1_cgan.py`` with the note's code as written, ``np.random.normal(-1., 1.)``,
- ``cgan-uniform``: ``tf1_cgan.py`` with ``np.random.uniform(-1., 1.)`` (the original tutorial, the note's text),

and each step count (14,100 = our notebooks' 100 epochs of the 14,106 offline images; 55,000 = the note's
100 epochs x 550 batches of input_data's 55,000 images, here the offline images cycled, ~390 epochs), seed 42:

1. a SUBPROCESS trains it (``run(steps, seed, samples=10000)``: TF1 graph mode needs
   ``tf.disable_eager_execution()`` before anything else, and the scoring needs eager Keras, so the two
   never share a process) and writes an .npz with the 10,000 images, the losses and the seconds to a
   temporary folder;
2. this process scores the images with the project's classifier exactly as notebook 3 does
   (``classifier.sample_quality``; the digits requested for the conditional GAN, none for the GAN)
   and draws the grid ``<config>-<steps>.png`` (GAN: the first 100 images, 10 x 10; conditional GAN:
   row d = the first 10 images requested as digit d);
3. at the end ``results.json`` (a header with the CPU, TensorFlow, data, date and this command, and one
   entry per run) is written, like the PNGs atomically (temporary file + rename).

    MNIST_NPZ=../shared/data/mnist-offline.npz python tools/note_tf1.py      # all 6 runs, ~20 min
    python tools/note_tf1.py --configs gan --steps 200 --out /tmp/trial      # a short trial elsewhere

The committed folder ``results/note-tf1/`` only takes the full set (every config, 14,100 and 55,000
steps, seed 42), with its provenance record (``gan_helpers.results``); anything else needs ``--out DIR``.
The notebooks read the results with ``gan_helpers.results`` (``tf1_runs()``, ``tf1_table()``, ``tf1_grid()``).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as `python tools/note_tf1.py` from a checkout
    sys.path.insert(0, str(ROOT))

from gan_helpers import results  # noqa: E402  (no TensorFlow)

FOLDER = results.RESULTS["note-tf1"].folder
MORE_SEEDS_FOLDER = results.TF1_MORE_SEEDS_FOLDER

# The runs of ``make note-tf1``: which script, with which noise (``options`` go to the script's ``run``).
CONFIGS = {
    "gan": {"script": "tools/tf1_gan.py", "options": {},
            "noise": "np.random.normal(size=...): normal(0, 1) (tfGAN.ipynb #8, as transcribed)"},
    "cgan-note-normal": {"script": "tools/tf1_cgan.py", "options": {"noise": "note-normal"},
                         "noise": "np.random.normal(-1., 1., size=...): mean -1, std 1 (tfGAN2.ipynb #4, "
                                  "the note's code as written)"},
    "cgan-uniform": {"script": "tools/tf1_cgan.py", "options": {"noise": "uniform"},
                     "noise": "np.random.uniform(-1., 1., size=...) (the original tutorial's and the "
                              "note text's choice)"},
}
STEPS, SEED = results.TF1_STEPS, results.TF1_SEED
SAMPLES = 10000          # images scored per run (as notebook 3's measure), noise drawn after np.random.seed(1)
SAMPLE_SEED = 1
# The conditional runs again at 14,100 steps with more seeds (``--more-seeds``): one seed cannot tell
# whether a collapse belongs to the noise or to that seed.
MORE_SEEDS = (0, 1, 2, 7)
MORE_SEEDS_CONFIGS = ("cgan-note-normal", "cgan-uniform")
MORE_SEEDS_STEPS = 14100

# The sample measures results.json keeps of ``classifier.sample_quality`` (not its per-digit accuracy).
QUALITY_KEYS = ("score", "top class", "rarest class", "shares", "FD", "label acc")
# Keys of every run in results.json (a test checks them).
RUN_KEYS = ("config", "script", "noise", "learning rate", "steps", "epochs", "full epochs", "seed",
            "seconds", "loop seconds", "steps/s", "process seconds", "last epoch", "last step",
            "epoch losses", "finite", "nonfinite steps", "first nonfinite step", "images finite",
            *QUALITY_KEYS, "grid")
HEADER_KEYS = ("what", "cpu", "machine", "tensorflow", "num_train", "steps per epoch", "epochs how",
               "samples", "sample seed", "requested", "classifier", "data", "date", "command")
# What makes these results (the provenance record's "code of"): the TF1 loops as transcribed, their data and
# batching, this tool (subprocess, sampling, scoring, grids), and the classifier's measures.
CODE_OF = ("tools.tf1_gan", "tools.tf1_cgan", "tools._baseline", "tools.note_tf1",
           "gan_helpers.classifier", "gan_helpers.data")

CHILD = "--train-one"   # internal: the subprocess that trains one run
PROG = "note_tf1"
LOG_EVERY = 50          # the child prints every 50th of the note's epoch lines


# ---------------------------------------------------------------- the subprocess: TF1 graph mode

def train_one(config, steps, seed, samples, out):
    """Train one run with the TF1 script and save images + losses + seconds to ``out`` (.npz)."""
    sys.path.insert(0, str(HERE))
    spec = CONFIGS[config]
    script = importlib.import_module(Path(spec["script"]).stem)   # calls tf.disable_eager_execution()
    import inspect

    import tensorflow.compat.v1 as tf

    lines = []

    def log(line):
        lines.append(line)
        if len(lines) % LOG_EVERY == 0:
            print(f"    {config} {steps}: {line}", flush=True)

    r = script.run(steps, seed=seed, log=log, samples=samples, **spec["options"])
    # tf1_gan.py sets learning_rate (#2); tf1_cgan.py calls tf.train.AdamOptimizer() with its default.
    learning_rate = getattr(script, "learning_rate", None)
    if learning_rate is None:
        learning_rate = inspect.signature(tf.train.AdamOptimizer.__init__).parameters["learning_rate"].default
    from gan_helpers.atomic import atomic_path

    with atomic_path(out, suffix=".npz") as tmp, open(tmp, "wb") as f:
        np.savez(f, images=r["images"],
                 requested=r.get("requested", np.zeros(0, np.int64)),
                 epoch_losses=np.asarray(r["epoch_losses"], np.float64).reshape(-1, 2),
                 first=np.asarray(r["first"]), last=np.asarray(r["last"]),
                 seconds=r["seconds"], loop_seconds=r["loop_seconds"],
                 nonfinite_steps=r["nonfinite_steps"],
                 first_nonfinite_step=-1 if r["first_nonfinite_step"] is None else r["first_nonfinite_step"],
                 learning_rate=float(learning_rate), num_train=script._baseline.mnist().num_train,
                 tensorflow=tf.__version__)


# ---------------------------------------------------------------- the command line

class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (no usage block) that says what to do."""

    def error(self, message):
        self.exit(2, f"{PROG}: {message} (see --help)\n")


def positive_steps(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"needs whole numbers of training steps > 0, "
                                         f"e.g. --steps {' '.join(map(str, STEPS))}; got {text!r}")
    return value


def parse_args(argv):
    parser = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS),
                        metavar="CONFIG", help=f"which runs (default all: {', '.join(CONFIGS)})")
    parser.add_argument("--steps", nargs="+", type=positive_steps, default=list(STEPS),
                        help=f"training steps of each run (default {' '.join(map(str, STEPS))})")
    parser.add_argument("--seeds", "--seed", nargs="+", type=int, default=[SEED],
                        help=f"training seeds, one run each (default {SEED})")
    parser.add_argument("--more-seeds", action="store_true",
                        help=f"the committed extra seeds: {' '.join(MORE_SEEDS_CONFIGS)} at "
                             f"{MORE_SEEDS_STEPS} steps, seeds {' '.join(map(str, MORE_SEEDS))}, "
                             f"into {MORE_SEEDS_FOLDER.relative_to(ROOT)}/")
    parser.add_argument("--out", type=Path, default=FOLDER,
                        help="folder for the PNGs and results.json (default: the committed results/note-tf1)")
    parser.add_argument("--keep-images", action="store_true",
                        help="also keep each run's 10,000 images as <config>-<steps>.npz in --out (31 MB each)")
    args = parser.parse_args(argv)
    if args.more_seeds:
        if {"--configs", "--steps", "--seeds", "--seed", "--out"} & set(argv):
            parser.error("--more-seeds sets configs, steps, seeds and folder itself; give it alone")
        args.configs, args.steps = list(MORE_SEEDS_CONFIGS), [MORE_SEEDS_STEPS]
        args.seeds, args.out = list(MORE_SEEDS), MORE_SEEDS_FOLDER
    for name in ("configs", "steps", "seeds"):
        values = getattr(args, name)
        if len(set(values)) != len(values):
            parser.error(f"--{name} names a value twice ({' '.join(map(str, values))}); give each once")
    full = (sorted(args.configs) == sorted(CONFIGS) and sorted(args.steps) == sorted(STEPS)
            and args.seeds == [SEED] and not args.keep_images)
    if args.out.resolve() == MORE_SEEDS_FOLDER.resolve() and not args.more_seeds:
        parser.error(f"{MORE_SEEDS_FOLDER.relative_to(ROOT)}/ is written by --more-seeds only")
    trial = None if full or args.more_seeds else (f"not the full set of every config, steps "
                                                   f"{' and '.join(map(str, STEPS))}, seed {SEED}")
    refused = results.trial_refusal("note-tf1", args.out, trial)
    if refused:
        parser.error(refused)
    for seed in args.seeds:
        if not 0 <= seed < 2**32:
            parser.error(f"--seed {seed}: numpy seeds are 0 .. 2**32 - 1")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file; give a folder")
    return parser, args


def command_line(argv):
    """The command as it ran, with the MNIST file, for results.json."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(ROOT).as_posix() if script.is_relative_to(ROOT) else str(script)
    npz = os.environ.get("MNIST_NPZ")
    return (f"MNIST_NPZ={shlex.quote(npz)} " if npz else "") + shlex.join(["python", shown, *argv])


# ---------------------------------------------------------------- the parent: scores, grids, results.json

NUMBER_LIST = re.compile(r"\[(?:\s*(?:-?[0-9][0-9.eE+-]*|NaN|-?Infinity),?)+\s*\]")


def to_json(obj) -> str:
    """``json.dumps(obj, indent=1)`` with every list of numbers on one line (the epoch losses, the shares).

    A nan or inf loss is written as Python's json writes it (``NaN``, ``-Infinity``), which ``json.loads`` reads.
    """
    text = json.dumps(obj, indent=1)
    return NUMBER_LIST.sub(lambda m: "[" + ", ".join(x.strip() for x in m.group(0)[1:-1].split(",")) + "]", text) + "\n"


def title(config, steps, epochs, quality, seed):
    first = f"{config}: note's TF1 code, {steps} steps (~{epochs:.0f} epochs), seed {seed}"
    if quality["score"] is None:
        return first + "\nimages not finite: no score"
    second = f"score {quality['score']:.2f}, FD {quality['FD']:.1f}, top class {quality['top class']:.0%}"
    if quality["label acc"] is not None:
        second += f", label acc {quality['label acc']:.1%}"
    return f"{first}\n{second}"


def save_run_grid(plotting, path, images, requested, text):
    """GAN: 10 x 10 of the first 100 images; conditional GAN: row d = the first 10 requested as digit d."""
    if requested is None:
        rows, titles = [images[r * 10:(r + 1) * 10] for r in range(10)], None
    else:
        rows = [images[np.flatnonzero(requested == d)[:10]] for d in range(10)]
        titles = [str(d) for d in range(10)]
    # plotting.save_grid's figure and settings, with a title above it
    fig = plotting.grid_figure(rows, titles=titles)
    fig.suptitle(text, y=1.0, va="bottom", fontsize=11)
    plotting.save_figure_atomic(fig, path, bbox_inches="tight", dpi=100)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == [CHILD]:
        from gan_helpers._quiet import silenced_fd2

        config, steps, seed, samples, out = argv[1:]
        with silenced_fd2():   # TensorFlow's absl/oneDNN lines; replayed if the training fails
            train_one(config, int(steps), int(seed), int(samples), Path(out))
        return 0
    parser, args = parse_args(argv)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.exit(2, f"{PROG}: cannot create --out {args.out} ({exc.strerror or exc}); give a folder you can write\n")
    from gan_helpers.atomic import atomic_path, why_not_writable, write_bytes_atomic

    problem = why_not_writable(args.out / "results.json")
    if problem:
        parser.exit(2, f"{PROG}: cannot write into --out {args.out} ({problem}); give a folder you can write\n")

    import gan_helpers
    from gan_helpers.data import ENV_VAR, load_mnist
    from gan_helpers.errors import GanHelpersError

    if not os.environ.get(ENV_VAR):   # Keras downloads MNIST: TensorFlow first, quietly
        gan_helpers.import_tensorflow_quietly()
    try:
        mnist = load_mnist()          # from $MNIST_NPZ: a bad file is reported before TensorFlow loads
        tf = gan_helpers.import_tensorflow_quietly()
        from gan_helpers import classifier, paths, plotting, timing

        judge, judge_info = classifier.load_or_train_classifier(mnist, paths.checkpoint_dir("classifier"))
    except GanHelpersError as exc:
        parser.exit(2, f"{PROG}: {exc}\n")
    real_features = classifier.features(judge, mnist.x_test)
    per_epoch = mnist.num_train // 100
    started = time.time()
    runs, grids = [], []
    with tempfile.TemporaryDirectory(prefix="note-tf1-") as tmp:
        for seed, config, steps in [(s, c, n) for s in args.seeds for c in args.configs for n in args.steps]:
            spec = CONFIGS[config]
            print(f"[{time.strftime('%H:%M:%S')}] {config}, {steps} steps, seed {seed} ...", flush=True)
            npz = Path(tmp) / f"{config}-{steps}-{seed}.npz"
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), CHILD, config, str(steps),
                                   str(seed), str(SAMPLES), str(npz)], cwd=ROOT)
            process_seconds = time.perf_counter() - t0
            if done.returncode != 0 or not npz.exists():
                parser.exit(1, f"{PROG}: training {config} for {steps} steps failed (exit {done.returncode}; "
                               f"its error is above); nothing was written to results.json\n")
            with np.load(npz, allow_pickle=False) as z:
                child = {key: z[key] for key in z.files}
            images = child["images"]
            requested = child["requested"] if child["requested"].size else None   # cgan only
            if int(child["num_train"]) != mnist.num_train:
                parser.exit(1, f"{PROG}: the training process read {int(child['num_train'])} images, this one "
                               f"{mnist.num_train}: MNIST_NPZ changed during the run?\n")
            images_finite = bool(np.isfinite(images).all())
            if images_finite:
                quality = classifier.sample_quality(judge, images, real_features, requested)
            else:  # the note's tf.log can turn the weights into nan: record it, do not crash
                quality = {"score": None, "top class": None, "rarest class": None, "shares": None,
                           "FD": None, "label acc": None}
            losses = child["epoch_losses"]
            last = [float(v) for v in child["last"]]
            nonfinite = int(child["nonfinite_steps"])
            first_bad = int(child["first_nonfinite_step"])
            epochs = steps / per_epoch
            run = {
                "config": config, "script": spec["script"], "noise": spec["noise"],
                "learning rate": float(child["learning_rate"]), "steps": steps,
                "epochs": round(epochs, 2), "full epochs": len(losses), "seed": seed,
                "seconds": float(child["seconds"]), "loop seconds": float(child["loop_seconds"]),
                "steps/s": steps / float(child["loop_seconds"]), "process seconds": process_seconds,
                "last epoch": ({"D loss": float(losses[-1][0]), "G loss": float(losses[-1][1])}
                               if len(losses) else None),
                "last step": {"D loss": last[0], "G loss": last[1]},
                "epoch losses": {"D loss": [float(v) for v in losses[:, 0]],
                                 "G loss": [float(v) for v in losses[:, 1]]},
                "finite": nonfinite == 0, "nonfinite steps": nonfinite,
                "first nonfinite step": None if first_bad < 0 else first_bad,
                "images finite": images_finite,
                **{key: quality[key] for key in QUALITY_KEYS},
                "grid": results.tf1_grid_name(config, steps, seed),
            }
            assert tuple(run) == RUN_KEYS, tuple(run)
            runs.append(run)
            if args.keep_images:
                with atomic_path(args.out / results.tf1_grid_name(config, steps, seed).replace(".png", ".npz"), suffix=".npz") as kept, open(kept, "wb") as f:
                    np.savez(f, images=images, requested=child["requested"])
            # keep only what the grid shows (GAN: the first 100; cgan: the first 10 asked for as each digit)
            pick = (np.arange(100) if requested is None
                    else np.concatenate([np.flatnonzero(requested == d)[:10] for d in range(10)]))
            grids.append((run["grid"], images[pick], None if requested is None else requested[pick],
                          title(config, steps, epochs, quality, seed)))
            shown = "images not finite" if not images_finite else (
                f"score {quality['score']:.2f}, FD {quality['FD']:.1f}, top class {quality['top class']:.1%}"
                + (f", label acc {quality['label acc']:.1%}" if quality["label acc"] is not None else ""))
            last_epoch = ("no full epoch" if run["last epoch"] is None else
                          "last epoch D {:.4} G {:.4}".format(run["last epoch"]["D loss"], run["last epoch"]["G loss"]))
            print(f"    {run['seconds']:.0f} s; {last_epoch}; "
                  f"{'losses finite' if run['finite'] else f'{nonfinite} steps with NON-FINITE losses'}; {shown}",
                  flush=True)

    header = {
        "what": "the note's own TF1 training loops (tools/tf1_gan.py, tf1_cgan.py, as transcribed, on "
                "tf.compat.v1), trained in a subprocess each; 10,000 samples per run scored with the project's "
                "classifier as notebook 3 does (gan_helpers.classifier.sample_quality)",
        "cpu": timing.cpu_model(), "machine": timing.describe(), "tensorflow": tf.__version__,
        "num_train": mnist.num_train, "steps per epoch": per_epoch,
        "epochs how": (f"steps / {per_epoch}: {mnist.num_train} training images // batch 100 = {per_epoch} "
                       f"steps per epoch (each epoch a new shuffled order, the last {mnist.num_train % 100} "
                       f"images skipped, as the note's next_batch loop with total_batch = N // 100); "
                       f"'full epochs' counts the epochs finished, the last one may be partial"),
        "samples": SAMPLES,
        "sample seed": SAMPLE_SEED,
        "requested": (f"gan: none; cgan: np.repeat(np.arange(10), {SAMPLES // 10}), one-hot, i.e. image i "
                      f"was asked for as digit i // {SAMPLES // 10}; the noise is drawn with the run's own "
                      f"noise function after np.random.seed({SAMPLE_SEED})"),
        "classifier": {k: judge_info[k] for k in ("test_accuracy",) if k in judge_info},
        "data": mnist.source,
        "date": datetime.date.today().isoformat(),
        "command": command_line(argv),
    }
    assert tuple(header) == HEADER_KEYS, tuple(header)
    for name, images, requested, text in grids:
        save_run_grid(plotting, args.out / name, images, requested, text)
    record = results.record(CODE_OF, {"configs": args.configs, "steps": args.steps, "seeds": args.seeds,
                                      "samples": SAMPLES, "sample seed": SAMPLE_SEED}, data=mnist.source)
    doc = {"header": header, "runs": runs, results.KEY: record}
    write_bytes_atomic(args.out / "results.json", to_json(doc).encode("utf-8"))
    print(results.tf1_table(runs))
    print(f"wrote {len(grids)} grids and results.json to {args.out} in {(time.time() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The note's own TF1 code, trained and scored: reading ``samples/note-tf1/`` (written by ``make note-tf1``).

``benchmarks/note_tf1.py`` trains the note's TF1 loops as transcribed (``benchmarks/tf1_gan.py``,
``benchmarks/tf1_cgan.py``) for 14,100 steps (our notebooks' 100 epochs of the offline set) and 55,000
steps (the note's 100 epochs x 550 batches), draws 10,000 images from each generator, scores them with
the project's classifier exactly as notebook 3 does, and commits a grid PNG per run and ``results.json``.
This module only reads those files, for the notebooks; it imports no TensorFlow.

The results are committed with the checkout, so they are read from :data:`paths.PACKAGE_ROOT`
(not ``$GAN_PROJECT_ROOT``, which only moves what the notebooks write).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from .errors import GanHelpersError
from .paths import PACKAGE_ROOT

FOLDER = PACKAGE_ROOT / "samples" / "note-tf1"
RESULTS = FOLDER / "results.json"
MAKE = "make note-tf1"

# The runs of ``make note-tf1``: which script, with which noise (``options`` go to the script's ``run``).
CONFIGS = {
    "gan": {"script": "benchmarks/tf1_gan.py", "options": {},
            "noise": "np.random.normal(size=...): normal(0, 1) (tfGAN.ipynb #8, as transcribed)"},
    "cgan-note-normal": {"script": "benchmarks/tf1_cgan.py", "options": {"noise": "note-normal"},
                         "noise": "np.random.normal(-1., 1., size=...): mean -1, std 1 (tfGAN2.ipynb #4, "
                                  "the note's code as written)"},
    "cgan-uniform": {"script": "benchmarks/tf1_cgan.py", "options": {"noise": "uniform"},
                     "noise": "np.random.uniform(-1., 1., size=...) (the original tutorial's and the "
                              "note text's choice)"},
}
STEPS = (14100, 55000)   # our notebooks' 100 epochs of the 14,106 offline images; the note's 100 x 550
SEED = 42
SAMPLES = 10000          # images scored per run (as notebook 3's measure), noise drawn after np.random.seed(1)
SAMPLE_SEED = 1

# The sample measures results.json keeps of ``classifier.sample_quality`` (not its per-digit accuracy).
QUALITY_KEYS = ("score", "top class", "rarest class", "shares", "FD", "label acc")
# Keys of every run in results.json (``benchmarks/note_tf1.py`` writes them, a test checks them).
RUN_KEYS = ("config", "script", "noise", "learning rate", "steps", "epochs", "full epochs", "seed",
            "seconds", "loop seconds", "steps/s", "process seconds", "last epoch", "last step",
            "epoch losses", "finite", "nonfinite steps", "first nonfinite step", "images finite",
            *QUALITY_KEYS, "grid")
HEADER_KEYS = ("what", "cpu", "machine", "tensorflow", "num_train", "steps per epoch", "epochs how",
               "samples", "sample seed", "requested", "classifier", "data", "date", "command")


# The conditional runs again at 14,100 steps with more seeds (``make note-tf1`` runs ``--more-seeds``):
# one seed cannot tell whether a collapse belongs to the noise or to that seed.
MORE_SEEDS = (0, 1, 2, 7)
MORE_SEEDS_CONFIGS = ("cgan-note-normal", "cgan-uniform")
MORE_SEEDS_STEPS = 14100
MORE_SEEDS_FOLDER = FOLDER / "more-seeds"
MORE_SEEDS_RESULTS = MORE_SEEDS_FOLDER / "results.json"


def grid_name(config: str, steps: int, seed: int = SEED) -> str:
    return f"{config}-{int(steps)}.png" if seed == SEED else f"{config}-{int(steps)}-seed{int(seed)}.png"


def grid_path(config: str, steps: int, folder=None, seed: int = SEED) -> Path:
    """``samples/note-tf1/<config>-<steps>.png`` (of the checkout, or of ``folder``); other seeds add ``-seed<N>``."""
    return Path(folder or FOLDER) / grid_name(config, steps, seed)


def all_cgan_runs_at(steps=MORE_SEEDS_STEPS) -> list[dict]:
    """Every committed conditional run of ``steps`` steps: seed 42 from results.json, the others from more-seeds."""
    runs = [r for r in load_results() + load_results(MORE_SEEDS_RESULTS)
            if r["config"].startswith("cgan") and r["steps"] == steps]
    return sorted(runs, key=lambda r: (r["config"], r["seed"] != SEED, r["seed"]))


def load(path=None) -> dict:
    """The whole ``results.json``: ``{"header": {...}, "runs": [...]}``."""
    path = Path(path or RESULTS)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GanHelpersError(f"{path} does not exist: run `MNIST_NPZ=... {MAKE}` (about 20 minutes)") from None
    except (OSError, ValueError) as exc:
        raise GanHelpersError(f"cannot read {path} ({exc}): run `MNIST_NPZ=... {MAKE}` again") from None
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        raise GanHelpersError(f"{path} has no list of runs: run `MNIST_NPZ=... {MAKE}` again")
    return data


def load_results(path=None) -> list[dict]:
    """The runs of ``results.json``, one dict per (config, steps), in the order they were trained."""
    return load(path)["runs"]


def _fmt(value, spec, none="-"):
    if value is None:
        return none
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return format(value, spec)


def table(runs=None) -> str:
    """A short ASCII table of the runs: config, steps, epochs, score, FD, top class, label acc, finite losses."""
    runs = load_results() if runs is None else runs
    head = (f"{'config':<17} {'steps':>6} {'epochs':>6} {'seed':>4} {'score':>6} {'FD':>7} {'top class':>9} "
            f"{'label acc':>9}  finite")
    lines = [head, "-" * len(head)]
    for r in runs:
        lines.append(f"{r['config']:<17} {r['steps']:>6d} {_fmt(r['epochs'], '.0f'):>6} {r['seed']:>4d} "
                     f"{_fmt(r['score'], '.2f'):>6} {_fmt(r['FD'], '.1f'):>7} {_fmt(r['top class'], '.1%'):>9} "
                     f"{_fmt(r['label acc'], '.1%'):>9}  {'yes' if r['finite'] else 'NO'}")
    return "\n".join(lines)

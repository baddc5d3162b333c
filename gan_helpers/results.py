"""Saved results: where each one lives, reading it, and the one provenance record every result carries.

Five results take too long for a notebook, so a tool makes them once (``make ...``) and the notebooks read them:

    results/ablation/      notebook 3's table, one JSON per row and seed    make ablation     tools/ablation.py
    results/cgan-noise/    notebook 2's noise comparison (4 runs)          make cgan-noise   tools/cgan_noise.py
    results/note-tf1/      the note's TF1 code, re-run (notebooks 1, 2)    make note-tf1     tools/note_tf1.py
    results/coverage-2d/   notebook 00's mode-coverage table               make coverage-2d  tools/coverage_2d.py
    results/minimax/       notebook 1's minimax experiment, three seeds    make minimax      tools/minimax.py

Every result JSON holds one record under ``"provenance"`` (:func:`record`), the same for all five:

- ``code``: a fingerprint of the public code that made it (:func:`fingerprint` of ``code of``), or
  ``"not recorded: ..."`` for a file made before the record existed;
- ``code of``: the public functions, classes and modules the writer names (``gan_helpers.cgan.build``,
  ``gan_helpers.diagnostics``, ``tools.tf1_gan``); never another module's private function;
- ``settings``: what the tool ran with; ``cpu``, ``tensorflow``, ``date`` and ``data``;
- ``why`` (only where a fingerprint was recorded after the file was made): what showed that today's code
  makes it.

:func:`verdict` turns the record into the one line a notebook prints: same code or other code, same CPU or
another CPU. A writer refuses to put a trial run into ``results/`` (:func:`trial_refusal`).

The committed ``samples/`` are results too: the grids and GIFs of the run of record, the run the committed
notebooks hold. :func:`not_of_record` says whether this session's run is that run; only then does
:func:`gan_helpers.paths.sample_dir` give ``samples/<name>/``, and any other run keeps its pictures beside
its checkpoints and says so (:func:`pictures_line`), so the handout can refuse its saved outputs.

No TensorFlow here: the fingerprint reads the source with :mod:`ast` (nothing is imported), and the
TensorFlow version comes from the installed package's metadata.
"""

from __future__ import annotations

import ast
import datetime
import hashlib
import json
import math
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from . import timing
from .errors import GanHelpersError
from .paths import PACKAGE_ROOT

RESULTS_DIR = PACKAGE_ROOT / "results"   # committed with the checkout: $GAN_PROJECT_ROOT does not move it
KEY = "provenance"
NOT_RECORDED = "not recorded: made before issue 25"


class ResultsError(GanHelpersError):
    """A saved result is missing or unreadable, or a record names code that cannot be found."""


@dataclass(frozen=True)
class Result:
    name: str       # the folder in results/ and the make target's name
    file: str       # the main file in that folder
    tool: str       # the script that writes it
    minutes: int    # about how long the tool takes here (2 cores)

    @property
    def folder(self) -> Path:
        return RESULTS_DIR / self.name

    @property
    def path(self) -> Path:
        return self.folder / self.file

    @property
    def make(self) -> str:
        return f"make {self.name}"


RESULTS = {r.name: r for r in (
    Result("ablation", "", "tools/ablation.py", 240),   # one file per row and seed: no main file
    Result("cgan-noise", "results.json", "tools/cgan_noise.py", 4),
    Result("note-tf1", "results.json", "tools/note_tf1.py", 30),
    Result("coverage-2d", "coverage.json", "tools/coverage_2d.py", 6),
    Result("minimax", "results.json", "tools/minimax.py", 8),   # 7 min 31 s measured, other jobs sharing the 2 cores
)}


def result(name: str) -> Result:
    if name not in RESULTS:
        raise ResultsError(f"no saved result {name!r}; the saved results are {', '.join(RESULTS)}")
    return RESULTS[name]


def _owner(path: Path) -> Result | None:
    """The result whose folder holds ``path``, or None."""
    path = Path(path).resolve()
    return next((r for r in RESULTS.values() if path.is_relative_to(r.folder.resolve())), None)


def shown(path) -> str:
    """``results/cgan-noise/results.json``: a committed path relative to the checkout."""
    path = Path(path).resolve()
    return path.relative_to(PACKAGE_ROOT).as_posix() if path.is_relative_to(PACKAGE_ROOT) else str(path)


def load(path) -> dict:
    """A saved result's JSON (a result's name reads its main file); a missing or broken file is one line
    that names the command that makes it."""
    path = result(path).path if isinstance(path, str) and path in RESULTS else Path(path)
    owner = _owner(path)
    fix = f"run `{owner.make}` (about {owner.minutes} min)" if owner else "make it again"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{shown(path)} does not exist: {fix}") from None
    except (OSError, ValueError) as exc:
        raise ResultsError(f"cannot read {shown(path)} ({exc}): {fix}") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{shown(path)} is not a saved result (no JSON object): {fix}")
    return data


def files(name: str) -> list[Path]:
    """Every JSON file of a result (the ablation's rows, note-tf1's two files), sorted."""
    return sorted(result(name).folder.rglob("*.json"))


# --- the fingerprint of the code that made a result ---------------------------------------------

def _source_of(name: str) -> str:
    """The source of a module (``gan_helpers.diagnostics``, ``tools.tf1_gan``) or of a function, class or
    constant in it (``gan_helpers.cgan.build``, ``gan_helpers.runner.Run``, ``gan_helpers.cgan.NOTE``)."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        file = PACKAGE_ROOT.joinpath(*parts[:cut]).with_suffix(".py")
        if file.is_file():
            break
    else:
        raise ResultsError(f"the record names {name!r}, which is no module of the checkout")
    source, inside = file.read_text(encoding="utf-8"), parts[cut:]
    if not inside:
        return source
    private = [p for p in inside if p.startswith("_") and not p.endswith("__")]
    if private:
        raise ResultsError(f"{name!r} is private; name a public function or class, or the whole module")
    lines, nodes = source.splitlines(), ast.parse(source).body
    for part in inside:
        node = next((n for n in nodes if _names(n) and part in _names(n)), None)
        if node is None:
            raise ResultsError(f"the record names {name!r}, which {shown(file)} no longer defines")
        nodes = getattr(node, "body", [])
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return "\n".join(lines[first - 1:node.end_lineno])


def _names(node) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return {t.id for t in targets if isinstance(t, ast.Name)}


def fingerprint(code_of) -> str:
    """A hash of the source of everything ``code_of`` names: change one line of it and the hash changes."""
    text = "\n".join(f"# {name}\n{_source_of(name)}" for name in code_of)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --- the record -------------------------------------------------------------------------------------

def tensorflow_version() -> str:
    """The installed TensorFlow's version, read from its package metadata (TensorFlow is not imported)."""
    for dist in ("tensorflow", "tensorflow-cpu", "tensorflow-macos"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def record(code_of, settings, data=None, why=None, code=None, cpu=None, tensorflow=None, date=None) -> dict:
    """The provenance record of a result made here and now by the code ``code_of`` names.

    The other arguments are for records of files made earlier (``code=NOT_RECORDED``, the CPU, TensorFlow and
    date the file itself names)."""
    rec = {"code": code or fingerprint(code_of), "code of": list(code_of), "settings": settings,
           "cpu": cpu or timing.cpu_model(), "tensorflow": tensorflow or tensorflow_version(),
           "date": date or datetime.date.today().isoformat(), "data": data or "not recorded"}
    if why:
        rec["why"] = why
    return rec


def with_record(doc: dict, rec: dict) -> dict:
    """``doc`` with its record as the last key (what the writers save)."""
    return {**{k: v for k, v in doc.items() if k != KEY}, KEY: rec}


def record_of(doc_or_path) -> dict:
    doc = doc_or_path if isinstance(doc_or_path, dict) else load(doc_or_path)
    if not isinstance(doc.get(KEY), dict):
        raise ResultsError("a saved result without its provenance record: make it again with its tool")
    return doc[KEY]


def code_status(rec: dict) -> str:
    """``"same"``, ``"other"`` or the record's ``"not recorded: ..."`` text."""
    if rec["code"].startswith("not recorded"):
        return rec["code"]
    try:
        today = fingerprint(rec["code of"])
    except ResultsError:
        return "other"
    return "same" if today == rec["code"] else "other"


def short_cpu(cpu: str) -> str:
    """``Intel(R) Xeon(R) Processor`` -> ``Intel Xeon``; ``AMD EPYC 7B13`` stays."""
    cpu = re.sub(r"\((R|TM|tm)\)", "", cpu)
    cpu = re.sub(r"\s+(CPU\s*)?@.*$|\s+(\d+-Core\s+)?Processor$", "", cpu)
    return " ".join(cpu.split())


def verdict(name: str, paths=None) -> str:
    """The line a notebook prints before it shows a saved result: made by the same code as today or by
    other code, on this CPU or another, with which TensorFlow. ``paths``: other files of that result
    (a trial's) instead of the committed ones."""
    res = result(name)
    committed = files(name)
    paths = committed if paths is None else [Path(p) for p in paths]
    same = [p.resolve() for p in paths] == [p.resolve() for p in committed]
    label = f"results/{name}" if same else ", ".join(shown(p) for p in paths)
    recs = [record_of(path) for path in paths]
    if not recs:
        raise ResultsError(f"results/{name}/ holds no result: run `{res.make}` (about {res.minutes} min)")
    statuses = [code_status(r) for r in recs]
    words = {"same": "the same code as today", "other": f"other code than today's (`{res.make}` makes it again)"}

    def code_phrase(status):   # "made by the same code as today", "code not recorded (made before issue 25)"
        if status in words:
            return "made by " + words[status]
        return "code " + re.sub(r"^not recorded: (.*)$", r"not recorded (\1)", status)

    if len(set(statuses)) == 1:
        code = code_phrase(statuses[0])
    else:
        counts = {s: statuses.count(s) for s in dict.fromkeys(statuses)}
        code = "; ".join(f"{n} {code_phrase(s)}" for s, n in counts.items())
    here_cpu, here_tf = timing.cpu_model(), tensorflow_version()
    cpus = sorted({r["cpu"] for r in recs})
    tfs = sorted({r["tensorflow"] for r in recs})
    named = ", ".join(short_cpu(c) for c in cpus)
    cpu = (f"on this CPU ({short_cpu(here_cpu)})" if cpus == [here_cpu] else
           f"on another CPU ({named}; this machine: {short_cpu(here_cpu)})")
    tf = (f"TensorFlow {', '.join(tfs)}" + ("" if tfs == [here_tf] else f" (this machine: {here_tf})"))
    count = f" ({len(recs)} files)" if len(recs) > 1 else ""
    return f"{label}{count}: {code}, {cpu}, {tf}"


def trial_refusal(name: str, out, trial: str | None) -> str | None:
    """Why a run cannot be written to ``out``, or None: a trial run (``trial`` says how it differs, e.g.
    ``"3 epochs, not 100"``) never goes into the committed ``results/<name>/``."""
    if trial and _owner(Path(out)) is result(name):
        return f"a trial run ({trial}) is not written into results/{name}/; write it elsewhere with --out"
    return None


# --- the committed samples/: the run of record's grids and GIFs -----------------------------------

SAMPLES = {   # samples/<name>/ -> the notebook whose run of record draws it
    "gan2d": "00_gan_in_2d.ipynb", "gan": "01_gan.ipynb", "cgan": "02_conditional_gan.ipynb",
    "gan-better": "03_going_further.ipynb", "cgan-better": "03_going_further.ipynb"}
NOT_OF_RECORD = "not the run of record"   # the words of a run's line (pictures_line) and the handout's check
OUTSIDE_MAKE = "not started by make notebooks"
_WHY = re.compile(re.escape(NOT_OF_RECORD) + r": (.+)$", re.M)


def not_of_record(name: str) -> str | None:
    """Why this session's run of ``samples/<name>/`` is not the run of record, or None when it is.

    The run of record is ``make notebooks`` (``GAN_RUN_OF_RECORD=1``) with the committed settings: the
    default ``GAN_EPOCHS`` (100) and ``GAN_SEED`` (42) and the offline MNIST (notebook 00: the default
    ``GAN2D_STEPS``, no MNIST). Every other run is another kind of run, a learner's with the same settings too:
    on another CPU it draws other bits, and ``git status`` must stay clean after it. The reasons name what
    differs (``GAN_EPOCHS=5, not 100``), or else that make notebooks did not start it. A bad value of one of
    the variables raises its one-line :class:`~gan_helpers.config.EnvVarError`."""
    from . import config, data

    if name not in SAMPLES:
        raise ResultsError(f"no run of record draws samples/{name}/; those are {', '.join(SAMPLES)}")
    by_make = config.run_of_record_asked()   # first: a bad value is refused whatever else differs
    if name == "gan2d":   # points in the plane: its steps, no MNIST
        asked = [(config.STEPS_2D_ENV, config.steps_2d(config.DEFAULT_STEPS_2D), config.DEFAULT_STEPS_2D)]
    else:
        asked = [(config.EPOCHS_ENV, config.total_epoch(), config.DEFAULT_EPOCHS)]
    asked.append((config.SEED_ENV, config.seed(), config.DEFAULT_SEED))
    reasons = [f"{env}={value}, not {default}" for env, value, default in asked if value != default]
    if name != "gan2d":
        reasons.append(data.not_the_offline_file())
    reasons = [reason for reason in reasons if reason]
    if not reasons and not by_make:
        reasons.append(OUTSIDE_MAKE)
    return "; ".join(reasons) or None


def pictures_line(folder) -> str | None:
    """The line a run that is not the run of record prints about its pictures, when ``folder`` is the
    folder :func:`gan_helpers.paths.sample_dir` gave it instead of ``samples/<name>/``:

        this run's pictures: checkpoints/gan/samples/ (samples/gan/ keeps the run of record's); not the run of record: GAN_EPOCHS=5, not 100

    None for any other folder (the run of record's ``samples/<name>/``, a test's)."""
    from . import paths

    folder = Path(folder).resolve()
    for name in SAMPLES:
        if folder == paths.own_sample_dir(name).resolve():
            why = not_of_record(name)
            if why:
                return (f"this run's pictures: {paths.shown(folder)}/ (samples/{name}/ keeps the run of record's); "
                        f"{NOT_OF_RECORD}: {why}")
    return None


def why_not_of_record(text: str) -> str | None:
    """The reasons a :func:`pictures_line` in ``text`` (a notebook's saved output) gives, or None if it has none."""
    match = _WHY.search(text)
    return match.group(1).strip() if match else None


def samples_refusal(folder) -> str | None:
    """Why a run may not write its grids and GIF into ``folder``, or None: the checkout's committed
    ``samples/`` take only the run of record's (what :func:`gan_helpers.paths.sample_dir` gives it)."""
    from . import paths

    folder = Path(folder).resolve()
    if not folder.is_relative_to((PACKAGE_ROOT / "samples").resolve()):
        return None
    name = folder.name
    if folder == paths.sample_dir(name).resolve():
        return None
    why = (not_of_record(name) if name in SAMPLES else None) or f"this session writes under {paths.project_root()}"
    return (f"{shown(folder)}/ holds the run of record's pictures, and this run is {NOT_OF_RECORD} ({why}): "
            f"give sample_dir=paths.sample_dir({name!r}) ({paths.shown(paths.sample_dir(name))}/)")


def run_of_record_refusal(notebooks) -> str | None:
    """``make notebooks``: why running ``notebooks`` (file names) now would not make the run of record, or None."""
    from . import data

    for name, notebook in SAMPLES.items():
        why = not_of_record(name) if notebook in notebooks else None
        if why:
            return (f"make notebooks: {notebook} would not be the run of record ({why}); "
                    f"run MNIST_NPZ={data.EXAMPLE_PATH} make notebooks")
    return None


# --- the note's TF1 code, re-run (results/note-tf1/): what notebooks 1 and 2 show ------------------

TF1_SEED = 42                     # the run of record; more-seeds/ holds the others
TF1_STEPS = (14100, 55000)        # our notebooks' 100 epochs of the offline set; the note's 100 x 550
TF1_MORE_SEEDS_FOLDER = RESULTS["note-tf1"].folder / "more-seeds"


def tf1_grid_name(config: str, steps: int, seed: int = TF1_SEED) -> str:
    return f"{config}-{int(steps)}.png" if seed == TF1_SEED else f"{config}-{int(steps)}-seed{int(seed)}.png"


def tf1_grid(config: str, steps: int, seed: int = TF1_SEED) -> Path:
    """The committed grid of one TF1 run (seed 42 in results/note-tf1/, other seeds in its more-seeds/)."""
    folder = RESULTS["note-tf1"].folder if seed == TF1_SEED else TF1_MORE_SEEDS_FOLDER
    return folder / tf1_grid_name(config, steps, seed)


def tf1_runs(more_seeds: bool = False) -> list[dict]:
    """The runs of results/note-tf1/results.json (or of more-seeds/results.json), in the order they ran."""
    path = TF1_MORE_SEEDS_FOLDER / "results.json" if more_seeds else RESULTS["note-tf1"].path
    runs = load(path).get("runs")
    if not isinstance(runs, list):
        raise ResultsError(f"{shown(path)} has no list of runs: run `make note-tf1` again")
    return runs


def tf1_cgan_runs_at(steps: int = TF1_STEPS[0]) -> list[dict]:
    """Every committed conditional run of ``steps`` steps: seed 42, then the other seeds."""
    runs = [r for r in tf1_runs() + tf1_runs(more_seeds=True) if r["config"].startswith("cgan") and r["steps"] == steps]
    return sorted(runs, key=lambda r: (r["config"], r["seed"] != TF1_SEED, r["seed"]))


def _fmt(value, spec, none="-"):
    if value is None:
        return none
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return format(value, spec)


def tf1_table(runs) -> str:
    """A short ASCII table of TF1 runs: config, steps, epochs, seed, score, FD, top class, label acc, finite."""
    head = (f"{'config':<17} {'steps':>6} {'epochs':>6} {'seed':>4} {'score':>6} {'FD':>7} {'top class':>9} "
            f"{'label acc':>9}  finite")
    lines = [head, "-" * len(head)]
    for r in runs:
        lines.append(f"{r['config']:<17} {r['steps']:>6d} {_fmt(r['epochs'], '.0f'):>6} {r['seed']:>4d} "
                     f"{_fmt(r['score'], '.2f'):>6} {_fmt(r['FD'], '.1f'):>7} {_fmt(r['top class'], '.1%'):>9} "
                     f"{_fmt(r['label acc'], '.1%'):>9}  {'yes' if r['finite'] else 'NO'}")
    return "\n".join(lines)

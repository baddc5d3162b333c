"""``make bench``: the notebooks' training speed next to the note's TF1 loop (issues 7 and 12).

For the vanilla GAN (notebook 1 vs ``tf1_gan.py``) and the conditional GAN (notebook 2 vs
``tf1_cgan.py``) it prints one table. Every figure comes from a script run in its own process,
which prints its numbers as JSON; no notebook cell is executed and no training output is parsed.

- steps/s, as *marginal* figures: (long run - short run) time over the extra steps, so
  start-up, tracing and XLA compilation cancel out. One step = one D update + one G update
  on a batch of 100. Each figure is the median of ``--repeats`` pairs, baseline and ours
  interleaved so a disturbance hits both.
  * baseline: ``tools/tf1_*.py --short S --long L`` (steps, after a short warm-up run);
  * ours: ``benchmarks/tf2_notebooks.py gan|cgan --short E1 --long E2`` (epochs, after a one-epoch
    warm-up run): the notebook's run built from ``gan_helpers`` (its models and optimisers,
    the training step it shows (``training_steps``), the loop it shows (``training.train``), its per-epoch
    ``watch``, ``runner.Run`` with its checkpoints
    (every 10 s and after the last epoch), the sample grids at epochs 0, 9, 19, ... and the animation's
    frames). The default epochs 2 and 32 put three sample grids and about one interval checkpoint into the
    30 extra epochs (about 11 s here), the share of a full run; a longer difference also makes the jitter of
    each run's XLA compilation (about 0.5 s) a smaller part of it.
  The baseline runs the same numbers of steps (epochs x N // 100).
- the compute bound, once per model: ``benchmarks/bound.py gan|cgan`` counts the FLOPs of one training
  step from the models' Dense layers (the matmuls a compiled step does) and times exactly those
  matmuls, fp32 at the step's shapes, in an XLA loop on this machine: bound steps/s = 1 / that time.
  The table shows it beside ours and ours as a share of it.
- peak memory: the maximum resident set size of each script's process (``os.wait4``).
- full run: ``tf2_notebooks.py gan|cgan --full 100`` once per seed (42 = the notebooks' own, 1, 2): the
  wall time the script reports (models built and trained, every checkpoint and sample grid included;
  median over the seeds) and the NaN/inf check: is every epoch's loss in the returned history finite.
- ``--further`` (off by default): notebook 3's two final runs (``experiments.run_experiment`` with
  ``FINAL_GAN`` and ``FINAL_CGAN``) through ``tf2_notebooks.py further --full``, seed 42; time in the notes.

The machine (``gan_helpers.timing.describe()``) is in the notes and beside every figure in the JSON.
The table goes to stdout and to ``build/bench-results.md`` (raw numbers: ``build/bench-results.json``).
``--quick`` is a smoke run of every part in a few minutes (its numbers mean little).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOOLS = ROOT / "tools"   # the TF1 baselines (tools/tf1_*.py) and their _baseline
sys.path.insert(0, str(TOOLS))

from _baseline import BATCH_SIZE  # noqa: E402  (no TensorFlow)

NOTEBOOK_SEED = 42  # the notebooks' own `SEED = 42`
OURS = "tf2_notebooks.py"
BOUND = "bound.py"
FURTHER_BUDGET_MIN = 15  # issue 8: notebook 3 top to bottom


@dataclasses.dataclass(frozen=True)
class Model:
    key: str
    title: str
    mode: str  # tf2_notebooks.py's first argument
    notebook: str  # in notebooks/, for the reader
    baseline: str  # in tools/


MODELS = {
    "vanilla": Model("vanilla", "vanilla GAN", "gan", "01_gan.ipynb", "tf1_gan.py"),
    "conditional": Model("conditional", "conditional GAN", "cgan", "02_conditional_gan.ipynb", "tf1_cgan.py"),
}


# ---------------------------------------------------------------- small pure helpers (unit-tested)

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_rate(rate):
    return "n/a" if rate is None else f"{rate:.0f}"


def fmt_ratio(ours, baseline):
    return "n/a" if ours is None or not baseline else f"{ours / baseline:.2f}x"


def fmt_share(ours, bound):
    """Ours as a percentage of the compute bound."""
    return "n/a" if ours is None or not bound else f"{ours / bound:.0%}"


def fmt_mib(nbytes):
    return "n/a" if nbytes is None else f"{nbytes / 2**20:,.0f} MiB"


def plural(count, word):
    return f"{count} {word}" + ("" if count == 1 else "s")


def fmt_loss(value):
    return "n/a" if value is None else f"{value:.4g}"


def fmt_duration(seconds):
    from gan_helpers.timing import format_duration   # no TensorFlow

    return format_duration(seconds)


@dataclasses.dataclass
class Row:
    """One line of the table; ``None`` = not measured (or every repeat failed)."""

    title: str
    baseline_rate: float | None
    ours_rate: float | None
    bound_rate: float | None  # steps/s, benchmarks/bound.py
    baseline_rss: int | None  # bytes
    ours_rss: int | None
    wall_seconds: float | None
    nan_check: str


TABLE_HEADER = ("", "baseline steps/s", "ours steps/s", "ours / baseline", "bound steps/s", "ours / bound",
                "peak RSS baseline", "peak RSS ours", "full run wall time", "NaN/inf losses")


def format_table(rows: list[Row], wall_label: str = "full run wall time") -> str:
    """The Markdown table ``make bench`` prints."""
    header = list(TABLE_HEADER)
    header[TABLE_HEADER.index("full run wall time")] = wall_label
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        cells = [r.title, fmt_rate(r.baseline_rate), fmt_rate(r.ours_rate), fmt_ratio(r.ours_rate, r.baseline_rate),
                 fmt_rate(r.bound_rate), fmt_share(r.ours_rate, r.bound_rate), fmt_mib(r.baseline_rss),
                 fmt_mib(r.ours_rss), fmt_duration(r.wall_seconds), r.nan_check]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def bound_note(bounds) -> str:
    """``bounds``: ``(title, bound.py's record)`` per model -> the notes' line on how the bound was measured."""
    parts, machines = [], []
    for title, record in bounds:
        if record.get("bound_steps_per_s") is None:
            parts.append(f"{title} n/a ({record.get('problem') or 'no bound in the record'})")
            continue
        parts.append(f"{title} {record['gflops']:.0f} GFLOP/s x {record['flops_per_step'] / 1e6:.0f} MFLOP per step "
                     f"= {fmt_rate(record['bound_steps_per_s'])} steps/s")
        machines += [record["machine"]] if record.get("machine") not in machines else []
    how = ("fp32 matmuls at the step's shapes (benchmarks/bound.py: the matmuls one compiled training step does, "
           "counted from the models' Dense layers, timed in an XLA loop, median per iteration; nothing else of a "
           "step, which should be slower)")
    return f"bound: {how}: {'; '.join(parts)}" + (f"; on {', '.join(machines)}." if machines else ".")


def nan_summary(runs) -> str:
    """``runs``: the full runs' records (``seed``, ``epochs``, ``finite``, ``nonfinite_epochs``, ``problem``)
    -> one table cell."""
    if not runs:
        return "not checked"
    bad, errors, epochs = [], [], 0
    for r in runs:
        seed = r["seed"]
        if r.get("problem") or r.get("finite") is None:
            errors.append(f"seed {seed}: error")
            continue
        epochs += r["epochs"]
        found = r.get("nonfinite_epochs") or []
        if found:
            bad.append(f"seed {seed}: {len(found)} epoch(s) from epoch {found[0]}")
        elif not r["finite"]:
            errors.append(f"seed {seed}: no losses")
    seeds = ("seeds " if len(runs) > 1 else "seed ") + ", ".join(str(r["seed"]) for r in runs)
    if bad or errors:
        return "; ".join(["YES " + b for b in bad] + errors) + f" ({seeds})"
    return f"none ({plural(epochs, 'epoch')}, {seeds})"


# ---------------------------------------------------------------- measuring

def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_measured(cmd):
    """Run ``cmd``; return ``(returncode, stdout, stderr, peak RSS in bytes)`` of that process alone.

    Linux keeps a process's peak RSS across ``exec``, so a child started by a large process
    reports at least that process's size: ``bench.py`` itself stays small (no TensorFlow).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not all children's
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                usage.ru_maxrss * 1024)  # KiB on Linux


def run_script(script: str, *args, folder: Path = HERE) -> dict:
    """``<folder>/<script> args`` (benchmarks/ unless named) in its own process: its last JSON line, plus
    ``process`` facts measured here.

    On failure: ``{"steps_per_s": None, "problem": "...", "process": ...}``.
    """
    cmd = [sys.executable, str(folder / script), *map(str, args)]
    start = time.perf_counter()
    returncode, stdout, stderr, peak_rss = run_measured(cmd)
    process = {"peak_rss": peak_rss, "seconds": round(time.perf_counter() - start, 3), "returncode": returncode,
               "command": " ".join([script, *map(str, args)])}
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if returncode != 0 or not lines:
        tail = " | ".join(stderr.strip().splitlines()[-5:])
        return {"steps_per_s": None, "problem": f"{script} exited with {returncode}: {tail}", "process": process}
    return dict(json.loads(lines[-1]), process=process)


def run_baseline(model: Model, short_steps: int, long_steps: int, warmup: int, seed: int) -> dict:
    """One short+long pair of the TF1 baseline (steps)."""
    return run_script(model.baseline, "--short", short_steps, "--long", long_steps, "--warmup", warmup,
                      "--seed", seed, folder=TOOLS)


def run_ours(model: Model, short_epochs: int, long_epochs: int, warmup: int, seed: int = NOTEBOOK_SEED) -> dict:
    """One short+long pair of the notebook's run (epochs), through tf2_notebooks.py."""
    return run_script(OURS, model.mode, "--short", short_epochs, "--long", long_epochs, "--warmup", warmup,
                      "--seed", seed)


def run_bound(model: Model) -> dict:
    """The compute bound of ``model``'s training step on this machine, through bound.py."""
    return run_script(BOUND, model.mode)


def run_full(mode: str, epochs: int, seed: int) -> dict:
    """One full run (``--full epochs``) of ``mode`` (gan, cgan or further); always has ``seed`` and ``epochs``."""
    result = run_script(OURS, mode, "--full", epochs, "--seed", seed)
    return {"seed": seed, "epochs": epochs, "problem": None, **result}


def num_train() -> int:
    from gan_helpers.data import load_mnist

    return load_mnist().num_train


def describe_machine() -> str:
    from gan_helpers.timing import describe

    return describe()


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("tensorflow", "keras", "numpy"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return ", ".join(parts)


# ---------------------------------------------------------------- the command

def pair(text):
    a, b = (int(v) for v in text.split(","))
    return a, b


DEFAULTS = {"repeats": 3, "ours_epochs": (2, 32), "full_epochs": 100, "seeds": f"{NOTEBOOK_SEED},1,2"}
QUICK = {"repeats": 1, "ours_epochs": (1, 2), "full_epochs": 1, "seeds": "1"}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, help="short+long pairs per figure, median (default 3)")
    p.add_argument("--ours-epochs", type=pair, metavar="SHORT,LONG",
                   help="epochs of the notebook run's short and long run (default 2,32)")
    p.add_argument("--ours-warmup", type=int, default=1, help="untimed epochs before ours' timed runs (default 1)")
    p.add_argument("--baseline-steps", type=pair, default=None, metavar="SHORT,LONG",
                   help="steps of the baseline's short and long run (default: ours' step counts)")
    p.add_argument("--warmup", type=int, default=20, help="untimed baseline steps before its timed runs")
    p.add_argument("--full-epochs", type=int, help="epochs of the full runs (default 100)")
    p.add_argument("--seeds", help=f"seeds of the full runs (default {NOTEBOOK_SEED},1,2; "
                                   f"{NOTEBOOK_SEED} = the notebooks' own)")
    p.add_argument("--no-full", action="store_true", help="skip the full runs (wall time, NaN check)")
    p.add_argument("--further", action="store_true",
                   help=f"also time notebook 3's two final runs (--full-epochs, seed {NOTEBOOK_SEED})")
    p.add_argument("--only", choices=sorted(MODELS), action="append", help="measure one model (repeatable)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 1 repeat, epochs 1 and 2, one 1-epoch full run with seed 1 "
                        "(options given explicitly still win)")
    p.add_argument("--out", type=Path, default=ROOT / "build" / "bench-results.md")
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if args.ours_epochs[1] <= args.ours_epochs[0]:
        p.error("--ours-epochs: LONG must be larger than SHORT")
    return args


def main(argv=None):
    args = parse_args(argv)
    if os.environ.get("MNIST_NPZ"):  # the scripts run with the project root as their folder
        os.environ["MNIST_NPZ"] = os.path.abspath(os.environ["MNIST_NPZ"])
    models = [MODELS[k] for k in (args.only or MODELS)]
    n = num_train()
    machine = describe_machine()
    total_batch = n // BATCH_SIZE
    baseline_steps = args.baseline_steps or tuple(e * total_batch for e in args.ours_epochs)
    load_before = os.getloadavg()
    started = time.time()
    log(f"{machine}; {n:,} training images, {total_batch} steps per epoch; repeats {args.repeats}; "
        f"ours epochs {args.ours_epochs}, baseline steps {baseline_steps}; load average {load_before[0]:.1f}")

    def measured(record):  # the machine beside every figure
        return dict(record, machine=record.get("machine") or machine)

    raw = {m.key: {"bound": None, "baseline": [], "ours": [], "full": []} for m in models}
    for m in models:
        log(f"compute bound: {BOUND} {m.mode}")
        raw[m.key]["bound"] = bound = measured(run_bound(m))
        log(f"  -> {fmt_rate(bound.get('bound_steps_per_s'))} steps/s {bound.get('problem') or ''}")
    for repeat in range(args.repeats):
        for m in models:
            log(f"repeat {repeat + 1}/{args.repeats}: baseline {m.baseline} {baseline_steps[0]} vs {baseline_steps[1]} steps")
            b = measured(run_baseline(m, *baseline_steps, warmup=args.warmup, seed=repeat))
            raw[m.key]["baseline"].append(b)
            log(f"  -> {fmt_rate(b.get('steps_per_s'))} steps/s {b.get('problem') or ''}")
            log(f"repeat {repeat + 1}/{args.repeats}: ours {OURS} {m.mode} {args.ours_epochs[0]} vs "
                f"{args.ours_epochs[1]} epochs")
            o = measured(run_ours(m, *args.ours_epochs, warmup=args.ours_warmup))
            raw[m.key]["ours"].append(o)
            log(f"  -> {fmt_rate(o.get('steps_per_s'))} steps/s {o.get('problem') or ''}")
    if not args.no_full:
        for seed in args.seeds:
            for m in models:
                log(f"full run: {OURS} {m.mode} --full {args.full_epochs} --seed {seed}")
                f = measured(run_full(m.mode, args.full_epochs, seed))
                raw[m.key]["full"].append(f)
                log(f"  -> {fmt_duration(f.get('wall_seconds'))}, finite: {f.get('finite')} {f['problem'] or ''}")
    further = None
    if args.further:
        log(f"notebook 3's final runs: {OURS} further --full {args.full_epochs} --seed {NOTEBOOK_SEED}")
        further = measured(run_full("further", args.full_epochs, NOTEBOOK_SEED))
        log(f"  -> {fmt_duration(further.get('wall_seconds'))} {further['problem'] or ''}")

    rows = []
    for m in models:
        base, ours, full = raw[m.key]["baseline"], raw[m.key]["ours"], raw[m.key]["full"]
        rows.append(Row(
            title=m.title,
            baseline_rate=median(b.get("steps_per_s") for b in base),
            ours_rate=median(o.get("steps_per_s") for o in ours),
            bound_rate=raw[m.key]["bound"].get("bound_steps_per_s"),
            baseline_rss=max((b["process"]["peak_rss"] for b in base), default=None),
            ours_rss=max((o["process"]["peak_rss"] for o in ours), default=None),
            wall_seconds=median(f.get("wall_seconds") for f in full if not f["problem"]),
            nan_check=nan_summary(full)))
    load_after = os.getloadavg()
    elapsed = time.time() - started

    wall_label = f"full run wall time ({plural(args.full_epochs, 'epoch')})"
    table = format_table(rows, wall_label)
    e1, e2 = args.ours_epochs
    notes = [
        f"`make bench` {datetime.datetime.now().isoformat(timespec='minutes')}, {machine}; {versions()}; "
        f"{n:,} training images ({os.environ.get('MNIST_NPZ') or 'downloaded'}), batch {BATCH_SIZE}.",
        f"steps/s: marginal, (long - short) time / extra steps, median of {args.repeats}; "
        f"ours = benchmarks/{OURS} (the notebook's run from gan_helpers: training.train, the loop the notebooks run, with training_steps' training step and runner.Run, "
        f"its watch, checkpoints every 10 s and after the last epoch, sample grids at epochs 0, 9, 19, ..., "
        f"animation frames) with {e1} and {e2} epochs "
        f"({e1 * total_batch} and {e2 * total_batch} steps), baseline = tools/tf1_*.py with "
        f"{baseline_steps[0]} and {baseline_steps[1]} steps.",
        bound_note([(m.title, raw[m.key]["bound"]) for m in models]),
        "peak RSS: each script's process (os.wait4): warm-up, short and long run.",
    ]
    above = [r.title for r in rows if r.ours_rate and r.bound_rate and r.ours_rate > r.bound_rate]
    if above:
        notes.append(f"ours above the bound ({', '.join(above)}): the step's matmuls alone should be faster than the "
                     f"step, so a measurement was disturbed (other work running?): re-run on a quiet machine.")
    if args.no_full:
        notes.append("full runs skipped (--no-full): no wall time, no NaN check.")
    else:
        own = f" ({NOTEBOOK_SEED} = the notebooks' own)" if NOTEBOOK_SEED in args.seeds else ""
        notes.append(f"full run: {OURS} --full {args.full_epochs}, seed(s) {', '.join(map(str, args.seeds))}{own}; "
                     f"wall time as the script reports it (models built and "
                     f"trained, every checkpoint and sample grid included; not the imports or the data loading), "
                     f"median over the seeds. NaN/inf: every epoch's mean losses in the returned history.")
    if further is not None:
        notes.append(f"notebook 3's two final runs (experiments.run_experiment, FINAL_GAN and FINAL_CGAN, "
                     f"{plural(args.full_epochs, 'epoch')}, seed {NOTEBOOK_SEED}, checkpoints and grids): "
                     f"{fmt_duration(further.get('wall_seconds'))}, finite: {further.get('finite')} "
                     f"(the notebook's whole budget is {FURTHER_BUDGET_MIN} min)"
                     + (f"; problem: {further['problem']}" if further["problem"] else ""))
    if args.quick:
        notes.append("QUICK smoke run (--quick): 1 repeat, tiny runs; the numbers are not a measurement.")
    if max(load_before[0], load_after[0]) > 0.5:
        notes.append(f"load average {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end: "
                     f"other work was running, the figures are noisy.")
    details = []
    for m in models:
        b = raw[m.key]["bound"]
        times = b.get("seconds_per_iteration") or []
        details.append(f"{m.title}, bound: " + (
            f"{len(times)} x {b['iterations']} iterations, {min(times) * 1e3:.2f} to {max(times) * 1e3:.2f} ms "
            f"per iteration (median {b['seconds_per_step'] * 1e3:.2f} ms), {len(b['matmuls'])} matmuls"
            if times else f"problem: {b.get('problem')}"))
        for kind in ("baseline", "ours"):
            rates = [fmt_rate(x.get("steps_per_s")) for x in raw[m.key][kind]]
            problems = [x.get("problem") for x in raw[m.key][kind] if x.get("problem")]
            details.append(f"{m.title}, {kind}: steps/s per repeat {', '.join(rates)}"
                           + (f"; problems: {'; '.join(problems)}" if problems else ""))
        for f in raw[m.key]["full"]:
            details.append(f"{m.title}, full run seed {f['seed']}: {fmt_duration(f.get('wall_seconds'))} "
                           f"(process {fmt_duration(f['process']['seconds'])}), peak {fmt_mib(f['process']['peak_rss'])}, "
                           f"{f.get('steps', 'n/a')} steps, last losses D {fmt_loss(f.get('last_loss_D'))} "
                           f"G {fmt_loss(f.get('last_loss_G'))}"
                           + (f", problem: {f['problem']}" if f["problem"] else ""))
    details.append(f"bench took {fmt_duration(elapsed)}")
    text = "\n".join([table, ""] + [f"- {line}" for line in notes] + ["", "Per repeat:", ""]
                     + [f"- {line}" for line in details])
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("# Training speed: TF1 baseline vs the notebooks\n\n" + text + "\n")
    summary = {
        "date": datetime.datetime.now().isoformat(timespec="minutes"), "machine": machine, "versions": versions(),
        "num_train": n, "batch_size": BATCH_SIZE, "quick": args.quick, "repeats": args.repeats,
        "ours_epochs": list(args.ours_epochs), "baseline_steps": list(baseline_steps),
        "full_epochs": None if args.no_full else args.full_epochs, "seeds": args.seeds,
        "load_average": [load_before[0], load_after[0]], "seconds": round(elapsed, 1),
        "rows": [dict(dataclasses.asdict(r), machine=machine) for r in rows],
        "models": raw, "further": further,
    }
    args.out.with_suffix(".json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    log(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    failed = any(r.baseline_rate is None or r.ours_rate is None or r.bound_rate is None for r in rows)
    failed |= any(f["problem"] for m in models for f in raw[m.key]["full"])
    failed |= further is not None and bool(further["problem"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

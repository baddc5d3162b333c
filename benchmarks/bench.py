"""``make bench``: the notebooks' training speed next to the note's TF1 loop (issue 7).

For the vanilla GAN (``01_gan.ipynb`` vs ``tf1_gan.py``) and the conditional GAN
(``02_conditional_gan.ipynb`` vs ``tf1_cgan.py``) it prints one table:

- steps/s, as *marginal* figures: (long run - short run) time over the extra steps, so
  start-up, tracing and XLA compilation cancel out. One step = one D update + one G update
  on a batch of 100. Each figure is the median of ``--repeats`` pairs, baseline and ours
  interleaved so a disturbance hits both.
  * baseline: ``benchmarks/tf1_*.py --short S --long L`` in a subprocess (after a short warm-up run);
  * ours: the notebook executed headless (nbclient) in a temporary copy of ``notebooks/``,
    cell by cell up to and including its training cell, once with ``GAN_EPOCHS=short`` and once
    with ``GAN_EPOCHS=long``; the time is that cell's execution time measured here, the step
    count is the ``N steps`` the cell prints. The default epochs 2 and 9 give both runs one
    sample-picture epoch (epoch 0), so the picture saving cancels out too.
  The baseline runs the same numbers of steps (epochs x N // 100).
- peak memory: the maximum resident set size of the process that trained (the baseline
  script's process, from ``os.wait4``; the notebook's kernel, from ``VmHWM`` in ``/proc``).
- wall time of each notebook top to bottom with ``GAN_EPOCHS=100`` (a fresh copy every time,
  so notebook 2 also trains its classifier), the median over the seeds below.
- NaN/inf: every ``Epoch ... D loss: x G loss: y`` line of those full runs, for three seeds. The
  notebooks fix ``SEED = 42`` in their first code cell; for the other seeds that line is replaced
  in the in-memory copy before execution (the files are not changed).

The table goes to stdout and to ``build/bench-results.md`` (raw numbers: ``build/bench-results.json``).
``--quick`` is a smoke run of every part in a few minutes (its numbers mean little).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _baseline import BATCH_SIZE, marginal  # noqa: E402

NOTEBOOK_SEED = 42  # the notebooks' own `SEED = 42`
COMPUTE_BOUND = 440  # steps/s, issue 7's rough bound for this machine (0.37 GFLOP/step at ~166 GFLOP/s)
STEPS_LINE = re.compile(r"([\d,]+) steps in ")
EPOCH_LINE = re.compile(r"^Epoch (\d+) D loss: (\S+) G loss: (\S+)\s*$", re.M)
SEED_LINE = re.compile(rf"^SEED = {NOTEBOOK_SEED}\s*$", re.M)


@dataclasses.dataclass(frozen=True)
class Model:
    key: str
    title: str
    notebook: str  # in notebooks/
    baseline: str  # in benchmarks/
    marker: str  # source text of the notebook's (first) training cell


MODELS = {
    "vanilla": Model("vanilla", "vanilla GAN", "01_gan.ipynb", "tf1_gan.py", "training.fit("),
    "conditional": Model("conditional", "conditional GAN", "02_conditional_gan.ipynb", "tf1_cgan.py",
                         "run = train_cgan("),
}
# Notebook 3 has no TF1 baseline: only its wall time at the defaults is measured (issue 8: <= 15 min).
FURTHER = Model("further", "notebook 3 (going further)", "03_going_further.ipynb", "", "gan = run_experiment(")
FURTHER_BUDGET_MIN = 15


# ---------------------------------------------------------------- small pure helpers (unit-tested)

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def parse_steps(text: str) -> int | None:
    """The ``N`` of the first ``N steps in`` a training cell printed (``14,100`` -> 14100)."""
    match = STEPS_LINE.search(text)
    return int(match.group(1).replace(",", "")) if match else None


def parse_epoch_losses(text: str) -> list[tuple[int, float, float]]:
    """Every ``Epoch 0007 D loss: -0.41 G loss: -2.9`` line as ``(7, -0.41, -2.9)``; nan/inf kept."""
    return [(int(e), float(d), float(g)) for e, d, g in EPOCH_LINE.findall(text)]


def nonfinite(losses) -> list[tuple[int, float, float]]:
    return [row for row in losses if not (math.isfinite(row[1]) and math.isfinite(row[2]))]


def with_seed(source: str, seed: int) -> str:
    """The first code cell with ``SEED = 42`` replaced by ``SEED = seed`` (exactly one such line)."""
    new, count = SEED_LINE.subn(f"SEED = {seed}", source)
    if count != 1:
        raise ValueError(f"expected one line 'SEED = {NOTEBOOK_SEED}' in the first code cell, found {count}")
    return new


def find_cell(nb, marker: str) -> int:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and marker in cell.source:
            return index
    raise ValueError(f"no code cell contains {marker!r}")


def fmt_rate(rate):
    return "n/a" if rate is None else f"{rate:.0f}"


def fmt_ratio(ours, baseline):
    return "n/a" if ours is None or not baseline else f"{ours / baseline:.2f}x"


def fmt_mib(nbytes):
    return "n/a" if nbytes is None else f"{nbytes / 2**20:,.0f} MiB"


def fmt_duration(seconds):
    if seconds is None:
        return "n/a"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


@dataclasses.dataclass
class Row:
    """One line of the table; ``None`` = not measured (or every repeat failed)."""

    title: str
    baseline_rate: float | None
    ours_rate: float | None
    baseline_rss: int | None  # bytes
    ours_rss: int | None
    wall_seconds: float | None
    nan_check: str


TABLE_HEADER = ("", "baseline steps/s", "ours steps/s", "ours / baseline", "peak RSS baseline",
                "peak RSS ours", "notebook wall time", "NaN/inf losses")


def format_table(rows: list[Row], wall_label: str = "notebook wall time") -> str:
    """The Markdown table ``make bench`` prints."""
    header = list(TABLE_HEADER)
    header[6] = wall_label
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        cells = [r.title, fmt_rate(r.baseline_rate), fmt_rate(r.ours_rate), fmt_ratio(r.ours_rate, r.baseline_rate),
                 fmt_mib(r.baseline_rss), fmt_mib(r.ours_rss), fmt_duration(r.wall_seconds), r.nan_check]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def nan_summary(runs) -> str:
    """``runs``: ``[(seed, losses, error)]`` of the full runs -> one table cell."""
    if not runs:
        return "not checked"
    bad, errors, lines = [], [], 0
    for seed, losses, error in runs:
        lines += len(losses)
        if error:
            errors.append(f"seed {seed}: error")
        found = nonfinite(losses)
        if found:
            bad.append(f"seed {seed}: {len(found)} line(s) from epoch {found[0][0]}")
        elif not losses and not error:
            errors.append(f"seed {seed}: no epoch lines")
    seeds = ("seeds " if len(runs) > 1 else "seed ") + ", ".join(str(seed) for seed, _, _ in runs)
    if bad or errors:
        return "; ".join(["YES " + b for b in bad] + errors) + f" ({seeds})"
    return f"none ({lines} epoch lines, {seeds})"


# ---------------------------------------------------------------- measuring

def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def peak_rss_of(pid) -> int | None:
    """Peak resident set size (VmHWM) of a running process, in bytes (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def run_baseline(model: Model, short_steps: int, long_steps: int, warmup: int, seed: int) -> dict:
    """One short+long pair of the TF1 baseline in its own process; its JSON plus the process's peak RSS."""
    cmd = [sys.executable, str(HERE / model.baseline), "--short", str(short_steps), "--long", str(long_steps),
           "--warmup", str(warmup), "--seed", str(seed)]
    returncode, stdout, stderr, peak_rss = run_measured(cmd)
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if returncode != 0 or not lines:
        tail = "\n".join(stderr.strip().splitlines()[-5:])
        return {"steps_per_s": None, "problem": f"{model.baseline} exited with {returncode}: {tail}",
                "peak_rss": peak_rss}
    return dict(json.loads(lines[-1]), peak_rss=peak_rss)


def run_measured(cmd):
    """Run ``cmd``; return ``(returncode, stdout, stderr, peak RSS in bytes)`` of that process alone."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's rusage (RUSAGE_CHILDREN would mix in the kernels)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                usage.ru_maxrss * 1024)  # KiB on Linux


@dataclasses.dataclass
class NotebookRun:
    notebook: str
    epochs: int
    seed: int
    seconds: float = 0.0  # kernel start to the end of the last executed cell
    cell_seconds: float | None = None  # the training cell alone
    steps: int | None = None  # as printed by the training cell
    text: str = ""  # every stdout stream of the executed cells
    peak_rss: int | None = None  # the kernel's VmHWM, bytes
    error: str | None = None

    def summary(self) -> dict:
        data = dataclasses.asdict(self)
        data.pop("text")
        data["epoch_lines"] = len(parse_epoch_losses(self.text))
        return data


async def _execute(nb, nbdir: Path, env: dict, train_index: int, stop_after_training: bool, run: NotebookRun):
    import nbclient
    from nbclient.exceptions import CellExecutionError
    from nbclient.util import ensure_async

    client = nbclient.NotebookClient(nb, timeout=None, kernel_name="python3",
                                     resources={"metadata": {"path": str(nbdir)}})
    client.reset_execution_trackers()
    start = time.perf_counter()
    async with client.async_setup_kernel(env=env):
        pid = getattr(getattr(client.km, "provisioner", None), "process", None)
        pid = getattr(pid, "pid", None)
        info = await ensure_async(client.kc.kernel_info())
        await client.async_wait_for_reply(info)
        for index, cell in enumerate(nb.cells):
            began = time.perf_counter()
            try:
                await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            except CellExecutionError as exc:
                run.error = f"cell {index}: " + str(exc).strip().splitlines()[-1][:300]
                break
            if index == train_index:
                run.cell_seconds = time.perf_counter() - began
                run.steps = parse_steps(_stdout(cell))
                if stop_after_training:
                    break
        run.seconds = time.perf_counter() - start
        run.peak_rss = peak_rss_of(pid) if pid else None
    run.text = "".join(_stdout(c) for c in nb.cells if c.cell_type == "code")
    return run


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def execute_notebook(model: Model, epochs: int, seed: int = NOTEBOOK_SEED,
                     stop_after_training: bool = False) -> NotebookRun:
    """Run ``model``'s notebook headless in ``<tmp>/project/notebooks`` (a fresh copy) with ``GAN_EPOCHS``."""
    import nbformat

    run = NotebookRun(model.notebook, epochs, seed)
    with tempfile.TemporaryDirectory(prefix="gan-bench-") as tmp:
        nbdir = Path(tmp) / "project" / "notebooks"
        shutil.copytree(ROOT / "notebooks", nbdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        nb = nbformat.read(nbdir / model.notebook, as_version=4)
        if seed != NOTEBOOK_SEED:
            first = next(c for c in nb.cells if c.cell_type == "code")
            first.source = with_seed(first.source, seed)
        train_index = find_cell(nb, model.marker)
        # PYTHONPATH: the kernel imports this checkout's gan_helpers, whatever the venv's editable install points at.
        pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        env = dict(os.environ, GAN_EPOCHS=str(epochs), PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=pythonpath)
        asyncio.run(_execute(nb, nbdir, env, train_index, stop_after_training, run))
    return run


def measure_ours(model: Model, short_epochs: int, long_epochs: int) -> dict:
    short = execute_notebook(model, short_epochs, stop_after_training=True)
    long = execute_notebook(model, long_epochs, stop_after_training=True)
    result = {"short": short.summary(), "long": long.summary(), "steps_per_s": None, "problem": None,
              "peak_rss": max((r.peak_rss for r in (short, long) if r.peak_rss), default=None)}
    problems = [f"{r.notebook} GAN_EPOCHS={r.epochs}: {r.error}" for r in (short, long) if r.error]
    problems += [f"{r.notebook} GAN_EPOCHS={r.epochs}: no 'N steps in' line in the training cell"
                 for r in (short, long) if not r.error and r.steps is None]
    if not problems:
        try:
            result["steps_per_s"] = marginal(short.cell_seconds, long.cell_seconds, short.steps, long.steps)
        except ValueError as exc:
            problems.append(str(exc))
    result["problem"] = "; ".join(problems) or None
    return result


def num_train() -> int:
    from gan_helpers.data import load_mnist

    return load_mnist().num_train


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU(s), {cpu}"


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


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3, help="short+long pairs per figure, median (default 3)")
    p.add_argument("--ours-epochs", type=pair, default=(2, 9), metavar="SHORT,LONG",
                   help="GAN_EPOCHS of the notebook's short and long run (default 2,9)")
    p.add_argument("--baseline-steps", type=pair, default=None, metavar="SHORT,LONG",
                   help="steps of the baseline's short and long run (default: the notebooks' step counts)")
    p.add_argument("--warmup", type=int, default=20, help="untimed baseline steps before its timed runs")
    p.add_argument("--full-epochs", type=int, default=100, help="GAN_EPOCHS of the full runs (default 100)")
    p.add_argument("--seeds", default=f"{NOTEBOOK_SEED},1,2",
                   help=f"seeds of the full runs (default {NOTEBOOK_SEED},1,2; {NOTEBOOK_SEED} = the notebook as is)")
    p.add_argument("--no-full", action="store_true", help="skip the full runs (wall time, NaN check)")
    p.add_argument("--no-further", action="store_true", help="skip notebook 3's wall time (one full run at its defaults)")
    p.add_argument("--only", choices=sorted(MODELS), action="append", help="measure one model (repeatable)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 1 repeat, GAN_EPOCHS 1 and 2, one 1-epoch full run with seed 1")
    p.add_argument("--out", type=Path, default=ROOT / "build" / "bench-results.md")
    args = p.parse_args(argv)
    if args.quick:
        args.repeats, args.ours_epochs, args.full_epochs, args.seeds = 1, (1, 2), 1, "1"
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if args.ours_epochs[1] <= args.ours_epochs[0]:
        p.error("--ours-epochs: LONG must be larger than SHORT")
    return args


def main(argv=None):
    args = parse_args(argv)
    if os.environ.get("MNIST_NPZ"):  # the kernels run in a temporary folder
        os.environ["MNIST_NPZ"] = os.path.abspath(os.environ["MNIST_NPZ"])
    models = [MODELS[k] for k in (args.only or MODELS)]
    n = num_train()
    total_batch = n // BATCH_SIZE
    baseline_steps = args.baseline_steps or tuple(e * total_batch for e in args.ours_epochs)
    load_before = os.getloadavg()
    started = time.time()
    log(f"{n:,} training images, {total_batch} steps per epoch; repeats {args.repeats}; "
        f"ours GAN_EPOCHS {args.ours_epochs}, baseline steps {baseline_steps}; load average {load_before[0]:.1f}")

    raw = {m.key: {"baseline": [], "ours": [], "full": []} for m in models}
    full_losses = {m.key: [] for m in models}
    for repeat in range(args.repeats):
        for m in models:
            log(f"repeat {repeat + 1}/{args.repeats}: baseline {m.baseline} {baseline_steps[0]} vs {baseline_steps[1]} steps")
            b = run_baseline(m, *baseline_steps, warmup=args.warmup, seed=repeat)
            raw[m.key]["baseline"].append(b)
            log(f"  -> {fmt_rate(b.get('steps_per_s'))} steps/s {b.get('problem') or ''}")
            log(f"repeat {repeat + 1}/{args.repeats}: ours {m.notebook} GAN_EPOCHS {args.ours_epochs[0]} vs {args.ours_epochs[1]}")
            o = measure_ours(m, *args.ours_epochs)
            raw[m.key]["ours"].append(o)
            log(f"  -> {fmt_rate(o['steps_per_s'])} steps/s {o['problem'] or ''}")
    if not args.no_full:
        for seed in args.seeds:
            for m in models:
                log(f"full run: {m.notebook} GAN_EPOCHS={args.full_epochs} seed {seed}, top to bottom")
                r = execute_notebook(m, args.full_epochs, seed=seed)
                losses = parse_epoch_losses(r.text)
                raw[m.key]["full"].append(dict(r.summary(), nonfinite=nonfinite(losses)))
                full_losses[m.key].append((seed, losses, r.error))
                log(f"  -> {fmt_duration(r.seconds)}, {len(losses)} epoch lines, "
                    f"{len(nonfinite(losses))} with NaN/inf {r.error or ''}")

    further = None
    if not args.no_full and not args.no_further:
        log(f"full run: {FURTHER.notebook} GAN_EPOCHS={args.full_epochs}, top to bottom")
        further = execute_notebook(FURTHER, args.full_epochs)
        log(f"  -> {fmt_duration(further.seconds)} {further.error or ''}")
        raw["further"] = further.summary()

    rows = []
    for m in models:
        base, ours, full = raw[m.key]["baseline"], raw[m.key]["ours"], raw[m.key]["full"]
        full_ok = [f for f in full if not f["error"]]
        rows.append(Row(
            title=m.title,
            baseline_rate=median(b.get("steps_per_s") for b in base),
            ours_rate=median(o["steps_per_s"] for o in ours),
            baseline_rss=max((b["peak_rss"] for b in base if b.get("peak_rss")), default=None),
            ours_rss=max((o["peak_rss"] for o in ours if o.get("peak_rss")), default=None),
            wall_seconds=median(f["seconds"] for f in full_ok),
            nan_check=nan_summary(full_losses[m.key])))
    load_after = os.getloadavg()
    elapsed = time.time() - started

    wall_label = f"notebook wall time (GAN_EPOCHS={args.full_epochs})"
    table = format_table(rows, wall_label)
    notes = [
        f"`make bench` {datetime.datetime.now().isoformat(timespec='minutes')}, {machine()}; {versions()}; "
        f"{n:,} training images ({os.environ.get('MNIST_NPZ') or 'downloaded'}), batch {BATCH_SIZE}.",
        f"steps/s: marginal, (long - short) time / extra steps, median of {args.repeats}; "
        f"ours = the notebook's training cell with GAN_EPOCHS {args.ours_epochs[0]} and {args.ours_epochs[1]} "
        f"({args.ours_epochs[0] * total_batch} and {args.ours_epochs[1] * total_batch} steps), "
        f"baseline = benchmarks/tf1_*.py with {baseline_steps[0]} and {baseline_steps[1]} steps. "
        f"Compute bound about {COMPUTE_BOUND} steps/s (issue 7).",
        "peak RSS: the training process (baseline script; notebook kernel up to its training cell).",
    ]
    if args.no_full:
        notes.append("full runs skipped (--no-full): no wall time, no NaN check.")
    else:
        notes.append(f"wall time: median over the full runs, kernel start to last cell, each in a fresh copy of "
                     f"notebooks/ (notebook 2 trains its classifier every time). NaN/inf: every epoch line of those "
                     f"runs; seeds other than {NOTEBOOK_SEED} by replacing `SEED = {NOTEBOOK_SEED}` in the first "
                     f"code cell of the in-memory copy.")
    if further is not None:
        notes.append(f"notebook 3 top to bottom at its defaults (GAN_EPOCHS={args.full_epochs}, fresh copy, classifier "
                     f"trained in it): {fmt_duration(further.seconds)} (budget {FURTHER_BUDGET_MIN} min)"
                     + (f"; error: {further.error}" if further.error else ""))
    if args.quick:
        notes.append("QUICK smoke run (--quick): 1 repeat, tiny runs; the numbers are not a measurement.")
    if max(load_before[0], load_after[0]) > 0.5:
        notes.append(f"load average {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end: "
                     f"other work was running, the figures are noisy.")
    details = []
    for m in models:
        for kind in ("baseline", "ours"):
            rates = [fmt_rate(x.get("steps_per_s")) for x in raw[m.key][kind]]
            problems = [x.get("problem") for x in raw[m.key][kind] if x.get("problem")]
            details.append(f"{m.title}, {kind}: steps/s per repeat {', '.join(rates)}"
                           + (f"; problems: {'; '.join(problems)}" if problems else ""))
        for f in raw[m.key]["full"]:
            details.append(f"{m.title}, full run seed {f['seed']}: {fmt_duration(f['seconds'])}, "
                           f"kernel peak {fmt_mib(f['peak_rss'])}, {f['epoch_lines']} epoch lines"
                           + (f", error: {f['error']}" if f["error"] else ""))
    details.append(f"bench took {fmt_duration(elapsed)}")
    text = "\n".join([table, ""] + [f"- {line}" for line in notes] + ["", "Per repeat:", ""]
                     + [f"- {line}" for line in details])
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("# Training speed: TF1 baseline vs the notebooks\n\n" + text + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(raw, indent=1, default=str) + "\n")
    log(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    failed = any(r.baseline_rate is None or r.ours_rate is None for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""``make ablation``: notebook 3's ablation table, one full training run per row (issue 8).

Every row of the table is 100 epochs (14,100 steps on the offline set) of one setting, and
takes 2-10 minutes here, so the table does not fit the notebook's own 15-minute budget. This
script runs the rows *with the notebook's own code*: it executes, in a Jupyter kernel started
in ``notebooks/``, the notebook's code cells from the first one up to the ``table`` helpers
(data, classifier, ``make_train_step``, ``run_experiment``, the rows ``GAN_ROWS``) plus the
cell that defines ``CGAN_ROWS``, and then calls ``run_experiment(rows[name], seed)`` for each
row that has no result yet. Each result is written (atomically) to
``benchmarks/ablation/{kind}-{row}-seed{seed}.json``; the notebook reads those files and refuses
a file whose settings no longer match its row.

    python benchmarks/ablation.py                 # every missing row, seed 42; final rows also seed 7
    python benchmarks/ablation.py --list          # rows and whether a result exists
    python benchmarks/ablation.py --only gan:"+ dropout 0.3 in D" --redo

Run it on an otherwise idle machine: the steps/s column is measured as the rows train.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "03_going_further.ipynb"
RESULTS = ROOT / "benchmarks" / "ablation"
SETUP_END = "ABLATION_DIR = "          # the cell with the table helpers (included)
CGAN_ROWS_CELL = "CGAN_ROWS, FINAL_CGAN = chain("
FINAL_SEEDS = (42, 7)


def setup_cells(nb) -> list:
    code = [c for c in nb.cells if c.cell_type == "code"]
    end = next(i for i, c in enumerate(code) if SETUP_END in c.source)
    cgan = [c for c in code if CGAN_ROWS_CELL in c.source]
    if len(cgan) != 1:
        raise SystemExit(f"{NOTEBOOK.name}: expected one cell with {CGAN_ROWS_CELL!r}")
    return code[:end + 1] + cgan


def job_code(kind: str, name: str, seed: int, file: Path) -> str:
    return f"""
import datetime as _dt, platform as _pf
from gan_helpers.files import write_json_atomic as _write
_rows = GAN_ROWS if {kind!r} == "gan" else CGAN_ROWS
_run = run_experiment(_rows[{name!r}], {seed})
_write({str(file)!r}, {{
    "kind": {kind!r}, "name": {name!r}, "seed": {seed}, "epochs": total_epoch, "settings": _run.settings,
    "quality": _run.quality, "steps/s": _run.speed["steps/s"], "seconds": _run.speed["seconds"],
    "last epoch": {{k: v[-1] for k, v in _run.history.items()}},
    "machine": f"{{_pf.machine()}}, {{os.cpu_count()}} cpus", "tensorflow": tf.__version__,
    "date": _dt.date.today().isoformat()}})
print(json.dumps({{"score": _run.quality["score"], "top class": _run.quality["top class"],
                  "FD": _run.quality["FD"], "label acc": _run.quality["label acc"],
                  "steps/s": _run.speed["steps/s"]}}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], metavar="KIND:ROW",
                        help="run just this row (repeatable); KIND is gan or cgan")
    parser.add_argument("--seeds", type=int, nargs="+", help="seeds for every row (default: 42; the final rows 42 and 7)")
    parser.add_argument("--redo", action="store_true", help="run again even if a result exists")
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    args = parser.parse_args(argv)

    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = setup_cells(nb)
    client_nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c.source) for c in cells],
                                         metadata=nb.metadata)
    client = NotebookClient(client_nb, timeout=None, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    started = time.time()
    with client.setup_kernel():
        for index, cell in enumerate(client_nb.cells):
            client.execute_cell(cell, index)
        rows_cell = nbformat.v4.new_code_cell(
            "print(json.dumps({kind: [(name, name_to_file(name), settings == final) for name, settings in rows.items()] "
            "for kind, rows, final in [('gan', GAN_ROWS, FINAL_GAN), ('cgan', CGAN_ROWS, FINAL_CGAN)]}))")
        client_nb.cells.append(rows_cell)
        client.execute_cell(rows_cell, len(client_nb.cells) - 1)
        rows = json.loads(rows_cell.outputs[-1]["text"])
        jobs = []
        for kind in ("gan", "cgan"):
            for name, file_name, final in rows[kind]:
                for seed in args.seeds or (FINAL_SEEDS if final else FINAL_SEEDS[:1]):
                    jobs.append((kind, name, seed, RESULTS / f"{kind}-{file_name}-seed{seed}.json"))
        if args.only:
            wanted = {tuple(o.split(":", 1)) for o in args.only}
            unknown = wanted - {(k, n) for k, n, _, _ in jobs}
            if unknown:
                print(f"unknown row(s) {sorted(unknown)}; see --list", file=sys.stderr)
                return 2
            jobs = [j for j in jobs if (j[0], j[1]) in wanted]
        for kind, name, seed, file in jobs:
            done = file.exists()
            if args.list:
                print(f"{'done   ' if done else 'missing'} {kind}:{name} seed {seed}")
                continue
            if done and not args.redo:
                continue
            print(f"[{time.strftime('%H:%M:%S')}] {kind}: {name!r} seed {seed} ...", flush=True)
            cell = nbformat.v4.new_code_cell(job_code(kind, name, seed, file))
            client_nb.cells.append(cell)
            client.execute_cell(cell, len(client_nb.cells) - 1)
            print("   ", [o["text"] for o in cell.outputs if o.get("name") == "stdout"][-1].strip(), flush=True)
    print(f"done in {(time.time() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())

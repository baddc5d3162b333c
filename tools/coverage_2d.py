"""make coverage-2d: notebook 00's measured comparison, trained once and saved for the notebook to read.

For the ring and the grid (gan_helpers.lab2d.gan2d.COVERAGE_DATA), every row of gan2d.COVERAGE_ROWS (the
note's non-saturating loss, the minimax loss, and changes from notebook 3) is trained with each of
gan2d.COVERAGE_SEEDS for gan2d.COVERAGE_STEPS G steps by gan2d.trace_run, the same class the notebook
and its widget train. Mode coverage (VEEGAN's definition, gan2d.coverage) is measured every
gan2d.COVERAGE_EVERY steps. Written atomically to results/coverage-2d/coverage.json with its provenance
record (gan_helpers.results: the fingerprint of the code named in CODE_OF, the settings, CPU and TensorFlow).
No notebook cell is executed. Trials with --steps must go elsewhere (--out).

    make coverage-2d        # about 6 min on 2 cores
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python tools/coverage_2d.py` from a checkout
    sys.path.insert(0, str(ROOT))

from gan_helpers import atomic, paths, results, timing  # noqa: E402
from gan_helpers.lab2d import gan2d  # noqa: E402

# What makes the table (the provenance record's "code of"): notebook 00's whole 2-D lab model and this tool.
CODE_OF = ("gan_helpers.lab2d.gan2d", "tools.coverage_2d.main")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="coverage_2d", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=gan2d.COVERAGE_STEPS,
                        help=f"G steps per run (default {gan2d.COVERAGE_STEPS})")
    parser.add_argument("--out", type=Path, default=gan2d.COVERAGE_RESULTS, help="the JSON file to write")
    args = parser.parse_args(argv)
    if args.steps < gan2d.COVERAGE_EVERY:
        parser.error(f"--steps must be at least {gan2d.COVERAGE_EVERY}")
    refused = results.trial_refusal("coverage-2d", args.out, None if args.steps == gan2d.COVERAGE_STEPS
                                    else f"{args.steps} steps, not {gan2d.COVERAGE_STEPS}")
    if refused:
        parser.exit(2, f"coverage-2d: {refused}\n")
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"coverage-2d: cannot make {args.out.parent} ({atomic.reason(exc)}); choose another --out", file=sys.stderr)
        return 1
    why = atomic.why_not_writable(args.out)
    if why is not None:
        print(f"coverage-2d: cannot write {args.out} ({why}); choose another --out", file=sys.stderr)
        return 1
    print(timing.describe(), flush=True)
    runs = {}
    for data in gan2d.COVERAGE_DATA:
        for row, settings in gan2d.COVERAGE_ROWS.items():
            for seed in gan2d.COVERAGE_SEEDS:
                run = gan2d.trace_run(data, seed, args.steps, gan2d.COVERAGE_EVERY, **settings)
                runs[f"{data}|{row}|{seed}"] = run
                final = run["final"]
                print(f"{data:5s} {row:42s} seed {seed:>2d}: modes {final['modes']:>2d}/{final['of']}, "
                      f"high quality {final['high_quality']:6.1%} | {run['steps/s']:.0f} steps/s", flush=True)
    settings = {"steps": args.steps, "every": gan2d.COVERAGE_EVERY, "data": list(gan2d.COVERAGE_DATA),
                "seeds": list(gan2d.COVERAGE_SEEDS),
                "rows": {row: settings for row, settings in gan2d.COVERAGE_ROWS.items()},
                "defaults": {"learning_rate": gan2d.LEARNING_RATE, "beta_1": gan2d.BETA_1,
                             "batch_size": gan2d.BATCH_SIZE, "hidden": list(gan2d.HIDDEN), "noise_dim": gan2d.NOISE_DIM}}
    table = {"what": "notebook 00: VEEGAN mode coverage of 2,500 generated points after a fixed number of G steps",
             "machine": timing.describe(), "command": "make coverage-2d", **settings, "runs": runs}
    record = results.record(CODE_OF, settings, data="2-D point clouds: " + ", ".join(gan2d.COVERAGE_DATA))
    atomic.write_json_atomic(args.out, results.with_record(table, record))
    print(gan2d.coverage_table(table))
    print(f"wrote {paths.shown(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""make coverage-2d: notebook 00's measured comparison, trained once and saved for the notebook to read.

For the ring and the grid (gan_helpers.lab2d.gan2d.COVERAGE_DATA), every row of gan2d.COVERAGE_ROWS (the
note's non-saturating loss, the minimax loss, and changes from notebook 3) is trained with each of
gan2d.COVERAGE_SEEDS for gan2d.COVERAGE_STEPS G steps by gan2d.trace_run, the same class the notebook
and its widget train. Mode coverage (VEEGAN's definition, gan2d.coverage) is measured every
gan2d.COVERAGE_EVERY steps. Written atomically to benchmarks/gan2d/coverage.json with the machine and
TensorFlow. No notebook cell is executed. Trials with --steps must go elsewhere (--out).

    make coverage-2d        # about 6 min on 2 cores
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from gan_helpers import atomic, paths, timing
from gan_helpers.lab2d import gan2d


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="gan2d_coverage", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=gan2d.COVERAGE_STEPS,
                        help=f"G steps per run (default {gan2d.COVERAGE_STEPS})")
    parser.add_argument("--out", type=Path, default=gan2d.COVERAGE_RESULTS, help="the JSON file to write")
    args = parser.parse_args(argv)
    if args.steps < gan2d.COVERAGE_EVERY:
        parser.error(f"--steps must be at least {gan2d.COVERAGE_EVERY}")
    if args.steps != gan2d.COVERAGE_STEPS and args.out.resolve() == gan2d.COVERAGE_RESULTS.resolve():
        parser.error(f"--steps {args.steps}: the notebook reads {paths.shown(gan2d.COVERAGE_RESULTS)} as "
                     f"{gan2d.COVERAGE_STEPS}-step runs; write trials elsewhere with --out")
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
    results = {"what": "notebook 00: VEEGAN mode coverage of 2,500 generated points after a fixed number of G steps",
               "cpu": timing.cpu_model(), "machine": timing.describe(),
               "tensorflow": gan2d.tf.__version__, "date": date.today().isoformat(),
               "command": "make coverage-2d", "steps": args.steps, "every": gan2d.COVERAGE_EVERY,
               "data": list(gan2d.COVERAGE_DATA), "seeds": list(gan2d.COVERAGE_SEEDS),
               "rows": {row: settings for row, settings in gan2d.COVERAGE_ROWS.items()},
               "defaults": {"learning_rate": gan2d.LEARNING_RATE, "beta_1": gan2d.BETA_1, "batch_size": gan2d.BATCH_SIZE,
                            "hidden": list(gan2d.HIDDEN), "noise_dim": gan2d.NOISE_DIM},
               "runs": runs}
    atomic.write_json_atomic(args.out, results)
    print(gan2d.coverage_table(results))
    print(f"wrote {paths.shown(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""results/coverage-2d/coverage.json, the table notebook 00 reads: made by today's settings, whole, and self-consistent.

A change to ``gan2d.COVERAGE_ROWS`` (or the seeds, steps, data sets) without ``make coverage-2d`` leaves
the notebook printing a table of settings that no longer exist; these tests fail then.
"""

import subprocess
import sys

import pytest

from conftest import ROOT
from gan_helpers import results as saved
from gan_helpers.lab2d import gan2d


@pytest.fixture(scope="module")
def results():
    return saved.load("coverage-2d")


def test_the_saved_comparison_has_the_rows_seeds_and_steps_of_the_code(results):
    assert results["rows"] == gan2d.COVERAGE_ROWS
    assert results["seeds"] == list(gan2d.COVERAGE_SEEDS) and results["data"] == list(gan2d.COVERAGE_DATA)
    assert results["steps"] == gan2d.COVERAGE_STEPS and results["every"] == gan2d.COVERAGE_EVERY
    expected = {f"{d}|{r}|{s}" for d in gan2d.COVERAGE_DATA for r in gan2d.COVERAGE_ROWS for s in gan2d.COVERAGE_SEEDS}
    assert set(results["runs"]) == expected
    record = saved.record_of(results)
    assert record["cpu"] and record["tensorflow"], "a figure without its machine is not comparable"
    assert {k: record["settings"][k] for k in ("steps", "every", "seeds", "rows")} == {
        k: results[k] for k in ("steps", "every", "seeds", "rows")}


def test_every_run_is_traced_to_its_end_and_the_final_numbers_are_the_last_trace_point(results):
    for key, run in results["runs"].items():
        data, row, seed = key.split("|")
        assert run["data"] == data and run["seed"] == int(seed) and run["settings"] == gan2d.COVERAGE_ROWS[row]
        steps = [t["step"] for t in run["trace"]]
        assert steps == list(range(gan2d.COVERAGE_EVERY, gan2d.COVERAGE_STEPS + 1, gan2d.COVERAGE_EVERY)), key
        final = run["final"]
        assert final["of"] == len(gan2d.mode_centres(data))
        assert (final["modes"], round(final["high_quality"], 4)) == (run["trace"][-1]["modes"], run["trace"][-1]["high_quality"])
        assert sum(final["per_mode"]) == round(final["high_quality"] * gan2d.COVERAGE_SAMPLES), key
        assert final["modes"] == sum(1 for n in final["per_mode"] if n >= 1), key


def test_the_table_shows_each_seed_and_the_mean(results):
    table = gan2d.coverage_table(results)
    for row in gan2d.COVERAGE_ROWS:
        assert table.count(row) == len(gan2d.COVERAGE_DATA)
    ring = [results["runs"][f"ring|minimax loss|{s}"]["final"]["modes"] for s in gan2d.COVERAGE_SEEDS]
    line = next(l for l in table.splitlines() if l.strip().startswith("minimax loss"))
    assert f"{sum(ring) / len(ring):.1f}" in line and " ".join(f"{m:>4d}" for m in ring) in line


def test_trials_cannot_overwrite_the_saved_comparison(tmp_path):
    script = ROOT / "tools" / "coverage_2d.py"
    before = saved.RESULTS["coverage-2d"].path.stat().st_mtime_ns
    refused = subprocess.run([sys.executable, str(script), "--steps", "200"], capture_output=True, text=True)
    assert refused.returncode == 2 and refused.stderr.strip() == (
        "coverage-2d: a trial run (200 steps, not 5000) is not written into results/coverage-2d/; "
        "write it elsewhere with --out")
    assert saved.RESULTS["coverage-2d"].path.stat().st_mtime_ns == before


def test_a_missing_comparison_names_the_command_that_makes_it(monkeypatch, tmp_path):
    monkeypatch.setattr(saved, "RESULTS_DIR", tmp_path)
    monkeypatch.setitem(saved.RESULTS, "coverage-2d", saved.Result("coverage-2d", "coverage.json", "", 6))
    missing = saved.RESULTS["coverage-2d"].path
    with pytest.raises(saved.ResultsError) as info:
        saved.load(missing)
    assert "does not exist: run `make coverage-2d`" in str(info.value) and "\n" not in str(info.value)


def test_the_animation_notebook_00_shows_is_the_one_its_run_wrote():
    import re

    import nbformat
    from PIL import Image

    nb = nbformat.read(ROOT / "notebooks" / "00_gan_in_2d.ipynb", as_version=4)
    assert any("](../samples/gan2d/training.gif)" in c.source for c in nb.cells if c.cell_type == "markdown")
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    frames = re.search(r"(\d+) frames -> samples/gan2d/training\.gif \((\d+) KB\)", printed)
    assert frames, "the GIF cell printed its frame count and size"
    gif = ROOT / "samples" / "gan2d" / "training.gif"
    with Image.open(gif) as image:
        assert image.n_frames == int(frames.group(1))
    assert gif.stat().st_size // 1024 == int(frames.group(2)), "the committed GIF is the saved run's"

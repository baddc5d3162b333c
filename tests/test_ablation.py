"""Notebook 3's ablation table: where its numbers come from, and that they are still current."""

import json
import re
import sys

import nbformat
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import ablation  # noqa: E402

NB3 = ROOT / "notebooks" / "03_going_further.ipynb"


def _outputs(nb, marker):
    cell = next(c for c in nb.cells if c.cell_type == "code" and marker in c.source)
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NB3, as_version=4)


def test_runner_executes_the_notebooks_definitions_but_never_its_training_runs(nb):
    cells = ablation.setup_cells(nb)
    sources = "\n".join(c.source for c in cells)
    assert "def make_train_step(" in sources and "def run_experiment(" in sources
    assert "GAN_ROWS, FINAL_GAN = chain(" in sources and "CGAN_ROWS, FINAL_CGAN = chain(" in sources
    assert "def name_to_file(" in sources, "file names come from the notebook itself"
    assert "checkpoints/gan-better" not in sources and "checkpoints/cgan-better" not in sources, \
        "the notebook's own final runs are not part of the setup"
    order = [nb.cells.index(c) for c in cells]
    assert order == sorted(order), "cells run in the notebook's order"


@pytest.mark.parametrize("kind", ["gan", "cgan"])
def test_committed_table_has_every_row_from_a_full_run(nb, kind):
    text = _outputs(nb, f'print(table("{kind}"')
    assert "not run yet" not in text, "every row of the table has a result (make ablation)"
    lines = text.strip().splitlines()
    assert lines[2].startswith("real test images")
    assert len(lines) >= 2 + 1 + 3, "the real reference, several settings"
    for path in (ROOT / "benchmarks" / "ablation").glob(f"{kind}-*.json"):
        result = json.loads(path.read_text())
        assert result["epochs"] == 100 and result["kind"] == kind
        prefix = f"{result['name']:32s} {result['seed']:>4} "
        shown = [line for line in lines if line.startswith(prefix)]
        if result["seed"] == 42:
            assert len(shown) == 1, f"{path.name} is a row of the table"
        for line in shown:  # the table shows the saved numbers
            assert line[len(prefix):].split()[0] == f"{result['quality']['score']:.2f}", line


@pytest.mark.parametrize("kind", ["gan", "cgan"])
def test_notebooks_own_final_run_reproduces_the_tables_final_row(nb, kind):
    """Same code, same seed: the final run in the notebook measures what make ablation measured."""
    text = _outputs(nb, f"compare_with_table({kind}, \"{kind}\"")
    rows = {line.split()[0] + (line.split()[1] if line.startswith("table") else ""): line for line in text.splitlines()
            if line.startswith(("this run", "table row"))}
    assert set(rows) == {"this", "tablerow"}, text
    ours = [float(v) for v in re.findall(r"-?\d+\.\d+", rows["this"])]
    table = [float(v) for v in re.findall(r"-?\d+\.\d+", rows["tablerow"])]
    assert len(ours) == len(table) >= 4
    assert ours == pytest.approx(table, abs=2e-3)

"""The notebooks' exercises and opening boxes, as a learner and a teacher meet them in the saved notebooks.

Each exercise is a markdown cell tagged ``exercise`` ("### 연습 N. title"), followed by its solution:
cells tagged ``solution``, collapsed in JupyterLab (``jupyter.source_hidden``/``outputs_hidden``),
with code that ran in the saved full run and a written answer. The solutions' code is executed
again, with short epochs, by nbval in ``make test`` (no NBVAL_SKIP may hide it).
"""

import re

import nbformat
import pytest

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TITLE = re.compile(r"^### 연습 (\d+)\. \S")


def _tags(cell):
    return cell.metadata.get("tags", [])


def _exercises(nb):
    """[(exercise cell, [its solution cells])] in notebook order."""
    found = []
    for i, cell in enumerate(nb.cells):
        if "exercise" in _tags(cell):
            solutions = []
            for after in nb.cells[i + 1:]:
                if "solution" not in _tags(after):
                    break
                solutions.append(after)
            found.append((cell, solutions))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_three_or_four_numbered_exercises_each_with_a_solution_that_ran(path):
    nb = nbformat.read(path, as_version=4)
    exercises = _exercises(nb)
    assert 3 <= len(exercises) <= 4, f"{path.name}: {len(exercises)} exercises"
    numbers = []
    for cell, solutions in exercises:
        assert cell.cell_type == "markdown"
        title = TITLE.match(cell.source)
        assert title, f"{path.name}: an exercise starts with '### 연습 N. title': {cell.source[:60]!r}"
        numbers.append(int(title.group(1)))
        code = [c for c in solutions if c.cell_type == "code"]
        answer = [c for c in solutions if c.cell_type == "markdown"]
        assert code and answer, f"{path.name}, exercise {numbers[-1]}: needs solution code and a written answer"
        # JupyterLab shows a collapsed cell's first line: it names the solution and gives nothing away.
        assert answer[-1].source.splitlines()[0] == "**풀이.**"
        assert all(c.source.startswith(f"# Solution to exercise {numbers[-1]} ") for c in code)
        for c in code:
            assert c.execution_count is not None and c.outputs, f"exercise {numbers[-1]}: solution not run"
            assert not [o for o in c.outputs if o.output_type == "error"]
            assert "NBVAL_SKIP" not in c.source          # nbval runs it in make test
    assert numbers == list(range(1, len(numbers) + 1)), numbers


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solutions_are_collapsed_and_nothing_else_is_tagged_solution(path):
    nb = nbformat.read(path, as_version=4)
    in_exercises = {id(c) for _, solutions in _exercises(nb) for c in solutions}
    for cell in nb.cells:
        if "solution" in _tags(cell):
            assert id(cell) in in_exercises, f"a solution cell outside an exercise: {cell.source[:60]!r}"
            hidden = cell.metadata.get("jupyter", {})
            assert hidden.get("source_hidden") and hidden.get("outputs_hidden"), cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_placeholder_is_left_in_the_prose(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not re.findall(r"\b(READING_\d|RUNTIME_[A-Z]+|TODO|FIXME)\b", text)


DURATION = r"(\d+ min \d\d s|\d+ s)"


def _korean(duration):
    """``1 min 24 s`` -> ``1분 24초`` (how the box writes it); ``7 s`` -> ``7초``."""
    m = re.fullmatch(r"(\d+) min (\d\d) s", duration)
    return f"{m.group(1)}분 {int(m.group(2))}초" if m else duration.replace(" s", "초")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_opening_box_states_the_run_times_the_last_cell_printed(path):
    nb = nbformat.read(path, as_version=4)
    box = nb.cells[0].source
    for words in ("이 노트북에서 배우는 것", "걸리는 시간", "GPU"):
        assert words in box, f"{path.name}: the opening box lacks {words!r}"
    appendix = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## 부록")),
                    len(nb.cells))
    main_path = nb.cells[:appendix]
    last = main_path[-1]      # the main path ends with the clock's cell; an appendix (optional) may follow it
    assert last.cell_type == "code" and "clock.summary(" in last.source
    printed = "".join(o.get("text", "") for o in last.outputs)
    run = re.search(r"this run: " + DURATION, printed)
    if "no MNIST here" in printed:     # notebook 00: no full-set estimate to quote
        assert run and _korean(run.group(1)) in box, f"{path.name}: the box should say {run and _korean(run.group(1))}"
        assert "MNIST를 쓰지 않" in box, f"{path.name}: the box says why it has no full-set estimate"
        return
    assert "60,000장" in box, f"{path.name}: the opening box lacks the full-set estimate"
    full = re.search(r"with all 60,000 training images: about " + DURATION, printed)
    assert run and full, f"{path.name}: the last cell printed {printed!r}"
    assert _korean(run.group(1)) in box and "약 " + _korean(full.group(1)) in box, (
        f"{path.name}: the box should say {_korean(run.group(1))} and 약 {_korean(full.group(1))}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_prose_line_starts_with_a_step_number(path):
    """``#5와 ...`` at the start of a line is a heading to some Markdown renderers (the handout's did): start such a
    sentence with another word."""
    nb = nbformat.read(path, as_version=4)
    bad = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
           if re.match(r"\s*#\d", line)]
    assert not bad, bad

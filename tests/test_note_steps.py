"""``make bench`` times gan_helpers/training_steps.py; the notebooks write their own step. They must be the same code."""

import ast
import json
import textwrap

import pytest

from conftest import ROOT

PACKAGE_FILE = ROOT / "gan_helpers" / "training_steps.py"


def function_source(code: str, name: str, inside: str | None = None) -> list[list[str]]:
    """The lines (decorators included, dedented) of every function called ``name`` in ``code``, nested or not
    (only inside the function ``inside``, if given)."""
    lines = code.splitlines()
    found = []
    tree = ast.parse(code)
    if inside is not None:
        tree = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == inside)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found.append(textwrap.dedent("\n".join(lines[first - 1:node.end_lineno])).splitlines())
    return found


def notebook_functions(notebook: str, name: str) -> list[list[str]]:
    nb = json.loads((ROOT / "notebooks" / notebook).read_text())
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            try:
                found += function_source("".join(cell["source"]), name)
            except SyntaxError:  # a cell with IPython syntax defines none of these
                continue
    return found


@pytest.mark.parametrize("notebook,name,inside", [
    ("01_gan.ipynb", "D_objective", None), ("01_gan.ipynb", "G_objective", None),
    ("01_gan.ipynb", "train_step", "make_gan_train_step"),
    ("01_gan.ipynb", "watch", "make_gan_watch"),
    ("02_conditional_gan.ipynb", "D_loss", None), ("02_conditional_gan.ipynb", "G_loss", None),
    ("02_conditional_gan.ipynb", "train_step", "make_cgan_train_step"),
])
def test_the_benchmarked_step_is_the_notebooks_step_line_for_line(notebook, name, inside):
    in_notebook = notebook_functions(notebook, name)
    assert len(in_notebook) == 1, f"{notebook} defines {name} once"
    ours = function_source(PACKAGE_FILE.read_text(), name, inside)
    assert len(ours) == 1
    assert in_notebook[0] == ours[0], f"{name} in {notebook} differs from gan_helpers/training_steps.py"


def test_the_comparison_sees_a_changed_line():
    code = PACKAGE_FILE.read_text()
    changed = code.replace("minimized = -loss_G", "minimized = loss_G", 1)
    before = function_source(code, "train_step", "make_gan_train_step")
    assert function_source(changed, "train_step", "make_gan_train_step") != before

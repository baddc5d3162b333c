"""Showing code in the notebooks: the package's source beside the note's TF1 lines."""

from __future__ import annotations

import html
import inspect
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from . import paths


def _highlight(code: str) -> str:
    return highlight(code, PythonLexer(), HtmlFormatter(noclasses=True, nowrap=False, style="default"))


def _where(obj) -> str:
    """``gan_helpers/models.py:23``: the file (relative to the checkout) and line to edit."""
    path = Path(inspect.getsourcefile(obj)).resolve()
    try:
        path = path.relative_to(paths.PACKAGE_ROOT)
    except ValueError:
        pass
    line = inspect.getsourcelines(obj)[1]
    return f"{path.as_posix()}:{line}"


class CodeComparison:
    """Rich display of the note's TF1 code next to our TF 2 code.

    In JupyterLab and in the HTML handout it is two highlighted columns that
    wrap to one column on a narrow page; as plain text it is the two listings
    one after the other.
    """

    def __init__(self, note_code: str, objects, note_title="note (TF1)"):
        self.note_code = note_code.strip("\n")
        self.objects = list(objects)
        self.note_title = note_title

    def _ours(self):
        return [(f"{_where(o)} (TF 2 / Keras 3)", inspect.getsource(o).rstrip("\n")) for o in self.objects]

    def __repr__(self) -> str:
        parts = [f"# --- {self.note_title} ---", self.note_code] if self.note_code else []
        for title, code in self._ours():
            parts += [f"# --- {title} ---", code]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        def column(title, code):
            return ('<div style="flex:1 1 26em;min-width:0;overflow-x:auto">'
                    f'<div style="font:600 0.85em sans-serif;margin:0 0 2px">{html.escape(title)}</div>'
                    f'<div style="font-size:0.85em">{_highlight(code)}</div></div>')
        cols = [column(self.note_title, self.note_code)] if self.note_code else []
        cols += [column(t, c) for t, c in self._ours()]
        return f'<div class="code-comparison" style="display:flex;flex-wrap:wrap;gap:12px">{"".join(cols)}</div>'


def compare_code(note_code: str, *objects, note_title="note (TF1)") -> CodeComparison:
    """Show ``note_code`` (a string from the note) beside the source of ``objects``."""
    return CodeComparison(note_code, objects, note_title=note_title)


def show_source(*objects) -> CodeComparison:
    """Only our source, highlighted, with the file and line to edit."""
    return CodeComparison("", objects, note_title="")

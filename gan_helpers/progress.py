"""A tqdm progress bar that stays one line in a saved notebook.

``tqdm.auto`` draws an ipywidget in Jupyter; a saved notebook keeps only a
stale "0%" text for it, and the widget state changes on every run. Here tqdm
writes its text line into one display output that is updated in place: the
learner sees a moving bar with ETA, and the saved notebook (and the handout)
keeps the last line, e.g. ``training: 100%|####| 14100/14100 [01:20<00:00]``.
Outside a notebook the bar goes to stderr as usual.
"""

from __future__ import annotations

import sys

from tqdm import tqdm


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:
        return False


class _DisplayWriter:
    """File-like object that shows the last line tqdm wrote in one display output."""

    def __init__(self):
        from IPython.display import Pretty, display

        self._pretty = Pretty
        self._handle = display(Pretty(""), display_id=True)
        self._last = ""

    def write(self, text: str) -> None:
        for part in text.replace("\n", "\r").split("\r"):
            if part.strip():
                self._last = part.rstrip()
        if self._last:
            self._handle.update(self._pretty(self._last))

    def flush(self) -> None:
        pass


def progress_bar(total: int, desc: str = "training", unit: str = "step", initial: int = 0) -> tqdm:
    """A tqdm bar over ``total`` units, starting at ``initial`` (for resumed runs)."""
    out = _DisplayWriter() if _in_notebook() else sys.stderr
    return tqdm(total=total, initial=initial, desc=desc, unit=unit, file=out, ascii=True,
                ncols=90, mininterval=0.5, dynamic_ncols=False)

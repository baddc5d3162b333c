"""One error type for everything a user can get wrong.

In a notebook IPython asks an exception for ``_render_traceback_`` before it
prints a traceback; we answer with the one line that names the fix, so a learner
sees no stack of frames from inside the library. On the command line
``gan_helpers.__main__`` prints the same line.
"""

from __future__ import annotations


class GanHelpersError(Exception):
    """A problem the user can fix; the message says how, on one line."""

    def _render_traceback_(self):  # IPython hook: replaces the traceback
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


class MnistDataError(GanHelpersError):
    """MNIST could not be loaded (bad MNIST_NPZ file, or no network)."""

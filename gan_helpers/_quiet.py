"""Import TensorFlow without the absl/oneDNN lines it writes to the C-level stderr.

TensorFlow prints those lines from C++ straight to file descriptor 2, so neither
``TF_CPP_MIN_LOG_LEVEL`` nor Python's ``sys.stderr`` hides all of them. In a
notebook they end up as a red block under the import cell, which a learner reads as
an error. We point fd 2 at a temporary file during the import and replay it only if
the import fails, so a real problem is never hidden.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile


@contextlib.contextmanager
def silenced_fd2():
    """Send everything written to file descriptor 2 to a temporary file.

    Yields the file; on an exception inside the block its content is written back
    to the real stderr before the exception propagates.
    """
    try:
        sys.stderr.flush()
    except Exception:  # pragma: no cover - stderr may be closed
        pass
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield sink
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            os.write(2, sink.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow_quietly():
    """Import tensorflow and keras with their start-up log lines suppressed."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "tensorflow" in sys.modules and "keras" in sys.modules:
        return sys.modules["tensorflow"]
    with silenced_fd2():
        import tensorflow as tf
        import keras  # noqa: F401

        # Some lines (CPU feature guard, oneDNN notice) appear with the first op.
        tf.constant(1.0) + 1.0
    return tf

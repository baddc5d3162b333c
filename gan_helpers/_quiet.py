"""Import TensorFlow without the absl/oneDNN lines it writes to the C-level stderr.

TensorFlow prints those lines from C++ straight to file descriptor 2, so neither
``TF_CPP_MIN_LOG_LEVEL`` nor Python's ``sys.stderr`` hides all of them. In a
notebook they end up as a red block under the import cell, which a learner reads as
an error. We point fd 2 at a temporary file during the import and replay it only if
the import fails, so a real problem is never hidden.

TensorFlow is imported only when :func:`import_tensorflow_quietly` is called, never
when this module is imported: ``import gan_helpers`` and the command line's ``--help``
stay fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

# Set only while TensorFlow and Keras are imported; os.environ is restored afterwards.
# TF_CPP_MIN_LOG_LEVEL keeps a value the user chose (e.g. 0 to debug); Keras must use TensorFlow.
IMPORT_ENV_DEFAULTS = {"TF_CPP_MIN_LOG_LEVEL": "3"}
IMPORT_ENV_FORCED = {"KERAS_BACKEND": "tensorflow"}


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


@contextlib.contextmanager
def import_environment():
    """Set the import-time variables, then put ``os.environ`` back exactly as it was."""
    wanted = {k: v for k, v in IMPORT_ENV_DEFAULTS.items() if not os.environ.get(k)}
    wanted.update(IMPORT_ENV_FORCED)
    before = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def import_tensorflow_quietly():
    """Import tensorflow and keras with their start-up log lines suppressed; return ``tensorflow``.

    Notebooks start with ``tf = gan_helpers.import_tensorflow_quietly()``, before any
    ``import tensorflow`` or ``import keras``.
    """
    if "tensorflow" in sys.modules and "keras" in sys.modules:
        return sys.modules["tensorflow"]
    with import_environment(), silenced_fd2():
        import tensorflow as tf
        import keras  # noqa: F401

        # Some lines (CPU feature guard, oneDNN notice) appear with the first op.
        tf.constant(1.0) + 1.0
    return tf

"""Writing files so that a crash, a full disk or kill -9 never leaves half a file.

No TensorFlow here: the command line uses this before it loads a model.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path, suffix=".tmp"):
    """Yield a temporary path beside ``path``; when the block succeeds, rename it to ``path``.

    The rename is atomic on one file system: readers see the old file or the new one,
    never a mix. On an exception the temporary file is deleted and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_bytes_atomic(path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return Path(path)


def write_json_atomic(path, obj) -> Path:
    return write_bytes_atomic(path, json.dumps(obj, indent=1).encode("utf-8"))


def reason(exc: OSError) -> str:
    """An ``OSError`` as a short phrase for a one-line message, e.g. ``"No space left on device"``."""
    return exc.strerror or str(exc) or type(exc).__name__


def why_not_writable(path) -> str | None:
    """Why a file cannot be written at ``path``, as a short phrase; ``None`` if it can.

    Checks that the folder exists, that ``path`` is not a folder, and creates and deletes
    a temporary file beside it (which is what :func:`atomic_path` will do). A full disk
    may still show only when the data is written.
    """
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        return "it is a folder"
    if not folder.exists():
        return f"folder {folder} does not exist"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".probe")
    except OSError as exc:
        return reason(exc)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None


def is_disk_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)

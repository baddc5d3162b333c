"""Where the project's files live: one answer for the notebooks, the widgets, the command line and the data.

- :data:`PACKAGE_ROOT`: the checkout that holds ``gan_helpers/`` (the package's own source, README's
  relative paths such as ``MNIST_NPZ=../shared/data/mnist-offline.npz``).
- :func:`project_root`: where ``checkpoints/`` and ``samples/`` are written. It is the checkout, unless
  ``$GAN_PROJECT_ROOT`` names another folder: ``make test`` points it at a scratch copy, so a short test
  run never overwrites the committed samples or a learner's checkpoints.

No TensorFlow here: the command line imports this to answer ``--help`` at once.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
ROOT_ENV = "GAN_PROJECT_ROOT"


def project_root() -> Path:
    """``$GAN_PROJECT_ROOT`` if set, else the checkout (:data:`PACKAGE_ROOT`)."""
    value = os.environ.get(ROOT_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else PACKAGE_ROOT


def checkpoint_dir(name: str) -> Path:
    """``checkpoints/<name>`` of the project, e.g. ``checkpoint_dir("gan")``."""
    return project_root() / "checkpoints" / name


def sample_dir(name: str) -> Path:
    """``samples/<name>`` of the project, e.g. ``sample_dir("cgan")``."""
    return project_root() / "samples" / name


def shown(path) -> str:
    """A path as a learner should read it: relative to the project root when it is inside it."""
    path = Path(path)
    try:
        return path.resolve().relative_to(project_root()).as_posix()
    except ValueError:
        return str(path)

"""Where the project's files live: one answer for the notebooks, the widgets, the command line and the data.

- :data:`PACKAGE_ROOT`: the checkout that holds ``gan_helpers/`` (the package's own source, README's
  relative paths such as ``MNIST_NPZ=../shared/data/mnist-offline.npz``).
- :func:`project_root`: where ``checkpoints/`` and ``samples/`` are written. It is the checkout, unless
  ``$GAN_PROJECT_ROOT`` names another folder: ``make test`` points it at a scratch copy, so a short test
  run never overwrites the committed samples or a learner's checkpoints.
- :func:`sample_dir`: ``samples/<name>`` only for the run of record (``make notebooks``); any other run's
  pictures go to ``checkpoints/<name>/samples``, so no run but that one changes the committed ``samples/``.

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
    """Where this session's run of ``name`` keeps its sample grids and ``training.gif``, e.g. ``sample_dir("cgan")``.

    The run of record (``make notebooks`` with the committed settings; :func:`gan_helpers.results.not_of_record`)
    writes the committed ``samples/<name>`` (:func:`record_sample_dir`). Every other run, a quick
    ``GAN_EPOCHS=5`` one for example, writes ``checkpoints/<name>/samples`` beside its checkpoints
    (:func:`own_sample_dir`, git-ignored), so it never overwrites the committed pictures.
    """
    from . import results   # results imports this module

    if name in results.SAMPLES and results.not_of_record(name) is None:
        return record_sample_dir(name)
    return own_sample_dir(name)


def record_sample_dir(name: str) -> Path:
    """``samples/<name>`` of the project: the run of record's grids and GIF."""
    return project_root() / "samples" / name


def own_sample_dir(name: str) -> Path:
    """``checkpoints/<name>/samples``: the grids and GIF of a run that is not the run of record."""
    return checkpoint_dir(name) / "samples"


def shown(path) -> str:
    """A path as a learner should read it: relative to the project root when it is inside it."""
    path = Path(path)
    try:
        return path.resolve().relative_to(project_root()).as_posix()
    except ValueError:
        return str(path)

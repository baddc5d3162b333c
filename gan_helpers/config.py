"""The environment variables the notebooks read: ``GAN_EPOCHS``, ``GAN_SEED``, ``GAN2D_STEPS``; and
``GAN_RUN_OF_RECORD``, which only ``make notebooks`` sets (:func:`gan_helpers.results.not_of_record`).

A bad value stops with one line that names the variable and the fix, not a ``ValueError`` from
deep inside. No TensorFlow here.
"""

from __future__ import annotations

import os

from .errors import GanHelpersError

EPOCHS_ENV = "GAN_EPOCHS"
SEED_ENV = "GAN_SEED"
DEFAULT_EPOCHS = 100  # the note's total_epoch
DEFAULT_SEED = 42
STEPS_2D_ENV = "GAN2D_STEPS"   # notebook 00's training steps (tests run it short)
DEFAULT_STEPS_2D = 3000        # notebook 00's config.steps_2d(3000) (tests/test_config.py checks they agree)
RECORD_ENV = "GAN_RUN_OF_RECORD"   # 1: this run may replace the committed samples/ (make notebooks sets it)


class EnvVarError(GanHelpersError):
    """An environment variable holds a value the notebooks cannot use."""


def env_int(name: str, default: int, minimum: int, example: int, maximum: int | None = None) -> int:
    """``int($name)``, or ``default`` when it is unset or empty; a bad value raises :class:`EnvVarError`."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    limits = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
    fix = f"set e.g. {name}={example}, or unset it for the default {default}"
    try:
        value = int(text)
    except ValueError:
        raise EnvVarError(f"{name}={text!r} is not a whole number; {fix}") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise EnvVarError(f"{name}={value} is out of range (must be {limits}); {fix}")
    return value


def total_epoch(default: int = DEFAULT_EPOCHS) -> int:
    """Epochs to train: ``$GAN_EPOCHS`` (a whole number >= 1), else ``default`` (100, as in the note)."""
    return env_int(EPOCHS_ENV, default, minimum=1, example=5)


def seed(default: int = DEFAULT_SEED) -> int:
    """The notebooks' seed: ``$GAN_SEED`` (0 to 2**31 - 1), else ``default`` (42)."""
    return env_int(SEED_ENV, default, minimum=0, maximum=2**31 - 1, example=7)


def steps_2d(default: int) -> int:
    """Notebook 00's training steps: ``$GAN2D_STEPS`` (a whole number >= 10), else ``default``."""
    return env_int(STEPS_2D_ENV, default, minimum=10, example=500)


def run_of_record_asked() -> bool:
    """``$GAN_RUN_OF_RECORD`` is 1: ``make notebooks`` runs the notebooks to replace the committed results."""
    return env_int(RECORD_ENV, 0, minimum=0, maximum=1, example=1) == 1

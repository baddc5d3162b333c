"""Checkpoints that survive a kernel restart, a crash or ``kill -9``.

A checkpoint folder (``checkpoints/gan/``, ``checkpoints/cgan/``) holds

- ``settings.json``: what built the models (kind, noise, layer sizes), so the slider and
  the command line can rebuild them from :mod:`gan_helpers.models` without a notebook;
- TensorFlow checkpoint files from :class:`tf.train.CheckpointManager` (the last few
  epochs): both models, both optimisers, the random generator and the epoch count;
- ``history.json``: the per-epoch losses, so a resumed run's loss curve is the whole run;
- ``training.log``: the note's line for every epoch (a notebook prints only every 10th);
- ``frames/NNN.png``: when the run saves samples, one frame per epoch of ``training.gif``
  (written by :class:`gan_helpers.runner.Run`, see :mod:`gan_helpers.animation`).

TensorFlow writes a checkpoint's files first and then, atomically, the small ``checkpoint``
index that names the latest one; ``history.json`` is replaced atomically as well. A kill in
the middle of an epoch therefore loses at most that epoch, and what is on disk always loads.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from ._quiet import import_tensorflow_quietly
from .errors import GanHelpersError
from .atomic import write_bytes_atomic, write_json_atomic
from .settings import Settings, SettingsError, require

tf = import_tensorflow_quietly()

SETTINGS_FILE = "settings.json"
HISTORY_FILE = "history.json"
LOG_FILE = "training.log"


class CheckpointError(GanHelpersError):
    """A checkpoint is missing, from other settings, or unreadable."""


def read_settings(directory) -> Settings:
    """The :class:`~gan_helpers.settings.Settings` in ``directory/settings.json``."""
    path = Path(directory) / SETTINGS_FILE
    try:
        return Settings.read(path)
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint in {directory}") from None
    except SettingsError:
        raise
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is unreadable ({exc}); delete {directory} and train again") from None


def _differences(saved: Settings, wanted: Settings) -> list[str]:
    return [f"{f.name}={getattr(saved, f.name)!r} there, {getattr(wanted, f.name)!r} here"
            for f in dataclasses.fields(Settings) if getattr(saved, f.name) != getattr(wanted, f.name)]


class TrainingCheckpoint:
    """Save completed epochs (``runner.Run`` decides when); resume from the last saved one.

    ``fresh=True`` deletes the folder first, but only a folder that holds this project's
    checkpoint (its ``settings.json``) or nothing at all: any other folder is refused.
    A checkpoint never goes backwards: saving fewer completed epochs than the folder's latest
    checkpoint holds is refused.
    """

    def __init__(self, directory, settings: Settings, *, generator, discriminator, D_optimizer, G_optimizer,
                 rng, fresh=False, max_to_keep=3):
        self.directory = Path(directory)
        self.settings = require(settings)
        if fresh:
            delete_checkpoint_folder(self.directory)
        if (self.directory / SETTINGS_FILE).exists():
            saved = read_settings(self.directory)
            diff = _differences(saved, self.settings)
            if diff:
                raise CheckpointError(
                    f"the checkpoint in {self.directory} was made with other settings ({'; '.join(diff)}); "
                    f"start fresh (fresh=True) or delete {self.directory}")
        # Keras 3 optimisers create their slots on first use; build them now so a restore
        # has somewhere to put the saved moments.
        D_optimizer.build(discriminator.trainable_variables)
        G_optimizer.build(generator.trainable_variables)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="completed_epochs")
        self.checkpoint = tf.train.Checkpoint(generator=generator, discriminator=discriminator,
                                              D_optimizer=D_optimizer, G_optimizer=G_optimizer,
                                              rng=rng, epoch=self.epoch)
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(self.directory), max_to_keep=max_to_keep)

    def latest_epoch(self) -> int:
        """Completed epochs of the folder's latest checkpoint (0 when there is none)."""
        latest = self.manager.latest_checkpoint
        return int(latest.rsplit("-", 1)[1]) if latest else 0

    def restore(self) -> tuple[int, dict]:
        """Load the latest checkpoint if there is one. Returns (completed epochs, loss history)."""
        latest = self.manager.latest_checkpoint
        if latest is None:
            return 0, {}
        try:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        except Exception as exc:  # noqa: BLE001 - TF raises many kinds for a damaged file
            first = str(exc).strip().splitlines()[0][:160]
            raise CheckpointError(f"cannot load {latest} ({first}); start fresh (fresh=True) "
                                  f"or delete {self.directory}") from None
        done = int(self.epoch.numpy())
        return done, self._read_history(done)

    def _read_history(self, done: int) -> dict:
        path = self.directory / HISTORY_FILE
        if not path.exists():
            print(f"note: {path} is missing, so the loss history of the first {done} epochs is lost "
                  f"(shown as gaps); training resumes from the checkpoint")
            return {}
        try:
            history = json.loads(path.read_text())
            if not (isinstance(history, dict) and all(isinstance(v, list) for v in history.values())):
                raise ValueError("not a dict of lists")
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"{path} is unreadable ({str(exc).splitlines()[0][:80]}); delete that file to "
                                  f"resume without the loss history of the first {done} epochs, or start "
                                  f"fresh (fresh=True)") from None
        # history.json is written before the checkpoint: it may hold one epoch more.
        return {k: list(v)[:done] for k, v in history.items()}

    def save(self, completed_epochs: int, history: dict) -> str:
        latest = self.latest_epoch()
        if completed_epochs < latest:
            raise CheckpointError(f"{self.directory} already holds {latest} epochs; refusing to save "
                                  f"{completed_epochs} over it (a checkpoint never goes backwards)")
        self.directory.mkdir(parents=True, exist_ok=True)
        if not (self.directory / SETTINGS_FILE).exists():
            self.settings.write(self.directory / SETTINGS_FILE)
        write_json_atomic(self.directory / HISTORY_FILE, {k: list(v) for k, v in history.items()})
        from .training import epoch_line

        lines = [epoch_line(e, d, g) for e, (d, g) in enumerate(zip(history["D loss"], history["G loss"]))]
        write_bytes_atomic(self.directory / LOG_FILE, "".join(line + "\n" for line in lines).encode("utf-8"))
        self.epoch.assign(completed_epochs)
        return self.manager.save(checkpoint_number=completed_epochs)


def delete_checkpoint_folder(directory) -> None:
    """Delete ``directory`` if it is one of this project's checkpoint folders (it has ``settings.json``).

    A missing or empty folder is fine; any other folder is refused, so ``fresh=True`` with a
    mistyped path cannot delete something else.
    """
    directory = Path(directory)
    if not directory.exists():
        return
    if not directory.is_dir():
        raise CheckpointError(f"{directory} is a file, not a checkpoint folder; choose another folder")
    if (directory / SETTINGS_FILE).is_file():
        shutil.rmtree(directory)
    elif any(directory.iterdir()):
        raise CheckpointError(f"{directory} is not a checkpoint folder of this project (it has no "
                              f"{SETTINGS_FILE}), so fresh=True will not delete it; choose another folder")


def load_generator(directory, *, expect_kind=None, how_to_make=None):
    """Rebuild the generator saved in ``directory`` from its settings and load its weights.

    Returns ``(generator, settings)``. Raises :class:`CheckpointError` with one line that says
    what to run when there is no checkpoint.
    """
    from . import models

    directory = Path(directory)
    hint = f"; {how_to_make}" if how_to_make else ""
    latest = tf.train.latest_checkpoint(str(directory)) if directory.is_dir() else None
    if latest is None or not (directory / SETTINGS_FILE).exists():
        raise CheckpointError(f"no checkpoint in {directory}{hint}")
    try:
        settings = read_settings(directory)
        if expect_kind is not None and settings.kind != expect_kind:
            raise CheckpointError(f"{directory} holds a {settings.kind!r} checkpoint, not {expect_kind!r}{hint}")
        generator = models.build_from_settings(settings)[0]
    except (KeyError, TypeError, ValueError) as exc:   # SettingsError is a ValueError
        raise CheckpointError(f"{directory / SETTINGS_FILE} does not describe a model this package "
                              f"can build ({exc}){hint}") from None
    try:
        tf.train.Checkpoint(generator=generator).restore(latest).expect_partial().assert_existing_objects_matched()
    except Exception as exc:  # noqa: BLE001 - TF raises many kinds for a damaged file
        first = str(exc).strip().splitlines()[0][:160]
        raise CheckpointError(f"cannot load the generator from {latest} ({first}){hint}") from None
    return generator, settings

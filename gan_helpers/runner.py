"""One training run's bookkeeping, around the loop of :func:`gan_helpers.training.train`.

A :class:`Run` holds the two models, their optimisers and the random generator. The loop calls it
three times, each a small named call:

- :meth:`Run.epochs`: resume. Load the latest checkpoint of ``checkpoint_dir`` (if any) and return the
  epochs still to train; a run from epoch 0 deletes an earlier run's grids, frames and GIF.
- :meth:`Run.end_epoch`: after each epoch, the note's epoch line, the history (losses and what ``watch``
  measures), the sample grid at epochs 0, 9, 19, ... (the note's #13) and a frame of the training GIF, both
  drawn by the averaged generator when there is one (EMA), and a checkpoint when :data:`CHECKPOINT_SECONDS`
  have passed since the last one or after the last epoch (a kill loses at most that much training).
- :meth:`Run.finish`: the GIF; an EMA run's generator gets the averaged weights (saved if this run trained).

Each kind of file has one owner: :class:`~gan_helpers.checkpoints.TrainingCheckpoint` (the checkpoint
folder, ``history.json``, ``training.log``), :class:`~gan_helpers.plotting.SampleGrids` (``NNN.png``) and
:class:`~gan_helpers.animation.Frames` (``frames/`` and ``training.gif``). A checkpoint never goes backwards:
a run that trains nothing saves nothing, and a folder that already holds more epochs than asked is
reported and left as it is.
"""

from __future__ import annotations

import contextlib
import time

from . import animation, paths, plotting, results, training
from .checkpoints import LOG_FILE, TrainingCheckpoint
from .progress import progress_bar
from .settings import require

CHECKPOINT_SECONDS = 10.0
"""A checkpoint at most this often (and after the last epoch). Saving one costs about 20 ms here, 5 % of
a 141-step epoch of notebook 1 if it were saved every epoch (benchmarks/profile.md). 0: after every epoch."""


@contextlib.contextmanager
def averaged_weights(generator, G_optimizer):
    """Inside the block, ``generator`` holds the moving average of its weights that ``G_optimizer`` keeps
    (EMA, notebook 3), the weights the finished run will sample with; afterwards exactly its own weights
    again, so training is not changed. Without EMA (or before the first step) nothing changes."""
    if not getattr(G_optimizer, "use_ema", False) or not G_optimizer.built:
        yield generator
        return
    variables = generator.trainable_variables
    own = [variable.numpy() for variable in variables]
    G_optimizer.finalize_variable_values(variables)            # Keras: the averages into the variables
    try:
        yield generator
    finally:
        for variable, value in zip(variables, own):
            variable.assign(value)


class Run:
    """A training run of ``generator`` and ``discriminator`` with checkpoints and sample grids.

    ``checkpoint_dir``: save there and resume from there (``None``: no checkpoints); ``fresh=True`` deletes
    it first. ``sample_dir`` and ``sample_rows``: ``sample_rows()`` (a list of image rows) is saved as
    ``sample_dir/NNN.png`` at the sample epochs and drawn as every epoch's frame of ``sample_dir/training.gif``;
    give ``paths.sample_dir(name)``, which is the committed ``samples/<name>`` only for the run of record
    (a run that is not says where its pictures go instead); the committed ``samples/`` are refused to any other.
    ``watch``: a function called after every epoch that returns ``{name: number}``; each number joins
    ``history[name]`` (and is saved with the checkpoint). ``log``: where the epoch lines go (``None``: nowhere).
    """

    def __init__(self, settings, generator, discriminator, D_optimizer, G_optimizer, rng, *,
                 checkpoint_dir=None, sample_dir=None, sample_rows=None, fresh=False, watch=None, log=print,
                 desc="training"):
        if sample_dir is not None and sample_rows is None:
            raise ValueError("sample_dir needs sample_rows: the function that returns the rows to save")
        refused = None if sample_dir is None else results.samples_refusal(sample_dir)
        if refused:
            raise results.ResultsError(refused)
        self.settings = require(settings)
        self.generator, self.discriminator = generator, discriminator
        self.D_optimizer, self.G_optimizer = D_optimizer, G_optimizer
        self.rng = rng
        self.sample_rows, self.watch, self.log, self.desc = sample_rows, watch, log, desc
        self.checkpoint = None if checkpoint_dir is None else TrainingCheckpoint(
            checkpoint_dir, settings, generator=generator, discriminator=discriminator,
            D_optimizer=D_optimizer, G_optimizer=G_optimizer, rng=rng, fresh=fresh)
        self.grids = None if sample_dir is None else plotting.SampleGrids(sample_dir)
        self.frames = None if sample_dir is None else animation.Frames(
            sample_dir, None if self.checkpoint is None else self.checkpoint.directory / animation.FRAMES_DIR)
        self.history = training.History({"D loss": [], "G loss": []})

    @property
    def sample_dir(self):
        return None if self.grids is None else self.grids.folder

    def fit(self, train_step, arrays, *, total_epoch, batch_size, fast=False, **options):
        """Train with :func:`~gan_helpers.training.train` (``fast=True``: :func:`~gan_helpers.training.train_fast`).

        ``options``: ``watch``, ``log`` or ``desc`` for this run (see the class), or ``train_fast``'s options.
        """
        for name in ("watch", "log", "desc"):
            if name in options:
                setattr(self, name, options.pop(name))
        loop = training.train_fast if fast else training.train
        return loop(self, train_step, arrays, total_epoch=total_epoch, batch_size=batch_size, **options)

    def epochs(self, total_epoch, steps_per_epoch) -> range:
        """Resume: the epochs still to train, ``range(done, total_epoch)`` (``done``: what the checkpoint holds)."""
        done, history = self.checkpoint.restore() if self.checkpoint else (0, {})
        if self.frames is not None:
            if done == 0:
                self.grids.forget()
                self.frames.forget()
            else:
                self.frames.resume(done)
        self.history = _history_so_far(history, done)
        self.total_epoch, self.start_epoch, self.steps_per_epoch = total_epoch, done, steps_per_epoch
        if done > total_epoch:
            print(f"the checkpoint already holds {done} epochs, more than the {total_epoch} asked: nothing to "
                  f"train, nothing saved (fresh=True trains {total_epoch} epochs from epoch 0)")
        elif done == total_epoch > 0:
            print(f"the checkpoint already holds {done} epochs (total_epoch={total_epoch}): nothing to train; "
                  f"fresh=True trains again from epoch 0")
        elif done:
            print(f"resuming after epoch {done - 1:04d} ({done} of {total_epoch} epochs done)")
        own = None if self.grids is None else results.pictures_line(self.grids.folder)
        if own:
            print(own)      # not the run of record: where this run's grids and GIF go instead of samples/
        if self.log and any(not training.is_logged_epoch(e, done, total_epoch) for e in range(done, total_epoch)):
            full_log = "" if self.checkpoint is None else f"; every epoch in {paths.shown(self.checkpoint.directory / LOG_FILE)}"
            self.log(f"(one line for epoch {done}, every 10th epoch and the last{full_log})")
        self._bar = progress_bar(total_epoch * steps_per_epoch, desc=self.desc,
                                 initial=min(done, total_epoch) * steps_per_epoch)
        self._last_save = time.monotonic()
        return range(done, total_epoch)

    def end_epoch(self, epoch, loss_D, loss_G):
        """After an epoch: the epoch line, the history, the grid and frame, a checkpoint when one is due."""
        history = self.history
        history["D loss"].append(loss_D)
        history["G loss"].append(loss_G)
        if self.log and training.is_logged_epoch(epoch, self.start_epoch, self.total_epoch):
            self.log(training.epoch_line(epoch, loss_D, loss_G))
        if self.watch is not None:
            for name, value in self.watch().items():
                column = history.setdefault(name, [])
                column.extend([float("nan")] * (epoch - len(column)))   # epochs before it was watched
                column.append(float(value))
        if self.grids is not None:
            with averaged_weights(self.generator, self.G_optimizer):   # what the run's result will draw
                rows = self.sample_rows()
            self.grids.save(epoch, rows)
            self.frames.add(epoch, rows)
        if self.checkpoint is not None and (epoch + 1 == self.total_epoch
                                            or time.monotonic() - self._last_save >= CHECKPOINT_SECONDS):
            self.checkpoint.save(epoch + 1, history)     # epoch + 1 epochs are done
            self._last_save = time.monotonic()
        self._bar.update(self.steps_per_epoch)

    def finish(self) -> training.History:
        """After the last epoch: the GIF, an EMA run's averaged weights; returns the history."""
        self._bar.close()
        self.history.seconds = self._bar.format_dict["elapsed"]
        self.history.steps = max(0, self.total_epoch - self.start_epoch) * self.steps_per_epoch
        if getattr(self.G_optimizer, "use_ema", False):
            # From here on the generator holds the moving average of its weights (notebook 3).
            # Setting the weights to the average twice changes nothing, so a resumed run that
            # trained nothing may do it too; but only a run that trained saves.
            self.G_optimizer.finalize_variable_values(self.generator.trainable_variables)
            if self.history.steps and self.checkpoint is not None:
                self.checkpoint.save(self.total_epoch, self.history)
        if self.frames is not None:
            self.frames.write_gif(trained=bool(self.history.steps))
            animation.show_own(self.grids.folder, say=False)   # its line was printed when the run started
        return self.history


def _history_so_far(history, start_epoch) -> training.History:
    """The first ``start_epoch`` entries of each column; epochs whose values were lost are NaN (gaps in a plot)."""
    so_far = training.History()
    for key in ["D loss", "G loss"] + [k for k in (history or {}) if k not in ("D loss", "G loss")]:
        kept = list((history or {}).get(key, []))[:start_epoch]
        so_far[key] = [float("nan")] * (start_epoch - len(kept)) + kept
    return so_far

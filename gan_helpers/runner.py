"""One training run: what every notebook does around its training step, written once.

A :class:`Run` holds the two models, their optimisers and the random generator, and
around ``training.fit`` it does the rest:

- resume: load the latest checkpoint of ``checkpoint_dir`` (if any) and train only the missing epochs;
- after each epoch: save the sample grid at epoch 0, 9, 19, ... (the note's step #13) and a frame of the
  training animation, both drawn by the averaged generator when there is one (EMA); save a checkpoint when
  :data:`CHECKPOINT_SECONDS` have passed since the last one, and after the last epoch (so a kill loses at
  most that much training, or the one epoch that was running);
- at the end, write all the epochs' frames to ``training.gif`` beside the grids (:mod:`gan_helpers.animation`);
- at the end, if the generator's optimiser keeps a moving average of its weights (EMA, notebook 3),
  give the generator the averaged weights (and save them, if this run trained).

A checkpoint never goes backwards: a run that trains nothing saves nothing, and a folder that
already holds more epochs than asked is reported and left as it is.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from PIL import Image

from . import animation, paths, plotting, training
from .checkpoints import LOG_FILE, TrainingCheckpoint
from .atomic import atomic_path

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

    ``checkpoint_dir``: save there (after the last epoch, and during training once :data:`CHECKPOINT_SECONDS`
    have passed since the last save) and resume from there (``None``: no checkpoints).
    ``sample_dir`` and ``sample_rows``: at the sample epochs, ``sample_rows()`` (a list of image
    rows, drawn by the averaged generator if ``G_optimizer`` keeps an EMA: :func:`averaged_weights`) is saved as ``sample_dir/NNN.png`` (without ``sample_dir``, no grids), and every epoch's rows are a
    frame of ``sample_dir/training.gif`` (which shows every 2nd epoch and the last). The frames are kept in ``checkpoint_dir/frames/NNN.png``, so that
    a resumed run's GIF shows all its epochs. ``fresh=True`` deletes the checkpoint folder first.
    """

    def __init__(self, settings, generator, discriminator, D_optimizer, G_optimizer, rng, *,
                 checkpoint_dir=None, sample_dir=None, sample_rows=None, fresh=False):
        if sample_dir is not None and sample_rows is None:
            raise ValueError("sample_dir needs sample_rows: the function that returns the rows to save")
        self.settings = dict(settings)
        self.generator, self.discriminator = generator, discriminator
        self.D_optimizer, self.G_optimizer = D_optimizer, G_optimizer
        self.rng = rng
        self.sample_dir = None if sample_dir is None else Path(sample_dir)
        self.sample_rows = sample_rows
        self.checkpoint = None if checkpoint_dir is None else TrainingCheckpoint(
            checkpoint_dir, settings, generator=generator, discriminator=discriminator,
            D_optimizer=D_optimizer, G_optimizer=G_optimizer, rng=rng, fresh=fresh)
        self.history = training.History({"D loss": [], "G loss": []})
        self.frames = {}     # epoch -> frame of the animation
        self.frames_dir = None if self.checkpoint is None else self.checkpoint.directory / animation.FRAMES_DIR

    def fit(self, train_step, arrays, *, total_epoch, batch_size, log=print, desc="training", watch=None,
            **fit_options):
        """Train until ``total_epoch`` epochs are done (resuming if a checkpoint holds some); return the history.

        ``history.steps`` and ``history.seconds`` are the steps trained and the time taken by this call.
        ``watch``: a function called after every epoch that returns ``{name: number}``; each number is
        added to ``history[name]`` (and saved with the checkpoint), to follow more than the losses.
        """
        done, history = self.checkpoint.restore() if self.checkpoint else (0, {})
        if done == 0 and self.sample_dir is not None:
            self._forget_earlier_run()
        self.frames = self._saved_frames(done)
        last_save = time.monotonic()

        def on_epoch_end(epoch, loss_D, loss_G, history):
            nonlocal last_save
            if watch is not None:
                for name, value in watch().items():
                    column = history.setdefault(name, [])
                    column.extend([float("nan")] * (epoch - len(column)))   # epochs before it was watched
                    column.append(float(value))
            if self.sample_dir is not None:
                with averaged_weights(self.generator, self.G_optimizer):   # what the run's result will draw
                    rows = self.sample_rows()
                if plotting.is_sample_epoch(epoch):
                    plotting.save_grid(rows, plotting.sample_path(self.sample_dir, epoch))
                self._add_frame(epoch, rows)
            if self.checkpoint is not None and (epoch + 1 == total_epoch
                                                or time.monotonic() - last_save >= CHECKPOINT_SECONDS):
                self.checkpoint.save(epoch + 1, history)     # epoch + 1 epochs are done
                last_save = time.monotonic()

        self.history = training.fit(train_step, arrays, total_epoch=total_epoch, batch_size=batch_size,
                                    rng=self.rng, on_epoch_end=on_epoch_end, start_epoch=done,
                                    history=history, log=log, desc=desc,
                                    full_log=None if self.checkpoint is None else paths.shown(self.checkpoint.directory / LOG_FILE),
                                    **fit_options)
        if getattr(self.G_optimizer, "use_ema", False):
            # From here on the generator holds the moving average of its weights (notebook 3).
            # Setting the weights to the average twice changes nothing, so a resumed run that
            # trained nothing may do it too; but only a run that trained saves.
            self.G_optimizer.finalize_variable_values(self.generator.trainable_variables)
            if self.history.steps and self.checkpoint is not None:
                self.checkpoint.save(total_epoch, self.history)
        if self.sample_dir is not None and self.frames:
            gif = self.sample_dir / animation.GIF_NAME
            if self.history.steps or not gif.exists():       # trained, or the GIF was deleted
                self.sample_dir.mkdir(parents=True, exist_ok=True)
                animation.write_gif([self.frames[e] for e in animation.shown_epochs(self.frames)], gif)
        return self.history

    def _forget_earlier_run(self):
        """Training from epoch 0: delete the grids, frames and GIF of an earlier run."""
        old = [*self.sample_dir.glob("[0-9][0-9][0-9].png"), self.sample_dir / animation.GIF_NAME]
        if self.frames_dir is not None:
            old += self.frames_dir.glob("[0-9][0-9][0-9].png")
        for path in old:
            path.unlink(missing_ok=True)

    def _saved_frames(self, done):
        """The frames of the ``done`` epochs a resumed run starts from (an unreadable one is left out)."""
        frames = {}
        if self.sample_dir is not None and self.frames_dir is not None:
            for path in sorted(self.frames_dir.glob("[0-9][0-9][0-9].png")):
                try:
                    if int(path.stem) < done:
                        with Image.open(path) as frame:
                            frames[int(path.stem)] = frame.copy()
                except OSError:
                    pass
        return frames

    def _add_frame(self, epoch, rows):
        self.frames[epoch] = animation.frame_image(rows, epoch)
        if self.frames_dir is not None:      # kept for a resumed run (atomically: a kill leaves no half frame)
            with atomic_path(self.frames_dir / f"{epoch:03d}.png") as tmp:
                self.frames[epoch].save(tmp, format="PNG")

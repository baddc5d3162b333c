"""An animated GIF of a training run: one frame per epoch, the same rows as the sample grids.

:class:`~gan_helpers.runner.Run` draws a frame after every epoch (:func:`frame_image`), keeps it
as ``<checkpoint>/frames/NNN.png`` and at the end writes ``<samples>/training.gif``
(:func:`write_gif`); a run that is not the run of record shows its own GIF (:func:`show_own`).
The printed handout cannot play a GIF; it shows :func:`strip` instead.

No TensorFlow here, only Pillow and numpy (the viridis colours are read from matplotlib once).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageSequence

from .errors import GanHelpersError
from .atomic import atomic_path, is_disk_full, reason, why_not_writable

FRAMES_DIR = "frames"        # inside the checkpoint folder: frames/000.png, frames/001.png, ...
GIF_NAME = "training.gif"    # beside the sample grids: samples/gan/training.gif
EVERY = 2                    # the GIF shows every 2nd epoch and the last (half the file; frames/ keeps all)

SIDE = 28
GAP = 2                      # white pixels between the images (before scaling)
LEVELS = 32                  # palette: 32 viridis colours (no visible loss, a GIF 40% smaller than with 240),
GREYS = 16                   # then 16 greys, black .. white, for the label
WHITE = LEVELS + GREYS - 1


class AnimationError(GanHelpersError):
    """The GIF could not be written."""


@functools.cache
def _palette() -> list[int]:
    from matplotlib import colormaps   # the grids' colour map (plotting.grid_figure, images_to_png)

    viridis = colormaps["viridis"](np.linspace(0.0, 1.0, LEVELS))[:, :3]
    greys = np.repeat(np.linspace(0.0, 1.0, GREYS)[:, None], 3, axis=1)
    return (np.concatenate([viridis, greys]) * 255).round().astype(np.uint8).ravel().tolist()


def shown_epochs(epochs, every: int = EVERY) -> list[int]:
    """The epochs the GIF shows: every ``every``-th of ``epochs`` (0, 2, 4, ...) and always the last."""
    epochs = sorted(epochs)
    shown = [e for e in epochs if e % every == 0]
    if epochs and shown[-1:] != epochs[-1:]:
        shown.append(epochs[-1])
    return shown


def frame_image(rows, epoch: int, scale: int = 2) -> Image.Image:
    """``rows`` (as :func:`gan_helpers.plotting.save_grid` takes them) drawn as one frame, labelled ``epoch 009``.

    The images are in viridis like the saved grids, with white gaps, enlarged ``scale`` times;
    ``epoch`` is numbered as the grids' file names (0-based). Returns a palette ("P") image.
    """
    rows = [np.asarray(r, dtype=np.float32).reshape(-1, SIDE, SIDE) for r in rows]
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    step = SIDE + GAP
    tiles = np.full((n_rows * step + GAP, n_cols * step + GAP), WHITE, np.uint8)
    for r, images in enumerate(rows):
        for c, image in enumerate(images):
            y, x = GAP + r * step, GAP + c * step
            tiles[y:y + SIDE, x:x + SIDE] = np.rint(np.clip(np.nan_to_num(image), 0.0, 1.0) * (LEVELS - 1))
    tiles = tiles.repeat(scale, axis=0).repeat(scale, axis=1)

    font = ImageFont.load_default(size=max(10, 7 * scale))
    label = f"epoch {epoch:03d}"
    top, bottom = font.getbbox("epoch 0123456789")[1::2]
    pad = GAP * scale
    band = Image.new("L", (tiles.shape[1], bottom - top + 2 * pad), 255)
    ImageDraw.Draw(band).text((pad, pad - top), label, fill=0, font=font)
    band = LEVELS + (np.asarray(band, np.int32) * (GREYS - 1) + 127) // 255   # 0..255 -> one of the greys

    frame = Image.fromarray(np.concatenate([band.astype(np.uint8), tiles]), mode="P")
    frame.putpalette(_palette())
    return frame


def write_gif(frames, path, ms_per_frame: int = 120, last_frame_ms: int = 1500) -> Path:
    """Save ``frames`` (PIL images of one size) as an animated GIF that loops; returns ``path``.

    Written to a temporary file beside ``path`` and renamed: a failure leaves the old GIF
    (or none) and no temporary file. The last frame stays ``last_frame_ms`` before the loop restarts.
    Pillow merges a frame equal to the one before it (frames of :func:`frame_image` differ by their label).
    Raises :class:`AnimationError` (one line) if there are no frames or ``path`` cannot be written.
    """
    path = Path(path)
    frames = [f if f.mode == "P" else f.convert("RGB").quantize() for f in frames]
    if not frames:
        raise AnimationError(f"no frames to write to {path}")
    why = why_not_writable(path)
    if why is not None:
        raise AnimationError(f"cannot write {path} ({why}); choose another path")
    durations = [ms_per_frame] * (len(frames) - 1) + [last_frame_ms]
    try:
        with atomic_path(path) as tmp:
            frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                           duration=durations, loop=0)
    except OSError as exc:
        fix = "free some disk space" if is_disk_full(exc) else "choose another path"
        raise AnimationError(f"cannot write {path} ({reason(exc)}); {fix}") from None
    return path


def strip(gif_path, n: int = 6) -> Image.Image:
    """``n`` evenly spaced frames of the GIF (the first and the last among them), stacked top to bottom.

    A still picture of the animation for print (the frames are wide, so a column of them fits
    a portrait page). A GIF with fewer than ``n`` frames gives all of them. Returns an RGB image.
    """
    with Image.open(gif_path) as gif:
        count = getattr(gif, "n_frames", 1)
        wanted = sorted(set(np.linspace(0, count - 1, max(1, min(n, count))).round().astype(int).tolist()))
        picked = [frame.convert("RGB") for i, frame in enumerate(ImageSequence.Iterator(gif)) if i in wanted]
    out = Image.new("RGB", (picked[0].width, sum(p.height for p in picked)), "white")
    y = 0
    for p in picked:
        out.paste(p, (0, y))
        y += p.height
    return out


def show_own(folder, say: bool = True):
    """When ``folder`` holds the pictures of a run that is not the run of record (what
    :func:`gan_helpers.paths.sample_dir` gave it instead of ``samples/<name>/``): print where they are and why
    (``say``; :func:`gan_helpers.results.pictures_line`) and, in a notebook, show its ``training.gif`` (the
    notebook's Markdown shows the run of record's). Nothing for any other folder."""
    from . import results

    line = results.pictures_line(folder)
    if line is None:
        return
    if say:
        print(line)
    gif = Path(folder) / GIF_NAME
    try:
        from IPython import get_ipython
        from IPython.display import Image as Picture, display
    except ImportError:
        return
    if gif.is_file() and get_ipython() is not None:
        display(Picture(data=gif.read_bytes(), format="gif"))


class Frames:
    """The one owner of a run's animation files: ``<checkpoint>/frames/NNN.png`` and ``<samples>/training.gif``.

    :meth:`add` draws an epoch's frame (kept in ``frames_dir`` atomically, so a resumed run's GIF shows
    all its epochs; without ``frames_dir`` only in memory); :meth:`write_gif` writes the GIF beside the grids.
    """

    def __init__(self, gif_dir, frames_dir=None):
        self.gif = Path(gif_dir) / GIF_NAME
        self.frames_dir = None if frames_dir is None else Path(frames_dir)
        self.frames = {}     # epoch -> frame

    def forget(self):
        """A run from epoch 0: delete an earlier run's frames and GIF."""
        old = [self.gif, *(self.frames_dir.glob("[0-9][0-9][0-9].png") if self.frames_dir else [])]
        for path in old:
            path.unlink(missing_ok=True)
        self.frames = {}

    def resume(self, done: int):
        """Keep the saved frames of the ``done`` epochs a resumed run starts from (an unreadable one is left out)."""
        self.frames = {}
        for path in sorted(self.frames_dir.glob("[0-9][0-9][0-9].png")) if self.frames_dir else []:
            try:
                if int(path.stem) < done:
                    with Image.open(path) as frame:
                        self.frames[int(path.stem)] = frame.copy()
            except OSError:
                pass

    def add(self, epoch: int, rows):
        self.frames[epoch] = frame_image(rows, epoch)
        if self.frames_dir is not None:
            with atomic_path(self.frames_dir / f"{epoch:03d}.png") as tmp:
                self.frames[epoch].save(tmp, format="PNG")

    def write_gif(self, trained: bool):
        """The GIF of the frames (every 2nd epoch and the last), when this run trained or the GIF is missing."""
        if self.frames and (trained or not self.gif.exists()):
            self.gif.parent.mkdir(parents=True, exist_ok=True)
            write_gif([self.frames[e] for e in shown_epochs(self.frames)], self.gif)

"""Sample grids and loss curves. Text inside figures stays ASCII (no font issues)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .atomic import atomic_path

IMAGE_SIDE = 28


def save_figure_atomic(fig, path, **savefig_kwargs) -> Path:
    """Save ``fig`` to ``path`` via a temporary file in the same folder, then rename.

    A crash or a full disk leaves the old file (or none), never half a PNG.
    The figure is closed afterwards.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            fig.savefig(f, format=fmt, **savefig_kwargs)
    finally:
        plt.close(fig)
    return path


def grid_figure(rows, titles=None, cell_inches=1.0, cmap=None):
    """A figure with one row of 28x28 images per entry of ``rows`` (all rows equally long).

    ``rows``: sequence of arrays shaped (n, 784) or (n, 28, 28), values in [0, 1].
    ``titles``: optional ASCII label per row, shown at the left.
    ``cmap``: None keeps matplotlib's default (viridis), as the note's pictures had.
    """
    rows = [np.asarray(r, dtype=np.float32).reshape(-1, IMAGE_SIDE, IMAGE_SIDE) for r in rows]
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(n_cols * cell_inches, n_rows * cell_inches),
                             squeeze=False)
    for r, images in enumerate(rows):
        for c in range(n_cols):
            ax = axes[r][c]
            ax.set_axis_off()
            if c < len(images):
                ax.imshow(images[c], cmap=cmap, vmin=0.0, vmax=1.0)
        if titles is not None:
            axes[r][0].text(-4, IMAGE_SIDE / 2, str(titles[r]), ha="right", va="center", fontsize=10)
    fig.subplots_adjust(wspace=0.05, hspace=0.05, left=0.0, right=1.0, top=1.0, bottom=0.0)
    return fig


def save_grid(rows, path, titles=None, cmap=None) -> Path:
    """Draw ``rows`` of images (see :func:`grid_figure`) and save the PNG atomically."""
    fig = grid_figure(rows, titles=titles, cmap=cmap)
    return save_figure_atomic(fig, path, bbox_inches="tight", dpi=100)


def sample_path(folder, epoch: int) -> Path:
    """``samples/gan`` + epoch 9 -> ``samples/gan/009.png`` (the note's file names)."""
    return Path(folder) / f"{epoch:03d}.png"


def is_sample_epoch(epoch: int) -> bool:
    """Epoch 0 and every 10th epoch (9, 19, ... 99), as in the note's step #13."""
    return epoch == 0 or (epoch + 1) % 10 == 0


def plot_losses(history, title="GAN losses per epoch", ylabel="objective (mean over the epoch)"):
    """Line plot of the losses in ``history`` (a dict name -> per-epoch values; the names ending in "loss",
    so the other numbers a ``watch`` recorded stay out). Returns the figure."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for name, values in history.items():
        if not name.endswith("loss"):
            continue
        ax.plot(np.arange(len(values)), values, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_discriminator(history, title="What D says per epoch"):
    """D(x) and D(G(z)) per epoch (a ``watch`` recorded them in ``history``), with 0.5 marked. Returns the figure.

    0.5 and 0.5: D cannot tell real from fake; D(G(z)) near 0: D wins; D(x) near 1 while D(G(z))
    only falls: the generator is stuck.
    """
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.plot(history["D(x)"], label="D(x): real test images")
    ax.plot(history["D(G(z))"], label="D(G(z)): fakes, fixed noise")
    ax.axhline(0.5, color="gray", ls=":", lw=1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean probability 'real'")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def show_saved_grids(folder, epochs=None):
    """One figure with the saved grids of ``folder`` stacked in epoch order.

    Returns the figure (or None if the folder holds no grid).
    """
    folder = Path(folder)
    paths = sorted(folder.glob("[0-9][0-9][0-9].png"))
    if epochs is not None:
        wanted = {sample_path(folder, e).name for e in epochs}
        paths = [p for p in paths if p.name in wanted]
    if not paths:
        return None
    images = [plt.imread(p) for p in paths]
    width = max(im.shape[1] for im in images) / 100
    fig, axes = plt.subplots(len(images), 1, figsize=(width, sum(im.shape[0] for im in images) / 100 * 1.15),
                             squeeze=False)
    for ax, im, p in zip(axes[:, 0], images, paths):
        ax.imshow(im)
        ax.set_axis_off()
        ax.set_title(f"epoch {p.stem}", loc="left", fontsize=9)
    fig.tight_layout()
    return fig


def plot_confusion(confusion, title="requested digit (row) vs classifier's answer (column)"):
    """Heat map of a 10x10 row-normalised confusion matrix, shares printed in the cells."""
    confusion = np.asarray(confusion)
    n = confusion.shape[0]
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    ax.imshow(confusion, cmap="Blues", vmin=0, vmax=1)
    for r in range(n):
        for c in range(n):
            if confusion[r, c] >= 0.005:
                ax.text(c, r, f"{confusion[r, c] * 100:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if confusion[r, c] > 0.5 else "black")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("classifier's answer")
    ax.set_ylabel("requested digit")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def images_to_png(rows, scale=3, gap=2) -> bytes:
    """Rows of 28x28 images in [0, 1] -> PNG bytes, drawn with the notebooks' colour map (viridis).

    Fast enough to redraw on every slider move (Pillow, no figure).
    """
    import io

    from matplotlib import colormaps
    from PIL import Image

    rows = [np.asarray(r, dtype=np.float32).reshape(-1, IMAGE_SIDE, IMAGE_SIDE) for r in rows]
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    side = IMAGE_SIDE + gap
    canvas = np.ones((n_rows * side - gap, n_cols * side - gap, 3), np.float32)
    cmap = colormaps["viridis"]
    for r, images in enumerate(rows):
        for c, image in enumerate(images):
            canvas[r * side:r * side + IMAGE_SIDE, c * side:c * side + IMAGE_SIDE] = \
                cmap(np.clip(image, 0.0, 1.0))[..., :3]
    img = Image.fromarray((canvas * 255).round().astype(np.uint8))
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


class SampleGrids:
    """The one owner of a run's sample grids, ``samples/<name>/000.png, 009.png, ..., 099.png`` (the note's #13)."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def forget(self):
        """A run from epoch 0: delete an earlier run's grids."""
        for path in self.folder.glob("[0-9][0-9][0-9].png"):
            path.unlink(missing_ok=True)

    def save(self, epoch: int, rows):
        """Save ``rows`` as this epoch's grid if it is a sample epoch (0, 9, 19, ...)."""
        if is_sample_epoch(epoch):
            save_grid(rows, sample_path(self.folder, epoch))

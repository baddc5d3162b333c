"""Interactive views for the notebooks (ipywidgets 8), each one call in a notebook.

They rebuild the generator from a checkpoint folder (``settings.json`` + weights), so
they work in a fresh kernel without training. Each view also carries a static PNG of what
it shows (``_repr_mimebundle_``), which is what a saved notebook on the web or the printed
handout displays where no widget can live.

Folders default to the project's (:mod:`gan_helpers.paths`: ``checkpoints/cgan``,
``checkpoints/gan``, ``samples/gan``); any other folder, e.g. ``paths.checkpoint_dir("cgan-better")``,
can be passed. A missing checkpoint or sample folder shows one line: train it first.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import ipywidgets as W
import numpy as np

from . import checkpoints, models, paths, plotting

TRAIN_FIRST = "train it first: run the notebook's training cell, which writes it"


class View(W.VBox):
    """A VBox that remembers the images it shows and has a static PNG for paper."""

    last_images: np.ndarray | None = None

    def __init__(self, children, static_png: bytes | None = None, **kwargs):
        super().__init__(children, **kwargs)
        self._static_png = static_png

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if self._static_png is not None and isinstance(bundle, dict):
            bundle["image/png"] = base64.b64encode(self._static_png).decode("ascii")
        return bundle


def _message(text: str) -> W.HTML:
    return W.HTML(f'<div style="padding:6px;border-left:4px solid #d9534f;background:#fdf2f2">'
                  f"{html.escape(text, quote=False)}</div>")


def _load(directory, kind):
    try:
        return checkpoints.load_generator(directory, expect_kind=kind, how_to_make=TRAIN_FIRST)
    except checkpoints.CheckpointError as exc:
        return None, str(exc)


def digit_slider(checkpoint_dir=None, count=10, seed=0):
    """Notebook 2: pick a digit (0-9), a noise seed and how many samples; the images redraw at once.

    Moving only the digit keeps the noise, so the same "handwriting" draws another digit.
    ``checkpoint_dir``: default ``paths.checkpoint_dir("cgan")``.
    """
    if checkpoint_dir is None:
        checkpoint_dir = paths.checkpoint_dir("cgan")
    generator, settings = _load(checkpoint_dir, "cgan")
    if generator is None:
        return _message(settings)
    n_class = settings.n_class
    digit = W.IntSlider(value=0, min=0, max=n_class - 1, description="digit")
    seed_box = W.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed",
                                layout=W.Layout(width="170px"))
    new_noise = W.Button(description="new noise", icon="refresh", layout=W.Layout(width="110px"))
    how_many = W.IntSlider(value=count, min=1, max=20, description="samples")
    image = W.Image(format="png")
    style_image = W.Image(format="png")
    view = View([W.HBox([digit, seed_box, new_noise]), how_many, image,
                 W.HTML("same noise as the first sample, every digit:"), style_image])

    def redraw(*_):
        view.last_images = models.generate(generator, settings, how_many.value, seed=seed_box.value,
                                           digit=digit.value)
        image.value = plotting.images_to_png([view.last_images], scale=3)
        first_noise_all_digits = models.generate(generator, settings, n_class, seed=seed_box.value,
                                                 digit=np.arange(n_class), same_noise=True)
        view.style_images = first_noise_all_digits
        style_image.value = plotting.images_to_png([first_noise_all_digits], scale=2)

    def next_seed(_):
        seed_box.value = (seed_box.value + 1) % (2**31)

    for control in (digit, seed_box, how_many):
        control.observe(redraw, names="value")
    new_noise.on_click(next_seed)
    view.controls = {"digit": digit, "seed": seed_box, "new_noise": new_noise, "count": how_many}
    view.image, view.style_image = image, style_image
    redraw()
    view._static_png = plotting.images_to_png(
        [models.generate(generator, settings, count, seed=seed, digit=d) for d in range(n_class)], scale=2)
    return view


def latent_walk(checkpoint_dir=None, seed_a=0, seed_b=1, frames=11):
    """Notebook 1: a slider t from 0 to 1 walks in a straight line from noise A to noise B.

    ``checkpoint_dir``: default ``paths.checkpoint_dir("gan")``.
    """
    if checkpoint_dir is None:
        checkpoint_dir = paths.checkpoint_dir("gan")
    generator, settings = _load(checkpoint_dir, "gan")
    if generator is None:
        return _message(settings)
    import tensorflow as tf

    def noise(seed):
        return models.NOISE[settings.noise](tf.random.Generator.from_seed(seed), 1, settings.n_noise)

    z_a, z_b = noise(seed_a), noise(seed_b)
    t = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=1.0 / (frames - 1), description="t",
                      readout_format=".2f")
    image = W.Image(format="png")
    ts = np.linspace(0.0, 1.0, frames, dtype=np.float32)
    strip = generator((1 - ts[:, None]) * z_a + ts[:, None] * z_b, training=False).numpy()
    strip_png = plotting.images_to_png([strip], scale=2)
    view = View([t, image, W.HTML("all steps from A (left) to B (right):"),
                 W.Image(value=strip_png, format="png")], static_png=strip_png)

    def redraw(*_):
        z = (1 - t.value) * z_a + t.value * z_b
        view.last_images = generator(z, training=False).numpy()
        image.value = plotting.images_to_png([view.last_images], scale=6)

    t.observe(redraw, names="value")
    view.controls = {"t": t}
    view.image = image
    redraw()
    return view


def epoch_browser(sample_dir=None):
    """Notebook 1: a slider over the saved sample grids, epoch by epoch.

    ``sample_dir``: default ``paths.sample_dir("gan")``.
    """
    if sample_dir is None:
        sample_dir = paths.sample_dir("gan")
    grids = sorted(Path(sample_dir).glob("[0-9][0-9][0-9].png"))
    if not grids:
        return _message(f"no sample grids in {sample_dir}; {TRAIN_FIRST}")
    epochs = [int(p.stem) for p in grids]
    slider = W.SelectionSlider(options=epochs, value=epochs[-1], description="epoch")
    image = W.Image(format="png")
    view = View([slider, image], static_png=grids[-1].read_bytes())

    def redraw(*_):
        image.value = plotting.sample_path(sample_dir, slider.value).read_bytes()

    slider.observe(redraw, names="value")
    view.controls = {"epoch": slider}
    view.image = image
    redraw()
    return view

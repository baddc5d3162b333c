"""Sample grids: the fixed step #13 (one PNG per row of images, written atomically)."""

import io
import os

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import colormaps
from PIL import Image

from gan_helpers import plotting


def _pixels(path):
    return np.asarray(Image.open(path).convert("RGB"))


def _viridis(value):
    """The 8-bit RGB colour matplotlib's default colour map (viridis) gives ``value`` in [0, 1]."""
    return np.round(np.asarray(colormaps["viridis"](float(value)))[:3] * 255).astype(int)


def _runs(mask):
    """(start, stop) of each stretch of True in a 1-D mask."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2]))


def _cells(px):
    """The cells of a saved grid: (row spans, column spans) of the coloured (not white) blocks.

    Only lines with at least 40 coloured pixels count, so a title's few dark pixels are no cell.
    """
    ink = (px < 250).any(axis=-1)
    rows = [(a, b) for a, b in _runs(ink.sum(axis=1) >= 40) if b - a >= 40]
    cols = [(a, b) for a, b in _runs(ink.sum(axis=0) >= 40) if b - a >= 40]
    return rows, cols


def _assert_cell_shows(px, row_span, col_span, value):
    """The cell's inside (a 4-pixel rim left out) is the viridis colour of the constant ``value``."""
    (r0, r1), (c0, c1) = row_span, col_span
    inside = px[r0 + 4:r1 - 4, c0 + 4:c1 - 4].astype(int)
    assert np.abs(inside - _viridis(value)).max() <= 2, (row_span, col_span, value, inside[0, 0])


def _constant_images(values):
    return np.repeat(np.asarray(values, np.float32)[:, None], 784, axis=1)


def test_grid_holds_every_image_in_order(tmp_path):
    values = np.arange(10) / 9.0  # image i has the constant brightness i/9
    path = plotting.save_grid([_constant_images(values)], tmp_path / "g" / "009.png")
    px = _pixels(path)
    rows, cols = _cells(px)
    assert len(rows) == 1 and len(cols) == 10, (rows, cols)
    widths = [b - a for a, b in cols]
    assert max(widths) - min(widths) <= 2 and abs(widths[0] - (rows[0][1] - rows[0][0])) <= 2, "square cells"
    for col_span, value in zip(cols, values):
        _assert_cell_shows(px, rows[0], col_span, value)


def test_two_row_grid_shows_each_row_in_its_row(tmp_path):
    first = np.arange(10) / 9.0
    second = first[::-1]
    one = _pixels(plotting.save_grid([_constant_images(first)], tmp_path / "a.png"))
    px = _pixels(plotting.save_grid([_constant_images(first), _constant_images(second).reshape(10, 28, 28)],
                                    tmp_path / "b.png", titles=["first", "second"]))
    assert 1.8 < px.shape[0] / one.shape[0] < 2.2
    rows, cols = _cells(px)
    assert len(rows) == 2 and len(cols) == 10, (rows, cols)
    for row_span, values in zip(rows, (first, second)):
        for col_span, value in zip(cols, values):
            _assert_cell_shows(px, row_span, col_span, value)


def _quadrants():
    """A 28x28 image: top left 1, top right 2/3, bottom left 1/3, bottom right 0."""
    image = np.zeros((28, 28), np.float32)
    image[:14, :14], image[:14, 14:], image[14:, :14] = 1.0, 2 / 3, 1 / 3
    return image


@pytest.mark.parametrize("flat", [True, False])
def test_grid_draws_each_image_upright(flat, tmp_path):
    """Quadrants of different brightness: a transposed or flipped image puts them elsewhere."""
    images = np.stack([_quadrants()] * 3)
    px = _pixels(plotting.save_grid([images.reshape(3, 784) if flat else images], tmp_path / "q.png"))
    (row_span,), cols = _cells(px)
    assert len(cols) == 3
    (r0, r1), (c0, c1) = row_span, cols[1]
    rm, cm = (r0 + r1) // 2, (c0 + c1) // 2
    for rows, columns, value in [((r0, rm), (c0, cm), 1.0), ((r0, rm), (cm, c1), 2 / 3),
                                 ((rm, r1), (c0, cm), 1 / 3), ((rm, r1), (cm, c1), 0.0)]:
        _assert_cell_shows(px, rows, columns, value)


def test_images_to_png_puts_each_image_in_its_place():
    first = np.arange(10) / 9.0
    second = first[::-1]
    scale, gap, side = 3, 2, 28 + 2
    px = np.asarray(Image.open(io.BytesIO(plotting.images_to_png(
        [_constant_images(first), _constant_images(second)], scale=scale, gap=gap))).convert("RGB")).astype(int)
    assert px.shape == ((2 * side - gap) * scale, (10 * side - gap) * scale, 3)
    for r, values in enumerate((first, second)):
        for c, value in enumerate(values):
            cell = px[r * side * scale:(r * side + 28) * scale, c * side * scale:(c * side + 28) * scale]
            assert np.abs(cell - _viridis(value)).max() <= 1, (r, c)
    assert (px[28 * scale:side * scale] == 255).all() and (px[:, 28 * scale:side * scale] == 255).all(), "white gaps"
    upright = np.asarray(Image.open(io.BytesIO(plotting.images_to_png([_quadrants().reshape(1, 784)], scale=1)))
                         .convert("RGB")).astype(int)
    expected = np.array([[_viridis(v) for v in row] for row in _quadrants()])
    assert np.abs(upright - expected).max() <= 1, "each image upright, pixel for pixel"


def test_failed_save_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "000.png"
    plotting.save_grid([np.random.rand(10, 784)], path)
    before = path.read_bytes()

    import matplotlib.figure

    def broken_savefig(self, fname, **kwargs):
        fname.write(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken_savefig)
    with pytest.raises(OSError):
        plotting.save_grid([np.random.rand(10, 784)], path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["000.png"], "no temporary file is left behind"


def test_sample_epochs_and_names_follow_the_note():
    epochs = [e for e in range(100) if plotting.is_sample_epoch(e)]
    assert epochs == [0, 9, 19, 29, 39, 49, 59, 69, 79, 89, 99]
    assert plotting.sample_path("samples/gan", 9).as_posix() == "samples/gan/009.png"


def test_show_saved_grids_in_epoch_order(tmp_path):
    for e in (19, 0, 9):
        plotting.save_grid([np.full((10, 784), e / 19.0)], plotting.sample_path(tmp_path, e))
    fig = plotting.show_saved_grids(tmp_path)
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["epoch 000", "epoch 009", "epoch 019"]
    for ax, e in zip(fig.axes, (0, 9, 19)):  # each title over its own grid, not just the titles in order
        shown = np.asarray(ax.images[0].get_array())
        np.testing.assert_array_equal(shown, plt.imread(plotting.sample_path(tmp_path, e)))
        px = np.round(shown[..., :3] * 255).astype(np.uint8)
        rows, cols = _cells(px)
        assert len(rows) == 1 and len(cols) == 10
        _assert_cell_shows(px, rows[0], cols[4], e / 19.0)
    plt.close(fig)
    fig = plotting.show_saved_grids(tmp_path, epochs=[19, 0])
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["epoch 000", "epoch 019"]
    plt.close(fig)
    assert plotting.show_saved_grids(tmp_path / "empty") is None


def test_loss_plot_draws_only_the_losses_and_the_D_plot_both_probabilities():
    history = {"D loss": [0.5, 0.4], "G loss": [2.0, 2.5], "D(x)": [0.9, 0.8], "D(G(z))": [0.1, 0.2],
               "diversity": [0.05, 0.06]}
    fig = plotting.plot_losses(history)
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["D loss", "G loss"]
    fig = plotting.plot_discriminator(history)
    lines = fig.axes[0].get_lines()
    assert [list(line.get_ydata()) for line in lines[:2]] == [[0.9, 0.8], [0.1, 0.2]]
    assert list(lines[2].get_ydata()) == [0.5, 0.5] and fig.axes[0].get_ylim() == (0, 1)

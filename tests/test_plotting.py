"""Sample grids: the fixed step #13 (one PNG per row of images, written atomically)."""

import os

import numpy as np
import pytest
from PIL import Image

from gan_helpers import plotting


def _pixels(path):
    return np.asarray(Image.open(path).convert("RGB"))


def test_grid_holds_every_image(tmp_path):
    images = np.zeros((10, 784), np.float32)
    for i in range(10):
        images[i, :] = i / 9.0  # a different constant brightness per image
    path = plotting.save_grid([images], tmp_path / "g" / "009.png")
    px = _pixels(path)
    h, w, _ = px.shape
    assert w > 5 * h, "a 1x10 grid is a wide strip"
    # Sample the middle row across the strip: ten different colours, one per image.
    middle = px[h // 2]
    colours = {tuple(c) for c in middle if tuple(c) != (255, 255, 255)}
    assert len(colours) >= 10


def test_two_row_grid_is_twice_as_tall(tmp_path):
    one = _pixels(plotting.save_grid([np.random.rand(10, 784)], tmp_path / "a.png"))
    two = _pixels(plotting.save_grid([np.random.rand(10, 784), np.random.rand(10, 28, 28)],
                                     tmp_path / "b.png"))
    assert 1.8 < two.shape[0] / one.shape[0] < 2.2
    assert abs(two.shape[1] - one.shape[1]) <= 2


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
    assert plotting.show_saved_grids(tmp_path / "empty") is None

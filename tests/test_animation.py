"""gan_helpers.animation and the training GIF that Run writes beside the sample grids.

- a frame is the sample rows in the grids' colours with its epoch written above;
- write_gif makes a looping GIF with one frame per picture, and a failed write leaves the old GIF
  (or none) and no temporary file; a path it cannot write is one line;
- strip picks evenly spaced frames, the first and the last among them, for the printed handout;
- Run: one frame per epoch, a resumed run's GIF shows every epoch, a fresh run forgets the old ones.
"""

import errno

import numpy as np
import pytest
from matplotlib import colormaps
from PIL import Image, ImageSequence

from gan_helpers import animation, experiments
from gan_helpers.errors import GanHelpersError
from test_runner import MNIST, PLAIN_SETTINGS, experiment


# The runs below test the frames and the GIF, not how XLA compiles the step (conftest.no_xla).
pytestmark = pytest.mark.usefixtures("no_xla")


def _rows(epoch, n=10):
    """One row of ``n`` images whose brightness depends on the epoch (so frames differ)."""
    return [np.full((n, 784), (epoch % 7) / 6, np.float32)]


def _frames(count):
    return [animation.frame_image(_rows(e), e) for e in range(count)]


def _gif_frames(path):
    with Image.open(path) as gif:
        return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(gif)]


def _rgb(image):
    return np.asarray(image.convert("RGB"))


# ---------------------------------------------------------------- frame_image

def test_a_frame_shows_the_rows_in_the_grids_colours_under_its_epoch():
    black, white = np.zeros((28, 28)), np.ones((28, 28))
    frame = animation.frame_image([np.stack([black, white, black]), np.stack([white] * 3).reshape(3, 784)], 9)
    scale, step = 2, 28 + animation.GAP
    assert frame.width == (3 * step + animation.GAP) * scale
    band = frame.height - (2 * step + animation.GAP) * scale
    assert 10 <= band <= 40, "a small band for the label above the images"
    px = _rgb(frame)

    def tile(r, c):
        top, left = band + (animation.GAP + r * step) * scale, (animation.GAP + c * step) * scale
        return px[top:top + 28 * scale, left:left + 28 * scale]

    viridis = (np.asarray([colormaps["viridis"](0.0), colormaps["viridis"](1.0)])[:, :3] * 255).round()
    for r, c, want in [(0, 0, viridis[0]), (0, 1, viridis[1]), (1, 0, viridis[1]), (1, 2, viridis[1])]:
        assert np.abs(tile(r, c).reshape(-1, 3) - want).max() <= 2, (r, c)   # the whole tile, flat or 28x28
    assert (px[band:band + animation.GAP * scale] == 255).all(), "white gap above the first row"
    label = px[:band]
    assert (label.min(axis=2) < 100).any(), "the label is drawn"
    assert (label[:, label.shape[1] // 2:] == 255).all(), "a short label, at the left"


def test_frames_of_two_epochs_differ_only_in_the_label():
    a, b = animation.frame_image(_rows(0), 3), animation.frame_image(_rows(0), 12)
    band = a.height - (28 + 2 * animation.GAP) * 2
    assert a.size == b.size
    np.testing.assert_array_equal(_rgb(a)[band:], _rgb(b)[band:])
    assert (_rgb(a)[:band] != _rgb(b)[:band]).any()


def test_a_frame_is_upright_and_in_order():
    image = np.zeros((28, 28))
    image[:14, :14], image[:14, 14:] = 1.0, 0.5          # top left bright, top right half, bottom dark
    frame = _rgb(animation.frame_image([np.stack([image, np.zeros((28, 28))])], 0, scale=1)).mean(axis=2)
    top = frame.shape[0] - (28 + animation.GAP)
    first = frame[top:top + 28, animation.GAP:animation.GAP + 28]
    top_left, top_right, bottom = first[:14, :14], first[:14, 14:], first[14:]
    assert top_left.min() > top_right.max() and top_right.min() > bottom.max()
    second = frame[top:top + 28, animation.GAP + 30:animation.GAP + 58]
    assert np.ptp(second) == 0 and second[0, 0] == bottom[0, 0], "the second image is the dark one"


# ---------------------------------------------------------------- write_gif

def test_write_gif_is_a_looping_animation_of_every_frame(tmp_path):
    frames = _frames(5)
    path = animation.write_gif(frames, tmp_path / animation.GIF_NAME, ms_per_frame=80, last_frame_ms=900)
    assert path == tmp_path / "training.gif"
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 5 and gif.is_animated
        assert gif.info["loop"] == 0, "plays forever"
        durations = []
        for frame in ImageSequence.Iterator(gif):
            durations.append(frame.info["duration"])
    assert durations == [80, 80, 80, 80, 900]
    for got, want in zip(_gif_frames(path), frames):
        np.testing.assert_array_equal(got, _rgb(want))     # the palette holds every colour: no loss
    assert sorted(p.name for p in tmp_path.iterdir()) == ["training.gif"]


@pytest.mark.parametrize("old", [True, False], ids=["over an old gif", "no old gif"])
def test_a_failed_write_leaves_the_old_gif_and_no_temporary_file(tmp_path, monkeypatch, old):
    path = tmp_path / "training.gif"
    if old:
        animation.write_gif(_frames(2), path)
    before = path.read_bytes() if old else None

    def full_disk(self, fp, *args, **kwargs):
        with open(fp, "wb") as f:
            f.write(b"GIF89a half of a gif")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full_disk)
    with pytest.raises(GanHelpersError) as info:
        animation.write_gif(_frames(3), path)
    assert str(info.value) == f"cannot write {path} (No space left on device); free some disk space"
    assert sorted(p.name for p in tmp_path.iterdir()) == (["training.gif"] if old else [])
    if old:
        assert path.read_bytes() == before


def test_a_path_that_cannot_be_written_is_one_line(tmp_path):
    with pytest.raises(GanHelpersError) as info:
        animation.write_gif(_frames(2), tmp_path / "no-such-folder" / "training.gif")
    assert str(info.value) == (f"cannot write {tmp_path / 'no-such-folder' / 'training.gif'} "
                               f"(folder {tmp_path / 'no-such-folder'} does not exist); choose another path")
    with pytest.raises(GanHelpersError, match=r"\(it is a folder\); choose another path$"):
        animation.write_gif(_frames(2), tmp_path)
    with pytest.raises(GanHelpersError, match="no frames to write"):
        animation.write_gif([], tmp_path / "empty.gif")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- strip

def test_strip_stacks_evenly_spaced_frames_first_and_last_included(tmp_path):
    frames = _frames(11)
    gif = animation.write_gif(frames, tmp_path / "training.gif")
    picture = animation.strip(gif, n=6)
    w, h = frames[0].size
    assert picture.mode == "RGB" and picture.size == (w, 6 * h), "six frames, one under the other"
    px = np.asarray(picture)
    for slot, epoch in enumerate([0, 2, 4, 6, 8, 10]):
        np.testing.assert_array_equal(px[slot * h:(slot + 1) * h], _rgb(frames[epoch]), err_msg=f"slot {slot}")
    short = animation.strip(animation.write_gif(frames[:3], tmp_path / "short.gif"), n=6)
    assert short.size == (w, 3 * h), "a GIF shorter than n: all its frames, once each"


# ---------------------------------------------------------------- Run writes the GIF

def _run(epochs, tmp_path, **kwargs):
    return experiment(epochs, tmp_path / "ckpt", PLAIN_SETTINGS, sample_dir=tmp_path / "samples", **kwargs)


def _frame_files(tmp_path):
    return sorted(p.name for p in (tmp_path / "ckpt" / animation.FRAMES_DIR).iterdir())


def test_a_run_animates_every_epoch_and_a_resumed_run_all_of_them(tmp_path):
    gif = tmp_path / "samples" / animation.GIF_NAME
    _run(3, tmp_path)
    assert _frame_files(tmp_path) == ["000.png", "001.png", "002.png"]
    first = _gif_frames(gif)
    assert len(first) == 2, "epochs 0 and 2: every 2nd epoch and the last"
    for got, name in zip(first, ["000.png", "002.png"]):
        np.testing.assert_array_equal(got, _rgb(Image.open(tmp_path / "ckpt" / "frames" / name)))
    assert (first[0] != first[1]).any(), "the generator changed between epoch 0 and 2"

    resumed = _run(5, tmp_path)
    assert resumed.history.steps == 2 * (200 // 50), "only epochs 3 and 4 trained"
    frames = _gif_frames(gif)
    assert len(frames) == 3 and _frame_files(tmp_path)[-1] == "004.png"   # epochs 0, 2, 4
    for a, b in zip(first, frames):
        np.testing.assert_array_equal(a, b)     # epochs 0-2 as the first run drew them
    assert sorted(p.name for p in gif.parent.iterdir()) == ["000.png", "training.gif"]


def test_a_run_that_trains_nothing_keeps_the_gif_or_rebuilds_a_deleted_one(tmp_path, capsys):
    gif = tmp_path / "samples" / animation.GIF_NAME
    _run(3, tmp_path)
    made, written = gif.read_bytes(), gif.stat().st_mtime_ns
    again = _run(3, tmp_path)
    assert again.history.steps == 0 and "nothing to train" in capsys.readouterr().out
    assert gif.stat().st_mtime_ns == written, "left as it is, not written again"

    gif.unlink()
    _run(1, tmp_path)                            # fewer epochs than the checkpoint holds: nothing trained
    assert len(_gif_frames(gif)) == 2, "rebuilt from the checkpoint's frames: epochs 0 and 2"
    assert gif.read_bytes() == made


def test_a_fresh_start_forgets_the_earlier_runs_frames_and_gif(tmp_path):
    _run(3, tmp_path)
    _run(2, tmp_path, fresh=True)
    assert _frame_files(tmp_path) == ["000.png", "001.png"]
    assert len(_gif_frames(tmp_path / "samples" / animation.GIF_NAME)) == 2


def test_a_new_run_deletes_the_earlier_runs_gif_and_frames_before_it_trains(tmp_path):
    """So a run that dies in its first epoch leaves no GIF of another run beside its grids."""
    samples, frames = tmp_path / "samples", tmp_path / "ckpt" / animation.FRAMES_DIR
    samples.mkdir()
    (samples / "training.gif").write_bytes(b"an earlier run's gif")
    frames.mkdir(parents=True)      # a checkpoint folder killed before its first epoch was saved
    (frames / "007.png").write_bytes(b"a frame of an earlier run")

    def dies():
        raise RuntimeError("killed in epoch 0")

    with pytest.raises(RuntimeError, match="killed"):
        _run(1, tmp_path, watch=dies)
    assert list(samples.iterdir()) == [] and list(frames.iterdir()) == []
    _run(1, tmp_path)
    assert _frame_files(tmp_path) == ["000.png"] and len(_gif_frames(samples / animation.GIF_NAME)) == 1


def test_without_a_checkpoint_folder_the_frames_stay_in_memory(tmp_path):
    experiments.run_experiment(PLAIN_SETTINGS, 3, MNIST, total_epoch=2, batch_size=50, log=None,
                               sample_dir=tmp_path / "samples")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["000.png", "samples", "training.gif"]
    assert len(_gif_frames(tmp_path / "samples" / "training.gif")) == 2


def test_the_gif_shows_every_second_epoch_and_always_the_last():
    assert animation.shown_epochs(range(100)) == [*range(0, 100, 2), 99]
    assert animation.shown_epochs(range(5)) == [0, 2, 4]
    assert animation.shown_epochs([0, 1]) == [0, 1]
    assert animation.shown_epochs([]) == []

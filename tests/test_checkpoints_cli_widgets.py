"""Checkpoints (resume, settings), the sample command line and the widgets, driven from Python."""

import errno
import json
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from gan_helpers import checkpoints, models, widgets
from gan_helpers.__main__ import main
from tiny_checkpoint import make_checkpoint


@pytest.fixture(scope="module")
def cgan_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("ckpt") / "cgan"
    generator, settings, _ = make_checkpoint(d, "cgan", epochs=2)
    return d


@pytest.fixture(scope="module")
def gan_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("ckpt") / "gan"
    make_checkpoint(d, "gan")
    return d


# --- checkpoints -------------------------------------------------------------------

def test_checkpoint_folder_records_settings_history_and_keeps_a_few(tmp_path):
    make_checkpoint(tmp_path / "c", "cgan", epochs=5)
    saved = json.loads((tmp_path / "c" / "settings.json").read_text())
    assert saved == {"kind": "cgan", "n_noise": 16, "n_class": 10, "n_hidden": 32, "n_input": 784,
                     "noise": "uniform(-1, 1)"}, "the keys and values notebook 2's checkpoints always had"
    assert checkpoints.read_settings(tmp_path / "c") == models.cgan_settings(n_noise=16, n_hidden=32)
    assert len(json.loads((tmp_path / "c" / "history.json").read_text())["D loss"]) == 5
    indexes = sorted(p.name for p in (tmp_path / "c").glob("ckpt-*.index"))
    assert indexes == ["ckpt-3.index", "ckpt-4.index", "ckpt-5.index"], "the last three are kept"


def test_restore_brings_back_models_optimisers_rng_and_epoch(tmp_path):
    _, settings, (g, d, D_opt, G_opt, rng) = make_checkpoint(tmp_path / "c", "gan", epochs=2)
    g2, d2 = models.build_from_settings(settings)
    D2, G2 = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    rng2 = tf.random.Generator.from_seed(123)
    ckpt = checkpoints.TrainingCheckpoint(tmp_path / "c", settings, generator=g2, discriminator=d2,
                                          D_optimizer=D2, G_optimizer=G2, rng=rng2)
    done, history = ckpt.restore()
    assert done == 2 and len(history["G loss"]) == 2
    for a, b in zip(g.weights + d.weights, g2.weights + d2.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(D2.iterations) == int(D_opt.iterations) == 6
    for a, b in zip(G_opt.variables, G2.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(rng.normal([4]).numpy(), rng2.normal([4]).numpy())


def test_history_written_before_a_killed_save_is_trimmed(tmp_path):
    make_checkpoint(tmp_path / "c", "gan", epochs=2)
    path = tmp_path / "c" / "history.json"
    h = json.loads(path.read_text())
    h["D loss"].append(9.0)   # as if killed after history.json, before the checkpoint
    h["G loss"].append(9.0)
    path.write_text(json.dumps(h))
    settings = checkpoints.read_settings(tmp_path / "c")
    g, d = models.build_from_settings(settings)
    ckpt = checkpoints.TrainingCheckpoint(tmp_path / "c", settings, generator=g, discriminator=d,
                                          D_optimizer=keras.optimizers.Adam(), G_optimizer=keras.optimizers.Adam(),
                                          rng=tf.random.Generator.from_seed(0))
    done, history = ckpt.restore()
    assert done == 2 and history["D loss"] == h["D loss"][:2]


def test_checkpoint_from_other_settings_is_refused_clearly(tmp_path):
    make_checkpoint(tmp_path / "c", "cgan", n_noise=16)
    other = models.cgan_settings(n_noise=64, n_hidden=32)
    g, d = models.build_from_settings(other)
    with pytest.raises(checkpoints.CheckpointError) as info:
        checkpoints.TrainingCheckpoint(tmp_path / "c", other, generator=g, discriminator=d,
                                       D_optimizer=keras.optimizers.Adam(), G_optimizer=keras.optimizers.Adam(),
                                       rng=tf.random.Generator.from_seed(0))
    msg = str(info.value)
    assert "n_noise=16 there, 64 here" in msg and "fresh=True" in msg and "\n" not in msg
    # fresh=True starts again instead
    ckpt = checkpoints.TrainingCheckpoint(tmp_path / "c", other, generator=g, discriminator=d,
                                          D_optimizer=keras.optimizers.Adam(), G_optimizer=keras.optimizers.Adam(),
                                          rng=tf.random.Generator.from_seed(0), fresh=True)
    assert ckpt.restore()[0] == 0


def test_damaged_checkpoint_says_what_to_do(tmp_path):
    make_checkpoint(tmp_path / "c", "gan")
    for data in (tmp_path / "c").glob("ckpt-*.data-*"):
        data.write_bytes(b"broken")
    with pytest.raises(checkpoints.CheckpointError, match="cannot load"):
        checkpoints.load_generator(tmp_path / "c")


# --- command line ------------------------------------------------------------------
# Help, argument errors and an unusable --out (no TensorFlow needed) are in test_cli.py.

def _one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_cli_npz_is_deterministic_and_in_the_documented_format(cgan_dir, tmp_path):
    a, b, c = tmp_path / "a.npz", tmp_path / "b.npz", tmp_path / "c.npz"
    assert main(["sample", "cgan", "--digit", "7", "--count", "5", "--seed", "3",
                 "--checkpoint", str(cgan_dir), "--out", str(a)]) == 0
    main(["sample", "cgan", "--digit", "7", "--count", "5", "--seed", "3", "--checkpoint", str(cgan_dir), "--out", str(b)])
    main(["sample", "cgan", "--digit", "7", "--count", "5", "--seed", "4", "--checkpoint", str(cgan_dir), "--out", str(c)])
    za, zb, zc = np.load(a), np.load(b), np.load(c)
    assert sorted(za.files) == ["images", "labels"]
    assert za["images"].shape == (5, 28, 28) and za["images"].dtype == np.float32
    assert 0.0 <= za["images"].min() and za["images"].max() <= 1.0
    assert za["labels"].tolist() == [7] * 5 and np.issubdtype(za["labels"].dtype, np.integer)
    np.testing.assert_array_equal(za["images"], zb["images"])
    assert not np.array_equal(za["images"], zc["images"]), "another seed, other images"
    generator, settings = checkpoints.load_generator(cgan_dir)
    expected = models.generate(generator, settings, 5, seed=3, digit=7).reshape(5, 28, 28)
    np.testing.assert_allclose(za["images"], expected, atol=1e-6)


def test_cli_gan_labels_and_png_grid(gan_dir, tmp_path):
    out = tmp_path / "g.npz"
    assert main(["sample", "gan", "--count", "12", "--checkpoint", str(gan_dir), "--out", str(out)]) == 0
    assert np.load(out)["labels"].tolist() == [-1] * 12
    png = tmp_path / "g.png"
    assert main(["sample", "gan", "--count", "12", "--checkpoint", str(gan_dir), "--out", str(png)]) == 0
    img = Image.open(png)
    assert img.format == "PNG" and img.width > img.height > 28, "two rows of up to ten images"


def test_cli_reads_the_projects_checkpoint_folder_by_default(cgan_dir, tmp_path, monkeypatch, capsys):
    """No --checkpoint: checkpoints/KIND of the project ($GAN_PROJECT_ROOT moves it, as `make test` does)."""
    monkeypatch.setenv("GAN_PROJECT_ROOT", str(tmp_path / "project"))
    assert main(["sample", "cgan", "--out", str(tmp_path / "x.npz")]) == 1
    line = _one_line(capsys.readouterr().err)
    assert f"no checkpoint in {tmp_path / 'project' / 'checkpoints' / 'cgan'}" in line
    assert "train it first: run notebooks/02_conditional_gan.ipynb" in line and "#" not in line
    assert not (tmp_path / "x.npz").exists()

    shutil.copytree(cgan_dir, tmp_path / "project" / "checkpoints" / "cgan")
    assert main(["sample", "cgan", "--digit", "2", "--count", "3", "--out", str(tmp_path / "x.npz")]) == 0
    generator, settings = checkpoints.load_generator(cgan_dir)
    np.testing.assert_allclose(np.load(tmp_path / "x.npz")["images"],
                               models.generate(generator, settings, 3, seed=0, digit=2).reshape(3, 28, 28), atol=1e-6)


@pytest.mark.parametrize("folder,kind,notebook", [
    ("none", "cgan", "train it first: run notebooks/02_conditional_gan.ipynb"),
    ("gan", "gan", "train it first: run notebooks/01_gan.ipynb"),
    ("gan-better", "gan", "train it first: run notebooks/03_going_further.ipynb"),
    ("cgan-better", "cgan", "train it first: run notebooks/03_going_further.ipynb"),
])
def test_cli_without_checkpoint_exits_1_naming_the_notebook(folder, kind, notebook, tmp_path, capsys):
    out = tmp_path / "x.png"
    assert main(["sample", kind, "--checkpoint", str(tmp_path / folder), "--out", str(out)]) == 1
    line = _one_line(capsys.readouterr().err)
    assert f"no checkpoint in {tmp_path / folder}" in line and notebook in line
    assert not out.exists()


def test_cli_wrong_kind_of_checkpoint(gan_dir, tmp_path, capsys):
    assert main(["sample", "cgan", "--checkpoint", str(gan_dir), "--out", str(tmp_path / "x.png")]) == 1
    assert "holds a 'gan' checkpoint" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("broken,error,expected", [
    # the disk fills up while the data is written
    ("fsync", OSError(errno.ENOSPC, "No space left on device"),
     "(No space left on device); free some disk space or choose another --out"),
    # the folder refuses the rename (no write permission: tests run as root, where chmod blocks nothing)
    ("replace", PermissionError(errno.EACCES, "Permission denied"), "(Permission denied); choose another --out"),
])
@pytest.mark.parametrize("old", [None, b"old"])
def test_cli_failed_write_says_so_in_one_line_and_leaves_no_file(broken, error, expected, old, cgan_dir,
                                                                 tmp_path, monkeypatch, capsys):
    import gan_helpers.atomic

    out = tmp_path / "x.npz"
    if old is not None:
        out.write_bytes(old)

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(gan_helpers.atomic.os, broken, fail)
    assert main(["sample", "cgan", "--checkpoint", str(cgan_dir), "--out", str(out)]) == 1
    monkeypatch.undo()
    captured = capsys.readouterr()
    assert _one_line(captured.err) == f"error: cannot write {out} {expected}"
    assert "wrote" not in captured.out
    if old is None:
        assert list(tmp_path.iterdir()) == [], "no partial file, no temporary file"
    else:
        assert out.read_bytes() == old, "the old file is kept whole"
        assert [p.name for p in tmp_path.iterdir()] == ["x.npz"], "no temporary file"


# --- widgets -----------------------------------------------------------------------

def test_digit_slider_shows_the_generators_images_for_each_digit_and_seed(cgan_dir):
    view = widgets.digit_slider(cgan_dir, count=6, seed=5)
    generator, settings = checkpoints.load_generator(cgan_dir)
    shown = set()
    for d in range(10):
        view.controls["digit"].value = d
        expected = models.generate(generator, settings, 6, seed=5, digit=d)
        np.testing.assert_allclose(view.last_images, expected, atol=1e-6)
        shown.add(view.image.value)
    assert len(shown) == 10, "every digit redraws the image"
    before = view.image.value
    view.controls["new_noise"].click()
    assert view.controls["seed"].value == 6
    np.testing.assert_allclose(view.last_images, models.generate(generator, settings, 6, seed=6, digit=9), atol=1e-6)
    assert view.image.value != before
    view.controls["count"].value = 3
    assert view.last_images.shape == (3, 784)
    # same noise, every digit: the style strip uses one noise vector for all ten labels
    np.testing.assert_allclose(view.style_images,
                               models.generate(generator, settings, 10, seed=6, digit=np.arange(10),
                                               same_noise=True), atol=1e-6)
    assert "image/png" in view._repr_mimebundle_(), "a static picture for the handout"


def test_digit_slider_without_checkpoint_says_train_it_first(tmp_path):
    view = widgets.digit_slider(tmp_path / "nothing")
    assert f"no checkpoint in {tmp_path / 'nothing'}; {widgets.TRAIN_FIRST}" in view.value
    odd = widgets.digit_slider(tmp_path / "R&D" / "cgan")
    assert "R&amp;D" in odd.value, "the message is HTML: a folder name is escaped, not markup"


def test_widgets_use_the_projects_folders_by_default(cgan_dir, gan_dir, tmp_path, monkeypatch):
    """In a notebook `widgets.digit_slider()` etc. need no path: checkpoints/ of the project, and the sample grids
    of this session's run (paths.sample_dir: beside its checkpoints, as for any run but the run of record)."""
    project = tmp_path / "project"
    monkeypatch.setenv("GAN_PROJECT_ROOT", str(project))
    monkeypatch.delenv("GAN_RUN_OF_RECORD", raising=False)
    missing = [widgets.digit_slider().value, widgets.latent_walk().value, widgets.epoch_browser().value]
    assert str(project / "checkpoints" / "cgan") in missing[0] and widgets.TRAIN_FIRST in missing[0]
    assert str(project / "checkpoints" / "gan") in missing[1] and widgets.TRAIN_FIRST in missing[1]
    assert str(project / "checkpoints" / "gan" / "samples") in missing[2] and widgets.TRAIN_FIRST in missing[2]

    shutil.copytree(cgan_dir, project / "checkpoints" / "cgan")
    shutil.copytree(gan_dir, project / "checkpoints" / "gan")
    from gan_helpers import plotting

    plotting.save_grid([np.zeros((10, 784))], plotting.sample_path(project / "checkpoints" / "gan" / "samples", 4))
    slider = widgets.digit_slider(count=2, seed=1)
    generator, settings = checkpoints.load_generator(cgan_dir)
    np.testing.assert_allclose(slider.last_images, models.generate(generator, settings, 2, seed=1, digit=0), atol=1e-6)
    assert widgets.latent_walk().last_images.shape == (1, 784)
    assert widgets.epoch_browser().controls["epoch"].options == (4,)


def test_latent_walk_and_epoch_browser(gan_dir, tmp_path):
    view = widgets.latent_walk(gan_dir, seed_a=0, seed_b=1)
    start = view.last_images.copy()
    view.controls["t"].value = 1.0
    end = view.last_images.copy()
    view.controls["t"].value = 0.5
    generator, settings = checkpoints.load_generator(gan_dir)
    za = models.NOISE[settings.noise](tf.random.Generator.from_seed(0), 1, settings.n_noise)
    zb = models.NOISE[settings.noise](tf.random.Generator.from_seed(1), 1, settings.n_noise)
    np.testing.assert_allclose(start, generator(za).numpy(), atol=1e-6)
    np.testing.assert_allclose(end, generator(zb).numpy(), atol=1e-6)
    np.testing.assert_allclose(view.last_images, generator(0.5 * za + 0.5 * zb).numpy(), atol=1e-5)
    missing = widgets.latent_walk(tmp_path / "none").value
    assert "no checkpoint in" in missing and "train it first" in missing

    from gan_helpers import plotting

    for e in (0, 9, 19):
        plotting.save_grid([np.full((10, 784), e / 19)], plotting.sample_path(tmp_path / "s", e))
    browser = widgets.epoch_browser(tmp_path / "s")
    assert browser.controls["epoch"].options == (0, 9, 19)
    browser.controls["epoch"].value = 9
    assert browser.image.value == (tmp_path / "s" / "009.png").read_bytes()
    assert "no sample grids" in widgets.epoch_browser(tmp_path / "empty").value
    assert "train it first" in widgets.epoch_browser(tmp_path / "gan-better").value


@pytest.mark.parametrize("kind", ["gan", "cgan"])
def test_cli_and_slider_use_notebook_3s_checkpoints(kind, tmp_path):
    """`sample ... --checkpoint checkpoints/{gan,cgan}-better` and digit_slider(that folder) rebuild
    notebook 3's models (deeper MLP with batch norm and minibatch std) from settings.json."""
    settings = models.better_settings(kind, "mlp", n_noise=16, n_hidden=[16, 32], activation="leaky_relu",
                                      init="glorot", ema=0.999, batch_norm=True, minibatch_std=True)
    directory = tmp_path / f"{kind}-better"
    generator, _, _ = make_checkpoint(directory, settings=settings)
    out = tmp_path / "x.npz"
    digit = ["--digit", "4"] if kind == "cgan" else []
    assert main(["sample", kind, *digit, "--count", "6", "--seed", "2", "--checkpoint", str(directory),
                 "--out", str(out)]) == 0
    expected = models.generate(generator, settings, 6, seed=2, digit=4 if kind == "cgan" else None)
    np.testing.assert_allclose(np.load(out)["images"], expected.reshape(6, 28, 28), atol=1e-6)
    if kind == "cgan":
        view = widgets.digit_slider(directory)
        assert view.style_images.shape[0] == 10 and "image/png" in view._repr_mimebundle_()

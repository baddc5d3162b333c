"""The committed notebooks and samples are what a learner reads without running anything.

These tests check that what is committed comes from a real full run, and that a
re-run after a kernel restart draws the same pictures (the documented seed).
"""

import math
import re
import shutil

import nbformat
import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, real_mnist_path
from gan_helpers import classifier, data, plotting, training

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SAMPLE_DIRS = {name: ROOT / "samples" / name for name in ["gan", "cgan", "gan-better", "cgan-better"]}
EPOCH_LINE = re.compile(r"^Epoch (\d{4}) D loss: (\S+) G loss: (\S+)$", re.M)


def _stream_text(nb):
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.output_type == "stream" and o.name == "stdout")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_a_clean_full_run(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert None not in counts, "every code cell was run"
    assert counts == sorted(counts) and counts[0] == 1, "run top to bottom after a restart"
    for c in code:
        for o in c.outputs:
            assert o.output_type != "error", f"error saved in: {c.source[:60]}"
            assert not (o.output_type == "stream" and o.name == "stderr"), \
                f"stderr (TensorFlow log lines?) saved in: {c.source[:60]}"
    epochs = EPOCH_LINE.findall(_stream_text(nb))
    if epochs:
        numbers = [int(e[0]) for e in epochs]
        shown = [e for e in range(100) if training.is_logged_epoch(e, 0, 100)]   # 0, 9, 19, ... 99
        runs = len(numbers) // len(shown)
        assert runs >= 1 and numbers == shown * runs, "every committed training run shows its 100 epochs' short log"
        assert all(math.isfinite(float(v)) for e in epochs for v in e[1:])
    text = _stream_text(nb)
    if path.name.startswith("00_"):   # points in the plane, no MNIST: a full run has the default step count
        default = re.search(r"config\.steps_2d\((\d+)\)", "\n".join(c.source for c in code)).group(1)
        assert f"| STEPS {default} |" in text, "the committed notebook 00 ran its full STEPS (GAN2D_STEPS unset)"
        return
    assert re.search(r"MNIST from .*: [\d,]+ training images", text), "says which data it trained on"


@pytest.mark.parametrize("name", sorted(SAMPLE_DIRS))
def test_committed_samples_are_the_full_runs_grids(name):
    folder = SAMPLE_DIRS[name]
    expected = [plotting.sample_path(folder, e).name for e in range(100) if plotting.is_sample_epoch(e)]
    assert sorted(p.name for p in folder.glob("*.png")) == expected
    for png in folder.glob("*.png"):
        img = np.asarray(Image.open(png).convert("L"), dtype=np.float32)
        # Ten tiles side by side; each holds a picture, not a blank or a single colour.
        tiles = np.array_split(img, 10, axis=1)
        assert all(t.std() > 10 for t in tiles), f"{png.name} has an empty tile"


@pytest.mark.parametrize("name", sorted(SAMPLE_DIRS))
def test_committed_animation_is_the_full_run(name):
    """samples/<name>/training.gif: a looping animation of epochs 0, 2, ..., 98 and 99, each frame labelled
    with its epoch, first and last frames holding pictures, and small enough to commit."""
    from gan_helpers import animation

    gif_path = SAMPLE_DIRS[name] / animation.GIF_NAME
    assert gif_path.stat().st_size < 1_000_000, "keep the committed animation under 1 MB"
    with Image.open(gif_path) as gif:
        assert gif.is_animated and gif.n_frames == len(animation.shown_epochs(range(100))) == 51
        assert gif.info.get("loop") == 0, "plays on a loop"
        frames = []
        for k in range(gif.n_frames):
            gif.seek(k)
            frames.append(np.asarray(gif.convert("L"), np.float32))
    assert all(np.abs(a - b).mean() > 0 for a, b in zip(frames, frames[1:])), "every frame is a new picture"
    # The first and last frames hold pictures, not blanks: their image bands vary.
    for frame in (frames[0], frames[-1]):
        band = frame[frame.shape[0] // 3:]
        assert band.std() > 10


@pytest.mark.parametrize("name", ["gan", "gan-better"])
def test_latest_samples_differ_from_each_other(name):
    """At epoch 99 the ten fixed noise vectors give ten different images (no full collapse)."""
    img = np.asarray(Image.open(SAMPLE_DIRS[name] / "099.png").convert("L"), np.float32)
    tiles = [t[:, : min(x.shape[1] for x in np.array_split(img, 10, axis=1))]
             for t in np.array_split(img, 10, axis=1)]
    diffs = [np.abs(tiles[i] - tiles[j]).mean() for i in range(10) for j in range(i + 1, 10)]
    assert min(diffs) > 3


def _run_copy(nb_name, tmp_path, monkeypatch, epochs=1, through=None, classifier_cache=None):
    """Run a copy of the notebook in a fresh kernel; ``through``: stop after the first code cell holding it;
    ``classifier_cache``: a classifier cache folder the copy finds in its checkpoints/ (as a learner's second run does)."""
    from nbclient import NotebookClient

    real_mnist_path()
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    if classifier_cache is not None:
        shutil.copytree(classifier_cache, project / "checkpoints" / "classifier")
    shutil.copy(ROOT / "notebooks" / nb_name, project / "notebooks" / nb_name)
    monkeypatch.setenv("GAN_EPOCHS", str(epochs))
    monkeypatch.setenv("GAN_PROJECT_ROOT", str(project))   # checkpoints/ and samples/ go to the copy
    nb = nbformat.read(project / "notebooks" / nb_name, as_version=4)
    if through is not None:
        nb.cells = nb.cells[:next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and through in c.source) + 1]
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(project / "notebooks")}}).execute()
    return project, nb


def _checked_outputs(nb):
    """The stdout of the cells nbval compares (# NBVAL_CHECK_OUTPUT), in order."""
    return ["".join(o.get("text", "") for o in c.outputs if o.output_type == "stream" and o.name == "stdout")
            for c in nb.cells if c.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in c.source]


@pytest.mark.slow
@pytest.mark.reproduction
def test_rerun_draws_the_same_pictures_also_on_the_agg_backend(tmp_path, monkeypatch, classifier_dir):
    """Notebook 1 again after a kernel restart: the same pictures (the documented seed). The second run uses
    matplotlib's Agg backend, which closes no figure after a cell (issue 29): every cell of notebook 1 runs on it,
    and the cells nbval checks print what they print inline. (nbval runs the whole notebook inline; the first
    run here stops after the training cell, which draws the first sample grid; the second finds this test run's
    classifier, which nbval's runs of notebooks 1-3 use too.)"""
    monkeypatch.delenv("MPLBACKEND", raising=False)     # the kernel's default: inline
    pa, nba = _run_copy("01_gan.ipynb", tmp_path / "a", monkeypatch, through="training.train(run")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    classifier.load_or_train_classifier(data.load_mnist(real_mnist_path()), classifier_dir)   # this test run's, once
    pb, nbb = _run_copy("01_gan.ipynb", tmp_path / "b", monkeypatch, classifier_cache=classifier_dir)
    a = np.asarray(Image.open(pa / "checkpoints/gan/samples/000.png"))   # a 1-epoch run: not the run of record's samples/
    b = np.asarray(Image.open(pb / "checkpoints/gan/samples/000.png"))
    np.testing.assert_array_equal(a, b)
    inline, agg = _checked_outputs(nba), _checked_outputs(nbb)
    assert len(inline) >= 2 and agg[:len(inline)] == inline, "a checked cell prints another answer on Agg"
    lines = EPOCH_LINE.findall(_stream_text(nbb))
    assert [int(e[0]) for e in lines] == [0]
    assert all(math.isfinite(float(v)) and float(v) < 0 for v in lines[0][1:]), \
        "the note's objectives are log-probabilities: finite and negative"
    assert sorted(p.name for p in (pb / "checkpoints/gan/samples").iterdir()) == ["000.png", "training.gif"]
    assert not (pb / "samples").exists()
    assert "not the run of record: GAN_EPOCHS=1, not 100" in _stream_text(nbb), "the notebook says where and why"


def test_environment_yml_and_pip_files_describe_one_environment():
    import tomllib

    import yaml

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip == ["-r requirements.txt"], "conda installs exactly the pip files"
    py = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert py.replace("python", "") == project["requires-python"]
    reqs = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert len(reqs) == 1 and reqs[0].startswith("-e .[") and reqs[0].endswith("]")
    assert sorted(reqs[0][len("-e .["):-1].split(",")) == sorted(project["optional-dependencies"]), \
        "requirements.txt installs the package with every extra"
    assert not any("==" in d for d in project["dependencies"]), "lower bounds, not exact pins"

"""The committed samples/ are the run of record's: no other kind of run overwrites them (issue 28, item 1).

- a short run (GAN_EPOCHS=2) leaves samples/ byte-identical, keeps its own grids and GIF beside its
  checkpoints and says where they are and why;
- only make notebooks (GAN_RUN_OF_RECORD=1) with the committed settings (GAN_EPOCHS 100, GAN_SEED 42,
  the offline MNIST; notebook 00: GAN2D_STEPS 3000) writes samples/; each other setting is named;
- a run given the committed folder by hand is refused in one line before it writes anything;
- make notebooks refuses, before it trains, a run that would not be the run of record;
- in a notebook, a run that is not the run of record shows its own GIF.

(The handout's refusal of a short run's notebook is in test_handout.py.)
"""

import hashlib
import json

import nbformat
import numpy as np
import pytest

from conftest import ROOT, real_mnist_path
from gan_helpers import config, data, experiments, models, paths, results
from gan_helpers.data import Mnist, one_hot

# What runs a step is tested elsewhere, not how XLA compiles it (conftest.no_xla).
pytestmark = pytest.mark.usefixtures("no_xla")

VARIABLES = ("GAN_EPOCHS", "GAN_SEED", "GAN2D_STEPS", "MNIST_NPZ", "GAN_PROJECT_ROOT", config.RECORD_ENV)
SETTINGS = models.better_settings("gan", "mlp", n_noise=8, n_hidden=16, activation="leaky_relu",
                                  init="glorot", learning_rate=0.001, beta_1=0.5)


def tiny_mnist(n=200, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    return Mnist(x_train=rng.random((n, 784), dtype=np.float32), y_train=one_hot(labels),
                 x_test=rng.random((20, 784), dtype=np.float32), y_test=one_hot(labels[:20]), source="test")


def tree(folder):
    """Every file under ``folder``: relative path -> sha256 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def session(monkeypatch):
    """A session with none of the variables set (a learner's plain `make lab`)."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def offline(session):
    """MNIST_NPZ names the offline file (the run of record's data)."""
    session.setenv("MNIST_NPZ", real_mnist_path())
    return session


@pytest.fixture
def learners_project(session, tmp_path):
    """A learner's checkout: the committed samples/ copied into a project root of its own."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(ROOT / "samples", project / "samples")
    session.setenv("GAN_PROJECT_ROOT", str(project))
    return project


def test_a_short_run_leaves_samples_byte_identical_and_says_where_its_pictures_are(learners_project, session,
                                                                                 capsys):
    committed = tree(learners_project / "samples")
    assert len(committed) == 4 * 12 + 1, "the copy holds the committed grids and GIFs"
    session.setenv("GAN_EPOCHS", "2")
    run = experiments.run_experiment(SETTINGS, 42, tiny_mnist(), total_epoch=config.total_epoch(), batch_size=50,
                                     checkpoint_dir=paths.checkpoint_dir("gan-better"),
                                     sample_dir=paths.sample_dir("gan-better"), log=None)
    assert tree(learners_project / "samples") == committed, "samples/ is byte-identical after the short run"
    own = (learners_project / "checkpoints" / "gan-better" / "samples").resolve()
    assert run.sample_dir.resolve() == own
    assert sorted(p.name for p in own.iterdir()) == ["000.png", "training.gif"], "the run's own grid and GIF"
    printed = capsys.readouterr().out
    assert ("this run's pictures: checkpoints/gan-better/samples/ (samples/gan-better/ keeps the run of record's); "
            "not the run of record: GAN_EPOCHS=2, not 100; MNIST_NPZ unset (Keras's download), not the offline MNIST"
            ) in printed.splitlines()


def test_the_checkouts_own_samples_go_nowhere_but_the_run_of_record(session):
    """Without GAN_PROJECT_ROOT (a learner's `GAN_EPOCHS=5 make lab`): beside the checkout's checkpoints."""
    session.setenv("GAN_EPOCHS", "5")
    for name in results.SAMPLES:
        folder = paths.sample_dir(name)
        assert folder == ROOT / "checkpoints" / name / "samples", name
        assert not folder.is_relative_to(ROOT / "samples")


def test_only_make_notebooks_with_the_committed_settings_writes_samples(offline):
    offline.setenv(config.RECORD_ENV, "1")
    for name in results.SAMPLES:
        assert results.not_of_record(name) is None, name
        assert paths.sample_dir(name) == ROOT / "samples" / name
    offline.setenv("GAN_EPOCHS", "100")   # the default, written out: the same run
    assert paths.sample_dir("gan") == ROOT / "samples" / "gan"


@pytest.mark.parametrize("name,env,why", [
    ("gan", {"GAN_EPOCHS": "5"}, "GAN_EPOCHS=5, not 100"),
    ("cgan-better", {"GAN_SEED": "7"}, "GAN_SEED=7, not 42"),
    ("gan2d", {"GAN2D_STEPS": "200"}, "GAN2D_STEPS=200, not 3000"),
    ("gan2d", {"GAN_SEED": "7", "GAN2D_STEPS": "200"}, "GAN2D_STEPS=200, not 3000; GAN_SEED=7, not 42"),
    ("gan2d", {"GAN_EPOCHS": "5", "MNIST_NPZ": ""}, None),     # notebook 00 trains no epochs of MNIST
    ("cgan", {"MNIST_NPZ": ""}, "MNIST_NPZ unset (Keras's download), not the offline MNIST"),
    ("gan", {config.RECORD_ENV: ""}, "not started by make notebooks"),
])
def test_each_other_setting_is_another_kind_of_run_and_is_named(offline, name, env, why):
    offline.setenv(config.RECORD_ENV, "1")
    for key, value in env.items():
        offline.setenv(key, value)
    assert results.not_of_record(name) == why
    assert paths.sample_dir(name) == (ROOT / "samples" / name if why is None else ROOT / "checkpoints" / name / "samples")


def test_other_mnist_data_is_another_kind_of_run(session, write_npz):
    session.setenv(config.RECORD_ENV, "1")
    session.setenv("MNIST_NPZ", str(write_npz()))
    assert results.not_of_record("gan") == f"MNIST_NPZ={write_npz()} is not the offline MNIST"
    assert data.not_the_offline_file() is not None


def test_a_bad_GAN_RUN_OF_RECORD_is_one_line_naming_the_fix(offline):
    offline.setenv(config.RECORD_ENV, "yes")
    offline.setenv("GAN_EPOCHS", "5")      # refused whatever else differs
    with pytest.raises(config.EnvVarError) as info:
        paths.sample_dir("gan")
    assert str(info.value) == ("GAN_RUN_OF_RECORD='yes' is not a whole number; "
                               "set e.g. GAN_RUN_OF_RECORD=1, or unset it for the default 0")


def test_a_run_given_the_committed_folder_by_hand_is_refused_before_it_writes(session, capsys):
    from gan_helpers import runner

    session.setenv("GAN_EPOCHS", "2")
    before = tree(ROOT / "samples")
    generator, discriminator = models.build_from_settings(SETTINGS)
    with pytest.raises(results.ResultsError) as info:
        runner.Run(SETTINGS, generator, discriminator, None, None, None,
                   sample_dir=ROOT / "samples" / "gan", sample_rows=lambda: [np.zeros((10, 784))])
    assert str(info.value) == (
        "samples/gan/ holds the run of record's pictures, and this run is not the run of record (GAN_EPOCHS=2, "
        "not 100; MNIST_NPZ unset (Keras's download), not the offline MNIST): give "
        "sample_dir=paths.sample_dir('gan') (checkpoints/gan/samples/)")
    assert tree(ROOT / "samples") == before


def test_make_notebooks_refuses_a_run_that_would_not_be_the_run_of_record(session):
    session.setenv(config.RECORD_ENV, "1")           # what make notebooks sets; MNIST_NPZ forgotten
    assert results.run_of_record_refusal(["00_gan_in_2d.ipynb"]) is None, "notebook 00 needs no MNIST"
    assert results.run_of_record_refusal(["00_gan_in_2d.ipynb", "02_conditional_gan.ipynb"]) == (
        "make notebooks: 02_conditional_gan.ipynb would not be the run of record (MNIST_NPZ unset (Keras's "
        "download), not the offline MNIST); run MNIST_NPZ=../shared/data/mnist-offline.npz make notebooks")


def test_make_notebooks_checks_first_and_runs_as_the_run_of_record(session):
    """make notebooks-check (the first step of make notebooks) stops a run without the offline MNIST in one line;
    the notebooks then run with GAN_RUN_OF_RECORD=1."""
    import subprocess

    def check(**env):
        return subprocess.run(["make", "-s", "-o", ".venv/.installed", "notebooks-check", *[f"{k}={v}" for k, v in env.items()]],
                              cwd=ROOT, capture_output=True, text=True)

    refused = check(NOTEBOOKS="01_gan.ipynb")
    assert refused.returncode != 0 and refused.stderr.splitlines()[0] == (
        "make notebooks: 01_gan.ipynb would not be the run of record (MNIST_NPZ unset (Keras's download), not the "
        "offline MNIST); run MNIST_NPZ=../shared/data/mnist-offline.npz make notebooks")
    assert check(NOTEBOOKS="00_gan_in_2d.ipynb").returncode == 0, "notebook 00 needs no MNIST"
    session.setenv("GAN_EPOCHS", "5")                         # make notebooks unsets it
    assert check(MNIST_NPZ=real_mnist_path()).returncode == 0
    text = (ROOT / "Makefile").read_text()
    recipe = text[text.index("\nnotebooks: "):].split("\n\n")[0]
    assert recipe.startswith("\nnotebooks: notebooks-check") and f"{config.RECORD_ENV}=1 ../$(VENV)/bin/jupyter" in recipe


def test_notebook_00s_default_steps_are_the_run_of_records():
    nb = nbformat.read(ROOT / "notebooks" / "00_gan_in_2d.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f"config.steps_2d({config.DEFAULT_STEPS_2D})" in code


def test_in_a_notebook_a_run_that_is_not_the_run_of_record_shows_its_own_gif(learners_project, session,
                                                                               monkeypatch, capsys):
    import IPython
    import IPython.display

    from gan_helpers import animation

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())        # as inside a kernel
    monkeypatch.setattr(IPython.display, "display", shown.append)
    session.setenv("GAN_EPOCHS", "2")
    run = experiments.run_experiment(SETTINGS, 42, tiny_mnist(), total_epoch=2, batch_size=50,
                                     checkpoint_dir=paths.checkpoint_dir("gan-better"),
                                     sample_dir=paths.sample_dir("gan-better"), log=None)
    gif = run.sample_dir / animation.GIF_NAME
    assert [(s.format, s.data) for s in shown] == [("gif", gif.read_bytes())], "the run's own GIF, once"
    assert capsys.readouterr().out.count("not the run of record") == 1, "its line, once"

    shown.clear()
    animation.show_own(learners_project / "samples" / "gan-better")     # the run of record's: the Markdown shows it
    animation.show_own(run.sample_dir)                                   # notebook 00's call: line and GIF
    assert len(shown) == 1 and "this run's pictures: checkpoints/gan-better/samples/" in capsys.readouterr().out


def test_committed_notebooks_hold_no_other_kind_of_run():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        saved = json.dumps([c.get("outputs", []) for c in nbformat.read(path, as_version=4).cells])
        assert results.NOT_OF_RECORD not in saved, path.name

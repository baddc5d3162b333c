"""gan_helpers.cgan: notebook 2's runs built once, and the saved noise comparison the notebook reads."""

import json
import os
import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from gan_helpers import cgan, classifier, results, timing
from gan_helpers.data import Mnist, one_hot

SCRIPT = ROOT / "tools" / "cgan_noise.py"
CODE_OF = ("gan_helpers.cgan.build", "gan_helpers.cgan.measure")   # a record for the tests' own files


def small_mnist(n_train=300, n_test=2000, seed=0):
    """Random pictures with labels: enough test images for the probes (2,000) and the watch (500)."""
    rng = np.random.default_rng(seed)
    train, test = rng.integers(0, 10, n_train), rng.integers(0, 10, n_test)
    return Mnist(x_train=rng.random((n_train, 784), dtype=np.float32), y_train=one_hot(train),
                 x_test=rng.random((n_test, 784), dtype=np.float32), y_test=one_hot(test), source="test")


def trained(noise, seed, mnist, epochs=2):
    run, train_step, watch = cgan.build(noise, seed, mnist, n_hidden=16, n_noise=8)
    run.fit(train_step, [mnist.x_train, mnist.y_train], total_epoch=epochs, batch_size=100, watch=watch, log=None)
    return run


@pytest.mark.usefixtures("no_xla")   # the wiring, not XLA
def test_build_trains_like_the_notebook_and_watches_the_signal():
    mnist = small_mnist()
    run = trained("uniform(-1, 1)", 3, mnist)
    again = trained("uniform(-1, 1)", 3, mnist)
    assert run.history["D loss"] == again.history["D loss"], "seeded: the same run twice"
    assert {"D(G(z))", "|grad G|", "saturated", "D(x)"} <= set(run.history)
    assert all(len(column) == 2 for column in run.history.values())
    assert run.settings.noise == "uniform(-1, 1)" and run.settings.kind == "cgan"


@pytest.mark.usefixtures("no_xla")   # the wiring, not XLA
def test_saved_results_round_trip(tmp_path):
    mnist = small_mnist()
    judge = classifier.build_classifier()
    entries = {key: cgan.result_entry(trained(*key, mnist), judge, mnist)
               for key in [("uniform(-1, 1)", 1), ("normal(-1, 1)", 1)]}
    record = results.record(CODE_OF, {"epochs": 2}, data="test")
    path = cgan.save_results(entries, record, tmp_path / "results.json", epochs=2, data="test")
    runs, facts = cgan.load_results(path)
    assert set(runs) == set(entries) and facts["epochs"] == 2
    assert facts["provenance"] == record and record["cpu"] == timing.cpu_model()
    for key, entry in entries.items():
        saved = runs[key]
        assert saved.history == entry["history"] and saved.settings.to_dict() == entry["settings"]
        assert saved.measured == json.loads(json.dumps(entry["measured"]))
        assert cgan.measured(saved, judge, mnist) is saved.measured      # no model needed
        np.testing.assert_allclose(cgan.grid_images(saved), entry["grid"], atol=0.5 / 255 + 1e-6)
    assert "made by the same code as today, on this CPU" in cgan.describe_results(facts, path=path)


def test_the_committed_comparison_is_made_by_todays_code():
    """results/cgan-noise/ holds the four 100-epoch runs notebook 2 reads; a change to the code that makes
    them (training step, models, noise, watch, loop, measures) fails here until `make cgan-noise` runs again."""
    sys.path.insert(0, str(ROOT / "tools"))
    import cgan_noise

    runs, facts = cgan.load_results()
    assert facts["provenance"]["code of"] == list(cgan_noise.CODE_OF), "the tool names other code than the file"
    assert results.code_status(facts["provenance"]) == "same", "the code changed: run make cgan-noise and commit"
    assert sorted(runs) == sorted(cgan.COMPARISON) and facts["epochs"] == cgan.EPOCHS == 100
    assert "14,106 training images" in facts["data"] or "60,000 training images" in facts["data"]
    for (noise, seed), saved in runs.items():
        assert all(len(column) == 100 for column in saved.history.values()), (noise, seed)
        assert {"D loss", "G loss", "D(x)", "D(G(z))", "saturated", "|grad G|"} <= set(saved.history)
        assert saved.grid.shape == (100, 784) and 0 <= saved.grid.min() and saved.grid.max() <= 1
        assert 0.0 <= saved.measured["label acc"] <= 1.0


def test_notebook_2_shows_its_own_run_identical_to_the_saved_one():
    """The saved uniform(-1, 1) seed-42 run and notebook 2's own full run are the same code, machine and
    TensorFlow: the committed notebook must say so (and the comparison must be read, not trained)."""
    nb = nbformat.read(ROOT / "notebooks" / "02_conditional_gan.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "results/cgan-noise: made by the same code as today" in text
    assert re.search(r"this notebook's run \(uniform\(-1, 1\), seed 42\).* -> identical", text)


def test_the_tool_refuses_short_runs_into_the_notebooks_file_and_gan_epochs():
    env = {**os.environ, "GAN_EPOCHS": "5"}
    before = {p.name: p.stat().st_mtime_ns for p in cgan.RESULTS.parent.iterdir()}
    refused = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True)
    assert refused.returncode == 2 and "unset GAN_EPOCHS" in refused.stderr
    env.pop("GAN_EPOCHS")
    short = subprocess.run([sys.executable, str(SCRIPT), "--epochs", "3"], env=env, capture_output=True, text=True)
    assert short.returncode == 2 and short.stderr.strip() == (
        "cgan-noise: a trial run (3 epochs, not 100) is not written into results/cgan-noise/; "
        "write it elsewhere with --out")
    assert {p.name: p.stat().st_mtime_ns for p in cgan.RESULTS.parent.iterdir()} == before


@pytest.mark.slow
def test_a_trial_run_of_the_tool_writes_a_result_the_notebook_can_read(tmp_path):
    """The tool end to end (1 epoch per run, into another folder): its record is plain JSON and loads
    (a record holding a Settings object once failed only after all four 100-epoch runs had trained)."""
    from conftest import real_mnist_path

    out = tmp_path / "results.json"
    env = {**os.environ, "MNIST_NPZ": str(real_mnist_path())}
    env.pop("GAN_EPOCHS", None)
    done = subprocess.run([sys.executable, str(SCRIPT), "--epochs", "1", "--out", str(out)], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    runs, facts = cgan.load_results(out)
    assert sorted(runs) == sorted(cgan.COMPARISON) and facts["epochs"] == 1
    assert facts["provenance"]["settings"]["note"]["learning_rate"] == cgan.LEARNING_RATE


@pytest.mark.slow
@pytest.mark.reproduction
def test_a_saved_run_is_what_the_code_trains_today(tmp_path):
    """Train one saved run again (100 epochs, about a minute): on the machine and TensorFlow that made the
    file, every epoch's numbers agree to 1e-6 (the losses' last bits follow the order of their sum);
    elsewhere the run still collapses as saved."""
    from conftest import real_mnist_path
    from gan_helpers.data import load_mnist

    runs, facts = cgan.load_results()
    key = ("normal(-1, 1)", 7)
    mnist = load_mnist(real_mnist_path())
    run, train_step, watch = cgan.build(*key, mnist)
    run.fit(train_step, [mnist.x_train, mnist.y_train], total_epoch=facts["epochs"], batch_size=100,
            watch=watch, log=None)
    record = facts["provenance"]
    if record["cpu"] == timing.cpu_model() and record["tensorflow"] == cgan.tf.__version__:
        for column in runs[key].history:   # the loss sums' and the watch's last bits are not the training's
            np.testing.assert_allclose(run.history[column], runs[key].history[column], rtol=1e-6, err_msg=column)
    else:
        assert runs[key].history["G loss"][-1] > 10 and run.history["G loss"][-1] > 10, "the collapse is the result"


@pytest.mark.usefixtures("no_xla")   # the wiring, not XLA
def test_the_own_run_is_compared_only_on_the_same_data_and_length(tmp_path):
    """A learner with the full 60,000 images (or GAN_EPOCHS) trains another run than the saved one:
    the notebook must not call that difference unexpected."""
    import types

    mnist = small_mnist()
    judge = classifier.build_classifier()
    key = ("uniform(-1, 1)", 1)
    run = trained(*key, mnist)
    path = cgan.save_results({key: cgan.result_entry(run, judge, mnist)}, results.record(CODE_OF, {"epochs": 2}),
                             tmp_path / "results.json", epochs=2, data=mnist.describe())
    _, facts = cgan.load_results(path)
    same = cgan.describe_results(facts, run, 1, 2, mnist.describe(), path=path)
    assert "-> identical" in same.splitlines()[-1]
    other = types.SimpleNamespace(history={"D loss": [9.0], "G loss": [9.0]})
    assert "unexpected" in cgan.describe_results(facts, other, 1, 2, mnist.describe(), path=path)
    for data, epochs in [("MNIST from keras.datasets.mnist: 60,000 training images", 2), (mnist.describe(), 5)]:
        text = cgan.describe_results(facts, other, 1, epochs, data, path=path)
        assert "not compared" in text and "unexpected" not in text and "identical" not in text

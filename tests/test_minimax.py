"""gan_helpers.brief_gan and results/minimax/: notebook 1's brief runs built once, and the saved three-seed
comparison of the two generator losses the notebook reads."""

import os
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from gan_helpers import brief_gan, classifier, results, training_steps
from gan_helpers.data import Mnist, one_hot

SCRIPT = ROOT / "tools" / "minimax.py"
CODE_OF = ("gan_helpers.brief_gan.build", "gan_helpers.brief_gan.measure")   # a record for the tests' own files
tf = brief_gan.tf


def small_mnist(n_train=300, n_test=500, seed=0):
    """Random pictures: enough test images for the watch (500)."""
    rng = np.random.default_rng(seed)
    train, test = rng.integers(0, 10, n_train), rng.integers(0, 10, n_test)
    return Mnist(x_train=rng.random((n_train, 784), dtype=np.float32), y_train=one_hot(train),
                 x_test=rng.random((n_test, 784), dtype=np.float32), y_test=one_hot(test), source="test")


def trained(form, seed, mnist, epochs=2):
    run, train_step, signal = brief_gan.build(seed, mnist, brief_gan.FORMS[form], n_hidden=16, n_noise=8)
    run.fit(train_step, [mnist.x_train], total_epoch=epochs, batch_size=100)
    return run, signal


def test_the_minimax_objective_is_the_value_functions_generator_term():
    logits = tf.constant([[-6.0], [-1.0], [0.0], [2.0]])
    d = tf.sigmoid(logits)
    np.testing.assert_allclose(training_steps.minimax_G_objective(logits).numpy(),
                               -tf.reduce_mean(tf.math.log(1 - d)).numpy(), rtol=1e-6)
    with tf.GradientTape() as tape:   # its gradient at a logit is D(G(z)) (per image): small where D says "fake"
        tape.watch(logits)
        objective = training_steps.minimax_G_objective(logits)
    np.testing.assert_allclose(tape.gradient(objective, logits).numpy() * 4, d.numpy(), rtol=1e-6)
    assert list(brief_gan.FORMS) == ["non-saturating", "minimax"]
    assert brief_gan.FORMS["non-saturating"] is training_steps.G_objective


@pytest.mark.usefixtures("no_xla")   # the wiring, not XLA
def test_build_trains_like_notebook_1_and_watches_every_column():
    mnist = small_mnist()
    run, signal = trained("minimax", 3, mnist)
    again, _ = trained("minimax", 3, mnist)
    other, _ = trained("non-saturating", 3, mnist)
    assert run.history["D loss"] == again.history["D loss"], "seeded: the same run twice"
    assert run.history["G loss"] != other.history["G loss"], "the objective is the one asked for"
    assert set(brief_gan.WATCHED) | {"|change of G|", "|dloss/dlogit|"} <= set(run.history)
    assert all(len(column) == 2 for column in run.history.values())
    assert len(signal.pictures) == 2 and signal.pictures[0].shape == (10, 784)
    # the watch is notebook 1's: D(x) on x_test[:500], diversity on 500 fixed noises (seed 1)
    noise = brief_gan.models.standard_normal_noise(tf.random.Generator.from_seed(1), 500, 8)
    fakes = run.generator(noise, training=False)
    np.testing.assert_allclose(run.history["diversity"][-1], float(tf.reduce_mean(tf.abs(fakes[:250] - fakes[250:]))),
                               rtol=1e-6)
    d_x = float(tf.reduce_mean(tf.sigmoid(run.discriminator(mnist.x_test[:500], training=False))))
    np.testing.assert_allclose(run.history["D(x)"][-1], d_x, rtol=1e-6)


@pytest.mark.usefixtures("no_xla")   # the wiring, not XLA
def test_saved_results_round_trip_and_the_own_runs_compare(tmp_path, monkeypatch):
    monkeypatch.setattr(brief_gan, "SAMPLES", 500)
    mnist = small_mnist()
    judge = classifier.build_classifier()
    real = classifier.features(judge, mnist.x_test)
    runs = {form: trained(form, 1, mnist)[0] for form in brief_gan.FORMS}
    entries = [brief_gan.result_entry(form, 1, run, judge, real, 1.0) for form, run in runs.items()]
    path = brief_gan.save_results(entries, results.record(CODE_OF, {"epochs": 2}, data=mnist.describe()),
                                  tmp_path / "results.json", epochs=2, data=mnist.describe())
    saved, facts = brief_gan.load_results(path)
    assert sorted(saved) == [("minimax", 1), ("non-saturating", 1)] and facts["seeds"] == [1]
    assert facts["forms"] == list(brief_gan.FORMS) and facts["epochs"] == 2
    assert {"score", "top class", "FD"} <= set(saved["minimax", 1]["measured"])
    assert saved["minimax", 1]["history"] == {k: list(v) for k, v in runs["minimax"].history.items()}
    assert brief_gan.compare(runs, 1, 2, mnist.describe(), path).endswith("identical (every watched number of "
                                                                          "every epoch to 1e-6)")
    assert brief_gan.compare(runs, 42, 2, mnist.describe(), path).endswith("not compared")
    assert brief_gan.compare(runs, 1, 5, mnist.describe(), path).endswith("not compared")
    runs["minimax"].history["diversity"][-1] += 1.0
    assert "unexpected" in brief_gan.compare(runs, 1, 2, mnist.describe(), path)


def test_the_committed_runs_are_three_seeds_of_both_forms_made_by_todays_code():
    """results/minimax/ holds the six 20-epoch runs notebook 1 reads, every watched column for every epoch; a
    change to the code that makes them (brief_gan, the step, the watch, models, loop, measures) fails here
    until `make minimax` runs again."""
    sys.path.insert(0, str(ROOT / "tools"))
    import minimax

    saved, facts = brief_gan.load_results()
    record = results.record_of(facts)
    assert set(record) >= {"code", "code of", "settings", "cpu", "tensorflow", "date", "data"}
    assert record["code of"] == list(minimax.CODE_OF), "the tool names other code than the file"
    assert results.code_status(record) == "same", "the code changed: run make minimax and commit"
    assert record["settings"]["epochs"] == facts["epochs"] == brief_gan.EPOCHS == 20
    assert facts["seeds"] == list(brief_gan.SEEDS) == [42, 7, 1] and facts["forms"] == list(brief_gan.FORMS)
    assert "14,106 training images" in facts["data"] or "60,000 training images" in facts["data"]
    assert sorted(saved) == sorted((form, seed) for form in brief_gan.FORMS for seed in brief_gan.SEEDS)
    for key, run in saved.items():
        for column in brief_gan.WATCHED + ("D loss", "G loss"):
            values = run["history"][column]
            assert len(values) == 20 and all(np.isfinite(values)), (key, column)
        assert all(0 <= v <= 1 for c in ("D(x)", "D(G(z))") for v in run["history"][c]), key
        m = run["measured"]
        assert 1 <= m["score"] <= 10 and 0.1 <= m["top class"] <= 1 and m["FD"] > 0, key
    assert results.verdict("minimax").startswith("results/minimax: made by the same code as today")


def test_notebook_1_reads_the_three_seeds_and_shows_its_own_runs_are_the_saved_seed():
    nb = nbformat.read(ROOT / "notebooks" / "01_gan.ipynb", as_version=4)
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "def minimax_G_objective" not in code, "one source: the notebook shows training_steps' objective"
    assert "brief_gan.load_results()" in code and 'results.verdict("minimax")' in code
    assert "results/minimax: made by the same code as today" in text
    assert "against the saved seed 42: identical" in text


def test_the_tool_refuses_trials_into_the_notebooks_file_and_gan_epochs():
    env = {**os.environ, "GAN_EPOCHS": "5"}
    folder = brief_gan.RESULTS.parent
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} if folder.exists() else {}
    refused = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True)
    assert refused.returncode == 2 and "unset GAN_EPOCHS" in refused.stderr
    env.pop("GAN_EPOCHS")
    for args, trial in [(["--epochs", "3"], "3 epochs, not 20"), (["--seeds", "42"], "seeds 42, not 42 7 1")]:
        short = subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True)
        assert short.returncode == 2 and short.stderr.strip() == (
            f"minimax: a trial run ({trial}) is not written into results/minimax/; write it elsewhere with --out")
    assert ({p.name: p.stat().st_mtime_ns for p in folder.iterdir()} if folder.exists() else {}) == before

"""gan_helpers.runner.Run: resume, checkpoints that never go backwards, sample grids, bad input."""

import contextlib
import json

import numpy as np
import pytest

from gan_helpers import checkpoints, experiments, models, runner, training
from gan_helpers.data import Mnist, one_hot
from gan_helpers.errors import GanHelpersError


def tiny_mnist(n=200, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    return Mnist(x_train=rng.random((n, 784), dtype=np.float32), y_train=one_hot(labels),
                 x_test=rng.random((20, 784), dtype=np.float32), y_test=one_hot(labels[:20]), source="test")


# What runs a step is tested here, not how XLA compiles it (conftest.no_xla).
pytestmark = pytest.mark.usefixtures("no_xla")

MNIST = tiny_mnist()
EMA_SETTINGS = models.better_settings("gan", "mlp", n_noise=8, n_hidden=16, activation="leaky_relu",
                                      init="glorot", learning_rate=0.001, beta_1=0.5, ema=0.9)
PLAIN_SETTINGS = EMA_SETTINGS.replace(ema=0.0)


def experiment(total_epoch, directory, settings=EMA_SETTINGS, **kwargs):
    return experiments.run_experiment(settings, 3, MNIST, total_epoch=total_epoch, batch_size=50,
                                      checkpoint_dir=directory, log=None, **kwargs)


def weights(model):
    return [w.numpy().copy() for w in model.weights]


def checkpoint_files(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_a_short_run_after_a_full_one_keeps_the_trained_model(tmp_path, capsys):
    """Issue 12's sequence: full run, then GAN_EPOCHS=5 (here 1 of 3), then full run again."""
    directory = tmp_path / "gan-better"
    full = experiment(3, directory)
    trained = weights(full.generator)
    on_disk = checkpoint_files(directory)
    assert full.checkpoint.latest_epoch() == 3

    short = experiment(1, directory)
    out = capsys.readouterr().out
    assert "already holds 3 epochs, more than the 1 asked: nothing to train, nothing saved" in out
    assert short.history.steps == 0
    assert checkpoint_files(directory) == on_disk, "the short run wrote nothing"
    for a, b in zip(trained, weights(short.generator)):
        np.testing.assert_array_equal(a, b)   # the models hold the 3 trained (averaged) epochs

    again = experiment(3, directory)
    assert again.history.steps == 0 and "nothing to train" in capsys.readouterr().out
    assert checkpoint_files(directory) == on_disk
    for a, b in zip(trained, weights(again.generator)):
        np.testing.assert_array_equal(a, b)
    assert len(again.history["D loss"]) == 3


def test_resumed_run_equals_an_uninterrupted_one(tmp_path):
    straight = experiment(4, tmp_path / "straight", PLAIN_SETTINGS)
    experiment(2, tmp_path / "resumed", PLAIN_SETTINGS)
    resumed = experiment(4, tmp_path / "resumed", PLAIN_SETTINGS)
    assert resumed.history.steps == 2 * (200 // 50), "only the two missing epochs are trained"
    for a, b in zip(weights(straight.generator) + weights(straight.discriminator),
                    weights(resumed.generator) + weights(resumed.discriminator)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(straight.history["D loss"], resumed.history["D loss"], rtol=1e-5)


def test_sample_grids_at_the_note_epochs_and_old_grids_removed_on_a_new_run(tmp_path):
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "099.png").write_bytes(b"an earlier run's grid")
    experiment(10, tmp_path / "c", PLAIN_SETTINGS, sample_dir=samples)
    assert sorted(p.name for p in samples.iterdir()) == ["000.png", "009.png", "training.gif"]
    assert (samples / "009.png").read_bytes()[:4] == b"\x89PNG"


def test_a_checkpoint_never_goes_backwards(tmp_path):
    run = experiment(2, tmp_path / "c", PLAIN_SETTINGS)
    with pytest.raises(checkpoints.CheckpointError, match="already holds 2 epochs"):
        run.checkpoint.save(1, run.history)


def test_fresh_start_deletes_only_a_checkpoint_folder(tmp_path):
    notes = tmp_path / "my-notes"
    notes.mkdir()
    (notes / "thesis.txt").write_text("precious")
    with pytest.raises(checkpoints.CheckpointError) as info:
        experiment(1, notes, PLAIN_SETTINGS, fresh=True)
    assert "not a checkpoint folder" in str(info.value) and "\n" not in str(info.value)
    assert (notes / "thesis.txt").read_text() == "precious"

    experiment(2, tmp_path / "c", PLAIN_SETTINGS)
    fresh = experiment(1, tmp_path / "c", PLAIN_SETTINGS, fresh=True)
    assert fresh.history.steps == 200 // 50 and fresh.checkpoint.latest_epoch() == 1


def test_unreadable_history_is_reported_not_silently_emptied(tmp_path):
    experiment(2, tmp_path / "c", PLAIN_SETTINGS)
    (tmp_path / "c" / "history.json").write_text("{broken")
    with pytest.raises(checkpoints.CheckpointError) as info:
        experiment(3, tmp_path / "c", PLAIN_SETTINGS)
    message = str(info.value)
    assert "history.json is unreadable" in message and "fresh=True" in message and "\n" not in message


def test_missing_history_leaves_gaps_and_says_so(tmp_path, capsys):
    experiment(2, tmp_path / "c", PLAIN_SETTINGS)
    (tmp_path / "c" / "history.json").unlink()
    run = experiment(3, tmp_path / "c", PLAIN_SETTINGS)
    assert "history.json is missing" in capsys.readouterr().out
    assert np.isnan(run.history["D loss"][:2]).all() and np.isfinite(run.history["D loss"][2])
    assert len(json.loads((tmp_path / "c" / "history.json").read_text())["D loss"]) == 3


def test_fewer_images_than_one_batch_is_one_clear_line(tmp_path):
    small = tiny_mnist(n=30)
    with pytest.raises(GanHelpersError) as info:
        experiments.run_experiment(PLAIN_SETTINGS, 3, small, total_epoch=1, batch_size=50)
    assert str(info.value) == ("only 30 training images, fewer than one batch of 50; "
                               "use more images or a smaller batch_size")


def test_a_sample_dir_needs_sample_rows(tmp_path):
    with pytest.raises(ValueError, match="sample_dir needs sample_rows"):
        runner.Run({}, None, None, None, None, None, sample_dir=tmp_path)


def test_watched_numbers_join_the_history_and_survive_a_resume(tmp_path):
    """Run.fit(watch=...): one number per epoch in the history, saved with the checkpoint, kept on resume."""
    directory = tmp_path / "watched"
    calls = []

    def watch():
        calls.append(1)
        return {"calls so far": len(calls)}

    first = experiment(2, directory, settings=PLAIN_SETTINGS)
    assert "calls so far" not in first.history         # not watched: only the losses
    run = experiment(4, directory, settings=PLAIN_SETTINGS, watch=watch)
    assert len(calls) == 2                              # epochs 2 and 3 were trained and watched
    column = run.history["calls so far"]
    assert len(column) == 4 and all(np.isnan(column[:2])) and column[2:] == [1.0, 2.0]
    saved = json.loads((directory / checkpoints.HISTORY_FILE).read_text())
    assert saved["calls so far"][2:] == [1.0, 2.0]
    again = experiment(5, directory, settings=PLAIN_SETTINGS, watch=watch)
    assert again.history["calls so far"][2:] == [1.0, 2.0, 3.0]


def test_every_epoch_is_in_the_checkpoints_training_log_while_the_notebook_shows_a_few(tmp_path, capsys):
    directory = tmp_path / "logged"
    experiments.run_experiment(PLAIN_SETTINGS, 3, MNIST, total_epoch=3, batch_size=50, checkpoint_dir=directory,
                               log=print)
    run = experiments.run_experiment(PLAIN_SETTINGS, 3, MNIST, total_epoch=12, batch_size=50,
                                     checkpoint_dir=directory, log=print)
    out = capsys.readouterr().out
    assert f"every epoch in {directory / checkpoints.LOG_FILE})" in out     # outside the project: the full path
    shown = [line.split()[1] for line in out.splitlines() if line.startswith("Epoch ")]
    assert shown == ["0000", "0002", "0003", "0009", "0011"]     # first run: 0 and its last; then 3, 9, 11
    full = (directory / checkpoints.LOG_FILE).read_text().splitlines()
    assert [line.split()[1] for line in full] == [f"{e:04d}" for e in range(12)]
    assert full[5] == training.epoch_line(5, run.history["D loss"][5], run.history["G loss"][5])


CGAN_SETTINGS = models.better_settings("cgan", "mlp", n_noise=8, n_hidden=16, activation="leaky_relu", init="glorot",
                                       noise="uniform(-1, 1)", learning_rate=0.001, beta_1=0.5)


@pytest.mark.parametrize("settings", [PLAIN_SETTINGS, CGAN_SETTINGS], ids=["gan", "cgan"])
def test_watch_discriminator_records_D_of_real_and_fake_and_changes_no_weight(tmp_path, settings):
    watched = experiments.run_experiment(settings, 3, MNIST, total_epoch=2, batch_size=50, watch_discriminator=True)
    plain = experiments.run_experiment(settings, 3, MNIST, total_epoch=2, batch_size=50)
    for key in ("D(x)", "D(G(z))"):
        assert len(watched.history[key]) == 2 and all(0 < v < 1 for v in watched.history[key])
    assert "D(x)" not in plain.history
    for a, b in zip(weights(watched.generator) + weights(watched.discriminator),
                    weights(plain.generator) + weights(plain.discriminator)):
        np.testing.assert_array_equal(a, b)      # watching draws no random numbers from the training's rng
    fakes = models.generate(watched.generator, watched.settings, 500, seed=5,
                            digit=np.arange(500) % 10 if settings.kind == "cgan" else None)
    inputs = [fakes, np.eye(10, dtype=np.float32)[np.arange(500) % 10]] if settings.kind == "cgan" else fakes
    d_fake = float(np.mean(1 / (1 + np.exp(-watched.discriminator(inputs, training=False).numpy()))))
    assert watched.history["D(G(z))"][-1] == pytest.approx(d_fake, rel=1e-4)


def test_the_log_names_its_full_log_relative_to_the_project(tmp_path, monkeypatch, capsys):
    """A saved notebook must not show this machine's absolute path: checkpoints/<name>/training.log."""
    monkeypatch.setenv("GAN_PROJECT_ROOT", str(tmp_path))
    experiments.run_experiment(PLAIN_SETTINGS, 3, MNIST, total_epoch=3, batch_size=50,
                               checkpoint_dir=tmp_path / "checkpoints" / "gan", log=print)   # epoch 1 is not shown
    assert "every epoch in checkpoints/gan/training.log)" in capsys.readouterr().out


def test_checkpoints_are_saved_once_the_interval_has_passed_and_after_the_last_epoch(tmp_path, monkeypatch):
    """The promise (CONTRIBUTING.md, notebooks): a kill loses at most CHECKPOINT_SECONDS of training, or the running epoch.

    A fake clock moves 4 s per epoch: with a 10 s interval a checkpoint is saved once 12 s have passed since
    the last one (after 3 and after 6 completed epochs) and after the last epoch.
    """
    clock = {"now": 0.0}
    monkeypatch.setattr(runner.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 10.0)
    saved = []
    save = checkpoints.TrainingCheckpoint.save

    def recording_save(self, completed_epochs, history):
        saved.append(completed_epochs)
        return save(self, completed_epochs, history)

    monkeypatch.setattr(checkpoints.TrainingCheckpoint, "save", recording_save)
    end_epoch = runner.Run.end_epoch

    def end_epoch_after_4_seconds(self, *args):
        clock["now"] += 4.0
        end_epoch(self, *args)

    monkeypatch.setattr(runner.Run, "end_epoch", end_epoch_after_4_seconds)
    run = experiment(8, tmp_path / "c", PLAIN_SETTINGS)
    assert saved == [3, 6, 8], "12 s after the start, 12 s after that, then the last epoch"
    assert run.checkpoint.latest_epoch() == 8

    saved.clear()
    monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 0.0)
    experiment(3, tmp_path / "every", PLAIN_SETTINGS)
    assert saved == [1, 2, 3], "CHECKPOINT_SECONDS = 0: after every epoch"



def test_an_ema_runs_grids_are_drawn_by_the_averaged_generator_and_training_is_unchanged(tmp_path, monkeypatch):
    """Issue 16: the grids a learner sees come from the generator the notebook evaluates (the average)."""
    drawn = []
    draw = experiments.sample_rows

    def recording_sample_rows(generator, *args):
        drawn.append([w.numpy().copy() for w in generator.trainable_variables])
        return draw(generator, *args)

    monkeypatch.setattr(experiments, "sample_rows", recording_sample_rows)
    averaged = experiment(3, tmp_path / "a", sample_dir=tmp_path / "samples-a")
    drawn_averaged = list(drawn)
    drawn.clear()
    with monkeypatch.context() as m:   # the same run with grids drawn by the weights training goes on with
        m.setattr(runner, "averaged_weights", lambda generator, optimizer: contextlib.nullcontext(generator))
        own = experiment(3, tmp_path / "b", sample_dir=tmp_path / "samples-b")
    drawn_own = list(drawn)
    plain = experiment(3, tmp_path / "c")  # no grids at all

    assert len(drawn_averaged) == len(drawn_own) == 3
    assert sorted(p.name for p in (tmp_path / "samples-a").iterdir()) == ["000.png", "training.gif"]
    # drawing with the average does not change training: same losses and weights as the run without grids
    for run in (averaged, own):
        np.testing.assert_array_equal(plain.history["D loss"], run.history["D loss"])
        for a, b in zip(weights(plain.generator) + weights(plain.discriminator),
                        weights(run.generator) + weights(run.discriminator)):
            np.testing.assert_array_equal(a, b)
    # the last grid shows the finished generator (the average), and no grid shows the raw weights
    for a, b in zip(drawn_averaged[-1], [w.numpy() for w in averaged.generator.trainable_variables]):
        np.testing.assert_array_equal(a, b)
    for epoch, (mine, theirs) in enumerate(zip(drawn_averaged, drawn_own)):
        assert any(not np.array_equal(a, b) for a, b in zip(mine, theirs)), f"epoch {epoch} drew the raw weights"
    assert (tmp_path / "samples-a" / "000.png").read_bytes() != (tmp_path / "samples-b" / "000.png").read_bytes()


def test_without_ema_the_grids_are_drawn_by_the_generator_itself():
    generator, _ = models.build_from_settings(PLAIN_SETTINGS)
    optimizer = __import__("keras").optimizers.Adam()
    before = weights(generator)
    with runner.averaged_weights(generator, optimizer) as inside:
        assert inside is generator
        for a, b in zip(before, weights(generator)):
            np.testing.assert_array_equal(a, b)

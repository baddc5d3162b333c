"""The loop the notebooks show and run (training.train) is the note's loop; train_fast computes exactly the same."""

import numpy as np
import pytest
import tensorflow as tf

import keras
from gan_helpers import models, training
from gan_helpers.runner import Run


def _setup(seed=3):
    keras.utils.set_random_seed(seed)
    generator = models.build_generator(n_noise=8, n_hidden=16)
    discriminator = models.build_discriminator(n_hidden=16)
    D_opt, G_opt = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    rng = tf.random.Generator.from_seed(seed)

    def train_step(X):
        Z = models.standard_normal_noise(rng, 10, 8)
        with tf.GradientTape() as tape:
            loss_D = tf.reduce_mean(-tf.nn.softplus(-discriminator(X)) - tf.nn.softplus(discriminator(generator(Z))))
            minimized = -loss_D
        D_opt.apply_gradients(zip(tape.gradient(minimized, discriminator.trainable_variables),
                                  discriminator.trainable_variables))
        with tf.GradientTape() as tape:
            loss_G = tf.reduce_mean(-tf.nn.softplus(-discriminator(generator(Z))))
            minimized = -loss_G
        G_opt.apply_gradients(zip(tape.gradient(minimized, generator.trainable_variables),
                                  generator.trainable_variables))
        return loss_D, loss_G

    run = Run(models.gan_settings(8, 16, 784), generator, discriminator, D_opt, G_opt, rng)
    return run, train_step


X = np.random.default_rng(0).random((57, 784), dtype=np.float32)  # 5 batches of 10, 7 left over


def _weights(run):
    return [w.numpy() for w in run.generator.weights + run.discriminator.weights]


@pytest.mark.parametrize("jit", [False, True])
def test_train_is_a_plain_loop_over_train_step(jit, capsys):
    run1, step1 = _setup()
    history = training.train(run1, tf.function(step1, jit_compile=jit), [X], total_epoch=3, batch_size=10)
    run2, step2 = _setup()
    step2 = tf.function(step2, jit_compile=jit)
    losses = []
    for epoch in range(3):  # the note's loop, one step at a time, by hand
        order = tf.argsort(run2.rng.uniform([len(X)])).numpy()
        epoch_losses = [step2(tf.constant(X[order[i * 10:(i + 1) * 10]])) for i in range(5)]
        losses.append(np.mean([[float(a), float(b)] for a, b in epoch_losses], axis=0))
    for a, b in zip(_weights(run1), _weights(run2)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(history["D loss"], [l[0] for l in losses], rtol=1e-4)
    np.testing.assert_allclose(history["G loss"], [l[1] for l in losses], rtol=1e-4)
    assert history.steps == 15
    out = capsys.readouterr().out
    assert "Epoch 0000 D loss: " in out and "Epoch 0002" in out


@pytest.mark.parametrize("whole_loop_in_xla", [False, True])
def test_train_fast_trains_bit_for_bit_like_train(whole_loop_in_xla):
    """The opt-in chunked loop: the same batches, noise and updates as the loop the notebooks run."""
    trained = []
    for fast in (False, True):
        run, step = _setup()
        step = tf.function(step, jit_compile=True)
        if fast:
            training.train_fast(run, step, [X], total_epoch=2, batch_size=10, steps_per_call=2,
                                whole_loop_in_xla=whole_loop_in_xla)
        else:
            training.train(run, step, [X], total_epoch=2, batch_size=10)
        trained.append((_weights(run), run.history))
    for a, b in zip(trained[0][0], trained[1][0]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(trained[0][1]["D loss"], trained[1][1]["D loss"], rtol=1e-6)


def test_a_resumed_run_trains_only_the_missing_epochs(tmp_path, capsys):
    run, step = _setup()
    run = Run(run.settings, run.generator, run.discriminator, run.D_optimizer, run.G_optimizer, run.rng,
              checkpoint_dir=tmp_path)
    training.train(run, tf.function(step), [X], total_epoch=2, batch_size=10)
    again = Run(run.settings, run.generator, run.discriminator, run.D_optimizer, run.G_optimizer, run.rng,
                checkpoint_dir=tmp_path)
    seen = []
    again.watch = lambda: seen.append(len(again.history["D loss"])) or {}
    history = training.train(again, tf.function(step), [X], total_epoch=4, batch_size=10)
    assert seen == [3, 4] and len(history["D loss"]) == 4 and history.steps == 10
    assert "resuming after epoch 0001 (2 of 4 epochs done)" in capsys.readouterr().out
    nothing = training.train(again, tf.function(step), [X], total_epoch=2, batch_size=10)
    assert nothing.steps == 0 and "nothing to train" in capsys.readouterr().out


def test_the_log_shows_the_sample_epochs_and_the_last_and_says_so(capsys):
    """A saved notebook keeps about 11 lines per 100 epochs: the first, 0/9/19/..., and the last."""
    assert [e for e in range(100) if training.is_logged_epoch(e, 0, 100)] == [0] + list(range(9, 100, 10))
    assert [e for e in range(37, 45) if training.is_logged_epoch(e, 37, 45)] == [37, 39, 44]
    assert training.epoch_line(7, -0.428712, -2.69301) == "Epoch 0007 D loss: -0.4287 G loss: -2.693"
    lines = []
    X = np.random.default_rng(0).random((50, 4), dtype=np.float32)

    @tf.function
    def step(batch):
        return tf.reduce_mean(batch), -tf.reduce_mean(batch)

    run = Run(models.gan_settings(8, 16, 4), None, None, None, None, tf.random.Generator.from_seed(0), log=lines.append)
    history = training.train(run, step, [X], total_epoch=12, batch_size=10)
    assert len(history["D loss"]) == 12
    assert lines[0] == "(one line for epoch 0, every 10th epoch and the last)"
    assert [line.split()[1] for line in lines[1:]] == ["0000", "0009", "0011"]


def test_many_runs_in_one_process_do_not_warn_about_retracing():
    """A notebook trains several models (notebook 1: eight), with GAN_EPOCHS=2 in the tests: two epochs each,
    three compiled chunks per epoch as in the notebooks. TensorFlow's retracing warning must not appear."""
    import logging

    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    tf.get_logger().addHandler(handler)
    try:
        for seed in range(7):
            run, step = _setup(seed)
            run.log = None
            training.train(run, tf.function(step), [X], total_epoch=2, batch_size=10)
            run, step = _setup(seed)
            training.train_fast(run, tf.function(step), [X], total_epoch=2, batch_size=10, steps_per_call=2)
    finally:
        tf.get_logger().removeHandler(handler)
    assert not [m for m in seen if "retracing" in m], seen


def _runner_before_issue_15(train_step, arrays, batch_size, whole_loop_in_xla=True):
    """training.make_chunk_runner as it was when the saved runs were made: loop in TensorFlow's executor."""
    tensors = [tf.constant(a) for a in arrays]

    @tf.function
    def run_steps(order, first, count):
        sum_D, sum_G = tf.constant(0.0), tf.constant(0.0)
        for i in tf.range(first, first + count):
            index = order[i * batch_size:(i + 1) * batch_size]
            loss_D, loss_G = train_step(*[tf.gather(t, index) for t in tensors])
            sum_D += loss_D
            sum_G += loss_G
        return sum_D, sum_G

    return run_steps


@pytest.mark.slow
@pytest.mark.reproduction
def test_the_notebooks_loop_trains_bit_for_bit_like_the_loop_that_made_the_saved_runs(monkeypatch):
    """Saved runs (notebook 2's comparison, notebook 3's table) were made by the chunked loop above, in
    TensorFlow's executor: the loop the notebooks run today must give the same weights exactly, or a notebook
    no longer reproduces its own table. Notebook 3's final GAN on the offline MNIST, two epochs. (With the step
    traced for batches of exactly ``batch_size`` rows, XLA rounds differently and the weights differ after
    these 282 steps: this test fails then.)"""
    from conftest import real_mnist_path
    from gan_helpers import experiments
    from gan_helpers.data import load_mnist

    mnist = load_mnist(real_mnist_path())
    trained = []
    for loop in ("train", "before issue 15"):
        if loop != "train":
            monkeypatch.setattr(training, "make_chunk_runner", _runner_before_issue_15)
            monkeypatch.setattr(training, "train", training.train_fast)
        run = experiments.run_experiment(experiments.FINAL_GAN, 42, mnist, total_epoch=2, log=None)
        trained.append([w.numpy() for w in run.generator.weights + run.discriminator.weights])
    for today, before in zip(*trained):
        np.testing.assert_array_equal(today, before)

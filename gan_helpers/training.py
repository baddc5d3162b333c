"""The note's outer loop (#12-#13), written once: :func:`train` is what notebooks 1 and 2 show and run.

The training step itself is in :mod:`gan_helpers.training_steps` (notebooks 1 and 2) and
:mod:`gan_helpers.experiments` (notebook 3). :func:`train` runs it the way the note did: every
epoch a new order of the training images (like ``next_batch``), one ``train_step`` per batch, the
epoch's mean losses in the note's line, samples and checkpoints after the epoch
(:class:`gan_helpers.runner.Run` does those). :func:`train_fast` is the same training compiled
into one XLA program per chunk of steps: opt-in, explained in notebook 1's appendix.
"""

from __future__ import annotations

from ._quiet import import_tensorflow_quietly
from .errors import GanHelpersError
from .plotting import is_sample_epoch

tf = import_tensorflow_quietly()
import keras  # noqa: E402  (after TensorFlow's quiet import)


def seeded_rng(seed):
    """Seed Python, NumPy, TensorFlow and Keras with ``seed`` and return the ``tf.random.Generator`` that draws
    a run's noise and batch orders, from the same seed: one call, so a run can be repeated exactly."""
    keras.utils.set_random_seed(seed)
    return tf.random.Generator.from_seed(seed)


class History(dict):
    """Per-epoch mean losses, ``{"D loss": [...], "G loss": [...]}``, plus the run's size and time.

    It may hold more per-epoch columns (a run's ``watch``); they are kept on resume like the losses.
    """

    steps: int = 0
    seconds: float = 0.0


def epoch_line(epoch, loss_D, loss_G) -> str:
    """The note's per-epoch line, ``Epoch 0007 D loss: -0.4287 G loss: -2.693``."""
    return " ".join(["Epoch", "%04d" % epoch, "D loss: {:.4}".format(loss_D), "G loss: {:.4}".format(loss_G)])


def is_logged_epoch(epoch, start_epoch, total_epoch) -> bool:
    """Whether a run prints this epoch's line: the first of the call, the sample epochs (0, 9, 19, ...), the last.

    A saved notebook then holds about 11 lines per 100-epoch run instead of 100; every line is in
    the checkpoint folder's ``training.log`` (:meth:`~gan_helpers.checkpoints.TrainingCheckpoint.save`).
    """
    return epoch == start_epoch or epoch == total_epoch - 1 or is_sample_epoch(epoch)


def batches_per_epoch(arrays, batch_size) -> int:
    """Full batches in one epoch; the few images that do not fill a batch are skipped in that epoch."""
    total_batch = len(arrays[0]) // batch_size
    if total_batch == 0:
        raise GanHelpersError(f"only {len(arrays[0])} training images, fewer than one batch of {batch_size}; "
                              f"use more images or a smaller batch_size")
    return total_batch


def for_any_batch_size(train_step, data):
    """``train_step`` compiled once for batches of any size (what every saved run was trained with).

    Compiled for exactly ``batch_size`` rows it is another XLA program, which rounds differently:
    the saved runs would no longer be reproduced bit for bit (measured; notebook 1's appendix).
    """
    if not hasattr(train_step, "get_concrete_function"):      # a plain Python function: nothing to compile
        return train_step
    return train_step.get_concrete_function(*[tf.TensorSpec([None, *d.shape[1:]], d.dtype) for d in data])


def train(run, train_step, arrays, *, total_epoch, batch_size):
    """Train ``run``'s models for ``total_epoch`` epochs (after those its checkpoint holds); return the history."""
    data = [tf.constant(a) for a in arrays]                 # the whole training set in memory, as tensors
    total_batch = batches_per_epoch(arrays, batch_size)
    step = for_any_batch_size(train_step, data)
    for epoch in run.epochs(total_epoch, total_batch):      # from epoch 0, or after a checkpoint's epochs
        order = tf.argsort(run.rng.uniform([len(arrays[0])]))    # a new order every epoch, like next_batch
        shuffled = [tf.gather(d, order[:total_batch * batch_size]) for d in data]   # the images in that order
        losses = []
        for batch in zip(*[tf.split(d, total_batch) for d in shuffled]):   # total_batch batches of batch_size
            losses.append(step(*batch))                                   # (loss_D, loss_G) of this batch
        loss_D, loss_G = tf.reduce_mean(losses, axis=0).numpy()           # the epoch's mean losses
        run.end_epoch(epoch, float(loss_D), float(loss_G))      # the epoch line, samples, checkpoint
    return run.finish()


def make_chunk_runner(train_step, arrays, batch_size, whole_loop_in_xla=True):
    """A ``tf.function`` that runs ``train_step`` on ``count`` consecutive batches of ``order`` (:func:`train_fast`).

    ``arrays``: the training arrays (e.g. images, or images and labels); batch ``i`` is
    ``arrays[k][order[i*batch_size:(i+1)*batch_size]]`` for each ``k``. Returns the sums of the
    two losses ``train_step`` returns over the chunk. ``whole_loop_in_xla=False`` keeps the loop in
    TensorFlow's graph executor (``benchmarks/step_variants.py`` compares the two).
    """
    tensors = [tf.constant(a) for a in arrays]
    # A step compiled with XLA (`@tf.function(jit_compile=True)`) makes the whole loop one XLA program:
    # no TensorFlow executor between the steps (benchmarks/profile.md).
    whole_loop_in_xla = whole_loop_in_xla and getattr(train_step, "_jit_compile", None) is True
    step = for_any_batch_size(train_step, tensors)

    @tf.function(jit_compile=whole_loop_in_xla)
    def run_steps(order, first, count):
        sum_D, sum_G = tf.constant(0.0), tf.constant(0.0)
        i = first
        while i < first + count:        # (not `tf.range`: XLA would compile a new program per `first`)
            index = tf.slice(order, [i * batch_size], [batch_size])
            loss_D, loss_G = step(*[tf.gather(t, index) for t in tensors])
            sum_D += loss_D
            sum_G += loss_G
            i += 1
        return sum_D, sum_G

    return run_steps


def train_fast(run, train_step, arrays, *, total_epoch, batch_size, steps_per_call=47, whole_loop_in_xla=True):
    """:func:`train` with ``steps_per_call`` steps per call of one compiled loop (:func:`make_chunk_runner`).

    The same batches, noise and updates in the same order as :func:`train`, bit for bit (tested); Python is
    visited once per chunk instead of once per step. Opt-in: notebook 1's appendix measures what it buys.
    """
    total_batch = batches_per_epoch(arrays, batch_size)
    run_steps = make_chunk_runner(train_step, arrays, batch_size, whole_loop_in_xla)
    for epoch in run.epochs(total_epoch, total_batch):
        # Eager on purpose: the same numbers as in a graph, and no new tf.function per run
        # (TensorFlow warns about "retracing" after a few runs in one notebook).
        order = tf.argsort(run.rng.uniform([len(arrays[0])]))
        sum_D = sum_G = 0.0
        for first in range(0, total_batch, steps_per_call):
            count = min(steps_per_call, total_batch - first)
            part_D, part_G = run_steps(order, tf.constant(first), tf.constant(count))
            sum_D, sum_G = sum_D + float(part_D), sum_G + float(part_G)
        run.end_epoch(epoch, sum_D / total_batch, sum_G / total_batch)
    return run.finish()

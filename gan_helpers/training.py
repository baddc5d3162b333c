"""How the notebooks *call* their training step: fast, with a progress bar and the note's log line.

The training step itself (``train_step``) is written in each notebook; it is what
the lesson teaches. This module only runs it: the whole training set sits in
memory as a tensor, every epoch draws a new order (like the note's
``next_batch``), and ``steps_per_call`` steps run inside one ``tf.function`` loop,
so Python is visited once per chunk instead of once per step. When the step is
compiled with XLA, so is that loop.
"""

from __future__ import annotations

from ._quiet import import_tensorflow_quietly
from .errors import GanHelpersError
from .plotting import is_sample_epoch
from .progress import progress_bar

tf = import_tensorflow_quietly()


class History(dict):
    """Per-epoch mean losses, ``{"D loss": [...], "G loss": [...]}``, plus the run's size and time.

    It may hold more per-epoch columns (``Run.fit(watch=...)``); they are kept on resume like the losses.
    """

    steps: int = 0
    seconds: float = 0.0


def epoch_line(epoch, loss_D, loss_G) -> str:
    """The note's per-epoch line, ``Epoch 0007 D loss: -0.4287 G loss: -2.693``."""
    return " ".join(["Epoch", "%04d" % epoch, "D loss: {:.4}".format(loss_D), "G loss: {:.4}".format(loss_G)])


def is_logged_epoch(epoch, start_epoch, total_epoch) -> bool:
    """Whether ``fit`` prints this epoch's line: the first of the call, the sample epochs (0, 9, 19, ...), the last.

    A saved notebook then holds about 11 lines per 100-epoch run instead of 100; every line is in
    the checkpoint folder's ``training.log`` (:meth:`~gan_helpers.checkpoints.TrainingCheckpoint.save`).
    """
    return epoch == start_epoch or epoch == total_epoch - 1 or is_sample_epoch(epoch)


def _history_so_far(history, start_epoch) -> History:
    """The first ``start_epoch`` entries of each loss; epochs whose losses were lost are NaN (gaps in a plot)."""
    so_far = History()
    for key in ["D loss", "G loss"] + [k for k in (history or {}) if k not in ("D loss", "G loss")]:
        kept = list((history or {}).get(key, []))[:start_epoch]
        so_far[key] = [float("nan")] * (start_epoch - len(kept)) + kept
    return so_far


def make_chunk_runner(train_step, arrays, batch_size, whole_loop_in_xla=True):
    """A ``tf.function`` that runs ``train_step`` on ``count`` consecutive batches of ``order``.

    ``arrays``: the training arrays (e.g. images, or images and labels); batch ``i`` is
    ``arrays[k][order[i*batch_size:(i+1)*batch_size]]`` for each ``k``. Returns the sums of the
    two losses ``train_step`` returns over the chunk. ``whole_loop_in_xla=False`` keeps the loop in
    TensorFlow's graph executor, as before issue 15 (``benchmarks/step_variants.py`` compares the two).
    """
    tensors = [tf.constant(a) for a in arrays]
    # A step compiled with XLA (the notebooks' `@tf.function(jit_compile=True)`) makes the whole loop one
    # XLA program: no TensorFlow executor between the steps (benchmarks/profile.md).
    whole_loop_in_xla = whole_loop_in_xla and getattr(train_step, "_jit_compile", None) is True
    step = train_step
    if hasattr(train_step, "get_concrete_function"):
        # The step traced for batches of any size, as it always was here. Traced for exactly batch_size
        # rows it is another XLA program, which rounds differently: the saved runs (notebook 2's
        # comparison, notebook 3's table) would no longer be reproduced bit for bit (measured).
        step = train_step.get_concrete_function(*[tf.TensorSpec([None, *t.shape[1:]], t.dtype) for t in tensors])

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


def fit(train_step, arrays, *, total_epoch, batch_size, rng, steps_per_call=47,
        on_epoch_end=None, log=print, desc="training", start_epoch=0, history=None, full_log=None,
        whole_loop_in_xla=True):
    """Train for ``total_epoch`` epochs; return the per-epoch mean losses.

    Each epoch uses ``len(arrays[0]) // batch_size`` batches in a new random order drawn
    from ``rng`` (a ``tf.random.Generator``); the few images that do not fill a batch are
    skipped in that epoch. After each epoch it calls ``on_epoch_end(epoch, loss_D, loss_G, history)``
    and, for the epochs :func:`is_logged_epoch` picks, passes the note's line
    ``Epoch 0000 D loss: ... G loss: ...`` (the epoch's mean) to ``log``. ``full_log``: where every
    epoch's line is kept (only named in the first line printed).

    A resumed run passes ``start_epoch`` (epochs already done) and the ``history`` so far;
    it then runs epochs ``start_epoch .. total_epoch-1`` and returns the whole history.
    ``whole_loop_in_xla``: see :func:`make_chunk_runner`.
    """
    num_train = len(arrays[0])
    total_batch = num_train // batch_size
    if total_batch == 0:
        raise GanHelpersError(f"only {num_train} training images, fewer than one batch of {batch_size}; "
                              f"use more images or a smaller batch_size")
    run_steps = make_chunk_runner(train_step, arrays, batch_size, whole_loop_in_xla)

    def shuffled_order():
        # Eager on purpose: the same numbers as in a graph, and no new tf.function per fit() call
        # (TensorFlow warns about "retracing" after a few runs in one notebook).
        return tf.argsort(rng.uniform([num_train]))

    history = _history_so_far(history, start_epoch)
    if start_epoch > total_epoch:
        print(f"the checkpoint already holds {start_epoch} epochs, more than the {total_epoch} asked: nothing to "
              f"train, nothing saved (FRESH_START = True trains {total_epoch} epochs from epoch 0)")
    elif start_epoch == total_epoch > 0:
        print(f"the checkpoint already holds {start_epoch} epochs (total_epoch={total_epoch}): nothing to train; "
              f"set FRESH_START = True to train again from epoch 0")
    elif start_epoch:
        print(f"resuming after epoch {start_epoch - 1:04d} ({start_epoch} of {total_epoch} epochs done)")
    if log and sum(not is_logged_epoch(e, start_epoch, total_epoch) for e in range(start_epoch, total_epoch)):
        log(f"(one line for epoch {start_epoch}, every 10th epoch and the last"
            + (f"; every epoch in {full_log}" if full_log else "") + ")")
    bar = progress_bar(total_epoch * total_batch, desc=desc, initial=min(start_epoch, total_epoch) * total_batch)
    try:
        for epoch in range(start_epoch, total_epoch):
            order = shuffled_order()
            sum_D = sum_G = 0.0
            for first in range(0, total_batch, steps_per_call):
                count = min(steps_per_call, total_batch - first)
                part_D, part_G = run_steps(order, tf.constant(first), tf.constant(count))
                sum_D, sum_G = sum_D + float(part_D), sum_G + float(part_G)
                bar.update(count)
            loss_D, loss_G = sum_D / total_batch, sum_G / total_batch
            history["D loss"].append(loss_D)
            history["G loss"].append(loss_G)
            if log and is_logged_epoch(epoch, start_epoch, total_epoch):
                log(epoch_line(epoch, loss_D, loss_G))
            if on_epoch_end is not None:
                on_epoch_end(epoch, loss_D, loss_G, history)
    finally:
        bar.close()
    history.seconds = bar.format_dict["elapsed"]
    history.steps = max(0, total_epoch - start_epoch) * total_batch
    return history

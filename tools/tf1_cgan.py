"""BASELINE, not teaching material: the note's tfGAN2.ipynb training loop (steps #1-#9) on tf.compat.v1.

Used by ``make bench`` to time the TF1 code the notebooks replace. Changed from the note
only as far as current TensorFlow needs:

- ``import tensorflow.compat.v1 as tf`` + ``tf.disable_eager_execution()`` (placeholders, Session);
- ``tf.layers.dense`` is gone with Keras 3 (``tf.compat.v1.layers.dense`` raises "`dense` is not
  available with Keras 3"), so ``dense`` below builds the same layer from its parts:
  ``get_variable`` kernel with the glorot-uniform initializer, zero bias, the names
  ``dense/kernel``, ``dense_1/bias``, ... that ``tf.layers`` gave, inside the note's
  ``variable_scope`` (so ``reuse`` and ``get_collection(scope=...)`` work as in the note);
- the data: ``gan_helpers.data.load_mnist()`` arrays instead of ``tensorflow.examples.tutorials.mnist``,
  batched like its ``next_batch`` (a new random order every epoch, ``total_batch = N // 100``);
- the noise is ``np.random.uniform(-1, 1)``, what the note's text says and what the notebook's
  main run uses (the note's code, ``np.random.normal(-1., 1.)``, is mean -1, std 1: ``--noise note-normal``);
- wrapped in ``run(steps)`` (a fresh graph and session per call); the sample pictures are not in the
  timed loop: ``run(..., samples=N)`` draws N images afterwards, N/10 per digit 0..9 in order.

    python tools/tf1_cgan.py --short 300 --long 1500     # prints one JSON line
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

import _baseline  # noqa: E402

tf.disable_eager_execution()
tf.logging.set_verbosity(tf.logging.ERROR)

#1
batch_size = 100
n_hidden = 256
n_input = 28 * 28
n_noise = 128
n_class = 10


def dense(inputs, units, activation=None, name=None):
    """What ``tf.layers.dense(inputs, units, activation)`` built: kernel (glorot uniform), zero bias."""
    with tf.variable_scope(name):
        kernel = tf.get_variable("kernel", [int(inputs.shape[-1]), units],
                                 initializer=tf.glorot_uniform_initializer())
        bias = tf.get_variable("bias", [units], initializer=tf.zeros_initializer())
        outputs = tf.nn.bias_add(tf.matmul(inputs, kernel), bias)
        return activation(outputs) if activation is not None else outputs


#2
def generator(noise, labels):
    with tf.variable_scope('generator'):
        inputs = tf.concat([noise, labels], 1)

        hidden = dense(inputs, n_hidden, activation=tf.nn.relu, name='dense')

        output = dense(hidden, n_input, activation=tf.nn.sigmoid, name='dense_1')

    return output


#3
def discriminator(inputs, labels, reuse=None):
    with tf.variable_scope('discriminator') as scope:
        if reuse:
            scope.reuse_variables()

        inputs = tf.concat([inputs, labels], 1)

        hidden = dense(inputs, n_hidden, activation=tf.nn.relu, name='dense')

        output = dense(hidden, 1, activation=None, name='dense_1')

    return output


#4
def get_noise(batch_size, n_noise):
    return np.random.uniform(-1., 1., size=(batch_size, n_noise))


def get_note_noise(batch_size, n_noise):
    return np.random.normal(-1., 1., size=(batch_size, n_noise))   # the note's code, as written


NOISE = {"uniform": get_noise, "note-normal": get_note_noise}


def run(steps, seed=0, log=None, noise="uniform", samples=0):
    """Train the note's conditional GAN for ``steps`` steps in a fresh graph (see ``tf1_gan.run``).

    ``samples=N`` (a multiple of 10; after training, not timed): also ``"images"`` (float32, N x 784) and
    ``"requested"``: ``np.repeat(np.arange(10), N // 10)``, i.e. ``images[i]`` was asked for as digit
    ``i // (N // 10)`` (one-hot labels), with the run's own noise function drawn after ``np.random.seed(1)``.
    """
    if samples % n_class:
        raise ValueError(f"samples={samples}: the conditional GAN draws the same number per digit; "
                         f"use a multiple of {n_class}")
    mnist = _baseline.mnist()
    make_noise = NOISE[noise]
    np.random.seed(seed)
    start = _baseline.timer()
    with tf.Graph().as_default():
        tf.set_random_seed(seed)

        X = tf.placeholder(tf.float32, [None, n_input])
        Y = tf.placeholder(tf.float32, [None, n_class])
        Z = tf.placeholder(tf.float32, [None, n_noise])

        #5
        G = generator(Z, Y)
        D_real = discriminator(X, Y)
        D_gene = discriminator(G, Y, True)

        #6
        loss_D_real = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            logits=D_real, labels=tf.ones_like(D_real)))
        loss_D_gene = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            logits=D_gene, labels=tf.zeros_like(D_gene)))

        loss_D = loss_D_real + loss_D_gene

        #7
        loss_G = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            logits=D_gene, labels=tf.ones_like(D_gene)))

        #8
        vars_D = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES,
                                   scope='discriminator')
        vars_G = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES,
                                   scope='generator')

        train_D = tf.train.AdamOptimizer().minimize(loss_D, var_list=vars_D)
        train_G = tf.train.AdamOptimizer().minimize(loss_G, var_list=vars_G)

        #9
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            loop_start = _baseline.timer()
            first = None
            loss_val_D, loss_val_G = 0, 0
            record = _baseline.LossRecord()
            for epoch, i, total_batch, index in _baseline.batches(mnist, steps, batch_size):
                batch_xs, batch_ys = mnist.x_train[index], mnist.y_train[index]
                noise = make_noise(batch_size, n_noise)

                _, loss_val_D = sess.run([train_D, loss_D],
                                         feed_dict={X: batch_xs, Y: batch_ys, Z: noise})
                _, loss_val_G = sess.run([train_G, loss_G],
                                         feed_dict={Y: batch_ys, Z: noise})
                if first is None:
                    first = (float(loss_val_D), float(loss_val_G))
                record.step(loss_val_D, loss_val_G, i == total_batch - 1)
                if log is not None and i == total_batch - 1:
                    log(_baseline.epoch_line(epoch, loss_val_D, loss_val_G))
            end = _baseline.timer()
            extra = {}
            if samples:
                requested = np.repeat(np.arange(n_class), samples // n_class)
                np.random.seed(_baseline.SAMPLE_SEED)
                extra["images"] = sess.run(G, feed_dict={Y: np.eye(n_class)[requested],
                                                         Z: make_noise(samples, n_noise)}).astype(np.float32)
                extra["requested"] = requested
    return {"steps": steps, "seconds": end - start, "loop_seconds": end - loop_start,
            "first": first, "last": (float(loss_val_D), float(loss_val_G)),
            "variables": sorted(v.name for v in vars_D + vars_G), **record.result(), **extra}


if __name__ == "__main__":
    _baseline.main("tf1_cgan", run, extra_options={
        "--noise": dict(choices=sorted(NOISE), default="uniform",
                        help="uniform(-1, 1) as the notebook's main run (default), or the note's code")})

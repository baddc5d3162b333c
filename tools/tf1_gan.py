"""BASELINE, not teaching material: the note's tfGAN.ipynb training loop (steps #1-#12) on tf.compat.v1.

Used by ``make bench`` to time the TF1 code the notebooks replace. Changed from the note
only as far as current TensorFlow needs:

- ``import tensorflow.compat.v1 as tf`` + ``tf.disable_eager_execution()`` (placeholders, Session);
- the data: ``gan_helpers.data.load_mnist()`` arrays (the same the notebooks use) instead of
  ``tensorflow.examples.tutorials.mnist``, batched like its ``next_batch``: a new random
  order every epoch, ``total_batch = N // 100`` batches (``_baseline.batches``);
- wrapped in ``run(steps)`` (a fresh graph and session per call) so it can be timed;
  step #13 (sample pictures) is not in the timed loop: ``run(..., samples=N)`` draws N images
  from the trained generator afterwards (``tools/note_tf1.py`` grids and scores them).

The math is the note's, including ``tf.log`` of sigmoid outputs (which can reach ``log(0)``).

    python tools/tf1_gan.py --short 300 --long 1500     # prints one JSON line
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#1
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

import _baseline  # noqa: E402

tf.disable_eager_execution()
tf.logging.set_verbosity(tf.logging.ERROR)

#2
batch_size = 100
learning_rate = 0.0002
n_hidden = 256
n_input = 28 * 28
n_noise = 128


#8
def get_noise(batch_size, n_noise):
    return np.random.normal(size=(batch_size, n_noise))


def run(steps, seed=0, log=None, samples=0):
    """Train the note's GAN for ``steps`` steps (D update + G update each) in a fresh graph.

    Returns ``{"steps", "seconds" (graph + session + training), "loop_seconds",
    "first": (loss_D, loss_G) of step 1, "last": (loss_D, loss_G) of the last step,
    "epoch_losses": [(loss_D, loss_G) of each finished epoch's last step] (the note's printed lines),
    "nonfinite_steps": steps whose loss_D or loss_G was nan/inf, "first_nonfinite_step": 1-based or None}``.

    ``samples=N`` (after training, not timed): also ``"images"``, N generator outputs (float32, N x 784)
    for ``get_noise(N, n_noise)`` drawn after ``np.random.seed(1)``, as the note's step #13 drew them.
    """
    mnist = _baseline.mnist()
    np.random.seed(seed)
    start = _baseline.timer()
    with tf.Graph().as_default():
        tf.set_random_seed(seed)

        #3
        X = tf.placeholder(tf.float32, [None, n_input])
        Z = tf.placeholder(tf.float32, [None, n_noise])

        #4
        G_W1 = tf.Variable(tf.random_normal([n_noise, n_hidden], stddev=0.01))
        G_b1 = tf.Variable(tf.zeros([n_hidden]))
        G_W2 = tf.Variable(tf.random_normal([n_hidden, n_input], stddev=0.01))
        G_b2 = tf.Variable(tf.zeros([n_input]))

        #5
        D_W1 = tf.Variable(tf.random_normal([n_input, n_hidden], stddev=0.01))
        D_b1 = tf.Variable(tf.zeros([n_hidden]))
        D_W2 = tf.Variable(tf.random_normal([n_hidden, 1], stddev=0.01))
        D_b2 = tf.Variable(tf.zeros([1]))

        #6
        def generator(noise_z):
            hidden = tf.nn.relu(tf.matmul(noise_z, G_W1) + G_b1)
            output = tf.nn.sigmoid(tf.matmul(hidden, G_W2) + G_b2)
            return output

        #7
        def discriminator(inputs):
            hidden = tf.nn.relu(tf.matmul(inputs, D_W1) + D_b1)
            output = tf.nn.sigmoid(tf.matmul(hidden, D_W2) + D_b2)
            return output

        #9
        G = generator(Z)
        D_gene = discriminator(G)
        D_real = discriminator(X)

        #10
        loss_D = tf.reduce_mean(tf.log(D_real) + tf.log(1 - D_gene))
        loss_G = tf.reduce_mean(tf.log(D_gene))

        #11
        D_var_list = [D_W1, D_b1, D_W2, D_b2]
        G_var_list = [G_W1, G_b1, G_W2, G_b2]

        train_D = tf.train.AdamOptimizer(learning_rate).minimize(-loss_D, var_list=D_var_list)
        train_G = tf.train.AdamOptimizer(learning_rate).minimize(-loss_G, var_list=G_var_list)

        #12
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            loop_start = _baseline.timer()
            first = None
            loss_val_D, loss_val_G = 0, 0
            record = _baseline.LossRecord()
            for epoch, i, total_batch, index in _baseline.batches(mnist, steps, batch_size):
                batch_xs = mnist.x_train[index]
                noise = get_noise(batch_size, n_noise)

                _, loss_val_D = sess.run([train_D, loss_D],
                                         feed_dict={X: batch_xs, Z: noise})
                _, loss_val_G = sess.run([train_G, loss_G],
                                         feed_dict={Z: noise})
                if first is None:
                    first = (float(loss_val_D), float(loss_val_G))
                record.step(loss_val_D, loss_val_G, i == total_batch - 1)
                if log is not None and i == total_batch - 1:
                    log(_baseline.epoch_line(epoch, loss_val_D, loss_val_G))
            end = _baseline.timer()
            extra = {}
            if samples:
                np.random.seed(_baseline.SAMPLE_SEED)
                extra["images"] = sess.run(G, feed_dict={Z: get_noise(samples, n_noise)}).astype(np.float32)
    return {"steps": steps, "seconds": end - start, "loop_seconds": end - loop_start,
            "first": first, "last": (float(loss_val_D), float(loss_val_G)), **record.result(), **extra}


if __name__ == "__main__":
    _baseline.main("tf1_gan", run)

"""The training steps of notebooks 1 and 2, defined once: the notebooks show them, ``make bench`` times them.

Notebook 1 shows its losses (#10), its ``train_step`` (#12), the ``watch`` it reads after every epoch and its
experiment's minimax objective from here (``show_source``); notebook 2 its losses and ``train_step`` (#6, #7, #9).
The code a learner reads is the code that runs, and the tools that time or re-run the notebooks (``make bench``,
``make cgan-noise``, ``make minimax``) import the same functions. The notebooks' variables (models, optimisers,
sizes) are the factories' arguments.
"""

from __future__ import annotations

from ._quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()


# --- notebook 1, step #10 and #12 ---------------------------------------------------

def D_objective(D_real, D_gene):
    # The note's loss_D = mean(log(D_real) + log(1 - D_gene)), from logits.
    return tf.reduce_mean(-tf.nn.softplus(-D_real) - tf.nn.softplus(D_gene))


def G_objective(D_gene):
    # The note's loss_G = mean(log(D_gene)), from logits.
    return tf.reduce_mean(-tf.nn.softplus(-D_gene))


def minimax_G_objective(D_gene):
    # The value function's generator term as an objective to maximise: -mean(log(1 - D(G(z)))), from logits.
    return tf.reduce_mean(tf.nn.softplus(D_gene))


def make_gan_train_step(generator, discriminator, D_optimizer, G_optimizer, get_noise, batch_size, n_noise,
                        G_objective=G_objective):
    """Notebook 1's ``train_step`` (step #12) for these models and optimisers.

    ``G_objective``: the generator's objective (maximised); notebook 1's by default, another one
    (``minimax_G_objective``, the minimax form) to compare what only that change does.
    """
    D_var_list = discriminator.trainable_variables
    G_var_list = generator.trainable_variables

    @tf.function(jit_compile=True)
    def train_step(X):
        Z = get_noise(batch_size, n_noise)            # one noise batch for both updates, as in the note

        with tf.GradientTape() as tape:               # the discriminator's turn
            loss_D = D_objective(discriminator(X), discriminator(generator(Z)))
            minimized = -loss_D                       # minimize(-loss_D)
        grads = tape.gradient(minimized, D_var_list)
        D_optimizer.apply_gradients(zip(grads, D_var_list))

        with tf.GradientTape() as tape:               # the generator's turn, against the updated D
            loss_G = G_objective(discriminator(generator(Z)))
            minimized = -loss_G                       # minimize(-loss_G)
        grads = tape.gradient(minimized, G_var_list)
        G_optimizer.apply_gradients(zip(grads, G_var_list))

        return loss_D, loss_G

    return train_step


def make_gan_watch(generator, discriminator, watch_real, watch_noise):
    """Notebook 1's ``watch`` (before step #13's training): D(x), D(G(z)) and diversity after every epoch."""

    def watch():
        # Called after every epoch; the numbers join the history next to the losses.
        fakes = generator(watch_noise, training=False)
        return {"D(x)": float(tf.reduce_mean(tf.sigmoid(discriminator(watch_real, training=False)))),
                "D(G(z))": float(tf.reduce_mean(tf.sigmoid(discriminator(fakes, training=False)))),
                "diversity": float(tf.reduce_mean(tf.abs(fakes[:250] - fakes[250:])))}

    return watch


# --- notebook 2, steps #6, #7 and #9 --------------------------------------------------

def D_loss(D_real, D_gene):
    loss_D_real = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        logits=D_real, labels=tf.ones_like(D_real)))
    loss_D_gene = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        logits=D_gene, labels=tf.zeros_like(D_gene)))
    return loss_D_real + loss_D_gene


def G_loss(D_gene):
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        logits=D_gene, labels=tf.ones_like(D_gene)))


def make_cgan_train_step(generator, discriminator, D_optimizer, G_optimizer, get_noise, batch_size, n_noise):
    """Notebook 2's ``make_train_step`` (step #9)."""
    @tf.function(jit_compile=True)
    def train_step(X, Y):
        Z = get_noise(batch_size, n_noise)                # the same noise and labels for both updates

        with tf.GradientTape() as tape:                   # the discriminator's turn (#6)
            loss_D = D_loss(discriminator([X, Y]), discriminator([generator([Z, Y]), Y]))
        vars_D = discriminator.trainable_variables
        D_optimizer.apply_gradients(zip(tape.gradient(loss_D, vars_D), vars_D))

        with tf.GradientTape() as tape:                   # the generator's turn, against the updated D (#7)
            loss_G = G_loss(discriminator([generator([Z, Y]), Y]))
        vars_G = generator.trainable_variables
        G_optimizer.apply_gradients(zip(tape.gradient(loss_G, vars_G), vars_G))

        return loss_D, loss_G

    return train_step

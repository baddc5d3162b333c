"""Notebook 3's experiments: one training step for every model, one "experiment" per setting, the table rows.

Notebook 3 shows this code (``show_source``) and calls it; ``make ablation``
(``tools/ablation.py``) imports the same functions to train the table's rows, and writes
each result to ``results/ablation/{kind}-{row}-seed{seed}.json`` with its provenance record
(:mod:`gan_helpers.results`), which the notebook reads.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
import numpy as np

from . import classifier, models, timing, training
from . import results as _results   # `results` is the argument naming another results folder below
from ._quiet import import_tensorflow_quietly
from .errors import GanHelpersError
from .runner import Run
from .settings import DEFAULTS, LOSSES

tf = import_tensorflow_quietly()
import keras  # noqa: E402

ABLATION_DIR = _results.RESULTS["ablation"].folder
ABLATION_EPOCHS = 100      # every table row is a full run, as in the note
FINAL_SEEDS = (42, 7, 1)   # the final rows are trained with each
LOO_SEEDS = FINAL_SEEDS     # the leave-one-out rows are trained on the same three seeds
SAMPLE_SIZE = 10
cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)   # tf.nn.sigmoid_cross_entropy_with_logits, averaged


def make_train_step(generator, discriminator, D_optimizer, G_optimizer, get_noise, batch_size, n_noise,
                    real_label=1.0, loss="cross-entropy"):
    if loss not in LOSSES:
        raise GanHelpersError(f"unknown loss {loss!r}; use one of {', '.join(map(repr, LOSSES))}")
    conditional = len(generator.inputs) == 2                 # [noise, labels] in, or noise only

    def G(Z, Y):
        return generator([Z, Y] if conditional else Z, training=True)

    def D(X, Y):
        return discriminator([X, Y] if conditional else X, training=True)

    @tf.function(jit_compile=True)
    def train_step(X, Y=None):
        Z = get_noise(batch_size, n_noise)
        with tf.GradientTape() as tape:                      # the discriminator's turn
            D_real, D_gene = D(X, Y), D(G(Z, Y), Y)
            if loss == "hinge":                              # D wants real logits >= 1, fake logits <= -1
                loss_D = tf.reduce_mean(tf.nn.relu(1.0 - D_real)) + tf.reduce_mean(tf.nn.relu(1.0 + D_gene))
            else:
                loss_D = (cross_entropy(tf.fill(tf.shape(D_real), real_label), D_real)
                          + cross_entropy(tf.zeros_like(D_gene), D_gene))
        vars_D = discriminator.trainable_variables
        D_optimizer.apply_gradients(zip(tape.gradient(loss_D, vars_D), vars_D))

        with tf.GradientTape() as tape:                      # the generator's turn, same noise
            D_gene = D(G(Z, Y), Y)
            if loss == "hinge":
                loss_G = -tf.reduce_mean(D_gene)
            else:
                loss_G = cross_entropy(tf.ones_like(D_gene), D_gene)
        vars_G = generator.trainable_variables
        G_optimizer.apply_gradients(zip(tape.gradient(loss_G, vars_G), vars_G))
        return loss_D, loss_G

    return train_step


def sample_rows(generator, settings, sample_noise, mnist):
    """The rows of a sample grid: one row (vanilla), or test images above the digits drawn for their labels."""
    if settings.kind == "gan":
        return [generator(sample_noise, training=False).numpy()]
    labels = tf.constant(mnist.y_test[:len(sample_noise)])
    return [mnist.x_test[:len(sample_noise)], generator([sample_noise, labels], training=False).numpy()]


def run_experiment(settings, seed, mnist, *, total_epoch, batch_size=100, checkpoint_dir=None,
                   sample_dir=None, fresh=False, log=None, watch=None, watch_discriminator=False):
    """Train the models of ``settings`` from ``seed``; returns the :class:`~gan_helpers.runner.Run`.

    ``watch``: see :meth:`~gan_helpers.runner.Run.fit` (numbers to record after every epoch).
    ``watch_discriminator``: also record D(x) and D(G(z)) after every epoch in the history
    (:func:`~gan_helpers.diagnostics.discriminator_watch` on test images; the training is unchanged).
    """
    rng = training.seeded_rng(seed)
    generator, discriminator = models.build_from_settings(settings)
    D_optimizer = keras.optimizers.Adam(settings.d_learning_rate or settings.learning_rate,
                                        beta_1=settings.beta_1, epsilon=1e-8)
    G_optimizer = keras.optimizers.Adam(settings.learning_rate, beta_1=settings.beta_1, epsilon=1e-8,
                                        use_ema=settings.ema > 0, ema_momentum=settings.ema or 0.99)
    get_noise = partial(models.NOISE[settings.noise], rng)
    train_step = make_train_step(generator, discriminator, D_optimizer, G_optimizer, get_noise,
                                 batch_size, settings.n_noise, settings.real_label, settings.loss)
    sample_noise = get_noise(SAMPLE_SIZE, settings.n_noise)   # the same noise at every sample epoch
    run = Run(settings, generator, discriminator, D_optimizer, G_optimizer, rng,
              checkpoint_dir=checkpoint_dir, sample_dir=sample_dir, fresh=fresh,
              sample_rows=None if sample_dir is None else
              partial(sample_rows, generator, settings, sample_noise, mnist))
    arrays = [mnist.x_train, mnist.y_train] if settings.kind == "cgan" else [mnist.x_train]
    if watch_discriminator:
        from .diagnostics import discriminator_watch

        watches = [w for w in (watch, discriminator_watch(generator, discriminator, settings, mnist.x_test,
                                                          mnist.y_test)) if w is not None]

        def watch():
            return {name: value for w in watches for name, value in w().items()}
    run.fit(train_step, arrays, total_epoch=total_epoch, batch_size=batch_size, log=log, desc=settings.kind,
            watch=watch)
    return run


def measure(generator, settings, judge, real_features, n=10000):
    """Every measure of the table for one trained generator (noise seed 1 for every run)."""
    requested = np.repeat(np.arange(10), n // 10) if settings.kind == "cgan" else None
    images = models.generate(generator, settings, n, seed=1, digit=requested)
    return classifier.sample_quality(judge, images, real_features, requested)


# --- the rows of the table ---------------------------------------------------------

NOTE_GAN = models.better_settings("gan", "mlp", n_hidden=256, activation="relu", init="note",
                                  noise="normal(0, 1)", learning_rate=0.0002, beta_1=0.9, real_label=1.0)
GAN_CHANGES = [  # (row name, what changes from the last kept row, keep it for the rows below?)
    ("note (notebook 1)", {}, True),
    ("+ Adam beta_1 = 0.5", {"beta_1": 0.5}, True),
    ("+ LeakyReLU(0.2)", {"activation": "leaky_relu"}, True),
    ("+ Glorot init", {"init": "glorot"}, True),
    ("+ minibatch std in D", {"minibatch_std": True}, True),
    ("+ 3 layers, batch norm in G", {"n_hidden": [128, 256, 512], "batch_norm": True}, True),
    ("+ EMA of G's weights", {"ema": 0.999}, True),
    ("+ label smoothing 0.9", {"real_label": 0.9}, False),
    ("+ dropout 0.3 in D", {"dropout": 0.3}, False),
    ("+ two time-scale lr (D 4x G)", {"d_learning_rate": 0.0004, "learning_rate": 0.0001}, False),
    ("+ D's Adam lr 0.0004", {"d_learning_rate": 0.0004}, False),
    ("+ spectral norm in D", {"spectral_norm": True}, False),
    ("+ hinge loss", {"loss": "hinge"}, False),
    ("+ Adam lr 0.0004 (both)", {"learning_rate": 0.0004}, False),
    ("+ hinge loss, lr 0.0004", {"loss": "hinge", "learning_rate": 0.0004}, False),
    ("+ EMA 0.9995, lr 0.0004", {"ema": 0.9995, "learning_rate": 0.0004}, False),
    ("+ Adam lr 0.001 (both)", {"learning_rate": 0.001}, False),
    ("+ Adam lr 0.0008 (both)", {"learning_rate": 0.0008}, True),
    # convolutions instead of dense layers, with every other choice of the final recipe (issue 26)
    ("+ DCGAN (width 16) instead of MLP", {"arch": "dcgan", "width": 16}, False),
]


LAYER_SIZES = ("n_hidden", "width")   # how each arch sizes its layers: "mlp" by n_hidden, "dcgan" by width


def chain(start, changes):
    """Each row's settings: the last kept row's settings plus this row's change. Returns (rows, final).

    A change of ``arch`` leaves only the old arch's layer sizes behind (at their default): the DCGAN row
    has no MLP layer sizes. Every other option goes with it; one the new arch cannot honour stays set, so
    the builders refuse it in one line instead of training a row without it.
    """
    rows, kept = {}, start
    for name, change, keep in changes:
        row = kept.replace(**change)
        rows[name] = row.replace(**{key: DEFAULTS[key] for key in LAYER_SIZES if key in row.unused()})
        if keep:
            kept = rows[name]
    return rows, kept


GAN_ROWS, FINAL_GAN = chain(NOTE_GAN, GAN_CHANGES)

NOTE_CGAN = models.better_settings("cgan", "mlp", n_hidden=256, activation="relu", init="glorot",
                                   noise="uniform(-1, 1)", learning_rate=0.001, beta_1=0.9, real_label=1.0)
CGAN_CHANGES = [
    ("note (notebook 2)", {}, True),
    ("+ Adam lr 0.0002, beta_1 0.5", {"learning_rate": 0.0002, "beta_1": 0.5}, True),
    # the vanilla recipe as it stood when this row was made (before the learning rates of issue 16)
    ("+ final recipe of #5", {k: v for k, v in GAN_ROWS["+ EMA of G's weights"].to_dict().items()
                              if k not in ("kind", "noise")}, True),
    ("+ Adam lr 0.001 (the note's)", {"learning_rate": 0.001}, True),
    ("+ projection discriminator", {"projection": True}, True),
    ("+ hinge loss", {"loss": "hinge"}, False),
    ("+ conditional batch norm in G", {"conditional_batch_norm": True}, True),
]
CGAN_ROWS, FINAL_CGAN = chain(NOTE_CGAN, CGAN_CHANGES)

def leave_one_out(kind) -> dict:
    """The final settings with each kept change undone in turn: ``{"without ...": settings}``.

    Undone means the note's value comes back for the options that change set (for an option the note does
    not set, its default: off), while every other change stays. The conditional GAN took the vanilla recipe
    in one row ("+ final recipe of #5"); here it is undone piece by piece, like the vanilla GAN's, and then its
    own changes.
    A change that leaves the final settings as they are (the conditional GAN's Glorot init and learning
    rate are already the note's) has no row. Without batch norm there is no conditional batch norm either.
    """
    start, final = (NOTE_GAN, FINAL_GAN) if kind == "gan" else (NOTE_CGAN, FINAL_CGAN)
    changes = [(name, change) for name, change, keep in GAN_CHANGES[1:] if keep]
    if kind == "cgan":
        changes += [(name, change) for name, change, keep in CGAN_CHANGES[3:] if keep]
    rows = {}
    for name, change in changes:
        gone = set(change) | ({"conditional_batch_norm"} if "batch_norm" in change else set())
        undone = final.replace(**{key: getattr(start, key) for key in gone})
        if undone != final:
            rows["without " + name.removeprefix("+ ")] = undone
    if kind == "gan":   # the capacity change is two changes: undo each alone, so the table says which mattered
        rows.update({name: final.replace(**change) for name, change in CAPACITY_PARTS.items()})
    return rows


CAPACITY_PARTS = {   # the vanilla GAN's "3 layers, batch norm in G" undone one part at a time (issue 26)
    "without BN in G, 3 layers kept": {"batch_norm": False},
    "without 3 layers, BN in G kept": {"n_hidden": 256},
}


LOO_ROWS = {"gan": leave_one_out("gan"), "cgan": leave_one_out("cgan")}
TABLES = {"gan": (GAN_ROWS, FINAL_GAN), "cgan": (CGAN_ROWS, FINAL_CGAN)}


def all_rows(kind) -> dict:
    """Every row of ``kind``'s table: the cumulative rows, then the leave-one-out rows."""
    return {**TABLES[kind][0], **LOO_ROWS[kind]}


def final_row(kind) -> str:
    """The name of the row whose settings are the final ones (its last such row)."""
    rows, final = TABLES[kind]
    return [name for name, settings in rows.items() if settings == final][-1]


MULTI_SEED_ROWS = {   # cumulative rows besides the final one that are trained with every final seed
    "gan": ("+ DCGAN (width 16) instead of MLP",),   # set beside the final recipe's three seeds (issue 26)
    "cgan": (),
}


def row_seeds(kind, name):
    if name == final_row(kind) or name in MULTI_SEED_ROWS[kind]:
        return FINAL_SEEDS
    return LOO_SEEDS if name in LOO_ROWS[kind] else FINAL_SEEDS[:1]


def name_to_file(name):
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-").replace("--", "-")


def row_path(kind, name, seed, results=None) -> Path:
    return Path(results or ABLATION_DIR) / f"{kind}-{name_to_file(name)}-seed{seed}.json"


def saved_path(kind, name, seed, results=None):
    """Where the result of this row and seed is saved, or None. A row with the same settings as another
    (the leave-one-out row that undoes the last change is an earlier row of the table) shares its result."""
    settings = all_rows(kind)[name]
    for other in [name] + [n for n, s in all_rows(kind).items() if s == settings and n != name]:
        path = row_path(kind, other, seed, results)
        if path.exists():
            return path
    return None


def load_row(kind, name, seed, results=None, epochs=ABLATION_EPOCHS):
    """The saved result of one row, or ``None``; refuses a result whose record names other settings."""
    path = saved_path(kind, name, seed, results)
    if path is None:
        return None
    row = _results.load(path)
    made = _results.record_of(row)["settings"]
    if models.Settings.from_dict(made["model"]) != all_rows(kind)[name] or made["epochs"] != epochs:
        raise GanHelpersError(f"the saved result for {name!r} (seed {seed}) was made with other settings; "
                              f"run: make ablation")
    return row


MEASURES = {"gan": ["score", "top class", "rarest class", "FD"],
            "cgan": ["score", "top class", "rarest class", "FD", "label acc", "worst digit"]}


def worst_digit(quality):
    """The lowest per-digit label accuracy (conditional GAN), or None where it was not measured."""
    per_digit = quality.get("label acc per digit")
    return None if not per_digit else min(per_digit)


def value(quality, key):
    return worst_digit(quality) if key == "worst digit" else quality[key]


def seed_summary(kind, name, results=None, epochs=ABLATION_EPOCHS):
    """``{measure: (mean, lowest, highest)}`` over the row's seeds, or None while a seed is missing."""
    rows = [load_row(kind, name, seed, results, epochs) for seed in row_seeds(kind, name)]
    if any(r is None for r in rows):
        return None
    summary = {}
    for key in MEASURES[kind]:
        values = [value(r["quality"], key) for r in rows]
        if None not in values:
            summary[key] = (float(np.mean(values)), min(values), max(values))
    return summary


def table(kind, real, results=None, epochs=ABLATION_EPOCHS) -> str:
    """The cumulative rows (seed 42; the final row with every final seed), then the leave-one-out block
    (every final seed); a row with several seeds ends with their mean. Real test images first."""
    conditional = kind == "cgan"
    head = (f"{'setting':36s} {'seed':>4s} {'score':>6s} {'top':>6s} {'rarest':>6s} {'FD':>7s} "
            + (f"{'label acc':>9s} {'worst':>6s} " if conditional else "") + f"{'steps/s':>7s} {'time':>6s}")
    lines = [head, "-" * len(head)]

    def percent(x, width, digits=1):
        return f"{'-':>{width}s}" if x is None else f"{x:>{width}.{digits}%}"

    def line(name, seed, v, steps_per_s=None, seconds=None):   # v: {measure: value}
        acc = f"{percent(v['label acc'], 9, 2)} {percent(v.get('worst digit'), 6)} " if conditional else ""
        speed = f"{steps_per_s:>7.0f} {seconds / 60:>5.1f}m" if steps_per_s else f"{'-':>7s} {'-':>6s}"
        return (f"{name:36s} {seed:>4} {v['score']:>6.2f} {v['top class']:>6.1%} {v['rarest class']:>6.1%} "
                f"{v['FD']:>7.2f} " + acc + speed)

    def measured(quality):
        return {key: value(quality, key) for key in MEASURES[kind]}

    def rows_of(names):
        for name in names:
            for seed in row_seeds(kind, name):
                r = load_row(kind, name, seed, results, epochs)
                if r is None:
                    lines.append(f"{name:36s} {seed:>4}   not run yet: make ablation")
                else:
                    lines.append(line(name, seed, measured(r["quality"]), r["steps/s"], r["seconds"]))
            summary = seed_summary(kind, name, results, epochs) if len(row_seeds(kind, name)) > 1 else None
            if summary:
                lines.append(line("  mean", "", {key: mean for key, (mean, _, _) in summary.items()}))
                lines.append(line("  spread (highest - lowest)", "",
                                  {key: high - low for key, (_, low, high) in summary.items()}))

    lines.append(line("real test images", "-", measured(real)))
    rows_of(TABLES[kind][0])
    if LOO_ROWS[kind]:
        lines += ["", "leave one out: the final settings without one kept change", "-" * len(head)]
        rows_of(LOO_ROWS[kind])
    return "\n".join(lines)


def row_settings(kind, name, seed, epochs=ABLATION_EPOCHS) -> dict:
    """The settings a row's provenance record names: the row, its seed and length, the model's settings."""
    return {"kind": kind, "row": name, "seed": seed, "epochs": epochs, "model": all_rows(kind)[name].to_dict()}


def row_result(kind, name, seed, run, quality, epochs=ABLATION_EPOCHS) -> dict:
    """What ``make ablation`` saves for one row (the tool adds the provenance record)."""
    return {"kind": kind, "name": name, "seed": seed, "epochs": epochs, "settings": run.settings.to_dict(),
            "quality": quality,
            "steps/s": run.history.steps / run.history.seconds if run.history.steps else None,
            "seconds": run.history.seconds,
            "last epoch": {k: v[-1] for k, v in run.history.items()},
            "machine": timing.describe()}



def compare_with_row(kind, quality, seed, results=None, epochs=ABLATION_EPOCHS) -> str:
    """This run's measures beside the table's final row for ``seed``, and what a difference means.

    On the machine and TensorFlow version that made the table, the same code and seed give the
    same numbers bit for bit. On another CPU (or TensorFlow), XLA's float rounding may differ (notebooks 1 and
    2's models trained bit for bit alike on an AMD EPYC and an Intel Xeon; these final models did not); then the
    training takes another path, and
    the numbers move by about as much as changing the seed does: the table's three final seeds show that
    spread (three seeds give only a rough idea of it).
    """
    name = final_row(kind)
    rows = {s: load_row(kind, name, s, results, epochs) for s in FINAL_SEEDS}
    row = rows.get(seed)
    if row is None:
        return f"the table has no final row for seed {seed} (its seeds: {', '.join(map(str, FINAL_SEEDS))})"
    keys = ["score", "top class", "rarest class", "FD"] + (["label acc"] if kind == "cgan" else [])
    others = [r for s, r in rows.items() if s != seed and r is not None]
    lines = [f"{'':12s}{'this run':>10s}{'table':>10s}{'diff':>10s}{'seeds differ by':>17s}"]
    for k in keys:
        spread = max((abs(r["quality"][k] - row["quality"][k]) for r in others), default=float("nan"))
        lines.append(f"{k:12s}{quality[k]:>10.4f}{row['quality'][k]:>10.4f}{quality[k] - row['quality'][k]:>+10.4f}"
                     f"{spread:>17.4f}")
    made = _results.record_of(row)
    here = (timing.cpu_model(), _results.tensorflow_version())
    there = (made["cpu"], made["tensorflow"])
    if all(quality[k] == row["quality"][k] for k in keys):
        verdict = ("identical to the table's row: same code and seed" + (", CPU and TensorFlow" if here == there else
                   f"; the table was made on {there[0]} with TensorFlow {there[1]}, this run on {here[0]}"))
    elif here != there:
        verdict = (f"differs from the table's row, as expected here: the table was made on {there[0]} with "
                   f"TensorFlow {there[1]}, this run on {here[0]} with TensorFlow {here[1]}; compare 'diff' "
                   f"with 'seeds differ by'")
    else:
        verdict = ("differs from the table's row on the same CPU and TensorFlow: unexpected; was the "
                   "code or a setting changed since `make ablation`?")
    return "\n".join(lines + [verdict])

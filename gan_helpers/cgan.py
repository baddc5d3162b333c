"""Notebook 2's conditional GAN runs, written once for the notebook, ``make bench`` and ``make cgan-noise``.

- :func:`build`: one run as notebook 2's ``train_cgan`` makes it (seed, models #2-#3, two Adams #8, the
  noise #4, the sample rows #13 and the learning-signal watch), with the training step the notebook shows
  (``training_steps.make_cgan_train_step``, #9); ``training.train`` trains it, in the notebook and the tools.
- :func:`measure`: what the notebook's comparison table shows for a trained run.
- The comparison's three extra 100-epoch runs (:data:`COMPARISON`) are trained by ``make cgan-noise``
  (``tools/cgan_noise.py``) and saved in :data:`RESULTS` (``results/cgan-noise/``) with their per-epoch
  history, measures and a 10x10 grid; :func:`load_results` reads them, so the notebook can answer the
  note's question without training three more models. The file carries the provenance record of
  :mod:`gan_helpers.results` (which code made it, on which CPU and TensorFlow).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

from . import atomic, classifier, diagnostics, models, results, runner, timing, training, training_steps
from ._quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()
import keras  # noqa: E402  (after TensorFlow's quiet import)

# The note's hyperparameters (notebook 2, #1): its model, and how it is trained (not in settings.json).
NOTE = models.cgan_settings(n_noise=128, n_class=10, n_hidden=256, n_input=28 * 28)
BATCH_SIZE, LEARNING_RATE = 100, 0.001
SAMPLE_SIZE = 10
EPOCHS = 100
COMPARISON_SEEDS = (42, 7)
COMPARISON = tuple((noise, seed) for seed in COMPARISON_SEEDS for noise in ("uniform(-1, 1)", "normal(-1, 1)"))
"""The runs notebook 2 compares: the note's text's noise and its code's, two seeds each."""
RESULTS = results.RESULTS["cgan-noise"].path
GRID_DIGITS = np.repeat(np.arange(10), 10)      # a 10x10 grid: row d asks for digit d


def note_train_step(generator, discriminator, D_optimizer, G_optimizer, get_noise):
    """``training_steps.make_cgan_train_step`` with the note's batch size (and the generator's noise size)."""
    return training_steps.make_cgan_train_step(generator, discriminator, D_optimizer, G_optimizer, get_noise,
                                           BATCH_SIZE, generator.inputs[0].shape[-1])


def signal_watch(generator, discriminator, noise_name, mnist, n=500):
    """After every epoch: the generator's learning signal (and D(x)) on a fixed batch, digits 0-9 in turn.

    The noise comes from its own generator (seed 5), not the run's ``rng``: training stays the same.
    """
    n_noise, n_class = generator.inputs[0].shape[-1], generator.inputs[1].shape[-1]
    noise = models.NOISE[noise_name](tf.random.Generator.from_seed(5), n, n_noise)
    labels = tf.one_hot(np.arange(n) % n_class, n_class)
    real = [tf.constant(mnist.x_test[:n]), tf.constant(mnist.y_test[:n])]
    return diagnostics.compiled_signal(generator, discriminator, training_steps.G_loss, noise, labels, real=real)


def build(noise_name, seed, mnist, make_train_step=note_train_step, *, learning_rate=LEARNING_RATE,
          n_hidden=NOTE.n_hidden, n_noise=NOTE.n_noise, checkpoint_dir=None, sample_dir=None, fresh=False, log=print):
    """One run of notebook 2: returns ``(run, train_step, watch)``; ``training.train(run, train_step, ...)`` trains
    it (``watch``, the generator's learning signal after every epoch, is the run's already)."""
    n_class, n_input = NOTE.n_class, NOTE.n_input
    rng = training.seeded_rng(seed)
    generator = models.build_cgan_generator(n_noise, n_class, n_hidden, n_input)
    discriminator = models.build_cgan_discriminator(n_input, n_class, n_hidden)
    D_optimizer = keras.optimizers.Adam(learning_rate, epsilon=1e-8)
    G_optimizer = keras.optimizers.Adam(learning_rate, epsilon=1e-8)
    get_noise = partial(models.NOISE[noise_name], rng)
    train_step = make_train_step(generator, discriminator, D_optimizer, G_optimizer, get_noise)
    sample_noise = get_noise(SAMPLE_SIZE, n_noise)          # the same noise at every sample epoch
    sample_labels = tf.constant(mnist.y_test[:SAMPLE_SIZE])

    def sample_rows():
        # Row 1: the first ten test images; row 2: the generator's images for their labels.
        return [mnist.x_test[:SAMPLE_SIZE], generator([sample_noise, sample_labels], training=False).numpy()]

    watch = signal_watch(generator, discriminator, noise_name, mnist)
    run = runner.Run(models.cgan_settings(n_noise, n_class, n_hidden, n_input, noise=noise_name),
                     generator, discriminator, D_optimizer, G_optimizer, rng,
                     checkpoint_dir=checkpoint_dir, sample_dir=sample_dir, fresh=fresh, sample_rows=sample_rows,
                     watch=watch, log=log)
    return run, train_step, watch


def generate(run, digits, seed=0):
    """Images for the requested digits, with noise of the kind the run was trained on (seeded)."""
    return models.generate(run.generator, run.settings, len(digits), seed=seed, digit=digits)


def probe(run, mnist) -> dict:
    """D's verdicts on 2,000 real test images and on fakes with the same labels; the generator's
    hidden ReLUs that are on; how much the label vs the noise moves the picture."""
    noise = models.NOISE[run.settings.noise]
    n_noise, n_class = run.settings.n_noise, run.settings.n_class
    labels = tf.constant(mnist.y_test[:2000])   # Keras 3: don't mix tensors and NumPy arrays in one call
    fakes = run.generator([noise(tf.random.Generator.from_seed(2), 2000, n_noise), labels])
    d_real = float(tf.reduce_mean(tf.sigmoid(run.discriminator([tf.constant(mnist.x_test[:2000]), labels]))))
    d_fake = float(tf.reduce_mean(tf.sigmoid(run.discriminator([fakes, labels]))))
    z = noise(tf.random.Generator.from_seed(3), 1000, n_noise)
    y = tf.one_hot(np.arange(1000) % 10, n_class)
    hidden = keras.Model(run.generator.inputs, run.generator.get_layer("hidden").output)([z, y])
    base = run.generator([z, y])
    other_label = run.generator([z, tf.roll(y, 1, axis=1)])     # same noise, next digit
    other_noise = run.generator([tf.roll(z, 1, axis=0), y])     # same digit, another noise
    ratio = float(tf.reduce_mean(tf.abs(base - other_label)) / tf.reduce_mean(tf.abs(base - other_noise)))
    return {"D(real)": d_real, "D(fake)": d_fake, "active": float(tf.reduce_mean(tf.cast(hidden > 0, tf.float32))),
            "label/noise": ratio}


def measure(run, judge, mnist, n_per_digit=1000) -> dict:
    """The comparison table's row for a trained run: ``n_per_digit`` images per digit read by the classifier."""
    digits = np.repeat(np.arange(10), n_per_digit)
    rep = classifier.label_report(judge, generate(run, digits, seed=1), digits)
    return {"label acc": rep.overall, "worst digit": f"{rep.worst_digit}: {rep.per_digit.min():.1%}",
            "top class": float(rep.predicted_share.max()), "D loss": run.history["D loss"][-1],
            "G loss": run.history["G loss"][-1], **probe(run, mnist)}


# --- the saved comparison runs -------------------------------------------------------------------

def _grid_path(results: Path, noise: str, seed: int) -> Path:
    slug = noise.replace("(", "").replace(")", "").replace(", ", "_").replace("-", "m")   # normal(-1, 1) -> normalm1_1
    return results.parent / f"grid-{slug}-seed{seed}.png"


def _grid_to_png(images) -> Image.Image:
    """100 images of 784 values in [0, 1] -> one 280x280 grayscale picture (row d: digit d)."""
    tiles = np.round(np.asarray(images).reshape(10, 10, 28, 28) * 255).astype(np.uint8)
    return Image.fromarray(tiles.transpose(0, 2, 1, 3).reshape(280, 280), mode="L")


def _png_to_grid(path: Path) -> np.ndarray:
    with Image.open(path) as picture:
        tiles = np.asarray(picture.convert("L")).reshape(10, 28, 10, 28).transpose(0, 2, 1, 3)
    return tiles.reshape(100, 784).astype(np.float32) / 255.0


class SavedRun:
    """A comparison run read from :data:`RESULTS`: what the notebook needs of a trained ``run``."""

    def __init__(self, entry: dict, grid: np.ndarray):
        self.settings = models.Settings.from_dict(entry["settings"])
        self.history = training.History(entry["history"])
        self.measured = entry["measured"]
        self.grid = grid          # the images for GRID_DIGITS, seed 0 (as the notebook's 10x10 grids)


def result_entry(run, judge, mnist) -> dict:
    """One saved run: settings, the whole per-epoch history, the measures and the 10x10 grid's images."""
    return {"settings": run.settings.to_dict(),
            "history": {k: [float(v) for v in vs] for k, vs in run.history.items()},
            "measured": measure(run, judge, mnist), "grid": generate(run, GRID_DIGITS)}


def save_results(entries: dict, record: dict, path=RESULTS, epochs=EPOCHS, data="") -> Path:
    """Write ``{(noise, seed): result_entry(...)}`` with its provenance ``record`` (:func:`results.record`);
    each run's grid goes beside it as a PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    runs = []
    for (noise, seed), entry in entries.items():
        with atomic.atomic_path(_grid_path(path, noise, seed)) as tmp:
            _grid_to_png(entry["grid"]).save(tmp, format="PNG")
        runs.append({"noise": noise, "seed": seed, **{k: v for k, v in entry.items() if k != "grid"}})
    atomic.write_json_atomic(path, results.with_record({"epochs": epochs, "data": data, "runs": runs}, record))
    return path


def measured(run, judge, mnist) -> dict:
    """:func:`measure` of a trained run, or what was measured when a saved run was made."""
    return run.measured if isinstance(run, SavedRun) else measure(run, judge, mnist)


def grid_images(run) -> np.ndarray:
    """The 10x10 grid's images (row d: digit d, noise of seed 0) of a trained or a saved run."""
    return run.grid if isinstance(run, SavedRun) else generate(run, GRID_DIGITS)


def describe_results(facts: dict, own_run=None, own_seed=None, total_epoch=None, data=None, path=RESULTS) -> str:
    """Where the saved runs come from (data, and the verdict of their provenance record), one line per run,
    and how this notebook's own run compares with the saved run of the same noise and seed: the same code,
    data, CPU and TensorFlow give the same numbers. ``data``: ``mnist.describe()`` of the notebook's data."""
    record = results.record_of(facts)
    lines = [f"read the comparison's runs from {results.shown(path)}: {facts['epochs']} epochs each on {facts['data']}"]
    lines.append(results.verdict("cgan-noise", [path]))
    saved, _ = load_results(path)
    for (noise, seed), r in sorted(saved.items()):
        lines.append(f"  {noise}, seed {seed}: last epoch D loss {r.history['D loss'][-1]:.4g} "
                     f"G loss {r.history['G loss'][-1]:.4g}")
    twin = saved.get(("uniform(-1, 1)", own_seed))
    if own_run is None or twin is None:
        return "\n".join(lines)
    if data != facts["data"] or total_epoch != facts["epochs"]:
        lines.append(f"this notebook trained on other data or for another length ({data}, {total_epoch} epochs): "
                     "its own run is not compared with the saved one")
        return "\n".join(lines)
    # Every number of the last epoch, losses and watched values, to 1e-6: the training itself is the same bit for
    # bit (the sample grids are byte-identical), but the epoch's mean loss depends on the order of its sum (the
    # loop's) and the watch's compiled gradients may differ in the last bit on another CPU (measured: 7e-8).
    columns = [k for k in twin.history if k in own_run.history]
    same = all(abs(own_run.history[k][-1] - twin.history[k][-1]) <= 1e-6 * abs(twin.history[k][-1]) for k in columns)
    ours = (own_run.history["D loss"][-1], own_run.history["G loss"][-1])
    theirs = (twin.history["D loss"][-1], twin.history["G loss"][-1])
    here = record["cpu"] == timing.cpu_model() and record["tensorflow"] == results.tensorflow_version()
    verdict = ("identical (every number of the last epoch to 1e-6)" if same
               else "different: expected on another CPU or TensorFlow" if not here else
               "different on the same CPU, data and TensorFlow: unexpected, make cgan-noise again")
    lines.append(f"this notebook's run (uniform(-1, 1), seed {own_seed}): last epoch D loss {ours[0]:.4g} "
                 f"G loss {ours[1]:.4g}; saved: D loss {theirs[0]:.4g} G loss {theirs[1]:.4g} -> {verdict}")
    return "\n".join(lines)


def load_results(path=RESULTS) -> tuple[dict, dict]:
    """``({(noise, seed): SavedRun}, the file's facts)``; the facts hold the provenance record."""
    path = Path(path)
    doc = results.load(path)
    runs = {(r["noise"], r["seed"]): SavedRun(r, _png_to_grid(_grid_path(path, r["noise"], r["seed"])))
            for r in doc.pop("runs")}
    return runs, doc

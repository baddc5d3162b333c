"""Notebook 1's brief runs: its GAN trained from scratch for 20 epochs, written once for the notebook and ``make minimax``.

- :func:`build`: one run as notebook 1's ``train_briefly`` makes it (the seed, the models of #4-#5, two Adams #11,
  the noise #8, the training step #12 with the generator objective asked for), watched after every epoch by
  notebook 1's ``watch`` (``training_steps.make_gan_watch``: D(x), D(G(z)), diversity on the same 500 test images
  and 500 fixed noises) and by the generator's learning signal (``diagnostics.SignalWatch``: ``|grad G|``,
  ``|change of G|``, and the pictures of the first ten noises); ``training.train`` trains it.
- :data:`FORMS`: the two generator objectives notebook 1's experiment compares, one change and nothing else.
- ``make minimax`` (``tools/minimax.py``) trains both forms with each of :data:`SEEDS` and saves every epoch's
  watched values and the end measures (:func:`measure`) in :data:`RESULTS` (``results/minimax/results.json``,
  with the provenance record of :mod:`gan_helpers.results`); :func:`load_results` reads them for the notebook.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from . import atomic, classifier, diagnostics, models, results, runner, timing, training, training_steps
from ._quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()
import keras  # noqa: E402  (after TensorFlow's quiet import)

NOTE = models.gan_settings(n_noise=128, n_hidden=256, n_input=28 * 28)   # notebook 1's #2
BATCH_SIZE, LEARNING_RATE = 100, 0.0002
EPOCHS = 20
SEEDS = (42, 7, 1)                 # the project's three seeds
FORMS = {"non-saturating": training_steps.G_objective, "minimax": training_steps.minimax_G_objective}
WATCH_SIZE, WATCH_SEED = 500, 1    # notebook 1's watch: x_test[:500] and 500 noises from seed 1
SAMPLES, SAMPLE_SEED = 10000, 1    # the end measures: 10,000 samples from seed 1's noise, as notebook 1's brief_report
WATCHED = ("D(x)", "D(G(z))", "diversity", "|grad G|")   # the per-epoch columns the notebook reads
RESULTS = results.RESULTS["minimax"].path


def build(seed, mnist, G_objective=training_steps.G_objective, noise="normal(0, 1)", D_learning_rate=LEARNING_RATE,
          *, learning_rate=LEARNING_RATE, n_noise=NOTE.n_noise, n_hidden=NOTE.n_hidden, n_input=NOTE.n_input,
          batch_size=BATCH_SIZE):
    """One brief run of notebook 1: ``(run, train_step, signal)``. ``training.train(run, train_step, ...)`` trains it;
    after every epoch the run's watch adds D(x), D(G(z)), diversity and the learning signal to ``run.history``,
    and ``signal.pictures`` gets the generator's pictures for ten fixed noises."""
    rng = training.seeded_rng(seed)
    generator = models.build_generator(n_noise, n_hidden, n_input)
    discriminator = models.build_discriminator(n_input, n_hidden)
    D_optimizer = keras.optimizers.Adam(D_learning_rate, epsilon=1e-8)
    G_optimizer = keras.optimizers.Adam(learning_rate, epsilon=1e-8)
    train_step = training_steps.make_gan_train_step(generator, discriminator, D_optimizer, G_optimizer,
                                                    partial(models.NOISE[noise], rng), batch_size, n_noise,
                                                    G_objective=G_objective)
    # The watch's noise has its own generator (seed 1), not rng: watching does not change the training's draws.
    watch_noise = models.NOISE[noise](tf.random.Generator.from_seed(WATCH_SEED), WATCH_SIZE, n_noise)
    watched = training_steps.make_gan_watch(generator, discriminator, tf.constant(mnist.x_test[:WATCH_SIZE]),
                                            watch_noise)
    signal = diagnostics.SignalWatch(generator, discriminator, lambda logits: -G_objective(logits), watch_noise)

    def watch():
        return {**signal(), **watched()}   # D(G(z)) as notebook 1's watch measures it (the same noise)

    run = runner.Run(models.gan_settings(n_noise, n_hidden, n_input, noise=noise), generator, discriminator,
                     D_optimizer, G_optimizer, rng, watch=watch, log=None)
    return run, train_step, signal


def measure(run, judge, real_features) -> dict:
    """What notebook 1's ``brief_report`` prints for a trained run: score, top class and FD of 10,000 samples."""
    q = classifier.sample_quality(judge, models.generate(run.generator, run.settings, SAMPLES, seed=SAMPLE_SEED),
                                  real_features)
    return {"score": q["score"], "top class": q["top class"], "FD": q["FD"], "shares": q["shares"]}


def result_entry(form, seed, run, judge, real_features, seconds) -> dict:
    """One saved run: its form and seed, the whole per-epoch history, the end measures and the training time."""
    return {"form": form, "seed": seed, "settings": run.settings.to_dict(),
            "history": {k: [float(v) for v in vs] for k, vs in run.history.items()},
            "measured": measure(run, judge, real_features), "seconds": round(float(seconds), 1)}


def save_results(entries, record, path=RESULTS, epochs=EPOCHS, data="") -> Path:
    """Write the runs (:func:`result_entry`) with their provenance ``record`` (:func:`results.record`)."""
    path = Path(path)
    doc = {"epochs": epochs, "seeds": list(dict.fromkeys(e["seed"] for e in entries)),
           "forms": list(dict.fromkeys(e["form"] for e in entries)), "data": data, "runs": list(entries)}
    atomic.write_json_atomic(path, results.with_record(doc, record))
    return path


def load_results(path=RESULTS) -> tuple[dict, dict]:
    """``({(form, seed): saved run}, the file's facts)``; a saved run is ``{"history": ..., "measured": ...}`` and
    the facts hold the epochs, seeds, forms, data and the provenance record."""
    doc = results.load(Path(path))
    runs = {(r["form"], r["seed"]): r for r in doc.pop("runs")}
    return runs, doc


def compare(own_runs, seed, epochs, data, path=RESULTS) -> str:
    """One line: do the notebook's own brief runs (``{form: run}``, seed ``seed``, ``epochs`` epochs on ``data``)
    give the saved runs' numbers? Only asked where they must: the saved seed, length and data; then the same
    CPU and TensorFlow give every watched number of every epoch to 1e-6 (the last bits of a compiled watch and
    of a loss's sum may differ on another CPU)."""
    saved, facts = load_results(path)
    record = results.record_of(facts)
    if seed not in facts["seeds"] or epochs != facts["epochs"] or data != facts["data"]:
        return (f"this notebook's brief runs (seed {seed}, {epochs} epochs, {data}) are not the saved runs' "
                f"(seeds {', '.join(map(str, facts['seeds']))}, {facts['epochs']} epochs): not compared")
    same = all(abs(a - b) <= 1e-6 * max(abs(b), 1e-12)
               for form, run in own_runs.items() for column in WATCHED
               for a, b in zip(run.history[column], saved[form, seed]["history"][column], strict=True))
    here = record["cpu"] == timing.cpu_model() and record["tensorflow"] == results.tensorflow_version()
    verdict = ("identical (every watched number of every epoch to 1e-6)" if same
               else "different: expected on another CPU or TensorFlow" if not here
               else "different on the same CPU, data and TensorFlow: unexpected, run make minimax again")
    return f"this notebook's brief runs above against the saved seed {seed}: {verdict}"

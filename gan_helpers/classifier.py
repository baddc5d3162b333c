"""A small MNIST classifier that tells whether a generated image shows the digit asked for.

It is a measuring tool, not part of the GAN: trained once on the training set,
checked on the test set (>= 98 % accuracy is required), and cached under
``checkpoints/classifier/`` so later runs load it in a second.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import weakref
from pathlib import Path

import numpy as np

from ._quiet import import_tensorflow_quietly
from .errors import GanHelpersError
from .atomic import atomic_path, write_json_atomic

import_tensorflow_quietly()

import keras  # noqa: E402
from keras import layers  # noqa: E402

MIN_TEST_ACCURACY = 0.98
CACHE_VERSION = 2  # bump when the architecture or the training recipe changes


def build_classifier(n_input=28 * 28, n_class=10):
    """Two convolution blocks and a 128-unit feature layer; outputs logits."""
    return keras.Sequential([
        keras.Input(shape=(n_input,), name="image"),
        layers.Reshape((28, 28, 1)),
        layers.RandomTranslation(0.08, 0.08, fill_mode="constant"),  # training only
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(128, activation="relu", name="features"),
        layers.Dense(n_class, name="logits"),
    ], name="mnist_classifier")


def _fingerprint(mnist) -> str:
    h = hashlib.sha256()
    for array in (mnist.x_train, mnist.y_train):
        h.update(np.ascontiguousarray(array[:: max(1, len(array) // 2000)]).tobytes())
    h.update(str(mnist.x_train.shape).encode())
    return h.hexdigest()[:16]


TRAIN_UPDATES = 1760  # batches of 128: 16 epochs of the 14,106-image offline set, 4 of the full set


def train_classifier(mnist, epochs=None, seed=0, verbose=0):
    """About TRAIN_UPDATES updates of batch 128 (at least 2 epochs, at most 16).

    Trained this long, the classifier is sure of real digits: real test images get a
    classifier score of about 9.6 (8 epochs gave 98.6 % accuracy too, but a score of only 9.47).
    """
    if epochs is None:
        epochs = int(np.clip(np.ceil(TRAIN_UPDATES * 128 / mnist.num_train), 2, 16))
    keras.utils.set_random_seed(seed)
    model = build_classifier()
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(mnist.x_train, mnist.y_train, batch_size=128, epochs=epochs, verbose=verbose)
    return model


def accuracy_on_test_set(model, mnist) -> float:
    predicted = predict_labels(model, mnist.x_test)
    return float(np.mean(predicted == mnist.y_test.argmax(1)))


def load_or_train_classifier(mnist, cache_dir, verbose=0):
    """The cached classifier for this training set, or a newly trained one (then cached).

    Returns ``(model, info)``; ``info`` holds the test accuracy and whether it was loaded.
    Raises :class:`GanHelpersError` if a fresh model misses the 98 % bar.
    """
    cache_dir = Path(cache_dir)
    weights, meta = cache_dir / "classifier.weights.h5", cache_dir / "classifier.json"
    key = {"version": CACHE_VERSION, "data": _fingerprint(mnist), "num_train": mnist.num_train}
    model = build_classifier()
    if weights.exists() and meta.exists():
        try:
            info = json.loads(meta.read_text())
            if {k: info.get(k) for k in key} == key:
                model.load_weights(weights)
                return model, dict(info, loaded=True)
        except (OSError, ValueError):
            pass  # unreadable cache: train again below
    model = train_classifier(mnist, verbose=verbose)
    accuracy = accuracy_on_test_set(model, mnist)
    if accuracy < MIN_TEST_ACCURACY:
        raise GanHelpersError(f"the classifier reached only {accuracy:.2%} test accuracy "
                              f"(needs {MIN_TEST_ACCURACY:.0%}); delete {cache_dir} and run again")
    with atomic_path(weights, suffix=".weights.h5") as tmp:   # Keras wants this file ending
        model.save_weights(tmp)
    info = dict(key, test_accuracy=accuracy)
    write_json_atomic(meta, info)
    return model, dict(info, loaded=False)


def predict_labels(model, images, batch_size=1000) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    logits = model.predict(images, batch_size=batch_size, verbose=0)
    return logits.argmax(axis=1)


@dataclasses.dataclass
class LabelReport:
    """How often generated images show the requested digit."""

    overall: float               # share of images classified as the requested digit
    per_digit: np.ndarray        # (10,) that share for each requested digit
    predicted_share: np.ndarray  # (10,) share of all images predicted as each class
    confusion: np.ndarray        # (10, 10) row = requested digit, column = predicted, rows sum to 1

    @property
    def worst_digit(self) -> int:
        return int(np.nanargmin(self.per_digit))

    def summary(self) -> str:
        return (f"label accuracy {self.overall:.1%} (worst digit {self.worst_digit}: "
                f"{self.per_digit[self.worst_digit]:.1%}); most frequent predicted class "
                f"{int(np.argmax(self.predicted_share))} at {self.predicted_share.max():.1%}")

    def table(self) -> str:
        head = "digit    " + "".join(f"{d:>7d}" for d in range(10))
        acc = "accuracy " + "".join(f"{v:>7.1%}" for v in self.per_digit)
        share = "predicted" + "".join(f"{v:>7.1%}" for v in self.predicted_share)
        return "\n".join([head, acc, share])


def class_shares(predicted, n_class=10) -> np.ndarray:
    """Share of each class among ``predicted`` labels (sums to 1)."""
    predicted = np.asarray(predicted)
    return np.bincount(predicted, minlength=n_class)[:n_class] / max(1, len(predicted))


def label_report(model, images, requested, n_class=10) -> LabelReport:
    """Classify ``images`` and compare with the ``requested`` digits (ints or one-hot)."""
    requested = np.asarray(requested)
    if requested.ndim == 2:
        requested = requested.argmax(axis=1)
    predicted = predict_labels(model, images)
    confusion = np.zeros((n_class, n_class))
    np.add.at(confusion, (requested, predicted), 1)
    counts = confusion.sum(axis=1, keepdims=True)
    per_digit = np.divide(np.diag(confusion), counts[:, 0], out=np.full(n_class, np.nan),
                          where=counts[:, 0] > 0)
    return LabelReport(
        overall=float(np.mean(predicted == requested)),
        per_digit=per_digit,
        predicted_share=class_shares(predicted, n_class),
        confusion=np.divide(confusion, counts, out=np.zeros_like(confusion), where=counts > 0),
    )


# --- measures of sample quality (notebook 3) ----------------------------------------

def class_probabilities(model, images, batch_size=1000) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    logits = model.predict(images, batch_size=batch_size, verbose=0)
    logits = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def classifier_score(model, images) -> float:
    """exp(mean KL(p(y|x) || p(y))): the Inception score with the in-project classifier.

    10 for confident predictions spread evenly over ten classes; 1 when every image gets the
    same prediction (or every prediction is unsure).
    """
    return _score(class_probabilities(model, images))


def _score(p) -> float:
    marginal = p.mean(axis=0, keepdims=True)
    kl = np.sum(p * (np.log(p + 1e-12) - np.log(marginal + 1e-12)), axis=1)
    return float(np.exp(kl.mean()))


_extractors = weakref.WeakKeyDictionary()


def features(model, images, batch_size=1000) -> np.ndarray:
    """The classifier's 128-unit ``features`` layer for ``images`` (for the Frechet distance)."""
    extractor = _extractors.get(model)
    if extractor is None:  # one per classifier: a new Model per call would retrace predict every time
        extractor = _extractors[model] = keras.Model(model.inputs, model.get_layer("features").output)
    images = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    return extractor.predict(images, batch_size=batch_size, verbose=0).astype(np.float64)


def frechet_distance(features_a, features_b) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (FID's formula).

    ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)); the trace of the matrix square root
    is computed from the eigenvalues of S_a^(1/2) S_b S_a^(1/2), which are real and >= 0.
    """
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(cov_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_sqrt = np.sum(np.sqrt(np.clip(middle, 0, None)))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt)


def sample_quality(model, images, real_features, requested=None) -> dict:
    """Every measure of notebook 3's table for one set of images.

    ``real_features``: :func:`features` of the real test images (the Frechet distance's
    reference). ``requested``: the digit asked for per image (conditional GAN), or None.
    Keys: ``score`` (classifier score), ``top class`` and ``rarest class`` (share of the most
    and least frequent predicted class), ``shares`` (all ten), ``FD`` (Frechet distance) and
    ``label acc`` (None without ``requested``) and ``label acc per digit`` (ten shares: of the images
    asked to be digit d, how many the classifier reads as d; None without ``requested``).
    """
    p = class_probabilities(model, images)
    shares = class_shares(p.argmax(axis=1), p.shape[1])
    label_acc, per_digit = None, None
    if requested is not None:
        requested = np.asarray(requested)
        requested = requested.argmax(axis=1) if requested.ndim == 2 else requested
        right = p.argmax(axis=1) == requested
        label_acc = float(np.mean(right))
        per_digit = [float(np.mean(right[requested == d])) if np.any(requested == d) else None
                     for d in range(p.shape[1])]
    return {"score": _score(p), "top class": float(shares.max()),
            "rarest class": float(shares.min()), "shares": [float(s) for s in shares],
            "FD": frechet_distance(features(model, images), real_features), "label acc": label_acc,
            "label acc per digit": per_digit}

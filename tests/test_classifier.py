"""The in-project MNIST classifier and the label-accuracy measures built on it."""

import json
import shutil

import numpy as np
import pytest

from conftest import real_mnist_path
from gan_helpers import classifier, data


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist(real_mnist_path())


@pytest.fixture(scope="module")
def trained(mnist, classifier_dir):
    """The classifier of this test run: trained once, in the folder the notebooks' nbval run uses too."""
    model, info = classifier.load_or_train_classifier(mnist, classifier_dir)
    return model, info, classifier_dir


@pytest.mark.slow
def test_classifier_reaches_98_percent_and_is_cached(trained, mnist):
    model, info, cache = trained
    assert classifier.accuracy_on_test_set(model, mnist) == pytest.approx(info["test_accuracy"])
    assert info["test_accuracy"] >= 0.98
    again, info2 = classifier.load_or_train_classifier(mnist, cache)
    assert info2["loaded"] is True
    np.testing.assert_array_equal(classifier.predict_labels(again, mnist.x_test[:500]),
                                  classifier.predict_labels(model, mnist.x_test[:500]))
    assert sorted(p.name for p in cache.iterdir()) == ["classifier.json", "classifier.weights.h5"]


@pytest.mark.slow
def test_cache_for_other_data_is_not_used(trained, mnist, monkeypatch, tmp_path):
    cache = tmp_path / "classifier"          # a copy: the shared cache stays as it is
    shutil.copytree(trained[2], cache)
    meta = json.loads((cache / "classifier.json").read_text())
    other = data.Mnist(mnist.x_train[:5000], mnist.y_train[:5000], mnist.x_test, mnist.y_test, "subset")
    calls = []
    monkeypatch.setattr(classifier, "train_classifier",
                        lambda m, **kw: calls.append(m.num_train) or classifier.build_classifier())
    with pytest.raises(classifier.GanHelpersError, match="only .* test accuracy"):
        classifier.load_or_train_classifier(other, cache)
    assert calls == [5000], "a cache made from other training data is not reused"
    assert json.loads((cache / "classifier.json").read_text()) == meta, "the failed model is not cached"


@pytest.mark.slow
def test_real_test_images_score_high(trained, mnist):
    model = trained[0]
    report = classifier.label_report(model, mnist.x_test[:2000], mnist.y_test[:2000])
    assert report.overall >= 0.97
    assert report.per_digit.min() >= 0.9
    assert report.predicted_share.max() < 0.15, "real digits spread over the classes"
    np.testing.assert_allclose(report.confusion.sum(axis=1), np.ones(10))


@pytest.mark.slow
def test_constant_images_do_not(trained):
    model = trained[0]
    requested = np.arange(1000) % 10
    for value in (0.0, 0.5, 1.0):
        report = classifier.label_report(model, np.full((1000, 784), value, np.float32), requested)
        assert report.overall == pytest.approx(0.1), "one picture matches at most one of ten digits"
        assert report.predicted_share.max() == 1.0
        assert sorted(report.per_digit) == [0.0] * 9 + [1.0]


def test_label_report_on_known_predictions(monkeypatch):
    requested = np.array([0, 0, 1, 1, 2, 2, 3, 3, 3, 3])
    predicted = np.array([0, 0, 1, 7, 7, 7, 3, 3, 3, 8])
    monkeypatch.setattr(classifier, "predict_labels", lambda model, images: predicted)
    report = classifier.label_report(None, np.zeros((10, 784)), np.eye(10)[requested])
    assert report.overall == pytest.approx(6 / 10)
    np.testing.assert_allclose(report.per_digit[:4], [1.0, 0.5, 0.0, 0.75])
    assert np.isnan(report.per_digit[4:]).all(), "digits never requested have no accuracy"
    assert report.worst_digit == 2
    np.testing.assert_allclose(report.predicted_share[[0, 1, 3, 7, 8]], [0.2, 0.1, 0.3, 0.3, 0.1])
    assert report.confusion[2, 7] == 1.0 and report.confusion[3, 8] == 0.25


def test_class_shares():
    np.testing.assert_allclose(classifier.class_shares(np.repeat(np.arange(10), 10)), np.full(10, 0.1))
    np.testing.assert_allclose(classifier.class_shares(np.full(50, 4))[4], 1.0)


@pytest.mark.slow
def test_classifier_score_real_digits_high_one_repeated_image_one(trained, mnist):
    model = trained[0]
    assert classifier.classifier_score(model, mnist.x_test) >= 9.5, "issue 8: real test images score >= 9.5"
    one = np.repeat(mnist.x_test[:1], 500, axis=0)
    assert classifier.classifier_score(model, one) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.slow
def test_spread_of_ten_real_digits_per_class(trained, mnist):
    model = trained[0]
    labels = mnist.y_test.argmax(1)
    picked = np.concatenate([np.flatnonzero(labels == d)[:10] for d in range(10)])
    predicted = classifier.predict_labels(model, mnist.x_test[picked])
    shares = classifier.class_shares(predicted)
    assert np.all(np.abs(shares - 0.1) <= 0.02), shares  # every class about 10 %
    repeated = classifier.predict_labels(model, np.repeat(mnist.x_test[:1], 100, axis=0))
    assert classifier.class_shares(repeated).max() == 1.0


@pytest.mark.slow
def test_frechet_distance(trained, mnist):
    model = trained[0]
    a = classifier.features(model, mnist.x_test[:3000])
    b = classifier.features(model, mnist.x_test[3000:6000])
    assert classifier.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    same_kind = classifier.frechet_distance(a, b)
    collapsed = classifier.frechet_distance(a, classifier.features(model, np.repeat(mnist.x_test[:1], 3000, 0)))
    assert same_kind * 10 < collapsed
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4000, 3)), rng.normal(size=(4000, 3)) + [2.0, 0.0, 0.0]
    assert classifier.frechet_distance(x, y) == pytest.approx(4.0, abs=0.3), "mean shift of 2 -> distance 4"


@pytest.mark.slow
def test_sample_quality_on_real_and_collapsed_images(trained, mnist):
    model = trained[0]
    real_features = classifier.features(model, mnist.x_test[5000:])
    real = classifier.sample_quality(model, mnist.x_test[:5000], real_features, mnist.y_test[:5000])
    assert real["score"] == pytest.approx(classifier.classifier_score(model, mnist.x_test[:5000]))
    assert real["label acc"] >= 0.97 and real["top class"] < 0.15 and real["rarest class"] > 0.05
    assert sum(real["shares"]) == pytest.approx(1.0) and len(real["shares"]) == 10
    one = classifier.sample_quality(model, np.repeat(mnist.x_test[:1], 500, axis=0), real_features)
    assert one["top class"] == 1.0 and one["rarest class"] == 0.0 and one["label acc"] is None
    assert one["label acc per digit"] is None
    # per digit: the mean over digits, weighted by how often each was asked for, is the overall accuracy
    asked = mnist.y_test[:5000].argmax(1)
    per_digit = np.array(real["label acc per digit"])
    assert len(per_digit) == 10 and per_digit.min() >= 0.9
    assert np.dot(per_digit, np.bincount(asked, minlength=10)) / 5000 == pytest.approx(real["label acc"])
    # asking for 7 where the images show 1: digit 7 is 0 %, the digit 1 images asked as 1 stay right
    ones = mnist.x_test[:5000][asked == 1][:100]
    wrong = classifier.sample_quality(model, ones, real_features, np.array([7] * 50 + [1] * 50))
    assert wrong["label acc per digit"][7] <= 0.02 and wrong["label acc per digit"][1] >= 0.97
    assert wrong["label acc per digit"][0] is None
    assert one["FD"] > 20 * real["FD"], "a collapsed set is far from the real one"


@pytest.mark.slow
def test_ten_sure_images_repeated_fool_the_score_but_not_the_frechet_distance(trained, mnist):
    """Notebook 3, exercise 1: for each digit the training image the classifier is surest of, 1,000 times each.

    The score and the digit shares see only the classifier's answers, so they call this set perfect; the
    Frechet distance compares the features' spread and does not. (The construction repeats the notebook's.)
    """
    model = trained[0]
    labels = mnist.y_train.argmax(1)
    p = classifier.class_probabilities(model, mnist.x_train)
    surest = [np.flatnonzero(labels == d)[np.argmax(p[labels == d, d])] for d in range(10)]
    fake = np.repeat(mnist.x_train[surest], 1000, axis=0)
    real_features = classifier.features(model, mnist.x_test)
    fooled = classifier.sample_quality(model, fake, real_features)
    assert 9.9 < fooled["score"] <= 10.0 + 1e-6, "near the highest possible score, 10"
    np.testing.assert_allclose(fooled["shares"], np.full(10, 0.1))
    floor = classifier.frechet_distance(classifier.features(model, mnist.x_train[:10000]), real_features)
    assert fooled["FD"] > 20 * floor, (fooled["FD"], floor)

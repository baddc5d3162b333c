"""gan_helpers.data: what load_mnist returns, and one clear line for every bad input."""

import email.message
import hashlib
import http.client
import io
import os
import re
import socket
import subprocess
import sys
import types
import urllib.error
import urllib.request
import urllib.response

import numpy as np
import pytest

from conftest import real_mnist_path, need
from gan_helpers import data, paths
from gan_helpers.errors import MnistDataError


def test_small_npz_is_converted_like_input_data(write_npz, monkeypatch):
    path = write_npz()
    monkeypatch.setenv("MNIST_NPZ", str(path))
    mnist = data.load_mnist()
    raw = np.load(path)
    assert mnist.x_train.shape == (30, 784) and mnist.x_train.dtype == np.float32
    assert mnist.x_test.shape == (20, 784)
    np.testing.assert_allclose(mnist.x_train[3], raw["x_train"][3].reshape(-1) / 255.0, rtol=1e-6)
    assert mnist.y_train.shape == (30, 10) and mnist.y_train.dtype == np.float32
    np.testing.assert_array_equal(mnist.y_train.argmax(1), raw["y_train"])
    np.testing.assert_array_equal(mnist.y_train.sum(1), np.ones(30))
    assert mnist.num_train == 30
    assert "30 training images" in mnist.describe()


def test_real_offline_file_loads():
    mnist = data.load_mnist(real_mnist_path())
    assert mnist.x_train.shape[1] == 784 and mnist.num_train >= 10000
    assert mnist.x_test.shape == (10000, 784)
    assert 0.0 == mnist.x_train.min() and mnist.x_train.max() == 1.0
    # MNIST's first training image is a 5, the first test image a 7.
    assert mnist.y_train[0].argmax() == 5 and mnist.y_test[0].argmax() == 7


def test_readmes_relative_path_works_from_any_folder(monkeypatch, tmp_path):
    """README: MNIST_NPZ=../shared/data/mnist-offline.npz, relative to the checkout, from wherever the kernel runs."""
    path = real_mnist_path()
    rel = "../shared/data/mnist-offline.npz"
    need((paths.PACKAGE_ROOT / rel).exists(), "../shared is not beside the checkout")
    monkeypatch.chdir(tmp_path)  # e.g. a kernel running somewhere else
    monkeypatch.setenv("GAN_PROJECT_ROOT", str(tmp_path / "scratch"))  # `make test` moves only checkpoints/samples
    monkeypatch.setenv("MNIST_NPZ", rel)
    assert data.load_mnist().num_train == data.load_mnist(path).num_train


def test_relative_path_is_looked_up_in_the_current_folder_then_in_the_checkout(write_npz, monkeypatch, tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "data").mkdir(parents=True)
    write_npz().replace(checkout / "data" / "m.npz")  # 30 training images
    monkeypatch.setattr(paths, "PACKAGE_ROOT", checkout)
    monkeypatch.setenv("GAN_PROJECT_ROOT", str(tmp_path / "scratch"))
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)
    assert data.load_mnist("data/m.npz").num_train == 30, "found from the checkout"

    (notebooks / "data").mkdir()
    np.savez(notebooks / "data" / "m.npz", x_train=np.zeros((5, 28, 28), np.uint8), y_train=np.zeros(5, np.uint8),
             x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2, np.uint8))
    assert data.load_mnist("data/m.npz").num_train == 5, "the current folder comes first"

    msg = _error("data/other.npz")
    assert f"no such file in {notebooks} or {checkout}" in msg, msg


def _error(path):
    with pytest.raises(MnistDataError) as info:
        data.load_mnist(str(path))
    message = str(info.value)
    assert "\n" not in message, "the error must be one line"
    return message


def test_missing_file_names_the_fix(tmp_path):
    msg = _error(tmp_path / "nope.npz")
    assert "no such file;" in msg and "MNIST_NPZ=" in msg and "mnist-offline.npz" in msg


def test_folder_instead_of_file(tmp_path):
    assert "is a folder" in _error(tmp_path)


def test_file_that_is_not_an_npz(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_text("this is not a zip archive")
    assert "not a readable .npz" in _error(bad)


def test_truncated_npz(write_npz):
    path = write_npz()
    path.write_bytes(path.read_bytes()[:5000])
    msg = _error(path)
    assert "not a readable .npz" in msg or "is damaged" in msg


def test_npy_instead_of_npz(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((3, 28, 28), np.uint8))
    assert "not a .npz archive" in _error(path)


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, x_train=np.array([{"a": 1}], dtype=object), y_train=np.zeros(1, np.uint8),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    assert "holds Python objects (pickles), which are never loaded" in _error(path)


def test_missing_keys_are_named(write_npz):
    msg = _error(write_npz(drop=("y_test", "x_test")))
    assert "lacks x_test, y_test" in msg


@pytest.mark.parametrize("key,value,expect", [
    ("x_train", np.zeros((30, 784), np.uint8), "x_train in MNIST_NPZ=.* has shape \\(30, 784\\)"),
    ("x_test", np.zeros((20, 28, 28), np.float32), "x_test .* dtype float32, expected uint8"),
    ("y_train", np.zeros((29,), np.uint8), "y_train .* shape \\(29,\\), expected \\(30,\\)"),
    ("y_train", np.zeros((30, 10), np.uint8), "y_train .* shape \\(30, 10\\)"),
    ("y_test", np.full((20,), 0.5), "y_test .* dtype float64, expected integer labels"),
    ("y_test", np.full((20,), 10, np.uint8), "y_test .* labels from 10 to 10, expected 0-9"),
    ("y_train", np.full((30,), -1, np.int64), "labels from -1 to -1"),
])
def test_wrong_shapes_dtypes_and_labels(write_npz, key, value, expect):
    msg = _error(write_npz(**{key: value}))
    assert re.search(expect, msg), msg
    assert "keras.datasets.mnist" in msg


@pytest.mark.slow  # imports TensorFlow in a fresh Python and waits for the download to fail (~7 s)
def test_no_env_and_no_network_says_set_mnist_npz(tmp_path):
    """A real download attempt that cannot reach the network (proxy on a dead local port)."""
    code = (
        "import gan_helpers.data as d\n"
        "try:\n    d.load_mnist()\nexcept d.MnistDataError as e:\n    print('ERR', e)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KERAS_HOME": str(tmp_path / "keras"),
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    lines = [line for line in out.stdout.splitlines() if line.startswith("ERR")]
    assert len(lines) == 1, out.stdout + out.stderr
    assert "could not download MNIST" in lines[0]
    assert "set MNIST_NPZ, e.g. MNIST_NPZ=../shared/data/mnist-offline.npz" in lines[0]
    assert not list((tmp_path / "keras").rglob("mnist.npz")), "no half-downloaded file is left"


# --- Without MNIST_NPZ: Keras' own download, with only the network faked ------------------------
#
# keras.datasets.mnist.load_data -> keras.utils.get_file (cache folder, sha256 check, re-download
# of a damaged cached file, removal of a failed download) -> urllib.request.urlretrieve (writes
# the file, checks Content-Length) -> urlopen -> the installed opener's https handler. Only that
# handler is fake (urllib's public install_opener), so everything above it runs for real.
#
# Keras passes the sha256 of the real 11 MB mnist.npz, which no small test file can have; so the
# one argument `file_hash` that load_data hands to get_file is swapped for the hash of the small
# file the fake network serves. The check itself still runs: wrong or damaged bytes fail it.

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


def _small_mnist_bytes(n_train=123, n_test=45):
    rng = np.random.default_rng(1)
    buffer = io.BytesIO()
    np.savez(buffer, x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, n_train).astype(np.uint8),
             x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, n_test).astype(np.uint8))
    return buffer.getvalue()


class FakeNetwork(urllib.request.BaseHandler):
    """Answers every http(s) request urllib makes: serves `body` or raises `error`."""

    handler_order = 100  # before urllib's real HTTP(S) handlers (500), which are never reached

    def __init__(self, body):
        self.body, self.length, self.error, self.status = body, None, None, 200
        self.requests = []

    def serve(self, body, length=None, status=200):
        """`length`: the Content-Length the server claims (default: the body's)."""
        self.body, self.length, self.error, self.status = body, length, None, status

    def fail(self, error):
        self.error = error

    def _answer(self, request):
        self.requests.append(request.full_url)
        if self.error is not None:
            raise self.error
        headers = email.message.Message()
        headers["Content-Length"] = str(len(self.body) if self.length is None else self.length)
        response = urllib.response.addinfourl(io.BytesIO(self.body), headers, request.full_url, self.status)
        response.msg = http.client.responses[self.status]  # what http.client's response carries
        return response

    http_open = https_open = _answer


@pytest.fixture
def keras_download(tmp_path, monkeypatch):
    """load_mnist() without MNIST_NPZ, a private Keras home, and the fake network (see above)."""
    from gan_helpers._quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras
    from keras.src.backend import config as keras_config

    home = tmp_path / "keras-home"
    home.mkdir()
    monkeypatch.delenv("MNIST_NPZ", raising=False)  # CI sets it
    # Keras reads $KERAS_HOME once, at import (maybe in an earlier test): set what it read.
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(home))

    good = _small_mnist_bytes()
    loader = sys.modules[keras.datasets.mnist.load_data.__module__]
    real_get_file = loader.get_file
    keras_hashes = []

    def get_file(**kwargs):
        keras_hashes.append(kwargs["file_hash"])
        return real_get_file(**{**kwargs, "file_hash": hashlib.sha256(good).hexdigest()})

    monkeypatch.setattr(loader, "get_file", get_file)
    network = FakeNetwork(good)
    urllib.request.install_opener(urllib.request.build_opener(urllib.request.ProxyHandler({}), network))
    yield types.SimpleNamespace(network=network, good=good, keras_hashes=keras_hashes,
                                cache=home / "datasets" / "mnist.npz")
    urllib.request.install_opener(None)  # urlopen builds its default opener again


def _download_error():
    with pytest.raises(MnistDataError) as info:
        data.load_mnist()
    message = str(info.value)
    assert "\n" not in message, "the error must be one line"
    assert info.value.__cause__ is None and info.value.__suppress_context__, "no chained traceback"
    assert "set MNIST_NPZ, e.g. MNIST_NPZ=../shared/data/mnist-offline.npz" in message, message
    return message


def test_without_mnist_npz_keras_downloads_and_caches(keras_download):
    net, cache = keras_download.network, keras_download.cache
    mnist = data.load_mnist()
    assert net.requests == [MNIST_URL], "Keras' loader asked for its own URL, once"
    assert re.fullmatch("[0-9a-f]{64}", keras_download.keras_hashes[0]), "Keras checks a sha256"
    assert cache.read_bytes() == keras_download.good, "Keras' get_file wrote its cache in KERAS_HOME"
    assert data.keras_cache_file() == cache

    raw = np.load(io.BytesIO(keras_download.good))
    assert mnist.x_train.shape == (123, 784) and mnist.x_train.dtype == np.float32
    np.testing.assert_allclose(mnist.x_test[7], raw["x_test"][7].reshape(-1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(mnist.y_train.argmax(1), raw["y_train"])
    assert mnist.describe() == (f"MNIST from keras.datasets.mnist ({cache}): "
                                "123 training images, 45 test images")

    assert data.load_mnist().num_train == 123 and len(net.requests) == 1, "second time from the cache"


@pytest.mark.parametrize("failure", [
    urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution")),
    ConnectionResetError(104, "Connection reset by peer"),
    "HTTP 503",
    "connection closed half-way",
])
def test_failed_download_says_set_mnist_npz_and_leaves_no_file(keras_download, failure):
    net, cache = keras_download.network, keras_download.cache
    if failure == "HTTP 503":
        net.serve(b"busy", status=503)
    elif failure == "connection closed half-way":  # urlretrieve: ContentTooShortError
        net.serve(keras_download.good[:3000], length=len(keras_download.good))
    else:
        net.fail(failure)
    message = _download_error()
    assert message.startswith("could not download MNIST ("), message
    assert net.requests == [MNIST_URL]
    assert not cache.exists(), "Keras removes a failed download"
    assert not list(cache.parent.iterdir())


def _damage(cache, good, how):
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(good[: len(good) // 2] if how == "half-downloaded" else os.urandom(5000))


@pytest.mark.parametrize("how", ["half-downloaded", "random bytes"])
def test_damaged_cached_file_is_downloaded_again(keras_download, how):
    """Keras' hash check notices the damaged file and downloads it again."""
    _damage(keras_download.cache, keras_download.good, how)
    assert data.load_mnist().num_train == 123
    assert keras_download.network.requests == [MNIST_URL]
    assert keras_download.cache.read_bytes() == keras_download.good


@pytest.mark.parametrize("how", ["half-downloaded", "random bytes"])
def test_damaged_cached_file_without_network_says_set_mnist_npz(keras_download, how):
    """The re-download fails; Keras then removes the damaged file, so MNIST_NPZ is the fix left."""
    _damage(keras_download.cache, keras_download.good, how)
    keras_download.network.fail(urllib.error.URLError("no network"))
    assert _download_error().startswith("could not download MNIST (URL fetch failure")
    assert not keras_download.cache.exists()


@pytest.mark.parametrize("served", ["captive portal page", "cut short, no error"])
def test_download_with_wrong_bytes_names_the_file_to_delete(keras_download, served):
    """A response with the wrong bytes (a login page; a server that stops early and says so in
    Content-Length) fails Keras' hash check, and Keras leaves that file: the message names it."""
    net, cache = keras_download.network, keras_download.cache
    net.serve(b"<html>Please log in to the Wi-Fi</html>" if served == "captive portal page"
              else keras_download.good[:3000])
    message = _download_error()
    assert message.startswith("could not load MNIST downloaded by Keras (Incomplete or corrupted file"), message
    assert f"delete {cache} and run again" in message and cache.exists()

    cache.unlink()  # what the message says
    net.serve(keras_download.good)
    assert data.load_mnist().num_train == 123


def test_folder_in_place_of_the_cached_file_is_named(keras_download):
    cache = keras_download.cache
    cache.mkdir(parents=True)
    message = _download_error()
    assert "Is a directory" in message and f"delete {cache} and run again" in message, message
    assert keras_download.network.requests == []
    cache.rmdir()
    assert data.load_mnist().num_train == 123


def test_error_shows_as_one_line_in_a_notebook():
    """IPython asks the exception for _render_traceback_: one line, no stack."""
    err = MnistDataError("MNIST_NPZ=x: no such file")
    lines = err._render_traceback_()
    assert len(lines) == 1 and "MnistDataError" in lines[0] and "no such file" in lines[0]

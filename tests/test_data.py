"""gan_helpers.data: what load_mnist returns, and one clear line for every bad input."""

import subprocess
import sys

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
    import re

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


def test_error_shows_as_one_line_in_a_notebook():
    """IPython asks the exception for _render_traceback_: one line, no stack."""
    err = MnistDataError("MNIST_NPZ=x: no such file")
    lines = err._render_traceback_()
    assert len(lines) == 1 and "MnistDataError" in lines[0] and "no such file" in lines[0]

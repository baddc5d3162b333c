"""Loading MNIST the way the note's ``input_data.read_data_sets(..., one_hot=True)`` did.

``load_mnist()`` reads the file named by the environment variable ``MNIST_NPZ``
(the layout of ``keras.datasets.mnist``: ``x_train, y_train, x_test, y_test``)
or, without it, lets Keras download the full set. It returns float32 images in
[0, 1] flattened to 784 values and one-hot labels, like the TF1 helper did.
Anything wrong with the input raises :class:`MnistDataError` with one line that
names the fix.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from . import paths
from .errors import MnistDataError

ENV_VAR = "MNIST_NPZ"
EXAMPLE_PATH = "../shared/data/mnist-offline.npz"
KEYS = ("x_train", "y_train", "x_test", "y_test")
N_CLASS = 10
IMAGE_SHAPE = (28, 28)
# The data of the committed runs (the run of record): the offline file, 14,106 training images
# (sha256sum of ../shared/data/mnist-offline.npz).
OFFLINE_SHA256 = "579d82f82876831b5c446b2aadd26430569a96638d2372f7d3739ba6d997997f"


@dataclasses.dataclass(frozen=True)
class Mnist:
    """MNIST as the note used it: flat float images, one-hot labels."""

    x_train: np.ndarray  # (N, 784) float32 in [0, 1]
    y_train: np.ndarray  # (N, 10) float32 one-hot
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # where the data came from, for the notebook's output

    @property
    def num_train(self) -> int:
        return int(self.x_train.shape[0])

    def describe(self) -> str:
        return (f"MNIST from {self.source}: {self.num_train:,} training images, "
                f"{self.x_test.shape[0]:,} test images")


def _fail(message: str) -> MnistDataError:
    return MnistDataError(message)


def _resolve(path_text: str) -> Path:
    """A relative MNIST_NPZ is looked up from the current folder, then from the checkout.

    The notebooks run inside ``notebooks/``, while README's example path is relative to the
    checkout that holds ``gan_helpers/`` (:data:`paths.PACKAGE_ROOT`, also when
    ``$GAN_PROJECT_ROOT`` moves the checkpoints elsewhere); both work.
    """
    path = Path(path_text).expanduser()
    if path.is_absolute() or path.exists():
        return path
    from_root = paths.PACKAGE_ROOT / path
    return from_root if from_root.exists() else path


def not_the_offline_file() -> str | None:
    """Why the MNIST :func:`load_mnist` loads in this session is not the run of record's (the offline
    file, :data:`OFFLINE_SHA256`), or None when it is. Reads the file's bytes, not its arrays: no TensorFlow."""
    text = os.environ.get(ENV_VAR) or None
    if not text:
        return f"{ENV_VAR} unset (Keras's download), not the offline MNIST"
    try:
        digest = hashlib.sha256(_resolve(text).read_bytes()).hexdigest()
    except OSError:
        return f"{ENV_VAR}={text} cannot be read"
    return None if digest == OFFLINE_SHA256 else f"{ENV_VAR}={text} is not the offline MNIST"


def _check_arrays(arrays: dict, name: str) -> None:
    fix = f"; {name} must be in the layout of keras.datasets.mnist"
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
            raise _fail(f"x_{split} in {name} has shape {x.shape}, expected (N, 28, 28){fix}")
        if x.dtype != np.uint8:
            raise _fail(f"x_{split} in {name} has dtype {x.dtype}, expected uint8 pixels 0-255{fix}")
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise _fail(f"y_{split} in {name} has shape {y.shape}, expected ({x.shape[0]},) "
                        f"to match x_{split}{fix}")
        if not np.issubdtype(y.dtype, np.integer):
            raise _fail(f"y_{split} in {name} has dtype {y.dtype}, expected integer labels 0-9{fix}")
        if y.size and (y.min() < 0 or y.max() >= N_CLASS):
            raise _fail(f"y_{split} in {name} has labels from {y.min()} to {y.max()}, "
                        f"expected 0-9{fix}")
        if x.shape[0] == 0:
            raise _fail(f"x_{split} in {name} is empty{fix}")


def read_npz(path_text: str) -> dict:
    """Read and check an MNIST .npz; return its four arrays."""
    path = _resolve(path_text)
    name = f"{ENV_VAR}={path_text}"
    if not path.exists():
        where = "" if path.is_absolute() else f" in {Path.cwd()} or {paths.PACKAGE_ROOT}"
        raise _fail(f"{name}: no such file{where}; set {ENV_VAR} to an existing .npz, "
                    f"e.g. {ENV_VAR}={EXAMPLE_PATH}")
    if path.is_dir():
        raise _fail(f"{name} is a folder; set {ENV_VAR} to the .npz file inside it, "
                    f"e.g. {ENV_VAR}={EXAMPLE_PATH}")
    try:
        npz = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _fail(f"{name} is not a readable .npz file ({type(exc).__name__}); "
                    f"point {ENV_VAR} to an MNIST .npz, e.g. {EXAMPLE_PATH}") from None
    if not hasattr(npz, "files"):
        raise _fail(f"{name} is a .npy array, not a .npz archive with {', '.join(KEYS)}")
    with npz:
        missing = [k for k in KEYS if k not in npz.files]
        if missing:
            raise _fail(f"{name} lacks {', '.join(missing)} (has: {', '.join(npz.files) or 'nothing'}); "
                        f"it must hold {', '.join(KEYS)} like keras.datasets.mnist")
        try:
            arrays = {k: npz[k] for k in KEYS}
        except ValueError as exc:
            if "pickle" in str(exc):
                raise _fail(f"{name} holds Python objects (pickles), which are never loaded; "
                            f"save plain uint8 arrays like keras.datasets.mnist") from None
            raise _fail(f"{name} is not a readable .npz file ({exc}); "
                        f"point {ENV_VAR} to an MNIST .npz, e.g. {EXAMPLE_PATH}") from None
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise _fail(f"{name} is damaged ({type(exc).__name__}); "
                        f"point {ENV_VAR} to an MNIST .npz, e.g. {EXAMPLE_PATH}") from None
    _check_arrays(arrays, name)
    return arrays


def keras_cache_file() -> Path:
    """Where ``keras.datasets.mnist.load_data`` keeps its download, as Keras' ``get_file`` picks it.

    ``$KERAS_HOME`` (read once, when Keras is imported) or ``~/.keras``; ``/tmp/.keras`` if that
    is not writable; then ``datasets/mnist.npz``. Keras has no public name for its home folder.
    """
    from keras.src.backend import config

    home = os.path.expanduser(config.keras_home())
    if not os.access(home, os.W_OK):
        home = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return Path(home, "datasets", "mnist.npz")


def download_mnist() -> tuple[dict, Path]:
    """Keras' own download (the full 60,000 training images); the arrays and the cached file.

    Keras checks the file's sha256: a damaged cached file is downloaded again, and a failed
    download is removed. What can stay behind is a download with the wrong bytes (or a folder
    in the file's place); then the message names it.
    """
    from ._quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras

    cache = keras_cache_file()
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as exc:  # urllib errors, Keras' "URL fetch failure", a hash mismatch
        lines = str(exc).splitlines()
        reason = lines[0][:200] if lines else type(exc).__name__
        if cache.exists():
            raise _fail(f"could not load MNIST downloaded by Keras ({reason}); delete {cache} "
                        f"and run again, or set {ENV_VAR}, e.g. {ENV_VAR}={EXAMPLE_PATH}") from None
        raise _fail(f"could not download MNIST ({reason}); without a network set "
                    f"{ENV_VAR}, e.g. {ENV_VAR}={EXAMPLE_PATH}") from None
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return arrays, cache


def one_hot(labels: np.ndarray, n_class: int = N_CLASS) -> np.ndarray:
    return np.eye(n_class, dtype=np.float32)[np.asarray(labels, dtype=np.int64)]


def to_flat_float(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 784) in [0, 1]."""
    return (images.reshape(images.shape[0], -1).astype(np.float32) / 255.0)


def load_mnist(path: str | None = None) -> Mnist:
    """Load MNIST from ``path``, else ``$MNIST_NPZ``, else Keras' download.

    Returns flat float32 images in [0, 1] and one-hot float32 labels.
    """
    path = path if path is not None else os.environ.get(ENV_VAR) or None
    if path:
        arrays = read_npz(path)
        source = f"{ENV_VAR} ({Path(path).name})"
    else:
        arrays, cache = download_mnist()
        source = f"keras.datasets.mnist ({cache})"
    return Mnist(
        x_train=to_flat_float(arrays["x_train"]),
        y_train=one_hot(arrays["y_train"]),
        x_test=to_flat_float(arrays["x_test"]),
        y_test=one_hot(arrays["y_test"]),
        source=source,
    )

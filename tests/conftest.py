import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
OFFLINE_NPZ = ROOT.parent / "shared" / "data" / "mnist-offline.npz"


def real_mnist_path():
    """The offline MNIST file: $MNIST_NPZ, else ../shared beside the project."""
    path = os.environ.get("MNIST_NPZ") or str(OFFLINE_NPZ)
    if not Path(path).exists():
        pytest.skip(f"needs real MNIST: set MNIST_NPZ (tried {path})")
    return path


@pytest.fixture
def write_npz(tmp_path):
    """Write a small MNIST-layout npz, with overrides, and return its path."""

    def write(name="mnist.npz", drop=(), **overrides):
        rng = np.random.default_rng(0)
        arrays = {
            "x_train": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, 30).astype(np.uint8),
            "x_test": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, 20).astype(np.uint8),
        }
        arrays.update(overrides)
        for key in drop:
            arrays.pop(key)
        path = tmp_path / name
        np.savez(path, **arrays)
        return path

    return write

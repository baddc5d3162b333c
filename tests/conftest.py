import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
OFFLINE_NPZ = ROOT.parent / "shared" / "data" / "mnist-offline.npz"

# On CI nothing may be skipped: a missing MNIST file, Chromium or Korean font is a broken CI
# machine, not a reason to pass with fewer tests. Elsewhere (a learner's laptop) such a test is
# skipped with its reason.
ON_CI = os.environ.get("CI", "").strip().lower() in ("true", "1")
CI_NOTE = " (CI requires it)"


def need(condition, reason):
    """Go on if ``condition``; else skip with ``reason``, or fail on CI (``CI=true`` or ``CI=1``)."""
    if condition:
        return
    if ON_CI:
        pytest.fail(reason + CI_NOTE, pytrace=False)
    pytest.skip(reason)


def noto_cjk_installed() -> bool:
    """Noto Sans CJK (Korean glyphs for the handout and the browser screenshots), as fontconfig sees it."""
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True).stdout
    return "Noto Sans CJK" in out


def real_mnist_path():
    """The offline MNIST file: $MNIST_NPZ, else ../shared beside the project."""
    path = os.environ.get("MNIST_NPZ") or str(OFFLINE_NPZ)
    need(Path(path).exists(), f"needs real MNIST: set MNIST_NPZ (tried {path})")
    return path


class NoSkipOnCI:
    """Safety net on CI: any skip is a failure, so no test can silently skip there.

    A plugin object rather than hooks of this conftest, which pytest would apply to tests/ only:
    registered globally it covers nbval's notebook cells too (NBVAL_SKIP).
    """

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        """pytest.skip, a skip/skipif mark, NBVAL_SKIP: failed (xfail stays xfail)."""
        outcome = yield
        report = outcome.get_result()
        if report.skipped and not hasattr(report, "wasxfail"):
            report.outcome = "failed"
            report.longrepr = f"skipped on CI, which must run every test: {_skip_reason(report)}"

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector):
        """A whole module skipped at import (pytest.importorskip, allow_module_level=True)."""
        outcome = yield
        report = outcome.get_result()
        if report.skipped:
            report.outcome = "failed"
            report.longrepr = f"skipped on CI, which must run every test: {_skip_reason(report)}"


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (path, lineno, "Skipped: reason")
        return str(longrepr[2])
    return str(longrepr)


def pytest_configure(config):
    if ON_CI and not config.pluginmanager.has_plugin("no-skip-on-ci"):
        config.pluginmanager.register(NoSkipOnCI(), "no-skip-on-ci")


SLOW_KINDS = ("browser", "pdf", "reproduction")   # markers registered in pyproject.toml


@pytest.hookimpl(tryfirst=True)   # before pytest's own -m deselection
def pytest_collection_modifyitems(config, items):
    """A browser, PDF or reproduction test is slow too: `make test-fast` (-m "not slow") leaves it out."""
    for item in items:
        if any(item.get_closest_marker(kind) for kind in SLOW_KINDS) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def classifier_dir():
    """The classifier cache the notebooks use (``checkpoints/classifier`` of the project root).

    Under ``make test`` that is ``.test-run/checkpoints/classifier`` ($GAN_PROJECT_ROOT), the
    folder nbval's run of notebooks 2 and 3 uses too, so one test run trains the classifier once.
    """
    from gan_helpers import paths  # no TensorFlow at conftest import

    return paths.checkpoint_dir("classifier")


@pytest.fixture
def no_xla(monkeypatch):
    """The library's training steps traced without XLA, for tests of what *runs* a step.

    The steps are ``@tf.function(jit_compile=True)``; compiling one takes seconds per model built, on
    a 2-core machine most of such a test's time. Tests of resume, checkpoints, frames and grids do
    not depend on how the step is compiled, so they take the same Python step as a plain
    ``tf.function`` (the training loop then stays out of XLA too). The compiled step itself is
    tested where it matters: tests/test_training.py (jit), test_bound.py, the notebooks.
    """
    from gan_helpers import experiments, training_steps

    tf = experiments.tf

    def traced_without_xla(make):
        def make_step(*args, **kwargs):
            return tf.function(make(*args, **kwargs).python_function)   # the same Python step, no jit_compile
        return make_step

    for module, name in [(experiments, "make_train_step"), (training_steps, "make_gan_train_step"),
                         (training_steps, "make_cgan_train_step")]:
        monkeypatch.setattr(module, name, traced_without_xla(getattr(module, name)))


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

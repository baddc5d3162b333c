"""What importing gan_helpers costs and leaves behind: no TensorFlow until it is asked for, no log
lines under a notebook's import cell, os.environ as it was, and one project root.

Most of these run a fresh Python (``sys.modules`` of the test process already holds TensorFlow).
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT
from gan_helpers import paths

IMPORT_ENV_KEYS = ("TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND")
# What TensorFlow 2.21 writes to fd 2 on import and first op when nothing silences it.
TF_LOG_MARKERS = ("absl::InitializeLog", "oneDNN", "cpu_feature_guard", "cudart_stub", "cuInit", "I0000", "E0000")


def _python(code, *, env=None, pythonpath=(), cwd=None):
    """Run ``code`` in a fresh interpreter; return the CompletedProcess (stdout's last line is JSON)."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), str(ROOT)])
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, cwd=cwd or ROOT)


def _result(proc):
    assert proc.stdout.strip(), f"no output; stderr:\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _env_without(*keys):
    return {k: v for k, v in os.environ.items() if k not in keys}


# --- no TensorFlow on import -------------------------------------------------------------------

def test_light_modules_do_not_import_tensorflow_or_keras():
    proc = _python("""
        import json, sys
        import gan_helpers, gan_helpers.errors, gan_helpers.config, gan_helpers.paths, gan_helpers.atomic
        import gan_helpers.results
        import gan_helpers.animation
        import gan_helpers.__main__
        print(json.dumps(sorted(m for m in ("tensorflow", "keras") if m in sys.modules)))
    """)
    assert proc.returncode == 0, proc.stderr
    assert _result(proc) == [], "importing these must not load TensorFlow/Keras (seconds of waiting)"


def test_import_tensorflow_quietly_is_public_and_lazy():
    proc = _python("""
        import json, sys
        import gan_helpers
        before = "tensorflow" in sys.modules
        print(json.dumps({"callable": callable(gan_helpers.import_tensorflow_quietly),
                          "all": gan_helpers.__all__, "tf_before_call": before}))
    """)
    assert _result(proc) == {"callable": True, "all": ["import_tensorflow_quietly"], "tf_before_call": False}


# --- import_tensorflow_quietly: environment and fd 2 ------------------------------------------

FAKE_TF = """
import os
os.write(2, b"fake TensorFlow log line on fd 2\\n")
SEEN = {k: os.environ.get(k) for k in ("TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND")}
if os.environ.get("FAKE_TF_FAIL"):
    raise ImportError("fake TensorFlow is broken")
def constant(x):
    return x
"""

RUN_QUIET_IMPORT = """
    import json, os
    before = dict(os.environ)
    import gan_helpers
    try:
        tf = gan_helpers.import_tensorflow_quietly()
        result = {"ok": True, "seen": tf.SEEN}
    except ImportError as exc:
        result = {"ok": False, "error": str(exc)}
    after = dict(os.environ)
    result["changed"] = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    print(json.dumps(result))
"""


@pytest.fixture
def fake_tensorflow(tmp_path):
    """A stand-in ``tensorflow``/``keras`` that records the environment it was imported in (no real TF)."""
    (tmp_path / "tensorflow.py").write_text(FAKE_TF)
    (tmp_path / "keras.py").write_text("")
    return tmp_path


@pytest.mark.parametrize("preset,expected_seen", [
    ({}, {"TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}),
    # a level chosen by the user (e.g. to debug) is kept; Keras must run on TensorFlow whatever was set
    ({"TF_CPP_MIN_LOG_LEVEL": "1", "KERAS_BACKEND": "jax"}, {"TF_CPP_MIN_LOG_LEVEL": "1", "KERAS_BACKEND": "tensorflow"}),
    ({"TF_CPP_MIN_LOG_LEVEL": "", "KERAS_BACKEND": ""}, {"TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}),
])
def test_quiet_import_sets_variables_only_during_the_import(fake_tensorflow, preset, expected_seen):
    env = {**_env_without(*IMPORT_ENV_KEYS, "FAKE_TF_FAIL"), **preset}
    proc = _python(RUN_QUIET_IMPORT, env=env, pythonpath=[fake_tensorflow])
    result = _result(proc)
    assert result["ok"], proc.stderr
    assert result["seen"] == expected_seen
    assert result["changed"] == [], "os.environ must be exactly as before (keys restored or deleted)"
    assert "fake TensorFlow log line" not in proc.stderr, "fd 2 is silenced during the import"


def test_failed_quiet_import_replays_its_output_and_restores_the_environment(fake_tensorflow):
    env = {**_env_without(*IMPORT_ENV_KEYS), "FAKE_TF_FAIL": "1"}
    proc = _python(RUN_QUIET_IMPORT, env=env, pythonpath=[fake_tensorflow])
    result = _result(proc)
    assert result == {"ok": False, "error": "fake TensorFlow is broken", "changed": []}
    assert "fake TensorFlow log line on fd 2" in proc.stderr, "a failed import's output is shown, not hidden"


def test_real_tensorflow_import_prints_nothing_and_keeps_our_variables_out_of_the_environment():
    """The notebook's first cell: no absl/oneDNN block under it, and TF_CPP_MIN_LOG_LEVEL/KERAS_BACKEND
    do not leak into the kernel's environment (subprocesses, later imports)."""
    proc = _python("""
        import json, os
        before = dict(os.environ)
        import gan_helpers
        tf = gan_helpers.import_tensorflow_quietly()
        import keras
        after = dict(os.environ)
        print(json.dumps({"value": float(tf.constant(1.0) + 1.0), "backend": keras.backend.backend(),
                          "ours": {k: after.get(k) for k in ("TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND")},
                          "modified": sorted(k for k in before if before[k] != after.get(k))}))
    """, env=_env_without(*IMPORT_ENV_KEYS))
    result = _result(proc)
    assert result["value"] == 2.0 and result["backend"] == "tensorflow"
    assert result["ours"] == {"TF_CPP_MIN_LOG_LEVEL": None, "KERAS_BACKEND": None}
    # TensorFlow itself adds a few variables (TF2_BEHAVIOR, TPU_ML_PLATFORM, ...); it changes none that were set.
    assert result["modified"] == []
    shown = [line for line in proc.stderr.splitlines() if any(m in line for m in TF_LOG_MARKERS)]
    assert shown == [], "TensorFlow's start-up lines must not reach fd 2:\n" + proc.stderr


# --- one project root --------------------------------------------------------------------------

def test_source_locations_are_shown_relative_to_the_checkout():
    from gan_helpers import code_view

    text = repr(code_view.show_source(paths.how_to_make))
    assert "# --- gan_helpers/paths.py:" in text, text[:200]
    assert str(paths.PACKAGE_ROOT) not in text


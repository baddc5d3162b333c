"""The set-up (Makefile) and the rule that CI never skips (conftest's need() and NoSkipOnCI).

Nothing here installs a package or needs the network: the Makefile's checks are run with small
stand-in pythons, and the venv test installs an empty requirements file.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

MAKE = shutil.which("make") or "make"  # a prerequisite, like Python: no skip without it

# What make or pytest started from `make test` passes down, and the Makefile's own knobs.
_INHERITED = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "CI", "GAN_EPOCHS", "GAN_PROJECT_ROOT",
              "PYTHON", "VENV", "INSTALL_CHECK", "PYTHON_NEWEST", "PYTEST_ADDOPTS"}


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in _INHERITED}
    env.update(extra)
    return env


def _make(*args, cwd=ROOT, **env):
    return subprocess.run([MAKE, "--no-print-directory", *args], cwd=cwd, env=_env(**env),
                          capture_output=True, text=True, timeout=120)


# ---- CI never skips -------------------------------------------------------------------------

TESTS = '''
import pytest
from conftest import need

def test_need_missing():
    need(False, "needs the moon")

def test_need_present():
    need(True, "never said")

def test_plain_skip():
    pytest.skip("no reason")

@pytest.mark.skipif(True, reason="marked")
def test_marked():
    pass

@pytest.mark.xfail(reason="known", run=False)
def test_known_bug():
    pass
'''


def _run_pytest(tmp_path, source, ci=None):
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_it.py").write_text(textwrap.dedent(source))
    env = _env(PYTHONPATH=str(ROOT), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",  # no nbval etc.: a second faster
               **({"CI": ci} if ci is not None else {}))
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-q", "test_it.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def _counts(out):
    last = out.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last)}


@pytest.mark.parametrize("ci", [None, "false"])
def test_off_ci_a_missing_prerequisite_is_a_skip_with_its_reason(tmp_path, ci):
    result = _run_pytest(tmp_path, TESTS, ci)
    assert result.returncode == 0, result.stdout
    assert _counts(result.stdout) == {"passed": 1, "skipped": 3, "xfailed": 1}
    assert "SKIPPED" in result.stdout and "needs the moon" in result.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_on_ci_every_skip_is_a_failure(tmp_path, ci):
    result = _run_pytest(tmp_path, TESTS, ci)
    assert result.returncode == 1, result.stdout
    # need(): failed with its reason; pytest.skip: failed; skipif mark: an error in setup; xfail stays.
    assert _counts(result.stdout) == {"failed": 2, "passed": 1, "xfailed": 1, "error": 1}
    assert "needs the moon (CI requires it)" in result.stdout
    assert "skipped on CI, which must run every test: Skipped: no reason" in result.stdout
    assert "skipped on CI, which must run every test: Skipped: marked" in result.stdout
    assert "SKIPPED" not in result.stdout


def test_on_ci_a_module_skipped_at_import_is_a_failure(tmp_path):
    source = 'import pytest\npytest.importorskip("no_such_module_for_this_test")\n\ndef test_x():\n    pass\n'
    off_ci = _run_pytest(tmp_path, source)
    assert off_ci.returncode == pytest.ExitCode.NO_TESTS_COLLECTED and "1 skipped" in off_ci.stdout
    result = _run_pytest(tmp_path, source, "true")
    assert result.returncode != 0
    assert "skipped on CI, which must run every test" in result.stdout


def test_classifier_dir_is_under_the_project_root(classifier_dir):
    from gan_helpers import paths

    assert classifier_dir == paths.project_root() / "checkpoints" / "classifier"
    if os.environ.get("GAN_PROJECT_ROOT"):  # make test: the scratch copy nbval's notebooks use
        assert classifier_dir.is_relative_to(paths.project_root())
        assert not classifier_dir.is_relative_to(ROOT / "checkpoints")


# ---- the Makefile ---------------------------------------------------------------------------

def _fake_python(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)
    return str(path)


def test_python_prerequisites_are_said_in_one_line(tmp_path):
    real = sys.executable
    (tmp_path / "no-ensurepip").mkdir()
    (tmp_path / "no-ensurepip" / "ensurepip.py").write_text('raise ImportError("No module named ensurepip")\n')
    debian_without_venv = _fake_python(tmp_path, "py-no-venv", f'PYTHONPATH={tmp_path}/no-ensurepip exec {real} "$@"\n')
    version = 'exec {real} -c "import sys; sys.version_info = {v}; exec(sys.argv[1])" "$2"\n'
    old = _fake_python(tmp_path, "py39", version.format(real=real, v="(3, 9, 18, 'final', 0)"))
    too_new = _fake_python(tmp_path, "py399", version.format(real=real, v="(3, 99, 0, 'final', 0)"))
    expected = {
        debian_without_venv: f"make: {debian_without_venv} cannot create a virtual environment: install "
                             "python3-venv (Debian/Ubuntu: sudo apt-get install python3-venv)",
        old: f"make: {old} is Python 3.9; this project needs Python 3.11 or newer",
        too_new: f"make: {too_new} is Python 3.99, but TensorFlow ships wheels only up to Python",
        str(tmp_path / "missing"): f"make: {tmp_path / 'missing'} not found: install Python 3.11 or newer",
    }
    for python, message in expected.items():
        result = _make("check-python", f"PYTHON={python}")
        said = [line for line in (result.stdout + result.stderr).splitlines() if not line.startswith("make: ***")]
        assert result.returncode != 0 and len(said) == 1 and said[0].startswith(message), (python, said)
    assert _make("check-python", f"PYTHON={real}").returncode == 0


def test_ablation_and_cgan_noise_refuse_gan_epochs():
    refused = "make ablation and make cgan-noise always train the full 100 epochs; unset GAN_EPOCHS"
    in_environment = _make("ablation-epochs", GAN_EPOCHS="5")
    on_command_line = _make("ablation-epochs", "GAN_EPOCHS=5")
    for result in (in_environment, on_command_line):
        assert result.returncode != 0 and result.stdout.strip() == refused
    assert _make("ablation-epochs").returncode == 0
    # the guard comes before anything is installed or trained
    for target in ("ablation", "cgan-noise"):
        dry = _make("-n", target).stdout
        assert dry.index("unset GAN_EPOCHS") < dry.index(f"tools/{target.replace('-', '_')}.py")


def test_make_test_writes_into_the_scratch_copy_and_test_fast_leaves_out_slow_tests():
    test = _make("-n", "test").stdout
    assert f"GAN_PROJECT_ROOT={ROOT / '.test-run'} " in test
    assert "cp -r notebooks .test-run/" in test and "--nbval-lax" in test
    # it says what it does: the phases first, each test as it starts, the slowest at the end
    assert "echo \"make test: first the tests in tests/, then the four notebooks" in test
    assert "--verbose" in test and "--durations=15" in test
    fast = _make("-n", "test-fast").stdout
    assert '-m "not slow" tests' in fast and "--nbval" not in fast
    assert f"GAN_PROJECT_ROOT={ROOT / '.test-run'} " in fast


@pytest.mark.slow
def test_a_half_made_venv_is_rebuilt_and_a_failed_pip_install_fails_make(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    requirements = tmp_path / "requirements.txt"
    venv = tmp_path / ".venv"
    install = ("install", f"PYTHON={sys.executable}", "INSTALL_CHECK=json")

    # `python -m venv` interrupted (no .venv-complete), then pip fails: make fails, nothing is stamped.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    requirements.write_text("--no-index\nno-such-package-for-this-test\n")
    result = _make(*install, cwd=tmp_path)
    assert result.returncode != 0, result.stdout
    assert "is incomplete" in result.stdout
    assert (venv / ".venv-complete").exists() and not (venv / ".installed").exists()

    # the first install failed: the next run starts again from a new venv, and succeeds.
    requirements.write_text("# nothing to install\n")
    result = _make(*install, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is incomplete" in result.stdout
    assert (venv / ".venv-complete").exists() and (venv / ".installed").exists()
    assert "Nothing to be done" in _make(*install, cwd=tmp_path).stdout


# A stand-in for the venv's jupyter: each call's arguments on one line (separated by \x1f).
FAKE_JUPYTER = """#!/bin/bash
(IFS=$'\\x1f'; echo "$*") >> "$JUPYTER_CALLS"
if [ "$1" = trust ] && [ -n "$TRUST_FAILS" ]; then echo "$TRUST_FAILS" >&2; exit 1; fi
"""


def _lab_calls(tmp_path, browser_found: bool, **env):
    """`make lab` with a stand-in venv: the jupyter commands it runs, and make's result."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    (venv / ".installed").touch()
    _fake_python(venv / "bin", "jupyter", FAKE_JUPYTER.removeprefix("#!/bin/bash\n"))
    # $(PY) only answers make lab's question "does Python's webbrowser find a browser?"
    _fake_python(venv / "bin", "python", f"exit {0 if browser_found else 1}\n")
    calls = tmp_path / "calls"
    calls.unlink(missing_ok=True)
    result = _make("lab", f"VENV={venv}", "-o", f"{venv}/.installed", JUPYTER_CALLS=str(calls), **env)
    said = calls.read_text().splitlines() if calls.exists() else []
    return venv, [line.split("\x1f") for line in said], result


def test_make_lab_turns_off_the_news_popup_trusts_the_notebooks_and_starts_quietly(tmp_path):
    venv, calls, result = _lab_calls(tmp_path, browser_found=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [call[0] for call in calls] == ["labextension", "trust", "lab"], calls
    disable, trust, lab = calls
    # JupyterLab's documented switch for the news pop-up, in the venv (not the user's home)
    assert disable[2:] == ["--level=sys_prefix", "@jupyterlab/apputils-extension:announcements"]
    # every notebook is signed, into the venv's trust database, which the server then reads
    notary = [f"--NotebookNotary.db_file={venv}/share/jupyter/nbsignatures.db",
              f"--NotebookNotary.secret_file={venv}/share/jupyter/notebook_secret"]
    notebooks = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert trust[1:] == notary + notebooks
    assert (venv / "share" / "jupyter").is_dir()
    for option in [*notary, "--ServerApp.ip=127.0.0.1", "--LabApp.default_url=/lab/tree/notebooks/00_gan_in_2d.ipynb",
                   "--KernelManager.transport_encryption=auto", '--ServerApp.tornado_settings={"ws_ping_timeout": 30000}',
                   "--Application.log_level=WARN", "--no-browser"]:
        assert option in lab, f"make lab no longer starts JupyterLab with {option}: {lab}"
    said = result.stdout.strip().splitlines()
    assert said[-1].startswith("make lab:") and "Ctrl+C" in said[-1], said

    # With a browser the server opens it (no --no-browser); LAB_ARGS come last, so they win.
    _, calls, result = _lab_calls(tmp_path, browser_found=True, LAB_ARGS="--Application.log_level=INFO")
    assert result.returncode == 0 and "--no-browser" not in calls[-1]
    assert calls[-1][-1] == "--Application.log_level=INFO"


def test_a_notebook_jupyter_trust_cannot_read_is_one_line_and_jupyterlab_starts_anyway(tmp_path):
    failure = "nbformat.reader.NotJSONError: Notebook does not appear to be JSON: '<<<<<<< HEAD'"
    _, calls, result = _lab_calls(tmp_path, browser_found=False, TRUST_FAILS=f"Traceback ...\n{failure}")
    assert result.returncode == 0, result.stdout + result.stderr
    said = [line for line in result.stdout.splitlines() if "jupyter trust" in line]
    assert len(said) == 1 and failure in said[0] and "git checkout notebooks/" in said[0], result.stdout
    assert "Traceback" not in result.stdout
    assert [call[0] for call in calls] == ["labextension", "trust", "lab"]

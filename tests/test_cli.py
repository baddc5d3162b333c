"""``python -m gan_helpers``: help, argument errors and unusable ``--out`` answer at once, without TensorFlow.

Each case runs the command line in a fresh Python (through ``runpy``, as ``python -m`` does) and checks
its exit status, its stderr and that ``tensorflow``/``keras`` were never imported. The cases that draw
samples from a checkpoint are in test_checkpoints_cli_widgets.py.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT
from gan_helpers.__main__ import main

RUNNER = """
import json, runpy, sys
{prelude}
sys.argv = ["python -m gan_helpers", *json.loads(sys.argv[1])]
try:
    runpy.run_module("gan_helpers", run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as exc:
    code = exc.code
print("RESULT " + json.dumps({{"code": code, "heavy": sorted(m for m in ("tensorflow", "keras") if m in sys.modules)}}))
"""


def _cli(*args, cwd, prelude="", env=None):
    """Run the command line in a fresh Python; return (exit status, stdout, stderr, heavy modules imported)."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-c", RUNNER.format(prelude=textwrap.dedent(prelude)),
                           json.dumps([str(a) for a in args])], capture_output=True, text=True, cwd=cwd, env=env)
    lines = proc.stdout.splitlines()
    assert lines and lines[-1].startswith("RESULT "), proc.stdout + proc.stderr
    result = json.loads(lines[-1][len("RESULT "):])
    return result["code"], "\n".join(lines[:-1]), proc.stderr, result["heavy"]


def test_help_answers_without_tensorflow(tmp_path):
    for args in (["--help"], ["sample", "--help"]):
        code, out, err, heavy = _cli(*args, cwd=tmp_path)
        assert code == 0 and err == ""
        assert heavy == [], "--help must not wait seconds for TensorFlow"
    assert "--checkpoint" in out and "--out" in out and "{gan,cgan}" in out


def test_help_names_the_default_checkpoint_folder(tmp_path):
    env = {**os.environ, "GAN_PROJECT_ROOT": str(tmp_path / "scratch"), "COLUMNS": "500"}  # no wrapping
    code, out, _, _ = _cli("sample", "--help", cwd=tmp_path, env=env)
    assert code == 0
    assert f"default: {tmp_path / 'scratch' / 'checkpoints' / 'KIND'}" in out


@pytest.mark.parametrize("args,needle", [
    (["sample", "gan", "--digit", "3"], "--digit is for cgan only"),
    (["sample", "cgan", "--digit", "10"], "--digit must be 0-9"),
    (["sample", "cgan", "--count", "0"], "--count must be 1-10000"),
    (["sample", "cgan", "--count", "10001"], "--count must be 1-10000"),
    (["sample", "cgan", "--count", "x"], "invalid int value"),
    (["sample", "cgan", "--seed", "-1"], "--seed must be a non-negative integer"),
    (["sample", "dcgan"], "invalid choice"),
    (["sample", "cgan", "--out", "x.jpg"], "must end in .png or .npz"),
    (["sample", "cgan"], "the following arguments are required: --out"),
])
def test_bad_arguments_exit_2_with_usage(args, needle, tmp_path, capsys):
    if "--out" not in args and args != ["sample", "cgan"]:
        args = args + ["--out", str(tmp_path / "x.png")]
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: python -m gan_helpers sample" in err and needle in err
    assert not list(tmp_path.iterdir()), "nothing is written"


def test_bad_argument_from_a_real_process_exits_2_without_tensorflow(tmp_path):
    code, _, err, heavy = _cli("sample", "gan", "--count", "0", "--out", "x.png", cwd=tmp_path)
    assert code == 2 and "--count must be 1-10000, got 0" in err
    assert heavy == []
    assert not list(tmp_path.iterdir())


def _one_error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot write "), err
    assert "usage:" not in err and "Traceback" not in err
    return lines[0]


def test_out_in_a_missing_folder_exits_1_naming_the_fix(tmp_path):
    code, out, err, heavy = _cli("sample", "cgan", "--out", tmp_path / "typo" / "x.png", cwd=tmp_path)
    line = _one_error_line(err)
    assert code == 1 and heavy == [], "answered before loading TensorFlow or a checkpoint"
    assert f"folder {tmp_path / 'typo'} does not exist" in line and f"mkdir -p {tmp_path / 'typo'}" in line
    assert not (tmp_path / "typo").exists(), "the folder is not created behind the user's back"
    assert out == ""


def test_out_that_is_a_folder_exits_1_naming_a_file_to_use(tmp_path):
    folder = tmp_path / "grids"
    folder.mkdir()
    for out in (folder, tmp_path / "odd.png"):  # a folder with or without a .png-like name
        out.mkdir(exist_ok=True)
        code, _, err, heavy = _cli("sample", "gan", "--out", out, cwd=tmp_path)
        line = _one_error_line(err)
        assert code == 1 and heavy == []
        assert "(it is a folder)" in line and f"--out {out / 'gan.png'}" in line
        assert list(out.iterdir()) == []


PERMISSION_DENIED = """
import errno, os, tempfile
_real = tempfile.mkstemp
def mkstemp(*args, dir=None, **kwargs):  # as in a folder without write permission (tests run as root)
    if dir is not None and os.path.samefile(dir, {folder!r}):
        raise PermissionError(errno.EACCES, "Permission denied", dir)
    return _real(*args, dir=dir, **kwargs)
tempfile.mkstemp = mkstemp
"""


def test_out_in_a_folder_without_write_permission_exits_1_before_loading_anything(tmp_path):
    folder = tmp_path / "readonly"
    folder.mkdir()
    code, _, err, heavy = _cli("sample", "cgan", "--checkpoint", tmp_path / "no-checkpoint",
                               "--out", folder / "x.npz", cwd=tmp_path,
                               prelude=PERMISSION_DENIED.format(folder=str(folder)))
    line = _one_error_line(err)
    assert code == 1 and heavy == []
    assert line == f"error: cannot write {folder / 'x.npz'} (Permission denied); choose another --out"
    assert list(folder.iterdir()) == []


def test_write_check_leaves_nothing_behind(tmp_path, capsys, monkeypatch):
    """The early check creates and deletes a probe file; with a checkpoint that is missing, the folder stays empty."""
    import gan_helpers.__main__ as cli

    monkeypatch.setattr(cli, "sample", lambda args: 1)  # stop right after the checks
    assert main(["sample", "gan", "--out", str(tmp_path / "x.png")]) == 1
    assert capsys.readouterr().err == ""
    assert list(tmp_path.iterdir()) == []


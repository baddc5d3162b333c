"""gan_helpers.results: the saved results in results/, their one provenance record, and the verdict line.

- a record round-trips through a saved file; the verdict says same or other code, this or another CPU;
- the fingerprint follows the source of the public code a writer names, and refuses another module's
  private function;
- every committed result carries the record and is readable, and each names the code its tool names;
- a trial run of any of the five tools cannot overwrite a committed result (one line, nothing written);
- none of this loads TensorFlow.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from gan_helpers import atomic, results, timing

TOOLS = {"ablation": ROOT / "tools" / "ablation.py", "cgan-noise": ROOT / "tools" / "cgan_noise.py",
         "note-tf1": ROOT / "tools" / "note_tf1.py", "coverage-2d": ROOT / "tools" / "coverage_2d.py",
         "minimax": ROOT / "tools" / "minimax.py"}
# Results whose tool wrote the record when it made the file (after issue 25): no "why" is needed for them.
RECORDED_WHEN_MADE = set()   # (minimax had no why until its fingerprint was renewed)
CODE = ("gan_helpers.results.fingerprint", "gan_helpers.timing")


@pytest.fixture
def scratch(monkeypatch, tmp_path):
    """results/ moved to tmp_path, so a test writes a result of its own."""
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path)
    return tmp_path


def _write(name, rec, file="results.json"):
    path = results.RESULTS_DIR / name / file
    atomic.write_json_atomic(path, results.with_record({"runs": [1, 2]}, rec))
    return path


def test_a_record_round_trips_through_a_saved_file(scratch):
    rec = results.record(CODE, {"epochs": 3, "noise": "uniform(-1, 1)"}, data="test data")
    path = _write("cgan-noise", rec)
    doc = results.load(path)
    assert doc["runs"] == [1, 2] and results.record_of(doc) == rec and results.record_of(path) == rec
    assert list(doc) == ["runs", "provenance"], "the record is the last key"
    assert rec["code"] == results.fingerprint(CODE) and rec["code of"] == list(CODE)
    assert rec["cpu"] == timing.cpu_model() and rec["tensorflow"] == results.tensorflow_version()
    assert rec["data"] == "test data" and len(rec["date"]) == 10 and "why" not in rec


def test_the_verdict_says_same_or_other_code_and_this_or_another_cpu(scratch, monkeypatch):
    here = results.short_cpu(timing.cpu_model())
    _write("cgan-noise", results.record(CODE, {}))
    assert results.verdict("cgan-noise") == (f"results/cgan-noise: made by the same code as today, on this CPU "
                                             f"({here}), TensorFlow {results.tensorflow_version()}")
    _write("cgan-noise", results.record(CODE, {}, code="0123456789abcdef", cpu="AMD EPYC 7B13", tensorflow="2.1.0"))
    assert results.verdict("cgan-noise") == (
        "results/cgan-noise: made by other code than today's (`make cgan-noise` makes it again), on another CPU "
        f"(AMD EPYC 7B13; this machine: {here}), TensorFlow 2.1.0 (this machine: {results.tensorflow_version()})")
    _write("cgan-noise", results.record(CODE, {}, code=results.NOT_RECORDED))
    assert results.verdict("cgan-noise").startswith(
        "results/cgan-noise: code not recorded (made before issue 25), on this CPU")
    # a result of several files counts them
    _write("ablation", results.record(CODE, {}), "a.json")
    _write("ablation", results.record(CODE, {}, code=results.NOT_RECORDED), "b.json")
    assert results.verdict("ablation").startswith(
        "results/ablation (2 files): 1 made by the same code as today; 1 code not recorded (made before issue 25)")
    # the code named in a record changes: other code
    monkeypatch.setattr(results, "_source_of", lambda name: "changed")
    assert "made by other code than today's" in results.verdict("ablation")


def test_the_fingerprint_follows_the_public_code_it_names(tmp_path, monkeypatch):
    one = results.fingerprint(["gan_helpers.results.verdict"])
    assert one == results.fingerprint(["gan_helpers.results.verdict"]) and len(one) == 16
    assert one != results.fingerprint(["gan_helpers.results.verdict", "gan_helpers.results.record"])
    assert results.fingerprint(["gan_helpers.timing"]) != results.fingerprint(["gan_helpers.timing.cpu_model"])
    # a class's method, a constant, a decorated function, a tool's module are all found
    for name in ("gan_helpers.results.Result.path", "gan_helpers.results.RESULTS", "tools.tf1_gan",
                 "gan_helpers.results.Result"):
        assert results.fingerprint([name])
    with pytest.raises(results.ResultsError, match="private"):
        results.fingerprint(["gan_helpers.results._source_of"])
    with pytest.raises(results.ResultsError, match="no longer defines"):
        results.fingerprint(["gan_helpers.results.no_such_function"])
    with pytest.raises(results.ResultsError, match="no module of the checkout"):
        results.fingerprint(["gan_helpers_gone.models"])
    # one changed line of a named function changes the fingerprint
    fake = tmp_path / "gan_helpers" / "lesson.py"
    fake.parent.mkdir()
    fake.write_text("def step(x):\n    return x + 1\n\n\ndef other():\n    pass\n")
    monkeypatch.setattr(results, "PACKAGE_ROOT", tmp_path)
    before = results.fingerprint(["gan_helpers.lesson.step"])
    fake.write_text("def step(x):\n    return x + 1\n\n\ndef other():\n    return 1\n")
    assert results.fingerprint(["gan_helpers.lesson.step"]) == before, "another function's change does not count"
    fake.write_text("def step(x):\n    return x + 2\n\n\ndef other():\n    return 1\n")
    assert results.fingerprint(["gan_helpers.lesson.step"]) != before


@pytest.mark.parametrize("name", list(results.RESULTS))
def test_every_committed_result_carries_the_record_and_is_readable(name):
    sys.path.insert(0, str(ROOT / "tools"))
    tool = __import__(TOOLS[name].stem)
    paths = results.files(name)
    assert paths, f"results/{name}/ is empty"
    for path in paths:
        rec = results.record_of(path)
        assert set(rec) >= {"code", "code of", "settings", "cpu", "tensorflow", "date", "data"}, path
        assert rec["code of"] == list(tool.CODE_OF), f"{path.name}: the record names other code than its tool"
        assert rec["code"].startswith("not recorded") or len(rec["code"]) == 16, path
        assert rec["cpu"] and rec["tensorflow"].count(".") >= 1 and rec["settings"], path
        if not rec["code"].startswith("not recorded") and name not in RECORDED_WHEN_MADE:
            # a fingerprint either recorded when the file was made (its date) or added later (saying why)
            assert rec.get("why") or len(rec["date"]) == 10, f"{path.name}: a fingerprint recorded after the fact says why"
        if name in RECORDED_WHEN_MADE:
            assert not rec["code"].startswith("not recorded") and len(rec["date"]) == 10 and "why" not in rec, path
    assert results.verdict(name).startswith(f"results/{name}")


def test_trial_runs_of_the_tools_never_overwrite_a_result():
    """Each tool refuses a short run into results/ in one line, before it trains or writes anything."""
    before = {p: p.stat().st_mtime_ns for p in results.RESULTS_DIR.rglob("*") if p.is_file()}
    for name, args in [("ablation", ["--epochs", "3"]), ("cgan-noise", ["--epochs", "3"]),
                       ("coverage-2d", ["--steps", "200"]), ("note-tf1", ["--steps", "50"]),
                       ("minimax", ["--epochs", "3"])]:
        done = subprocess.run([sys.executable, str(TOOLS[name]), *args], capture_output=True, text=True, cwd=ROOT,
                              env={**{k: v for k, v in os.environ.items() if k != "GAN_EPOCHS"},
                                   "TF_CPP_MIN_LOG_LEVEL": "3"})
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, (name, done.stderr[-2000:])
        assert f"is not written into results/{name}/; write it elsewhere with --out" in lines[0], lines[0]
    assert {p: p.stat().st_mtime_ns for p in results.RESULTS_DIR.rglob("*") if p.is_file()} == before


def test_a_trial_elsewhere_is_allowed_and_a_full_run_may_write_results(tmp_path):
    assert results.trial_refusal("cgan-noise", tmp_path / "results.json", "3 epochs, not 100") is None
    assert results.trial_refusal("cgan-noise", results.RESULTS["cgan-noise"].path, None) is None
    assert "results/ablation/" in results.trial_refusal("ablation", results.RESULTS["ablation"].folder, "1 epochs")


def test_reading_and_judging_results_loads_no_tensorflow():
    code = ("import json, sys\nfrom gan_helpers import results\n"
            "lines = [results.verdict(name) for name in results.RESULTS]\n"
            "runs = results.tf1_runs() + results.tf1_cgan_runs_at()\n"
            "print(json.dumps(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_short_cpu_names():
    assert results.short_cpu("Intel(R) Xeon(R) Processor") == "Intel Xeon"
    assert results.short_cpu("Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz") == "Intel Core i7-8700"
    assert results.short_cpu("AMD EPYC 7B13") == "AMD EPYC 7B13"
    assert results.short_cpu("AMD Ryzen 7 5800X 8-Core Processor") == "AMD Ryzen 7 5800X"

"""benchmarks/ (issues 7 and 12): what a user of ``make bench`` relies on.

- the TF1 baselines (tools/tf1_*.py) train with the note's objectives, and ``tools/_baseline`` loads no Keras;
- ``tf2_notebooks.py`` really trains notebook 1's and 2's run, writes the checkpoints and sample
  grids a learner pays for, and reports steps, times and losses that agree with each other;
- bench.py's arithmetic, table, NaN cell and compute-bound note, on crafted input, and its wiring
  (the bound beside ours, a failed script = "n/a" and a failed bench) with the scripts' records faked.

Nothing here asserts a speed. Every script runs in a subprocess (the TF1 ones call
``tf.disable_eager_execution()``, which must not reach the other tests' eager TensorFlow), on a
500-image MNIST file written here (5 steps per epoch) unless it needs the real offline set.
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, real_mnist_path

sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tools"))   # the TF1 baselines and _baseline

import _baseline  # noqa: E402
import bench  # noqa: E402

SCRIPT = ROOT / "benchmarks" / "tf2_notebooks.py"
TINY_TRAIN = 500  # 5 batches of 100 per epoch
STEPS = 60
TRAIN_BOTH = f"""
import json, sys
sys.path.insert(0, {str(ROOT / "tools")!r})
import _baseline, tf1_gan, tf1_cgan
import tensorflow as tf
_baseline.main("tf1_gan", tf1_gan.run, argv=["--short", "10", "--long", "200", "--warmup", "2"])
out = {{"gan": tf1_gan.run({STEPS}, seed=0), "cgan": tf1_cgan.run({STEPS}, seed=0),
       "eager_after_loading_data": tf.executing_eagerly()}}
print(json.dumps(out))
"""


def _env(npz):
    return dict(os.environ, MNIST_NPZ=str(npz), TF_CPP_MIN_LOG_LEVEL="3")


def _json_lines(text):
    return [json.loads(line) for line in text.strip().splitlines() if line.startswith("{")]


def _python(args, npz):
    done = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, env=_env(npz), cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return _json_lines(done.stdout)


@pytest.fixture(scope="module")
def tiny_npz(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("data") / "tiny-mnist.npz"
    np.savez(path, x_train=rng.integers(0, 256, (TINY_TRAIN, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, TINY_TRAIN).astype(np.uint8),
             x_test=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 20).astype(np.uint8))
    return path


# ---------------------------------------------------------------- the TF1 baselines

def test_importing_baseline_plumbing_loads_no_keras():
    """The TF1 scripts import _baseline before tf.disable_eager_execution(): it must not set up Keras."""
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT / 'tools')!r}); import _baseline; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == []


@pytest.fixture(scope="module")
def trained():
    *_, cli_line, runs = _python(["-c", TRAIN_BOTH], real_mnist_path())
    return dict(runs, cli=cli_line)


@pytest.mark.slow   # trains in subprocesses (XLA compiles, real MNIST for the TF1 runs)
def test_vanilla_baseline_trains_with_the_notes_objectives(trained):
    r = trained["gan"]
    values = [*r["first"], *r["last"]]
    assert all(math.isfinite(v) for v in values), values
    # With weights ~ N(0, 0.01) both D outputs start at 0.5: loss_D = 2 log 0.5, loss_G = log 0.5 (maximised).
    assert r["first"][0] == pytest.approx(2 * math.log(0.5), abs=0.05)
    assert r["first"][1] == pytest.approx(math.log(0.5), abs=0.05)
    assert abs(r["last"][0] - r["first"][0]) > 0.05, "D's objective did not move"
    assert abs(r["last"][1] - r["first"][1]) > 0.05, "G's objective did not move"


@pytest.mark.slow   # trains in subprocesses (XLA compiles, real MNIST for the TF1 runs)
def test_conditional_baseline_trains_and_names_variables_like_tf_layers(trained):
    r = trained["cgan"]
    values = [*r["first"], *r["last"]]
    assert all(math.isfinite(v) for v in values), values
    assert all(v > 0 for v in values), "sigmoid cross-entropies are positive"
    assert abs(r["last"][0] - r["first"][0]) > 0.1, "D's cross-entropy did not move"
    assert abs(r["last"][1] - r["first"][1]) > 0.1, "G's cross-entropy did not move"
    assert r["variables"] == sorted(f"{net}/{layer}/{kind}:0" for net in ("discriminator", "generator")
                                    for layer in ("dense", "dense_1") for kind in ("kernel", "bias"))


@pytest.mark.slow   # trains in subprocesses (XLA compiles, real MNIST for the TF1 runs)
def test_baselines_stay_in_graph_mode_after_reading_the_data(trained):
    assert trained["eager_after_loading_data"] is False


@pytest.mark.slow   # trains in subprocesses (XLA compiles, real MNIST for the TF1 runs)
def test_baseline_command_line_reports_a_rate_that_matches_its_times(trained):
    line = trained["cli"]
    assert line["finite"] is True
    with np.load(real_mnist_path()) as npz:
        assert line["num_train"] == len(npz["x_train"])
    assert line["steps_per_s"] > 0 and line["problem"] is None, line
    expected = (line["long_steps"] - line["short_steps"]) / (line["long_s"] - line["short_s"])
    assert line["steps_per_s"] == pytest.approx(expected, rel=0.01)


def test_batches_follow_the_notes_next_batch():
    data = type("D", (), {"num_train": 1050})()  # 10 full batches of 100, 50 images left out
    np.random.seed(0)
    got = list(_baseline.batches(data, steps=25))
    assert len(got) == 25
    assert [(e, i) for e, i, _, _ in got[:3]] == [(0, 0), (0, 1), (0, 2)]
    assert [(e, i) for e, i, _, _ in got[-2:]] == [(2, 3), (2, 4)]
    assert {t for _, _, t, _ in got} == {10}
    first_epoch = np.concatenate([idx for e, _, _, idx in got if e == 0])
    assert len(first_epoch) == 1000 and len(set(first_epoch)) == 1000  # no image twice in an epoch
    assert not np.array_equal(first_epoch, np.arange(1000))  # shuffled


# ---------------------------------------------------------------- ours: tf2_notebooks.py

@pytest.fixture(scope="module")
def speed_runs(tiny_npz, tmp_path_factory):
    """Both models' speed mode, 1 and 20 epochs after a 1-epoch warm-up, files kept in a workdir.

    20 epochs: the extra 19 (95 steps, 19 checkpoints, 2 grids) take far longer than the noise in
    two runs' start-up and compilation on a busy machine, so the rate is always measurable.
    """
    runs = {}
    for model in ("gan", "cgan"):
        workdir = tmp_path_factory.mktemp(f"work-{model}")
        lines = _python([SCRIPT, model, "--short", "1", "--long", "20", "--warmup", "1", "--workdir", workdir],
                        tiny_npz)
        assert len(lines) == 1, lines
        runs[model] = (lines[0], workdir)
    return runs


@pytest.mark.slow   # trains in subprocesses (XLA compiles, real MNIST for the TF1 runs)
@pytest.mark.parametrize("model", ["gan", "cgan"])
def test_ours_reports_a_marginal_rate_from_its_own_runs(speed_runs, model):
    line, _ = speed_runs[model]
    per_epoch = TINY_TRAIN // 100
    assert (line["model"], line["num_train"]) == (model, TINY_TRAIN)
    assert (line["short_steps"], line["long_steps"]) == (1 * per_epoch, 20 * per_epoch)  # history.steps
    assert line["problem"] is None and math.isfinite(line["steps_per_s"]) and line["steps_per_s"] > 0, line
    expected = (line["long_steps"] - line["short_steps"]) / (line["long_s"] - line["short_s"])
    assert line["steps_per_s"] == pytest.approx(expected, rel=0.01)
    assert 0 < line["short_s"] < line["long_s"]
    assert line["finite"] is True and all(map(math.isfinite, (line["last_loss_D"], line["last_loss_G"])))
    assert line["machine"] and line["peak_rss"] > 100 * 2**20


@pytest.mark.slow   # trains in subprocesses (XLA compiles, real MNIST for the TF1 runs)
@pytest.mark.parametrize("model", ["gan", "cgan"])
def test_ours_pays_for_checkpoints_and_sample_grids(speed_runs, model):
    """Every run wrote a checkpoint each epoch and the grids at epochs 0, 9 and 19, in its own folder."""
    line, workdir = speed_runs[model]
    long_ckpt, long_samples = workdir / "long-0" / "checkpoints" / model, workdir / "long-0" / "samples" / model
    assert sorted(p.name for p in long_samples.glob("*.png")) == ["000.png", "009.png", "019.png"]
    assert (long_ckpt / "ckpt-20.index").is_file()                 # the last epoch's checkpoint
    assert len(json.loads((long_ckpt / "history.json").read_text())["D loss"]) == 20
    assert line["written"] == {"samples": ["000.png", "009.png", "019.png"],
                               "checkpoints": sorted(p.name for p in long_ckpt.glob("ckpt-*.index"))}
    short = workdir / "short-0"
    assert sorted(p.name for p in (short / "samples" / model).glob("*.png")) == ["000.png"]
    assert (short / "checkpoints" / model / "ckpt-1.index").is_file()
    assert (workdir / "warmup" / "checkpoints" / model / "ckpt-1.index").is_file()


@pytest.mark.slow   # trains in subprocesses (XLA compiles, real MNIST for the TF1 runs)
def test_ours_draws_the_notebooks_grids(speed_runs):
    """Notebook 1's grid is one row of ten; notebook 2's has the test images above the generated ones."""
    heights = {}
    for model in ("gan", "cgan"):
        _, workdir = speed_runs[model]
        with Image.open(workdir / "long-0" / "samples" / model / "009.png") as image:
            width, heights[model] = image.size
        assert width > 5 * heights["gan"]                            # ten images side by side
    assert heights["cgan"] > 1.7 * heights["gan"]                     # two rows


@pytest.mark.slow   # trains in subprocesses (XLA compiles, real MNIST for the TF1 runs)
def test_full_run_reports_time_memory_and_finite_losses(tiny_npz):
    (line,) = _python([SCRIPT, "gan", "--full", "3", "--seed", "1"], tiny_npz)
    assert (line["mode"], line["seed"], line["epochs"]) == ("full", 1, 3)
    assert line["steps"] == 3 * (TINY_TRAIN // 100)
    assert line["finite"] is True and line["nonfinite_epochs"] == []
    assert all(map(math.isfinite, (line["last_loss_D"], line["last_loss_G"])))
    assert 0 < line["seconds"] <= line["wall_seconds"]
    assert line["peak_rss"] > 100 * 2**20
    assert line["written"]["samples"] == ["000.png"] and "ckpt-3.index" in line["written"]["checkpoints"]


def test_the_finite_flag_sees_nan_and_inf():
    import tf2_notebooks

    fine = tf2_notebooks.losses_summary({"D loss": [1.0, 0.5], "G loss": [2.0, 0.7]})
    assert fine == {"finite": True, "nonfinite_epochs": [], "last_loss_D": 0.5, "last_loss_G": 0.7}
    bad = tf2_notebooks.losses_summary({"D loss": [1.0, float("nan"), 0.5], "G loss": [2.0, 1.0, float("-inf")]})
    assert bad["finite"] is False and bad["nonfinite_epochs"] == [1, 2]
    assert tf2_notebooks.losses_summary({"D loss": [], "G loss": []})["finite"] is False


def test_a_failing_script_becomes_a_problem_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_NPZ", str(tmp_path / "nothing.npz"))
    result = bench.run_full("gan", 1, seed=3)
    assert result["process"]["returncode"] == 2
    assert "exited with 2" in result["problem"] and "MNIST_NPZ" in result["problem"]
    assert bench.nan_summary([result]) == "seed 3: error (seed 3)"


@pytest.mark.slow
def test_further_mode_trains_notebook_3s_final_runs(tiny_npz):
    (line,) = _python([SCRIPT, "further", "--full", "1"], tiny_npz)
    assert set(line["runs"]) == {"gan", "cgan"}
    assert line["steps"] == 2 * (TINY_TRAIN // 100) and line["finite"] is True
    assert line["written"]["samples"] == ["000.png", "000.png"]


# ---------------------------------------------------------------- bench.py

def test_run_measured_reports_the_childs_own_peak_memory():
    """From a small process, as in `make bench` (a child inherits the peak RSS of a large parent, e.g. pytest's)."""
    child = "import sys; b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); print('ok')"
    measure = ("import json, sys; sys.path.insert(0, sys.argv[1]); import bench; "
               "print(json.dumps(bench.run_measured([sys.executable, '-c', sys.argv[2]])))")
    done = subprocess.run([sys.executable, "-c", measure, str(ROOT / "benchmarks"), child],
                          capture_output=True, text=True, check=True)
    returncode, stdout, _, peak = json.loads(done.stdout.strip().splitlines()[-1])
    assert (returncode, stdout.strip()) == (0, "ok")
    assert 300 * 2**20 < peak < 1000 * 2**20

    imported = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import bench; print(sorted(sys.modules))",
         str(ROOT / "benchmarks")], capture_output=True, text=True, check=True).stdout
    assert "'tensorflow'" not in imported, "bench.py stays small, so its children's peak RSS is their own"


def test_marginal_rate():
    assert _baseline.marginal(t_short=2, t_long=12, steps_short=100, steps_long=1100) == 100
    assert _baseline.marginal(1.5, 4.0, 282, 1269) == pytest.approx(987 / 2.5)
    with pytest.raises(ValueError, match="took 4.000 s, not more than the short run's 5.000 s"):
        _baseline.marginal(5, 4, 100, 200)
    with pytest.raises(ValueError, match=r"long run \(200 steps\) must have more steps"):
        _baseline.marginal(1, 4, 200, 200)


def test_median_skips_failed_repeats():
    assert bench.median([300, None, 100, 200]) == 200
    assert bench.median(x for x in [None, 5.0]) == 5.0
    assert bench.median([None, None]) is None


def test_table():
    rows = [
        bench.Row("vanilla GAN", 200.0, 300.0, 480.0, 512 * 2**20, 1024 * 2**20, 125.4,
                  "none (300 epochs, seeds 42, 1, 2)"),
        bench.Row("conditional GAN", 210.0, None, 470.0, None, None, None, "not checked"),
        bench.Row("vanilla GAN", 200.0, 300.0, None, None, None, None, "not checked"),
    ]
    lines = bench.format_table(rows, "full run wall time (100 epochs)").splitlines()
    assert lines[0] == ("|  | baseline steps/s | ours steps/s | ours / baseline | bound steps/s | ours / bound | "
                        "peak RSS baseline | peak RSS ours | full run wall time (100 epochs) | NaN/inf losses |")
    assert lines[2] == ("| vanilla GAN | 200 | 300 | 1.50x | 480 | 62% | 512 MiB | 1,024 MiB | 2 min 05 s "
                        "| none (300 epochs, seeds 42, 1, 2) |")
    assert lines[3] == "| conditional GAN | 210 | n/a | n/a | 470 | n/a | n/a | n/a | n/a | not checked |"
    assert lines[4] == "| vanilla GAN | 200 | 300 | 1.50x | n/a | n/a | n/a | n/a | n/a | not checked |"
    assert all(line.count("|") == len(bench.TABLE_HEADER) + 1 for line in lines)
    assert bench.fmt_duration(59.6) == "1 min 00 s" and bench.fmt_duration(7.2) == "7 s"
    assert bench.fmt_share(1000, 400) == "250%" and bench.fmt_share(0.5, 1) == "50%"


def bound_record(steps_per_s=427.4, machine="2 CPU(s), AMD EPYC"):
    """bound.py's JSON line (the fields bench.py reads)."""
    return {"model": "gan", "flops_per_step": 374_784_000, "gflops": 374.784e6 * steps_per_s / 1e9,
            "bound_steps_per_s": steps_per_s, "seconds_per_step": 1 / steps_per_s, "iterations": 100,
            "seconds_per_iteration": [1 / steps_per_s] * 7, "matmuls": [{}] * 19, "machine": machine,
            "problem": None}


def test_bound_note_says_how_the_bound_was_measured_and_where():
    note = bench.bound_note([("vanilla GAN", bound_record()), ("conditional GAN", dict(
        bound_record(400.0), flops_per_step=378_880_000, gflops=151.552))])
    assert note.startswith("bound: fp32 matmuls at the step's shapes (benchmarks/bound.py")
    assert ("vanilla GAN 160 GFLOP/s x 375 MFLOP per step = 427 steps/s; "
            "conditional GAN 152 GFLOP/s x 379 MFLOP per step = 400 steps/s; on 2 CPU(s), AMD EPYC.") in note
    failed = {"steps_per_s": None, "problem": "bound.py exited with 1: boom", "process": {}}
    note = bench.bound_note([("vanilla GAN", failed), ("conditional GAN", bound_record(machine="1 CPU(s), Other"))])
    assert "vanilla GAN n/a (bound.py exited with 1: boom); conditional GAN" in note
    assert note.endswith("; on 1 CPU(s), Other.")


@pytest.mark.parametrize("bound_rate", [427.4, None, 250.0])
def test_bench_runs_the_bound_once_per_model_and_shows_it_beside_ours(tmp_path, monkeypatch, bound_rate):
    """bench.main with every script's record faked: where the bound goes, and a failed bound fails the bench."""
    calls = []

    def fake_run_script(script, *args, folder=bench.HERE):
        calls.append((script, *map(str, args)))
        process = {"peak_rss": 600 * 2**20, "seconds": 1.0, "returncode": 0, "command": script}
        if script == "bound.py":
            if bound_rate is None:
                return {"steps_per_s": None, "problem": "bound.py exited with 1: boom", "process": process}
            return dict(bound_record(bound_rate), process=process)
        return {"steps_per_s": 300.0 if script == "tf2_notebooks.py" else 200.0, "problem": None, "process": process}

    monkeypatch.setattr(bench, "run_script", fake_run_script)
    monkeypatch.setattr(bench, "num_train", lambda: TINY_TRAIN)
    out = tmp_path / "bench.md"
    code = bench.main(["--quick", "--no-full", "--only", "vanilla", "--out", str(out)])
    assert [c for c in calls if c[0] == "bound.py"] == [("bound.py", "gan")]
    text = out.read_text()
    data = json.loads(out.with_suffix(".json").read_text())
    if bound_rate is None:
        assert code == 1
        assert "| vanilla GAN | 200 | 300 | 1.50x | n/a | n/a |" in text
        assert "vanilla GAN n/a (bound.py exited with 1: boom)" in text
        assert data["rows"][0]["bound_rate"] is None
    else:
        assert code == 0
        assert data["rows"][0]["bound_rate"] == bound_rate
        assert data["models"]["vanilla"]["bound"]["flops_per_step"] == 374_784_000
    if bound_rate == 427.4:
        assert "| vanilla GAN | 200 | 300 | 1.50x | 427 | 70% |" in text
        assert "vanilla GAN 160 GFLOP/s x 375 MFLOP per step = 427 steps/s; on 2 CPU(s), AMD EPYC." in text
    assert ("ours above the bound (vanilla GAN)" in text) == (bound_rate == 250.0)
    if bound_rate == 250.0:
        assert "| vanilla GAN | 200 | 300 | 1.50x | 250 | 120% |" in text
    assert "Compute bound about" not in text  # issue 7's fixed figure is gone


def test_nan_summary_of_full_run_records():
    def full(seed, finite=True, bad=(), epochs=100, problem=None):
        return {"seed": seed, "epochs": epochs, "finite": finite, "nonfinite_epochs": list(bad), "problem": problem}

    assert bench.nan_summary([]) == "not checked"
    assert bench.nan_summary([full(42), full(1), full(2)]) == "none (300 epochs, seeds 42, 1, 2)"
    assert bench.nan_summary([full(1, epochs=1)]) == "none (1 epoch, seed 1)"
    assert (bench.nan_summary([full(42), full(1, False, [37, 38, 99])])
            == "YES seed 1: 3 epoch(s) from epoch 37 (seeds 42, 1)")
    failed = {"seed": 2, "epochs": 100, "problem": "tf2_notebooks.py exited with 1: ...", "steps_per_s": None}
    assert bench.nan_summary([full(42), failed]) == "seed 2: error (seeds 42, 2)"
    assert bench.nan_summary([full(7, False, [], epochs=0)]) == "seed 7: no losses (seed 7)"


def test_quick_options_give_way_to_explicit_ones():
    args = bench.parse_args(["--quick"])
    assert (args.repeats, args.ours_epochs, args.full_epochs, args.seeds) == (1, (1, 2), 1, [1])
    args = bench.parse_args(["--quick", "--ours-epochs", "1,10", "--seeds", "1,2"])
    assert (args.repeats, args.ours_epochs, args.full_epochs, args.seeds) == (1, (1, 10), 1, [1, 2])
    args = bench.parse_args([])
    assert (args.repeats, args.ours_epochs, args.full_epochs, args.seeds) == (3, (2, 32), 100, [42, 1, 2])
    with pytest.raises(SystemExit):
        bench.parse_args(["--ours-epochs", "5,5"])


@pytest.mark.slow
def test_bench_end_to_end(tiny_npz, tmp_path, monkeypatch):
    """``make bench BENCH_ARGS=--quick`` on the tiny set (longer runs, so every rate is measurable)."""
    monkeypatch.setenv("MNIST_NPZ", str(tiny_npz))
    out = tmp_path / "bench.md"
    code = bench.main(["--quick", "--ours-epochs", "1,20", "--baseline-steps", "20,400", "--seeds", "1,2",
                       "--out", str(out)])
    assert code == 0
    text = out.read_text()
    assert "| vanilla GAN |" in text and "| conditional GAN |" in text
    assert "none (2 epochs, seeds 1, 2)" in text
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["num_train"] == TINY_TRAIN and data["machine"] in text
    for row in data["rows"]:
        assert row["baseline_rate"] > 0 and row["ours_rate"] > 0 and row["wall_seconds"] > 0
        assert row["bound_rate"] > 0
        assert row["baseline_rss"] > 100 * 2**20 and row["ours_rss"] > 100 * 2**20
        assert row["machine"] == data["machine"]
    for model in data["models"].values():
        records = model["baseline"] + model["ours"] + model["full"]
        assert len(records) == 4 and all(r["machine"] == data["machine"] for r in records)
        assert [f["seed"] for f in model["full"]] == [1, 2] and all(f["finite"] for f in model["full"])
        assert model["bound"]["flops_per_step"] > 3e8 and model["bound"]["machine"] == data["machine"]
    assert "GFLOP/s x 375 MFLOP per step" in text and "GFLOP/s x 379 MFLOP per step" in text

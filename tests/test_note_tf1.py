"""make note-tf1 (tools/note_tf1.py, read by gan_helpers.results): the note's own TF1 code's grids and scores.

- the committed results/note-tf1/results.json holds exactly the six runs (three configs x 14,100 and
  55,000 steps, seed 42), each with its committed grid, and numbers that agree with each other;
- the reader (``results.tf1_runs``, ``tf1_table``, ``tf1_grid``) shows every run and imports no TensorFlow;
- the TF1 scripts' ``run(..., samples=N)`` draws N images (per digit in order for the cgan),
  reproducibly, and nothing by default;
- a tiny end-to-end run into a temporary folder writes the grids and results.json with the documented
  keys, and its recorded scores are those of the images it drew for the digits it requested;
- a bad argument stops with one line that names the fix, and never writes into results/note-tf1.

Every script runs in a subprocess (the TF1 ones disable eager execution). Nothing here writes into
the committed results/ folder: the end-to-end run uses ``--out`` in tmp_path.
"""

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, need, real_mnist_path
from gan_helpers import results
from gan_helpers.errors import GanHelpersError

sys.path.insert(0, str(ROOT / "tools"))
import note_tf1  # noqa: E402  (the tool: its runs, keys and folders; no TensorFlow at import)

SCRIPT = ROOT / "tools" / "note_tf1.py"
RESULTS = results.RESULTS["note-tf1"].path
MORE_SEEDS_RESULTS = note_tf1.MORE_SEEDS_FOLDER / "results.json"
EXPECTED_RUNS = {(config, steps) for config in note_tf1.CONFIGS for steps in note_tf1.STEPS}


def _run_script(*args, **env):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **env))


@pytest.fixture(scope="module")
def committed():
    need(RESULTS.exists(), f"{RESULTS} is missing: run make note-tf1 and commit it")
    return results.load("note-tf1")


# ---------------------------------------------------------------- the committed results

def test_results_hold_exactly_the_six_runs_each_with_its_grid(committed):
    runs = committed["runs"]
    assert len(runs) == 6
    assert {(r["config"], r["steps"]) for r in runs} == EXPECTED_RUNS
    assert {r["steps"] for r in runs} == {14100, 55000}
    for r in runs:
        assert tuple(r) == note_tf1.RUN_KEYS
        assert r["seed"] == 42
        # made before the TF1 scripts moved from benchmarks/ to tools/: the same script's name
        assert Path(r["script"]).name == Path(note_tf1.CONFIGS[r["config"]]["script"]).name
        assert r["noise"] == note_tf1.CONFIGS[r["config"]]["noise"]
        assert r["grid"] == results.tf1_grid(r["config"], r["steps"]).name
        path = results.tf1_grid(r["config"], r["steps"])
        assert path.is_file(), f"{path} is missing"
        with Image.open(path) as image:
            assert image.format == "PNG"
            width, height = image.size
        assert 700 < width < 1500 and 700 < height < 1500, (path.name, image.size)   # 10 x 10 cells


def test_the_grids_are_committed_not_ignored(committed):
    need(shutil.which("git") is not None and (ROOT / ".git").exists(), "needs a git checkout")
    names = [RESULTS] + [results.tf1_grid(r["config"], r["steps"]) for r in committed["runs"]]
    rels = [str(p.relative_to(ROOT)) for p in names]
    ignored = subprocess.run(["git", "check-ignore", *rels], cwd=ROOT, capture_output=True, text=True)
    assert ignored.stdout.strip() == "", f".gitignore hides {ignored.stdout.split()}"
    tracked = subprocess.run(["git", "ls-files", "--", *rels], cwd=ROOT, capture_output=True, text=True)
    assert sorted(tracked.stdout.split()) == sorted(rels), "every results file is committed"


def test_header_names_machine_data_and_command(committed):
    header = committed["header"]
    assert tuple(header) == note_tf1.HEADER_KEYS
    assert header["cpu"] and header["cpu"] in header["machine"]
    assert header["tensorflow"].count(".") >= 1
    assert header["steps per epoch"] == header["num_train"] // 100
    assert header["samples"] == note_tf1.SAMPLES == 10000 and header["sample seed"] == 1
    assert "np.repeat(np.arange(10), 1000)" in header["requested"]
    assert header["command"].startswith("MNIST_NPZ=") and "/note_tf1.py" in header["command"]   # benchmarks/, now tools/
    assert "--out" not in header["command"], "the committed results come from the default folder"
    assert header["classifier"]["test_accuracy"] >= 0.98


def test_epochs_and_learning_rates_are_what_the_scripts_did(committed):
    per_epoch = committed["header"]["steps per epoch"]
    for r in committed["runs"]:
        assert r["epochs"] == round(r["steps"] / per_epoch, 2)
        assert r["full epochs"] == r["steps"] // per_epoch == len(r["epoch losses"]["D loss"])
        assert r["learning rate"] == (0.0002 if r["config"] == "gan" else 0.001)   # cgan: AdamOptimizer()
    if per_epoch == 141:   # the offline set: 14,100 steps are our notebooks' 100 epochs
        assert {r["steps"]: r["full epochs"] for r in committed["runs"]} == {14100: 100, 55000: 390}


def test_losses_and_the_finite_flag_agree(committed):
    for r in committed["runs"]:
        d, g = r["epoch losses"]["D loss"], r["epoch losses"]["G loss"]
        assert r["last epoch"] == {"D loss": d[-1], "G loss": g[-1]}
        assert r["finite"] == (r["nonfinite steps"] == 0) == (r["first nonfinite step"] is None)
        if r["finite"]:
            assert all(map(math.isfinite, d + g + list(r["last step"].values())))
        assert 0 < r["loop seconds"] <= r["seconds"] < r["process seconds"]
        assert r["steps/s"] == pytest.approx(r["steps"] / r["loop seconds"])


def test_scores_and_shares_are_consistent(committed):
    for r in committed["runs"]:
        if not r["images finite"]:
            assert r["score"] is None and r["shares"] is None
            continue
        shares = np.array(r["shares"])
        assert len(shares) == 10 and np.all(shares >= 0)
        assert shares.sum() == pytest.approx(1.0)
        assert np.allclose(shares * note_tf1.SAMPLES, np.round(shares * note_tf1.SAMPLES))  # counts of 10,000
        assert r["top class"] == shares.max() and r["rarest class"] == shares.min()
        assert 1.0 - 1e-3 <= r["score"] <= 10.0 and math.isfinite(r["FD"]) and r["FD"] >= 0
        if r["config"] == "gan":
            assert r["label acc"] is None
        else:
            assert 0.0 <= r["label acc"] <= 1.0


def test_the_conditional_gans_label_accuracy_fits_1000_requests_per_digit(committed):
    """Each digit was requested for exactly 1,000 of the 10,000 images, so at most
    min(share predicted as d, 10 %) of all images can be correct for digit d."""
    for r in committed["runs"]:
        if r["config"] == "gan" or not r["images finite"]:
            continue
        bound = sum(min(share, 0.1) for share in r["shares"])
        assert r["label acc"] <= bound + 1e-9, (r["config"], r["steps"], r["label acc"], bound)


def test_more_seeds_hold_the_conditional_runs_at_14100_steps_for_each_extra_seed():
    need(MORE_SEEDS_RESULTS.exists(), f"{MORE_SEEDS_RESULTS} is missing: run make note-tf1")
    runs = results.tf1_runs(more_seeds=True)
    expected = {(c, note_tf1.MORE_SEEDS_STEPS, s) for c in note_tf1.MORE_SEEDS_CONFIGS for s in note_tf1.MORE_SEEDS}
    assert {(r["config"], r["steps"], r["seed"]) for r in runs} == expected and len(runs) == len(expected)
    for r in runs:
        assert tuple(r) == note_tf1.RUN_KEYS and r["finite"] and r["label acc"] is not None
        path = results.tf1_grid(r["config"], r["steps"], seed=r["seed"])
        assert r["grid"] == path.name and path.name.endswith(f"-seed{r['seed']}.png") and path.is_file()
    both = results.tf1_cgan_runs_at()
    assert len(both) == len(expected) + 2                  # plus seed 42 of each config from results.json
    for config in note_tf1.MORE_SEEDS_CONFIGS:
        seeds = [r["seed"] for r in both if r["config"] == config]
        assert seeds == [note_tf1.SEED, *sorted(note_tf1.MORE_SEEDS)]


# ---------------------------------------------------------------- the reader

def test_table_and_loader_show_every_run(committed):
    runs = results.tf1_runs()
    assert runs == committed["runs"]
    lines = results.tf1_table(runs).splitlines()
    assert lines[0].split() == ["config", "steps", "epochs", "seed", "score", "FD", "top", "class", "label", "acc",
                                "finite"]
    body = lines[2:]
    assert len(body) == 6
    for r, line in zip(runs, body):
        assert line.split()[:2] == [r["config"], str(r["steps"])] and line.split()[3] == str(r["seed"])
        if r["score"] is not None:
            assert f"{r['score']:.2f}" in line and f"{r['FD']:.1f}" in line
        assert (f"{r['label acc']:.1%}" if r["label acc"] is not None else " -  ") in line
    assert all(line.isascii() for line in lines)


def test_loader_names_the_fix_for_a_missing_or_broken_file(monkeypatch, tmp_path):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path)
    path = results.RESULTS["note-tf1"].path
    assert path == tmp_path / "note-tf1" / "results.json"
    with pytest.raises(GanHelpersError, match="does not exist: run `make note-tf1`"):
        results.tf1_runs()
    path.parent.mkdir()
    path.write_text("{not json")
    with pytest.raises(GanHelpersError, match="cannot read .*: run `make note-tf1`"):
        results.tf1_runs()
    path.write_text("{}")
    with pytest.raises(GanHelpersError, match="no list of runs"):
        results.tf1_runs()


def test_paths_are_the_checkouts_not_the_project_roots(monkeypatch, tmp_path):
    """Committed results live in the checkout; $GAN_PROJECT_ROOT (make test's scratch copy) does not move them."""
    monkeypatch.setenv("GAN_PROJECT_ROOT", str(tmp_path))
    assert results.RESULTS["note-tf1"].path == ROOT / "results" / "note-tf1" / "results.json"
    assert results.tf1_grid("gan", 14100) == ROOT / "results" / "note-tf1" / "gan-14100.png"
    assert results.tf1_grid("cgan-uniform", 14100, seed=7) == note_tf1.MORE_SEEDS_FOLDER / "cgan-uniform-14100-seed7.png"


def test_the_reader_and_the_script_load_no_tensorflow_before_they_need_it():
    code = ("import json, sys, runpy; import gan_helpers.results; "
            f"sys.argv = ['note_tf1', '--help']\n"
            "try:\n"
            f"    runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(json.dumps(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


# ---------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("args, fix", [
    (["--configs", "gann"], "choose from 'gan', 'cgan-note-normal', 'cgan-uniform'"),
    (["--steps", "0"], "whole numbers of training steps > 0"),
    (["--steps", "many"], "whole numbers of training steps > 0"),
    (["--steps", "50", "50", "--out", "{tmp}"], "give each once"),
    (["--seed", "-1", "--out", "{tmp}"], "numpy seeds are 0"),
    (["--configs", "gan"], "is not written into results/note-tf1/; write it elsewhere with --out"),
    (["--steps", "50"], "is not written into results/note-tf1/; write it elsewhere with --out"),
    (["--steps", "50", "--out", "{tmp}/file.txt"], "is a file; give a folder"),
    (["--more-seeds", "--steps", "50"], "give it alone"),
    (["--configs", "gan", "--out", str(note_tf1.MORE_SEEDS_FOLDER)], "is written by --more-seeds only"),
])
def test_a_bad_argument_is_one_line_that_names_the_fix(tmp_path, args, fix):
    (tmp_path / "file.txt").write_text("x")
    before = {p.name: p.stat().st_mtime_ns for p in note_tf1.FOLDER.glob("*")}
    done = _run_script(*[a.format(tmp=tmp_path) for a in args], MNIST_NPZ=real_mnist_path())
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("note_tf1: ") and fix in lines[0], done.stderr
    assert {p.name: p.stat().st_mtime_ns for p in note_tf1.FOLDER.glob("*")} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_a_missing_mnist_file_is_one_line(tmp_path):
    done = _run_script("--steps", "5", "--out", tmp_path / "out", MNIST_NPZ=str(tmp_path / "nothing.npz"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "MNIST_NPZ" in lines[0], done.stderr
    assert not (tmp_path / "out" / "results.json").exists()


# ---------------------------------------------------------------- the TF1 scripts' samples

SAMPLES_CODE = f"""
import json, sys
import numpy as np
sys.path.insert(0, {str(ROOT / "tools")!r})
import tf1_gan, tf1_cgan
out = {{}}
plain = tf1_gan.run(20, seed=3)
out["default_keys"] = sorted(plain)
a = tf1_gan.run(20, seed=3, samples=30)
b = tf1_gan.run(20, seed=3, samples=30)
out["gan"] = [list(a["images"].shape), str(a["images"].dtype), bool(np.array_equal(a["images"], b["images"])),
              float(a["images"].min()), float(a["images"].max())]
c = tf1_cgan.run(20, seed=3, samples=20, noise="note-normal")
d = tf1_cgan.run(20, seed=3, samples=20, noise="note-normal")
out["cgan"] = [list(c["images"].shape), c["requested"].tolist(), bool(np.array_equal(c["images"], d["images"]))]
# Without noise an image depends on its label only: equal within a digit's block, different between blocks.
tf1_cgan.NOISE["zeros"] = lambda batch_size, n_noise: np.zeros((batch_size, n_noise))
z = tf1_cgan.run(20, seed=3, samples=30, noise="zeros")["images"]
out["blocks"] = [[bool(np.array_equal(z[i], z[j])) for j in range(0, 30, 3)] for i in range(30)]
out["cgan_keys"] = sorted(tf1_cgan.run(5, seed=3))
try:
    tf1_cgan.run(5, samples=15)
    out["odd"] = None
except ValueError as exc:
    out["odd"] = str(exc)
out["epochs"] = [len(tf1_gan.run(12, seed=1)["epoch_losses"]), len(a["epoch_losses"]), a["nonfinite_steps"]]
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.reproduction
def test_the_tf1_scripts_draw_samples_only_when_asked_and_reproducibly(write_npz):
    rng = np.random.default_rng(0)
    npz = write_npz(x_train=rng.integers(0, 256, (500, 28, 28), dtype=np.uint8),
                    y_train=rng.integers(0, 10, 500).astype(np.uint8))        # 5 steps per epoch
    done = subprocess.run([sys.executable, "-c", SAMPLES_CODE], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, MNIST_NPZ=str(npz), TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for keys in (out["default_keys"], out["cgan_keys"]):
        assert "images" not in keys and "requested" not in keys, "make bench's runs draw no samples"
        assert {"epoch_losses", "nonfinite_steps", "first_nonfinite_step"} <= set(keys)
    shape, dtype, same, low, high = out["gan"]
    assert shape == [30, 784] and dtype == "float32" and same is True
    assert 0.0 <= low <= high <= 1.0                                          # sigmoid outputs
    shape, requested, same = out["cgan"]
    assert shape == [20, 784] and same is True
    assert requested == np.repeat(np.arange(10), 2).tolist()                  # image i asked for as digit i // 2
    assert out["blocks"] == [[i // 3 == d for d in range(10)] for i in range(30)], "labels fed as requested"
    assert "multiple of 10" in out["odd"]
    assert out["epochs"] == [2, 4, 0]     # 12 steps = 2 full epochs of 5; 20 steps = 4; no nan/inf


# ---------------------------------------------------------------- end to end, tiny

@pytest.mark.slow
@pytest.mark.reproduction
def test_a_tiny_run_writes_grids_and_results_that_match_its_images(tmp_path, classifier_dir):
    import gan_helpers

    gan_helpers.import_tensorflow_quietly()
    from gan_helpers import classifier
    from gan_helpers.data import load_mnist

    out = tmp_path / "out"
    before = {p.name: p.stat().st_mtime_ns for p in note_tf1.FOLDER.glob("*")}
    done = _run_script("--steps", "50", "--configs", "gan", "cgan-uniform", "--out", out, "--keep-images",
                       MNIST_NPZ=real_mnist_path(), GAN_PROJECT_ROOT=str(classifier_dir.parent.parent))
    assert done.returncode == 0, done.stderr[-3000:]
    assert {p.name: p.stat().st_mtime_ns for p in note_tf1.FOLDER.glob("*")} == before, "results/ untouched"
    assert sorted(p.name for p in out.iterdir()) == ["cgan-uniform-50.npz", "cgan-uniform-50.png", "gan-50.npz",
                                                      "gan-50.png", "results.json"]
    data = results.load(out / "results.json")
    assert tuple(data["header"]) == note_tf1.HEADER_KEYS
    record = results.record_of(data)
    assert record["code"] == results.fingerprint(note_tf1.CODE_OF) and record["code of"] == list(note_tf1.CODE_OF)
    assert record["settings"]["configs"] == ["gan", "cgan-uniform"] and record["settings"]["steps"] == [50]
    assert "--steps 50 --configs gan cgan-uniform" in data["header"]["command"]
    runs = data["runs"]
    assert [(r["config"], r["steps"]) for r in runs] == [("gan", 50), ("cgan-uniform", 50)]
    for r in runs:
        assert tuple(r) == note_tf1.RUN_KEYS
        assert r["full epochs"] == 0 and r["last epoch"] is None      # 50 < 141 steps: no epoch line yet
        assert r["epochs"] == round(50 / data["header"]["steps per epoch"], 2)
        assert r["finite"] is True and all(map(math.isfinite, r["last step"].values()))
        with Image.open(out / r["grid"]) as image:
            assert image.format == "PNG" and min(image.size) > 700
    assert results.tf1_table(runs).count("\n") == 3

    mnist = load_mnist(real_mnist_path())
    judge, _ = classifier.load_or_train_classifier(mnist, classifier_dir)
    real_features = classifier.features(judge, mnist.x_test)
    for r in runs:
        with np.load(out / f"{r['config']}-50.npz") as z:
            images, requested = z["images"], z["requested"]
        assert images.shape == (10000, 784) and images.dtype == np.float32
        if r["config"] == "gan":
            assert requested.size == 0 and r["label acc"] is None
            requested = None
        else:
            np.testing.assert_array_equal(requested, np.repeat(np.arange(10), 1000))
        quality = classifier.sample_quality(judge, images, real_features, requested)
        for key in ("score", "top class", "rarest class", "FD"):
            assert quality[key] == pytest.approx(r[key], rel=1e-4), key
        assert quality["shares"] == pytest.approx(r["shares"])
        assert quality["label acc"] == r["label acc"]

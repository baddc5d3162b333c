"""benchmarks/ (issue 7): the TF1 baselines train, and bench.py's arithmetic is right.

Nothing here is timed or asserts a speed: the baselines run a few steps on the real
offline data, in a subprocess (they call ``tf.disable_eager_execution()``, which must not
reach the other tests' eager TensorFlow).
"""

import json
import math
import os
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from conftest import ROOT, real_mnist_path

sys.path.insert(0, str(ROOT / "benchmarks"))

import _baseline  # noqa: E402
import bench  # noqa: E402

STEPS = 60
TRAIN_BOTH = f"""
import json, sys
sys.path.insert(0, {str(ROOT / "benchmarks")!r})
import _baseline, tf1_gan, tf1_cgan
_baseline.main("tf1_gan", tf1_gan.run, argv=["--short", "10", "--long", "30", "--warmup", "2"])
out = {{"gan": tf1_gan.run({STEPS}, seed=0), "cgan": tf1_cgan.run({STEPS}, seed=0)}}
print(json.dumps(out))
"""


def _python(code, npz):
    env = dict(os.environ, MNIST_NPZ=npz, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.strip().splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def trained():
    cli_line, runs = _python(TRAIN_BOTH, real_mnist_path())
    return dict(runs, cli=cli_line)


def test_vanilla_baseline_trains_with_the_notes_objectives(trained):
    r = trained["gan"]
    assert r["steps"] == STEPS
    values = [*r["first"], *r["last"]]
    assert all(math.isfinite(v) for v in values), values
    # With weights ~ N(0, 0.01) both D outputs start at 0.5: loss_D = 2 log 0.5, loss_G = log 0.5 (maximised).
    assert r["first"][0] == pytest.approx(2 * math.log(0.5), abs=0.05)
    assert r["first"][1] == pytest.approx(math.log(0.5), abs=0.05)
    assert abs(r["last"][0] - r["first"][0]) > 0.05, "D's objective did not move"
    assert abs(r["last"][1] - r["first"][1]) > 0.05, "G's objective did not move"


def test_conditional_baseline_trains_and_names_variables_like_tf_layers(trained):
    r = trained["cgan"]
    values = [*r["first"], *r["last"]]
    assert all(math.isfinite(v) for v in values), values
    assert all(v > 0 for v in values), "sigmoid cross-entropies are positive"
    assert abs(r["last"][0] - r["first"][0]) > 0.1, "D's cross-entropy did not move"
    assert abs(r["last"][1] - r["first"][1]) > 0.1, "G's cross-entropy did not move"
    assert r["variables"] == sorted(f"{net}/{layer}/{kind}:0" for net in ("discriminator", "generator")
                                    for layer in ("dense", "dense_1") for kind in ("kernel", "bias"))


def test_baseline_command_line_prints_one_json_line(trained):
    line = trained["cli"]
    assert line["baseline"] == "tf1_gan"
    assert (line["short_steps"], line["long_steps"]) == (10, 30)
    assert line["finite"] is True
    # Not timed: a disturbed pair is reported as a problem instead of a rate.
    assert (line["steps_per_s"] is None) == (line["problem"] is not None)


def test_run_measured_reports_the_childs_own_peak_memory():
    code = "import sys; b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); print('ok')"
    returncode, stdout, _, peak = bench.run_measured([sys.executable, "-c", code])
    assert (returncode, stdout.strip()) == (0, "ok")
    assert 300 * 2**20 < peak < 1000 * 2**20


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


def test_marginal_rate():
    assert bench.marginal(t_short=2, t_long=12, steps_short=100, steps_long=1100) == 100
    assert bench.marginal(1.5, 4.0, 282, 1269) == pytest.approx(987 / 2.5)
    with pytest.raises(ValueError):
        bench.marginal(5, 4, 100, 200)
    with pytest.raises(ValueError):
        bench.marginal(1, 4, 200, 200)


def test_median_skips_failed_repeats():
    assert bench.median([300, None, 100, 200]) == 200
    assert bench.median([None, None]) is None


def test_table():
    rows = [
        bench.Row("vanilla GAN", 200.0, 300.0, 512 * 2**20, 1024 * 2**20, 125.4, "none (300 epoch lines, seeds 42, 1, 2)"),
        bench.Row("conditional GAN", 210.0, None, None, None, None, "not checked"),
    ]
    lines = bench.format_table(rows, "wall (GAN_EPOCHS=100)").splitlines()
    assert lines[0].startswith("|  | baseline steps/s | ours steps/s | ours / baseline |")
    assert "wall (GAN_EPOCHS=100)" in lines[0]
    assert lines[2] == ("| vanilla GAN | 200 | 300 | 1.50x | 512 MiB | 1,024 MiB | 2 min 05 s "
                        "| none (300 epoch lines, seeds 42, 1, 2) |")
    assert lines[3] == "| conditional GAN | 210 | n/a | n/a | n/a | n/a | n/a | not checked |"
    assert all(line.count("|") == len(bench.TABLE_HEADER) + 1 for line in lines)


def test_parsing_the_notebooks_output():
    assert bench.parse_steps("optimization finished: 14,100 steps in 159 s (89 steps/s including compilation)") == 14100
    assert bench.parse_steps("training with noise uniform(-1, 1), seed 42\ndone: 1,269 steps in 5 s\n") == 1269
    assert bench.parse_steps("no count here") is None
    text = ("Epoch 0000 D loss: -0.4143 G loss: -2.928\nsomething else\nEpoch 0001 D loss: nan G loss: -inf\n"
            "Epoch 0002 D loss: 1.2 G loss: inf\nEpoch 0003 D loss: 0.5 G loss: 0.7\n")
    losses = bench.parse_epoch_losses(text)
    assert [e for e, _, _ in losses] == [0, 1, 2, 3]
    assert [e for e, _, _ in bench.nonfinite(losses)] == [1, 2]
    assert bench.nan_summary([(42, losses[:1], None), (1, losses[3:], None)]) == "none (2 epoch lines, seeds 42, 1)"
    assert bench.nan_summary([(42, losses, None)]).startswith("YES seed 42: 2 line(s) from epoch 1")
    assert "seed 7: error" in bench.nan_summary([(7, [], "cell 3: ValueError")])


def test_seed_replacement_changes_only_the_seed_line():
    source = "import keras\n\nSEED = 42\nkeras.utils.set_random_seed(SEED)\nrng = f(SEED = 42)\n"
    assert bench.with_seed(source, 7) == source.replace("SEED = 42\nkeras", "SEED = 7\nkeras")
    with pytest.raises(ValueError):
        bench.with_seed("SEED = 41\n", 7)


@pytest.mark.parametrize("model", sorted(bench.MODELS), ids=str)
def test_bench_finds_what_it_needs_in_the_notebooks(model):
    """The seed line and the training cell bench.py looks for are still in the notebook."""
    m = bench.MODELS[model]
    path = ROOT / "notebooks" / m.notebook
    if not path.exists():
        pytest.skip(f"{m.notebook} is not in this checkout")
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "SEED = 7" in bench.with_seed(first.source, 7)
    cell = nb.cells[bench.find_cell(nb, m.marker)]
    assert "GAN_EPOCHS" in "".join(c.source for c in nb.cells if c.cell_type == "code")
    assert cell.cell_type == "code"
    assert (ROOT / "benchmarks" / m.baseline).exists()


def test_bench_finds_notebook_3s_training_cell():
    nb = nbformat.read(ROOT / "notebooks" / bench.FURTHER.notebook, as_version=4)
    cell = nb.cells[bench.find_cell(nb, bench.FURTHER.marker)]
    assert cell.cell_type == "code" and "checkpoints/gan-better" in cell.source

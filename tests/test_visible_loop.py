"""Issue 25: the loop the note teaches is visible, and it is the loop that runs; each training step is defined once."""

import inspect
import json
from pathlib import Path

from gan_helpers import training, training_steps

ROOT = Path(__file__).resolve().parent.parent


def _code(name):
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_the_loop_a_learner_reads_is_short_and_is_the_notes_loop():
    source = inspect.getsource(training.train)
    lines = [line for line in source.splitlines() if line.strip()]
    assert len(lines) <= 20, f"training.train is {len(lines)} lines: the lesson's loop should fit on one screen"
    for part in ("for epoch in run.epochs(", "for batch in zip(", "run.end_epoch(", "run.finish()"):
        assert part in source, part


def test_notebooks_1_and_2_show_the_packages_step_and_loop_and_run_them():
    for name, step in (("01_gan.ipynb", "make_gan_train_step"), ("02_conditional_gan.ipynb", "make_cgan_train_step")):
        cells = _code(name)
        shown = "\n".join(c for c in cells if "show_source(" in c)
        assert step in shown, f"{name} shows training_steps.{step}"
        assert any("training.train(run" in c for c in cells), f"{name}'s main run calls training.train"
        assert not any("train_fast(" in c for c in cells), f"{name}: the fast path is opt-in, not the lesson's"
        assert not any(c.lstrip().startswith(("def train_step", "@tf.function")) for c in cells), \
            f"{name} defines no training step of its own: it is in gan_helpers/training_steps.py, once"
    assert any(c.strip() == "show_source(training.train)" for c in _code("01_gan.ipynb"))


def test_the_tools_time_the_same_step_and_loop():
    bench = (ROOT / "benchmarks" / "tf2_notebooks.py").read_text()
    assert "training_steps.make_gan_train_step" in bench and "run.fit(" in bench
    assert "set_random_seed" not in bench.replace("training.seeded_rng", "")
    assert inspect.getsource(training_steps.make_gan_train_step).count("def train_step") == 1

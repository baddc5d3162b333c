"""kill -9 in the middle of training costs at most the epoch that was running (or CHECKPOINT_SECONDS).

Notebook 1 runs in a subprocess (nbclient) on a copy of the project. A cell added to the
copy saves a checkpoint after every epoch (``runner.CHECKPOINT_SECONDS = 0``: the 10 s interval
itself is tested in test_runner) and makes the kernel send itself SIGKILL at a fixed point: after
the first of the three chunks of epoch 2 (0-based), i.e. part-way into the third epoch, two
checkpoints saved.
A second run of the unchanged notebook (through its training cell) must resume from the last
completed epoch, finish at total_epoch, and leave a checkpoint that loads.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from PIL import Image

from conftest import ROOT, real_mnist_path
from gan_helpers import checkpoints

RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
client = NotebookClient(nb, timeout=900, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[2]}})
try:
    client.execute()
finally:
    nbformat.write(nb, sys.argv[3])
"""


def _completed_epochs(folder):
    state = folder / "checkpoint"
    if not state.exists():
        return 0
    m = re.search(r'model_checkpoint_path: "ckpt-(\d+)"', state.read_text())
    return int(m.group(1)) if m else 0


# Inserted before the training cell of the first run only: SIGKILL once epoch 2 has run one chunk.
KILL_CELL = """
import os, signal
from gan_helpers import runner

runner.CHECKPOINT_SECONDS = 0                   # a checkpoint after every epoch
_compiled_step = training.for_any_batch_size(train_step, [tf.constant(mnist.x_train[:1])])
_steps_done = [0]


def train_step(X):                              # the notebook's step, killed part-way into epoch 2
    _steps_done[0] += 1
    if _steps_done[0] > 2 * total_batch + 5:    # epochs 0 and 1 are saved
        os.kill(os.getpid(), signal.SIGKILL)
    return _compiled_step(X)
"""


def _run(project, notebook, out_name, env):
    nb_dir = project / "notebooks"
    return subprocess.run([sys.executable, "-c", RUNNER, str(nb_dir / notebook), str(nb_dir),
                           str(project / out_name)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stdout(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs if o.output_type == "stream")


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume(tmp_path):
    project = tmp_path / "project"
    env = dict(os.environ, MNIST_NPZ=real_mnist_path(), GAN_EPOCHS="5", GAN_PROJECT_ROOT=str(project))
    (project / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "01_gan.ipynb", project / "notebooks")
    nb = nbformat.read(project / "notebooks" / "01_gan.ipynb", as_version=4)
    training_cell = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "training.train(run" in c.source)
    nb.cells.insert(training_cell, nbformat.v4.new_code_cell(KILL_CELL))
    nbformat.write(nb, project / "notebooks" / "killed.ipynb")
    # The second run: the unchanged notebook through its training cell (what is checked below; the later
    # cells train other, brief runs and are run by nbval).
    nb.cells = nb.cells[:training_cell] + nb.cells[training_cell + 1:training_cell + 2]
    nbformat.write(nb, project / "notebooks" / "resumed.ipynb")
    ckpt_dir = project / "checkpoints" / "gan"

    first = _run(project, "killed.ipynb", "first.ipynb", env)
    assert first.returncode != 0, "the kernel died, so the first run failed"
    killed_at = _completed_epochs(ckpt_dir)
    assert killed_at == 2, f"killed after {killed_at} saved epochs, expected 2 (part-way into the third)"

    # What the kill left behind loads.
    generator, settings = checkpoints.load_generator(ckpt_dir)
    assert settings.kind == "gan"

    second = _run(project, "resumed.ipynb", "second.ipynb", env)
    assert second.returncode == 0, "the resumed run failed"
    text = _stdout(project / "second.ipynb")
    m = re.search(r"resuming after epoch (\d{4}) \((\d+) of 5 epochs done\)", text)
    assert m, "the second run resumed from the checkpoint"
    resumed_from = int(m.group(2))
    assert resumed_from == killed_at == 2, "no completed epoch was lost"
    epochs_shown = [int(e) for e in re.findall(r"^Epoch (\d{4})", text, re.M)]
    assert epochs_shown == [2, 4], "it continues with the next epoch (shown) and stops at total_epoch (shown)"
    logged = re.findall(r"^Epoch (\d{4})", (ckpt_dir / "training.log").read_text(), re.M)
    assert [int(e) for e in logged] == list(range(5)), "every epoch of both runs is in the full log"
    assert _completed_epochs(ckpt_dir) == 5
    history = json.loads((ckpt_dir / "history.json").read_text())
    assert len(history["D loss"]) == len(history["G loss"]) == 5, "the loss history is the whole run"
    checkpoints.load_generator(ckpt_dir)
    own = ckpt_dir / "samples"     # a 5-epoch run is not the run of record: its pictures are beside its checkpoints
    samples = sorted(p.name for p in own.glob("*.png"))
    assert samples == ["000.png"], "the sample grid of epoch 0 survived the restart"
    assert not (project / "samples").exists(), "nothing written where the run of record's pictures are"
    with Image.open(own / "training.gif") as gif:
        assert gif.n_frames == 3, "the resumed run's animation shows epochs 0, 2 and 4 of both runs"

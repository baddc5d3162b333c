"""kill -9 in the middle of training costs at most the epoch that was running.

Notebook 1 runs in a subprocess (nbclient) on a copy of the project; when its second
checkpoint appears, the whole process group (client and kernel) gets SIGKILL part-way
into the next epoch. A second run of the same notebook must resume from the last
completed epoch, finish at total_epoch, and leave a checkpoint that loads.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

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


def _run(project, out_name, env):
    nb_dir = project / "notebooks"
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(nb_dir / "01_gan.ipynb"), str(nb_dir),
                             str(project / out_name)], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stdout(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs if o.output_type == "stream")


def test_sigkill_mid_epoch_then_resume(tmp_path):
    env = dict(os.environ, MNIST_NPZ=real_mnist_path(), GAN_EPOCHS="5")
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "01_gan.ipynb", project / "notebooks")
    ckpt_dir = project / "checkpoints" / "gan"

    first = _run(project, "first.ipynb", env)
    try:
        deadline = time.monotonic() + 600
        while _completed_epochs(ckpt_dir) < 2:
            assert first.poll() is None, "the first run ended before it could be killed"
            assert time.monotonic() < deadline, "no second checkpoint within 10 minutes"
            time.sleep(0.05)
        time.sleep(0.4)  # part-way into the third epoch (an epoch takes about a second here)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    killed_at = _completed_epochs(ckpt_dir)
    assert 2 <= killed_at < 5, f"killed after {killed_at} epochs: not mid-training"

    # What the kill left behind loads.
    generator, settings = checkpoints.load_generator(ckpt_dir)
    assert settings["kind"] == "gan"

    second = _run(project, "second.ipynb", env)
    assert second.wait(timeout=900) == 0, "the resumed run failed"
    text = _stdout(project / "second.ipynb")
    m = re.search(r"resuming after epoch (\d{4}) \((\d+) of 5 epochs done\)", text)
    assert m, "the second run resumed from the checkpoint"
    resumed_from = int(m.group(2))
    assert resumed_from >= killed_at, "no completed epoch was lost"
    assert resumed_from >= 2
    epochs_run = [int(e) for e in re.findall(r"^Epoch (\d{4})", text, re.M)]
    assert epochs_run == list(range(resumed_from, 5)), "it continues with the next epoch and stops at total_epoch"
    assert _completed_epochs(ckpt_dir) == 5
    history = json.loads((ckpt_dir / "history.json").read_text())
    assert len(history["D loss"]) == len(history["G loss"]) == 5, "the loss history is the whole run"
    checkpoints.load_generator(ckpt_dir)
    samples = sorted(p.name for p in (project / "samples" / "gan").glob("*.png"))
    assert samples == ["000.png"], "the sample grid of epoch 0 survived the restart"

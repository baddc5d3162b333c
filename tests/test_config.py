"""GAN_EPOCHS and GAN_SEED: checked, and a bad value stops a notebook with one line naming the variable."""

import shutil

import nbformat
import pytest

from conftest import ROOT, real_mnist_path
from gan_helpers import config


@pytest.mark.parametrize("text", ["abc", "0", "-3", "1.5", "5 epochs"])
def test_bad_gan_epochs_is_one_line_naming_the_variable_and_the_fix(monkeypatch, text):
    monkeypatch.setenv("GAN_EPOCHS", text)
    with pytest.raises(config.EnvVarError) as info:
        config.total_epoch()
    message = str(info.value)
    assert message.startswith("GAN_EPOCHS=") and "\n" not in message
    assert "set e.g. GAN_EPOCHS=5, or unset it for the default 100" in message


@pytest.mark.parametrize("text", ["-1", "2147483648", "seven"])
def test_bad_gan_seed_is_refused(monkeypatch, text):
    monkeypatch.setenv("GAN_SEED", text)
    with pytest.raises(config.EnvVarError, match=r"^GAN_SEED=.*set e\.g\. GAN_SEED=7, or unset it for the default 42$"):
        config.seed()


@pytest.mark.parametrize("text,epochs", [(None, 100), ("", 100), (" 7 ", 7), ("1", 1)])
def test_good_values_and_the_defaults(monkeypatch, text, epochs):
    if text is None:
        monkeypatch.delenv("GAN_EPOCHS", raising=False)
    else:
        monkeypatch.setenv("GAN_EPOCHS", text)
    assert config.total_epoch() == epochs
    monkeypatch.setenv("GAN_SEED", "0")
    assert config.seed() == 0


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["01_gan.ipynb", "02_conditional_gan.ipynb", "03_going_further.ipynb"])
def test_a_notebook_with_a_bad_gan_epochs_stops_with_one_line(notebook, tmp_path, monkeypatch):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("MNIST_NPZ", real_mnist_path())
    monkeypatch.setenv("GAN_EPOCHS", "abc")
    monkeypatch.setenv("GAN_PROJECT_ROOT", str(tmp_path))
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / notebook, tmp_path / "notebooks" / notebook)
    nb = nbformat.read(tmp_path / "notebooks" / notebook, as_version=4)
    stop = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "config.total_epoch()" in c.source)
    nb.cells = nb.cells[:stop + 1]   # everything up to the cell that reads GAN_EPOCHS
    with pytest.raises(CellExecutionError):
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path / "notebooks")}}).execute()
    errors = [o for o in nb.cells[stop].outputs if o.output_type == "error"]
    assert len(errors) == 1
    shown = errors[0].traceback
    assert len(shown) == 1, f"one line, no stack of frames: {shown}"
    assert "GAN_EPOCHS='abc' is not a whole number; set e.g. GAN_EPOCHS=5" in shown[0]


@pytest.mark.parametrize("text", ["abc", "5", "-3", "1e3"])
def test_bad_gan2d_steps_is_one_line_naming_the_variable_and_the_fix(monkeypatch, text):
    monkeypatch.setenv("GAN2D_STEPS", text)
    with pytest.raises(config.EnvVarError) as info:
        config.steps_2d(3000)
    message = str(info.value)
    assert message.startswith("GAN2D_STEPS=") and "\n" not in message
    assert "set e.g. GAN2D_STEPS=500, or unset it for the default 3000" in message


def test_gan2d_steps_default_and_override(monkeypatch):
    monkeypatch.delenv("GAN2D_STEPS", raising=False)
    assert config.steps_2d(3000) == 3000
    monkeypatch.setenv("GAN2D_STEPS", " 200 ")
    assert config.steps_2d(3000) == 200


@pytest.mark.slow
def test_notebook_00_with_a_bad_gan2d_steps_stops_with_one_line(tmp_path, monkeypatch):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("GAN2D_STEPS", "many")
    monkeypatch.setenv("GAN_PROJECT_ROOT", str(tmp_path))
    (tmp_path / "notebooks").mkdir()
    name = "00_gan_in_2d.ipynb"
    shutil.copy(ROOT / "notebooks" / name, tmp_path / "notebooks" / name)
    nb = nbformat.read(tmp_path / "notebooks" / name, as_version=4)
    stop = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "config.steps_2d(" in c.source)
    nb.cells = nb.cells[:stop + 1]
    with pytest.raises(CellExecutionError):
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path / "notebooks")}}).execute()
    errors = [o for o in nb.cells[stop].outputs if o.output_type == "error"]
    assert len(errors) == 1 and len(errors[0].traceback) == 1, errors
    assert "GAN2D_STEPS='many' is not a whole number; set e.g. GAN2D_STEPS=500" in errors[0].traceback[0]

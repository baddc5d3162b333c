"""gan_helpers.lab2d.widget (notebook 00's widget), headless: ipywidgets runs without a kernel (its messages go nowhere).

No test asserts how fast training runs: waits poll with a generous deadline.
"""

import base64
import io
import time

import numpy as np
import pytest
from PIL import Image

from gan_helpers.lab2d import gan2d, view2d, widget

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEADLINE = 60.0     # seconds: a loaded 2-core machine, never a speed claim


def wait_until(condition, what, timeout=DEADLINE):
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.05)


@pytest.fixture
def make_lab():
    """``make_lab(**kwargs)`` -> a Lab; every lab made is closed after the test, whatever happened."""
    labs = []

    def make(**kwargs):
        kwargs.setdefault("seed", 1)
        lab = widget.Lab(**kwargs)
        labs.append(lab)
        return lab

    yield make
    for lab in labs:
        lab.close()


def test_the_first_picture_is_a_png_of_the_untrained_model(make_lab):
    lab = make_lab()
    assert bytes(lab.image.value).startswith(PNG_SIGNATURE)
    picture = Image.open(io.BytesIO(bytes(lab.image.value)))
    assert picture.size == (360 + 8 + 300, 360)
    assert lab.model.step == 0 and not lab.playing and lab._thread is None
    assert lab.model.data == "ring" and lab.model.loss == "non-saturating"
    assert "step 0" in lab.status.value
    assert lab.last_snapshot["coverage"]["of"] == 8


def test_play_trains_in_the_background_and_pause_stops_it(make_lab):
    lab = make_lab()
    first = lab.image.value
    lab.play()
    assert lab.playing and lab.play_button.description == "pause"
    wait_until(lambda: lab.model.step >= 50, "50 steps")
    wait_until(lambda: lab.image.value != first, "a new picture")
    assert lab._thread.is_alive()
    lab.pause()
    assert not lab.playing and lab.play_button.value is False and lab.play_button.description == "play"
    step = lab.model.step
    time.sleep(0.5)
    assert lab.model.step == step, "pause returned but training went on"
    assert step % lab.speed.value == 0            # whole frames only
    assert lab.model.history["step"][-1] == step
    # paused, the thread waits on an event: (nearly) no CPU for the whole process. Measured: ~1e-4 s.
    start = time.process_time()
    time.sleep(1.0)
    assert time.process_time() - start < 0.1
    lab.play()                                    # and it resumes
    wait_until(lambda: lab.model.step > step, "training to resume")


def test_one_step_while_paused_advances_exactly_one_step(make_lab):
    lab = make_lab()
    before = lab.image.value
    lab.one_step()
    assert lab.model.step == 1 and lab.model.history["step"] == [1]
    assert lab.image.value != before
    lab.step_button.click()                       # the button does the same
    assert lab.model.step == 2
    assert [c["step"] for c in lab.coverage_history] == [0, 1, 2]
    assert "step 2" in lab.status.value


def test_switching_to_minimax_while_playing_uses_the_minimax_step(make_lab):
    lab = make_lab()
    minimax = lab.model._steps["minimax"]
    lab.play()
    wait_until(lambda: lab.model.step >= 20, "20 steps")
    assert minimax.experimental_get_tracing_count() == 0
    lab.loss.value = "minimax"
    assert lab.model.loss == "minimax"
    switched = lab.model.step
    wait_until(lambda: minimax.experimental_get_tracing_count() > 0, "the minimax step to be traced")
    wait_until(lambda: lab.model.step >= switched + 50, "50 more steps")
    lab.pause()
    assert lab.model.history["g_loss"][-1] < 0    # log(1 - D(G(z))) is negative
    assert lab.last_snapshot["loss"] == "minimax"


def test_the_d_steps_and_rate_controls_reach_the_model(make_lab):
    lab = make_lab(d_steps=2)
    assert lab.model.d_steps == 2
    lab.d_steps.value = 5
    assert lab.model.d_steps == 5
    lab.d_lr.value = 1e-4
    lab.g_lr.value = 1e-2
    assert lab.model.learning_rates == pytest.approx((1e-4, 1e-2))
    lab.one_step()
    assert int(lab.model.d_optimizer.iterations.numpy()) == 5
    assert "5 D step(s)" in lab.status.value


def test_changing_the_data_set_resets_and_stops(make_lab):
    lab = make_lab()
    lab.play()
    wait_until(lambda: lab.model.step >= 10, "10 steps")
    lab.data.value = "grid"
    assert lab.model.data == "grid" and lab.model.step == 0
    assert not lab.playing and lab.play_button.value is False
    assert lab.model.history["step"] == []
    assert lab.last_snapshot["coverage"]["of"] == 25
    np.testing.assert_array_equal(lab.real, view2d.real_points("grid"))
    time.sleep(0.5)
    assert lab.model.step == 0, "the new model trained while paused"


def test_reset_gives_back_the_same_untrained_model(make_lab):
    lab = make_lab()
    untrained = lab.model.generated(100)
    first_picture = lab.image.value
    for _ in range(3):
        lab.one_step()
    assert not np.array_equal(lab.model.generated(100), untrained)
    lab.reset_button.click()
    assert lab.model.step == 0
    np.testing.assert_array_equal(lab.model.generated(100), untrained)   # same seed
    assert lab.image.value == first_picture


def test_the_moons_have_no_mode_count(make_lab):
    lab = make_lab(data="moons")
    lab.one_step()
    assert lab.last_snapshot["coverage"] is None and lab.coverage_history == []
    assert bytes(lab.image.value).startswith(PNG_SIGNATURE)


def test_the_saved_output_is_the_current_picture(make_lab):
    lab = make_lab()
    lab.one_step()
    bundle = lab._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == lab.image.value
    lab.one_step()
    assert base64.b64decode(lab._repr_mimebundle_()["image/png"]) == lab.image.value


def test_close_stops_the_training_thread(make_lab):
    lab = make_lab()
    lab.play()
    wait_until(lambda: lab.model.step > 0, "the first frame")
    thread = lab._thread
    lab.close()
    assert not thread.is_alive()
    make_lab().close()                            # never played: no thread to stop

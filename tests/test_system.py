"""gan_helpers.timing: the machine a figure was measured on, and a notebook's run time."""

import types

from gan_helpers import timing


def test_format_duration():
    assert timing.format_duration(84.2) == "1 min 24 s"
    assert timing.format_duration(59.6) == "1 min 00 s"
    assert timing.format_duration(7.2) == "7 s"
    assert timing.format_duration(None) == "n/a"


def test_clock_scales_only_the_training_time_to_the_full_set(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(timing.time, "perf_counter", lambda: now[0])
    clock = timing.NotebookClock()
    now[0] += 100.0                                   # 100 s in all, 60 s of it training
    runs = [types.SimpleNamespace(seconds=40.0, steps=1410), types.SimpleNamespace(seconds=20.0, steps=705)]
    text = clock.summary(runs, n_images=15_000)
    first, second = text.splitlines()
    assert "1 min 40 s" in first and "training 1 min 00 s" in first and "2,115 steps on 15,000 images" in first
    assert timing.describe() in first
    assert "about 4 min 40 s" in second and "x 4.00" in second     # 40 s + 60 s x 4


def test_clock_says_when_nothing_was_trained(monkeypatch):
    clock = timing.NotebookClock()
    text = clock.summary([types.SimpleNamespace(seconds=0.0, steps=0)], n_images=14_106)
    assert "not a run time" in text and "about" not in text

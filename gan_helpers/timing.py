"""What machine a measurement was made on: speed figures are only comparable on the same CPU."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe() -> str:
    """E.g. ``2 CPU(s), AMD EPYC 7B13``."""
    return f"{os.cpu_count()} CPU(s), {cpu_model()}"


def format_duration(seconds) -> str:
    """``84.2`` -> ``1 min 24 s``; ``7.2`` -> ``7 s``; ``None`` -> ``n/a``."""
    if seconds is None:
        return "n/a"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


FULL_MNIST = 60_000   # training images in keras.datasets.mnist


class NotebookClock:
    """How long a notebook took, and what the same notebook would take with the full training set.

    Start it in the setup cell; at the end, :meth:`summary` gets the histories of every training the
    notebook ran. Training time grows with the number of steps, i.e. with the training images; the
    rest (evaluation, plots) does not. The full-set figure is that estimate, not a measurement.
    """

    def __init__(self):
        self.start = time.perf_counter()

    def summary(self, histories, n_images, full_images=FULL_MNIST) -> str:
        """``n_images=None``: the notebook trains on no MNIST (notebook 00), so there is no full-set estimate."""
        total = time.perf_counter() - self.start
        if n_images is None:
            return f"this run: {format_duration(total)} on {describe()} (no MNIST here, so no full-set estimate)"
        trained = sum(h.seconds for h in histories)
        steps = sum(h.steps for h in histories)
        scale = full_images / n_images
        lines = [f"this run: {format_duration(total)} on {describe()}, "
                 f"of which training {format_duration(trained)} ({steps:,} steps on {n_images:,} images)"]
        if steps and n_images < full_images:
            estimate = total - trained + trained * scale
            lines.append(f"with all {full_images:,} training images: about {format_duration(estimate)} "
                         f"(estimate: training time x {scale:.2f}, the rest unchanged)")
        elif not steps:
            lines.append("nothing was trained in this run (checkpoints were loaded), so this is not a run time")
        return "\n".join(lines)

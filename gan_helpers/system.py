"""What machine a measurement was made on: speed figures are only comparable on the same CPU."""

from __future__ import annotations

import os
import platform
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

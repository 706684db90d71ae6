"""Benchmarks measure rtcfg as installed: with its modules' bytecode compiled.

Installing a wheel compiles ``.pyc`` files, and an editable install writes them on the first
run, unless ``PYTHONDONTWRITEBYTECODE`` is set (as on some CI machines); then every run of
rtcfg compiles its modules from source again (about 80 ms of each start-up here), and start-up
figures would measure the compiler. ``compile_rtcfg()`` writes them once, before timing.
"""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_rtcfg() -> None:
    """Write the bytecode of every rtcfg module (a no-op when it is up to date)."""
    compileall.compile_dir(ROOT / "rtcfg", quiet=1)

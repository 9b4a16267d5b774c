"""The hub is kept ruff- and mypy-clean (the guide's rule): CI holds it to that."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)


def test_ruff_finds_nothing_in_the_hub() -> None:
    done = run("ruff", "check", "hub")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing_in_the_hub() -> None:
    done = run("mypy", "hub")
    assert done.returncode == 0, done.stdout + done.stderr

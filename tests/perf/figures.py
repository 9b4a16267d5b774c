"""What every benchmark prints its timings with, and how the Qt ones wait."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def line(name: str, values_ms: list[float], *, width: int = 40,
         quantiles: Sequence[int] = (50, 95, 99), show_max: bool = True) -> str:
    """One printed figure: ``name  p50 … ms  p95 … ms  p99 … ms  max … ms  (n=…)``."""
    parts = [f"p{q} {pct(values_ms, q):7.2f} ms" for q in quantiles]
    if show_max:
        parts.append(f"max {max(values_ms):7.2f} ms")
    return f"{name:{width}} {'   '.join(parts)}   (n={len(values_ms)})"


def spin(app: Any, done: Callable[[], bool], what: str, timeout: float, bench: str) -> None:
    """Run the Qt event loop until ``done()``; a benchmark that gets stuck says where."""
    from PySide6.QtCore import QEventLoop

    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"{bench}: no {what} within {timeout:g} s")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 1)

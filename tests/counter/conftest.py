"""Fixtures for the counter's devices: a real serial line through socat."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.serial_pair import socat_pair


@pytest.fixture
def pty_pair() -> Iterator[tuple[str, str]]:
    """Two joined pseudo-terminals ``(a, b)``: what is written to one is read from the other."""
    with socat_pair() as paths:
        yield paths

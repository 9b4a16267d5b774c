"""Fixtures shared by the display's tests: a fake clock, and a hall engine feeding them."""

from __future__ import annotations

import pytest

from tests.display.test_model import Hall
from tests.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hall(clock: FakeClock) -> Hall:
    return Hall(clock)

"""What the kiosk's app tests share: a real hub of the county hall, one for each test module,
and a kiosk app opened on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from kiosk.ui.app import Kiosk
from tests.hubproc import HubProcess


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    proc = HubProcess(tmp_path_factory.mktemp("kiosk-hall") / "hub").enroll_standard().start()
    try:
        yield proc
    finally:
        proc.stop()


@contextmanager
def opened(app: Kiosk, size: tuple[int, int]) -> Iterator[Kiosk]:
    """``app`` shown at ``size`` with its bus started; closed afterwards."""
    app.window.resize(*size)
    app.window.show()
    app.start()
    try:
        yield app
    finally:
        app.close()

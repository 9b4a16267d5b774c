"""What the kiosk's app tests share: a real hub of the county hall, one for each test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hubproc import HubProcess


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    proc = HubProcess(tmp_path_factory.mktemp("kiosk-hall") / "hub").enroll_standard().start()
    try:
        yield proc
    finally:
        proc.stop()

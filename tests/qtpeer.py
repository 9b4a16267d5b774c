"""A device on the bus for the Qt tests: ask the hub something and wait for the answer."""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot

from hub.client import DeviceSettings
from hub.qtbus import QtBus
from tests.hubproc import HubProcess

WAIT = 10_000  # ms: bounded waits for the real hub to answer


class QtPeer:
    """Another device on the bus (a counter, a kiosk, the desk), driven from the test."""

    def __init__(self, qtbot: QtBot, hub: HubProcess, device: str) -> None:
        self.qtbot = qtbot
        self.bus = QtBus(DeviceSettings(hub.url, device, hub.tokens[device]))
        self.bus.start()

    def ask(self, op: str, **params: Any) -> dict[str, Any]:
        """The result of ``op``; the test fails if the hub refuses it."""
        box: dict[str, Any] = {}
        self.bus.request(op, params, on_done=lambda ok, payload: box.update(ok=ok, payload=payload))
        self.qtbot.waitUntil(lambda: "ok" in box, timeout=WAIT)
        assert box["ok"], f"{op} {params}: {box['payload']}"
        result: dict[str, Any] = box["payload"]
        return result

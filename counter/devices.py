"""The window's devices wired to the bus: the LED sign follows the hub, the keypad drives the clerk.

- :class:`SignFollower` keeps the window's sign right from the bus alone (the snapshot after every
  (re)connect, ``window_changed`` and ``ticket_called`` of its window), never from the clerk's
  buttons, so the sign stays right when the client restarts or another device acts on the window.
  A paused window's sign says "paused" until the window resumes, also through a recall of the
  ticket still called there (the counter refuses one; another device, the admin's, may not).
- :class:`KeypadBridge` starts a keypad and hands its actions to the GUI thread as a Qt signal
  (a serial keypad calls back on its own thread); the app connects it to
  :meth:`counter.model.ClerkModel.press`, the same commands as the buttons.
- :class:`DeviceWatch` tells the hub (``device_status``) when the sign or keypad comes or goes, so
  the guidance desk sees an unplugged sign.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal

from counter.keypad import Keypad, KeypadAction
from counter.model import Requester
from counter.sign import SignKind, WindowSign, follow_window

logger = logging.getLogger(__name__)


class SignFollower:
    """Drives one window's sign from the bus's snapshots and events (no Qt, no clerk)."""

    def __init__(self, sign: WindowSign, window: int | None = None) -> None:
        self.sign = sign
        self.window = window
        self.shown: SignKind | None = None
        self.paused = False  # the window's last known state was "paused"
        self._lock = threading.Lock()

    def set_window(self, window: int | None) -> None:
        self.window = window

    def on_snapshot(self, seq: int, snapshot: Mapping[str, Any]) -> None:
        for state in snapshot.get("windows", []):
            if state.get("number") == self.window:
                self._follow(state)

    def on_event(self, frame: Mapping[str, Any]) -> None:
        if self.window is None:
            return
        name = frame.get("event")
        data = frame.get("data") or {}
        if name == "window_changed":
            state = data.get("window") or {}
            if state.get("number") == self.window:
                self._follow(state)
        elif name == "ticket_called" and data.get("window") == self.window:
            number = (data.get("ticket") or {}).get("number")
            if self.paused:
                logger.info("window %s is paused: its sign keeps saying so through the call of "
                            "%s", self.window, number)
                return
            if isinstance(number, str) and number:
                with self._lock:
                    self.sign.show_call(number, self.window)
                    self.shown = SignKind.CALL

    def _follow(self, state: Mapping[str, Any]) -> None:
        assert self.window is not None
        with self._lock:
            self.paused = state.get("state") == "paused"
            self.shown = follow_window(self.sign, state, self.window)


class SignThread:
    """A :class:`SignFollower` fed on its own thread, so a slow serial sign never holds the GUI."""

    def __init__(self, follower: SignFollower) -> None:
        self.follower = follower
        self._queue: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="window-sign", daemon=True)
        self._thread.start()

    def on_snapshot(self, seq: int, snapshot: Mapping[str, Any], window: int | None) -> None:
        self._queue.put(("snapshot", (seq, snapshot, window)))

    def on_event(self, frame: Mapping[str, Any]) -> None:
        self._queue.put(("event", frame))

    def close(self, timeout: float = 5.0) -> None:
        """Finish what is queued, then close the sign."""
        self._queue.put(None)
        self._thread.join(timeout)
        self.follower.sign.close()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            kind, payload = item
            try:
                if kind == "snapshot":
                    seq, snapshot, window = payload
                    self.follower.set_window(window)
                    self.follower.on_snapshot(seq, snapshot)
                else:
                    self.follower.on_event(payload)
            except Exception:  # the sign's loop boundary: log, keep following
                logger.exception("window sign could not follow %s", kind)


class KeypadBridge(QObject):
    """A started keypad whose actions arrive as :attr:`pressed` in the thread owning the bridge."""

    pressed = Signal(object)  # KeypadAction

    def __init__(self, keypad: Keypad, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.keypad = keypad

    def start(self) -> None:
        self.keypad.start(self._received)

    def _received(self, action: KeypadAction) -> None:
        self.pressed.emit(action)

    def close(self) -> None:
        self.keypad.close()


class DeviceWatch:
    """Reports each device's availability to the hub when it changes (``device_status``)."""

    def __init__(self, bus: Requester) -> None:
        self._bus = bus
        self._devices: dict[str, WindowSign | Keypad] = {}
        self._reported: dict[str, str] = {}

    def add(self, name: str, device: WindowSign | Keypad) -> None:
        self._devices[name] = device

    def status(self) -> dict[str, str]:
        return {
            name: "ok" if device.is_available() else "offline"
            for name, device in self._devices.items()
        }

    def check(self, *, force: bool = False) -> dict[str, str]:
        """Send the statuses that changed (all of them with ``force``); returns what was sent."""
        now = self.status()
        changed = {k: v for k, v in now.items() if force or self._reported.get(k) != v}
        if changed:
            logger.info("devices: %s", changed)
            self._bus.request("device_status", {"status": changed}, on_done=self._sent)
            self._reported.update(changed)
        return changed

    def _sent(self, ok: bool, payload: dict[str, Any]) -> None:
        if not ok:
            logger.warning("device status not taken by the hub: %s", payload)
            self._reported.clear()

"""The bus client for Qt apps: the same ``BusClient``, run on its own asyncio thread, with its
snapshots, events, status and replies delivered as Qt signals in the GUI thread.

    bus = QtBus(settings)
    bus.snapshot.connect(model.on_snapshot)      # (seq: int, snapshot: dict)
    bus.bus_event.connect(model.on_event)        # (event: dict)
    bus.status.connect(model.on_status)          # (connected: bool, detail: str)
    bus.start()
    bus.request("call_next", {"window": 3}, on_done=lambda ok, payload: ...)
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

from hub.client import BusClient, BusError, DeviceSettings, new_request_id
from hub.clock import HubTime

logger = logging.getLogger(__name__)

# called in the GUI thread with (True, result) or (False, {"code": ..., "message": ...})
ReplyHandler = Callable[[bool, dict[str, Any]], None]


class QtBus(QObject):
    snapshot = Signal(int, object)
    bus_event = Signal(object)  # (QObject.event is taken)
    status = Signal(bool, str)
    _replied = Signal(object, bool, object)

    def __init__(self, settings: DeviceSettings, parent: QObject | None = None, *,
                 hub_time: HubTime | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: BusClient | None = None
        self._started = threading.Event()
        self._told: str | None = None  # the last reason logged for being cut off
        self._stopping = False  # stop(): the end of the connection is this app's own doing
        # this machine's clock set by the hub's, for the app's models (times shown, waits)
        self.hub_time = hub_time or HubTime()
        self._replied.connect(self._deliver)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="hall-bus", daemon=True)
        self._thread.start()
        self._started.wait(5)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._client = self.settings.client(
            on_snapshot=self._snapshot,
            on_event=self._event,
            on_status=self._status,
        )
        runner = loop.create_task(self._client.run())
        self._started.set()
        try:
            loop.run_until_complete(runner)
        except asyncio.CancelledError:
            pass
        finally:
            # run() returns as soon as the connection drops: close() (awaited by stop()) and
            # the requests it cancelled must still finish, and their results reach the threads
            # waiting for them (callbacks the loop has not run yet)
            pending = asyncio.all_tasks(loop)
            loop.run_until_complete(asyncio.wait(pending, timeout=5) if pending
                                    else asyncio.sleep(0))
            loop.close()

    def _snapshot(self, seq: int, snapshot: dict[str, Any]) -> None:
        self.hub_time.heard(snapshot.get("now"))
        self.snapshot.emit(seq, snapshot)

    def _event(self, frame: dict[str, Any]) -> None:
        self.hub_time.heard(frame.get("at"))
        self.bus_event.emit(frame)

    def _status(self, connected: bool, detail: str) -> None:
        """Pass the bus's state on; say in the log why the hub cannot be reached, once for each
        reason (a wrong token or an unreachable hub was silent in the journal of a screen)."""
        if connected:
            self._told = None
        elif detail != self._told and not self._stopping:
            self._told = detail
            logger.warning("no connection to the hub at %s: %s (trying again)",
                           self.settings.hub, detail)
        self.status.emit(connected, detail)

    @property
    def client(self) -> BusClient | None:
        return self._client

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    def request(self, op: str, params: dict[str, Any] | None = None, *,
                on_done: ReplyHandler | None = None, req_id: str | None = None,
                timeout: float | None = 10.0) -> str:
        """Send ``op`` from the GUI thread; ``on_done`` runs in the GUI thread. Returns the id
        (give it again as ``req_id`` to retry the very same request)."""
        req_id = req_id or new_request_id()
        loop, client = self._loop, self._client
        unavailable = {"code": "unavailable", "message": "the bus is not started"}
        if loop is None or client is None or loop.is_closed():  # not started, or stopped
            if on_done is not None:
                on_done(False, unavailable)
            return req_id
        coroutine = client.request(op, req_id=req_id, timeout=timeout, **(params or {}))
        try:
            future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        except RuntimeError:  # the loop closed meanwhile: the app is stopping
            coroutine.close()
            if on_done is not None:
                on_done(False, unavailable)
            return req_id

        def finished(done: Future[dict[str, Any]]) -> None:
            try:
                result = done.result()
            except BusError as err:
                self._replied.emit(on_done, False, {"code": err.code, "message": err.message})
            except Exception as err:  # cancelled on stop, or a bug: tell the caller in words
                self._replied.emit(on_done, False, {"code": "internal", "message": str(err)})
            else:
                self._replied.emit(on_done, True, result)

        future.add_done_callback(finished)
        return req_id

    def forget(self, req_id: str) -> None:
        """Stop resending a request (the person it was for has gone): if the hub has not
        received it yet, it never will."""
        loop, client = self._loop, self._client
        if loop is not None and client is not None and not loop.is_closed():
            loop.call_soon_threadsafe(client.forget, req_id)

    @Slot(object, bool, object)
    def _deliver(self, handler: ReplyHandler | None, ok: bool, payload: dict[str, Any]) -> None:
        if handler is not None:
            handler(ok, payload)

    def stop(self) -> None:
        loop, client = self._loop, self._client
        if loop is None or client is None or self._thread is None:
            return
        self._stopping = True
        try:
            asyncio.run_coroutine_threadsafe(client.close(), loop).result(5)
        except Exception:
            logger.exception("bus did not close cleanly")
        self._thread.join(5)
        self._thread = None


def quit_on_signals(app: QCoreApplication, before: Callable[[], None] | None = None) -> QTimer:
    """SIGTERM (systemd) and SIGINT (Ctrl-C) end ``app``'s event loop cleanly, ``before`` run
    first. The quit is posted to the loop, not called: a signal that comes while the app is
    still starting (before ``exec``) would otherwise be lost, as ``quit`` does nothing then,
    and the app would run on. Returns the timer that wakes Python every 250 ms to see the
    signals while Qt runs (keep it)."""

    def stop(*_: object) -> None:
        if before is not None:
            before()
        QTimer.singleShot(0, app.quit)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    return wake

"""The bus client every app uses (kiosk, counter, display, desk): written once, here.

It connects and says hello, reconnects with backoff, resyncs after a reconnect, on a ``seq`` gap
and at the start of a day, and retries a request with the same id until the hub answers (so a
kiosk that retries after a reconnect gets the same ticket, not two). Events and snapshots go to
plain callbacks; ``hub.qtbus`` turns them into Qt signals. A resync's snapshot is applied the
moment its reply is read, so the events right behind it are kept, not taken for a gap.

    client = BusClient(url, device, token, on_snapshot=..., on_event=..., on_status=...)
    task = asyncio.create_task(client.run())
    ticket = (await client.request("issue", service="social"))["ticket"]
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import ssl
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidMessage, InvalidURI

from hub.errors import HubError, plain_reason
from hub.protocol import PROTOCOL_VERSION, Code, encode
from hub.settings_file import read_toml

logger = logging.getLogger(__name__)

SnapshotHandler = Callable[[int, dict[str, Any]], None]
EventHandler = Callable[[dict[str, Any]], None]
StatusHandler = Callable[[bool, str], None]


class BusError(HubError):
    """The hub refused a request; ``code`` is the protocol's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class BusUnavailable(BusError):
    """No answer from the hub in time (unreachable, or too slow)."""

    def __init__(self, message: str) -> None:
        super().__init__("unavailable", message)


@dataclass(frozen=True)
class DeviceSettings:
    """Where the hub is and who this device is (``--hub --device --token`` or a device file), and
    for a ``wss://`` hub with a certificate of the hall's own, the file that certificate is in
    (``--ca-file``; otherwise the system's trusted certificates)."""

    hub: str
    device: str
    token: str
    ca_file: str | None = None
    #: the roles the app can work as (none: any); enrolled as another, the hub's welcome is
    #: refused for good, saying so (a counter run with a kiosk's token)
    roles: tuple[str, ...] = ()

    @classmethod
    def from_file(cls, path: str | Path, given: Mapping[str, str | None] | None = None,
                  ) -> DeviceSettings:
        """Read a per-device TOML file: ``hub = "ws://..."``, ``device = "..."``, ``token = "..."``
        and, optionally, ``ca_file = "/etc/hall/hub.pem"``; what is ``given`` (the command
        line's) is taken instead, and need not be in the file."""
        given = {key: value for key, value in (given or {}).items() if value}
        data = read_toml(path, "device file")
        missing = [key for key in ("hub", "device", "token") if key not in data and key not in given]
        if missing:  # other keys are let be, but named here: a misspelt "tokn", say
            unknown = sorted(set(data) - {"hub", "device", "token", "ca_file"})
            raise HubError(f"the device file {path} lacks {', '.join(missing)}" + (
                f" (it has {', '.join(unknown)}, which "
                f"{'is' if len(unknown) == 1 else 'are'} not read)" if unknown else ""))
        unquoted = [key for key in ("hub", "device", "token")
                    if key in data and not isinstance(data[key], str)]
        if unquoted:
            raise HubError(f"the device file {path}: {', '.join(unquoted)} must be written in "
                           f'quotes, like {unquoted[0]} = "{data[unquoted[0]]}"')
        ca_file = data.get("ca_file")
        if ca_file is not None and not isinstance(ca_file, str):
            raise HubError(f"the device file {path}: ca_file must be the path of a PEM file")
        if ca_file:  # a relative path is beside the device file, wherever the app was started
            ca_file = str(Path(path).parent / Path(ca_file).expanduser())
        merged = {**data, **given}
        return cls(merged["hub"], merged["device"], merged["token"],
                   given.get("ca_file") or ca_file)

    def tls(self) -> ssl.SSLContext | None:
        """The TLS context for the hub: None for ``ws://``; for ``wss://``, one that trusts the
        system's certificates or the ``ca_file`` alone. Raises HubError if that file is unusable."""
        if not self.hub.startswith("wss://"):
            return None
        try:
            return ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as err:
            raise HubError(f"cannot use the certificate file {self.ca_file}: "
                           f"{plain_reason(err)}") from err

    def client(self, **options: Any) -> BusClient:
        """A bus client for this device (``options`` as :class:`BusClient` takes them)."""
        return BusClient(self.hub, self.device, self.token, ssl_context=self.tls(),
                         roles=self.roles, **options)


def new_request_id() -> str:
    return uuid.uuid4().hex


class BusClient:
    def __init__(self, url: str, device: str, token: str, *,
                 on_snapshot: SnapshotHandler | None = None,
                 on_event: EventHandler | None = None,
                 on_status: StatusHandler | None = None,
                 ssl_context: ssl.SSLContext | None = None,
                 backoff: tuple[float, float] = (0.25, 5.0),
                 open_timeout: float = 5.0, roles: tuple[str, ...] = ()) -> None:
        self.url, self.device, self.token = url, device, token
        self.roles = roles
        self.on_snapshot = on_snapshot
        self.on_event = on_event
        self.on_status = on_status
        # wss:// without a context of the caller's: the system's trusted certificates
        self.ssl_context = ssl_context or (ssl.create_default_context()
                                           if url.startswith("wss://") else None)
        self.backoff = backoff
        self.open_timeout = open_timeout
        self.role: str | None = None
        self.window: int | None = None
        self.seq = 0
        self.snapshot: dict[str, Any] = {}
        self.connected = False
        self.last_error = ""
        self._ws: ClientConnection | None = None
        self._pending: dict[str, tuple[dict[str, Any], asyncio.Future[dict[str, Any]]]] = {}
        self._syncing = False
        self._sync_id: str | None = None  # the sync request whose snapshot is awaited
        self._sync_task: asyncio.Task[None] | None = None
        self._closing = False
        self._ready = asyncio.Event()
        # set when the hub refused this device in a way retrying will not mend (a certificate
        # not trusted, a token refused): a one-shot run stops waiting then
        self._refused = asyncio.Event()

    # ------------------------------------------------------------------ public

    async def run(self) -> None:
        """Stay connected until ``close()``: reconnect with backoff, resync every time."""
        delay = self.backoff[0]
        while not self._closing:
            try:
                await self._session()
                delay = self.backoff[0]
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ConnectionClosed,
                    BusError) as err:
                self.last_error = _describe(err)
                if _lasting(err):
                    self._refused.set()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # a loop boundary: log and go on reconnecting
                logger.exception("bus session to %s failed", self.url)
                self.last_error = str(err)
            self._set_connected(False, self.last_error or "disconnected")
            if self._closing:
                break
            await asyncio.sleep(delay)
            delay = min(self.backoff[1], delay * 2)

    async def wait_ready(self, timeout: float | None = None, *, until_refused: bool = False) -> None:
        """Wait for the first snapshot. With ``until_refused``, raise BusError as soon as the hub
        refuses this device in a way retrying will not mend (``last_error`` says how)."""
        if not until_refused:
            await asyncio.wait_for(self._ready.wait(), timeout)
            return
        ready = asyncio.ensure_future(self._ready.wait())
        refused = asyncio.ensure_future(self._refused.wait())
        try:
            done, _ = await asyncio.wait((ready, refused), timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
            refused.cancel()
        if ready in done:
            return
        if refused in done:
            raise BusError("unauthorized", self.last_error)
        raise TimeoutError

    async def request(self, op: str, /, *, req_id: str | None = None,
                      timeout: float | None = 10.0, **params: Any) -> dict[str, Any]:
        """Send a request and return its result; raises BusError, or BusUnavailable on timeout.

        While the hub is unreachable the request waits and is sent again, with the same id,
        after each reconnect. Give the same ``req_id`` to retry a request after a timeout."""
        req_id = req_id or new_request_id()
        existing = self._pending.get(req_id)
        if existing is not None:
            future = existing[1]
        else:
            message = {"op": op, "id": req_id, **params}
            future = asyncio.get_running_loop().create_future()
            self._pending[req_id] = (message, future)
            if self._ws is not None and self.connected:
                await self._send(message)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            raise BusUnavailable(f"no answer from the hub to {op} within {timeout:g} s "
                                 f"({self.last_error or 'still waiting'})") from None
        finally:
            if future.done():
                self._pending.pop(req_id, None)

    def forget(self, req_id: str) -> None:
        """Stop retrying a request (e.g. the person walked away)."""
        entry = self._pending.pop(req_id, None)
        if entry and not entry[1].done():
            entry[1].cancel()

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        for _message, future in self._pending.values():
            if not future.done():
                future.cancel()
        self._pending.clear()

    # ------------------------------------------------------------------ the session

    async def _session(self) -> None:
        async with connect(self.url, ssl=self.ssl_context, open_timeout=self.open_timeout,
                           max_size=None, ping_interval=20, ping_timeout=40, compression=None,
                           proxy=None) as ws:
            hello_id = new_request_id()
            await ws.send(encode({"op": "hello", "id": hello_id, "device": self.device,
                                  "token": self.token, "protocol": PROTOCOL_VERSION}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), self.open_timeout))
            if not reply.get("ok"):
                error = reply.get("error") or {}
                raise BusError(error.get("code", "unauthorized"), error.get("message", ""))
            result = reply["result"]
            if self.roles and result.get("role") not in self.roles:
                raise BusError(Code.FORBIDDEN, wrong_role(self.device, result.get("role"),
                                                          self.roles))
            self._ws = ws
            self.role, self.window = result.get("role"), result.get("window")
            self._apply_snapshot(int(result["seq"]), result["snapshot"])
            self._set_connected(True, "connected")
            self._ready.set()
            for message, future in list(self._pending.values()):
                if not future.done():
                    await self._send(message)
            try:
                async for frame in ws:
                    if isinstance(frame, str):
                        await self._receive(frame)
            finally:
                self._ws = None

    async def _send(self, message: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None:
            return
        try:
            await ws.send(encode(message))
        except ConnectionClosed:
            logger.debug("send of %s failed: connection closed; it is resent on reconnect",
                         message.get("op"))

    async def _receive(self, frame: str) -> None:
        try:
            message = json.loads(frame)
        except json.JSONDecodeError:
            logger.warning("the hub sent a frame that is not JSON: %.80s", frame)
            return
        if "re" in message:
            entry = self._pending.get(message["re"] or "")
            if entry is None or entry[1].done():
                return
            if message.get("ok"):
                result = message.get("result") or {}
                if message["re"] == self._sync_id:
                    # apply the snapshot before the next frame: the events right behind this
                    # reply follow it, and must not be mistaken for ones the snapshot holds
                    self._sync_id = None
                    self._syncing = False
                    self._apply_snapshot(int(result["seq"]), result["snapshot"])
                entry[1].set_result(result)
            else:
                error = message.get("error") or {}
                entry[1].set_exception(BusError(error.get("code", "internal"),
                                                error.get("message", "")))
            return
        if "event" in message:
            await self._event(message)

    async def _event(self, message: dict[str, Any]) -> None:
        seq = int(message.get("seq", 0))
        if self._syncing or seq <= self.seq:
            return  # the snapshot on its way (or already here) holds it
        prev = message.get("prev")
        gap = prev > self.seq if isinstance(prev, int) else seq != self.seq + 1
        if gap:
            logger.info("event gap (have %d, got %d after %s): resyncing", self.seq, seq, prev)
            self._start_resync()
            return
        self.seq = seq
        if self.on_event is not None:
            self.on_event(message)
        if message.get("event") == "day_started":
            self._start_resync()

    def _start_resync(self) -> None:
        """Ask for a snapshot without blocking the receive loop (which must read its reply).
        The hub sends events in order, so until the reply comes every event is in it."""
        if not self._syncing:
            self._syncing = True
            self._sync_task = asyncio.get_running_loop().create_task(self.resync())

    async def resync(self) -> None:
        """Ask for a snapshot; ``_receive`` applies it the moment its reply is read."""
        self._syncing = True
        req_id = new_request_id()
        self._sync_id = req_id
        try:
            await self.request("sync", req_id=req_id, timeout=10.0)
        except BusError as err:
            logger.warning("resync failed: %s", err)
        finally:
            if self._sync_id == req_id:  # never answered: a later gap asks again
                self._sync_id = None
                self._syncing = False
                self.forget(req_id)

    def _apply_snapshot(self, seq: int, snapshot: dict[str, Any]) -> None:
        self.seq = seq
        self.snapshot = snapshot
        if self.on_snapshot is not None:
            self.on_snapshot(seq, snapshot)

    def _set_connected(self, connected: bool, detail: str) -> None:
        changed = connected != self.connected
        self.connected = connected
        if not connected:
            self._ready.clear()
        if changed:
            logger.info("bus %s: %s", "connected" if connected else "disconnected", detail)
        if self.on_status is not None and (changed or not connected):
            self.on_status(connected, detail)


def _lasting(err: BaseException) -> bool:
    """Whether connecting again would meet the same refusal: an untrusted certificate, or a hub
    that refuses this device's name or token."""
    if isinstance(err, ssl.SSLCertVerificationError):
        return True
    return isinstance(err, BusError) and err.code in (Code.UNAUTHORIZED, Code.FORBIDDEN)


def wrong_role(device: str, role: Any, roles: tuple[str, ...]) -> str:
    return (f"{device} is enrolled with the role {role}, and this app works with the role "
            f"{' or '.join(roles)}: give it the name and token of such a device (hall-hub "
            f"device add NAME --role {roles[0]}{' --window N' if roles[0] == 'counter' else ''})")


# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH
X509_HOSTNAME_MISMATCH = 62
X509_IP_ADDRESS_MISMATCH = 64


#: What to check when the hub's end of a connection is not a websocket of the scheme used
CHECK_ADDRESS = "is the address ws:// or wss:// as the hub serves it"


def _describe(err: BaseException) -> str:
    if isinstance(err, BusError):
        return err.message or err.code
    if isinstance(err, ConnectionRefusedError):
        return "it refuses connections: is the hub running, on this port?"
    if isinstance(err, TimeoutError):
        return "the hub does not answer"
    if isinstance(err, ssl.SSLCertVerificationError):
        if err.verify_code in (X509_HOSTNAME_MISMATCH, X509_IP_ADDRESS_MISMATCH):
            return (f"its certificate is not for this address: {err.verify_message}; use in --hub "
                    "a name the certificate is issued for, or reissue it with this address in "
                    "its subjectAltName")
        return (f"its certificate is not trusted: {err.verify_message}; give the hub's "
                "certificate (or the hall's CA) with --ca-file or ca_file in the device file")
    if isinstance(err, (ConnectionResetError, EOFError)) or (
            isinstance(err, InvalidHandshake) and not str(err)):
        return f"the connection was cut while opening it: {CHECK_ADDRESS}?"
    if isinstance(err, InvalidMessage):  # a ws:// request to a wss:// hub ends so, or another
        return f"{err}: {CHECK_ADDRESS}, and the hub's port?"
    if isinstance(err, socket.gaierror):
        return f"its name cannot be found ({plain_reason(err)}): check the host in the address"
    if isinstance(err, ssl.SSLError):  # (not the certificate file: that is said at start)
        reason = (err.reason or str(err)).lower().replace("_", " ")
        return f"the secure connection failed ({reason}): {CHECK_ADDRESS}, and the hub's port?"
    if isinstance(err, OSError) and err.strerror:
        return plain_reason(err)
    return str(err) or type(err).__name__

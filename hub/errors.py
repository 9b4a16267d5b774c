"""The hub's exceptions, one tree.

    HubError                 anything the hub raises on purpose
    ├── ConfigError          the hall's TOML file is wrong (carries every problem found)
    ├── StoreError           the database cannot be opened or written
    └── RequestError         a request is refused; ``code`` is the protocol's error code
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass


class HubError(Exception):
    """Root of every error the hub raises on purpose."""


@dataclass(frozen=True)
class ConfigProblem:
    line: int | None
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        kind = "warning: " if self.warning else ""
        return f"{where}{kind}{self.message}"


class ConfigError(HubError):
    def __init__(self, path: str, problems: list[ConfigProblem]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"{path}: {p}" for p in problems)
        super().__init__(lines)


class StoreError(HubError):
    """The hall's database could not be opened, read or written."""


class StoreBusy(StoreError):
    """Another program holds the database's write lock (the hub waits for it off its loop)."""


class RequestError(HubError):
    """A request is refused with a protocol error code and a message for a technician."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def undecodable_line(err: UnicodeDecodeError) -> int:
    """The line (from 1) of the byte that is not UTF-8."""
    return bytes(err.object[:err.start]).count(b"\n") + 1


def plain_reason(err: BaseException) -> str:
    """Why a file could not be used, in words for a technician ("no such file or directory",
    not "[Errno 2] No such file or directory: '/etc/hall.toml'": the file is named already)."""
    if isinstance(err, UnicodeDecodeError):
        return (f"it is not UTF-8 text (byte {err.object[err.start]:#04x} on line "
                f"{undecodable_line(err)}): save it as UTF-8")
    if isinstance(err, ssl.SSLError):
        reason = (err.reason or "").lower().replace("_", " ")
        return f"it is not a usable PEM file{f' ({reason})' if reason else ''}"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror[0].lower() + err.strerror[1:]
    return str(err) or type(err).__name__

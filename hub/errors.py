"""The hub's exceptions, one tree.

    HubError                 anything the hub raises on purpose
    ├── ConfigError          the hall's TOML file is wrong (carries every problem found)
    ├── StoreError           the database cannot be opened or written
    └── RequestError         a request is refused; ``code`` is the protocol's error code
"""

from __future__ import annotations

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

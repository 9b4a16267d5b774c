"""Reading a small TOML settings file (device file, kiosk, display, desk, sign, keypad), with
the same plain words whatever goes wrong, for every app."""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from pathlib import Path
from typing import Any

from hub.errors import HubError, plain_reason

UTF8_BOM = b"\xef\xbb\xbf"


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is digits as ``int()`` and a person mean them: ``str.isdigit`` also
    takes "²" (which ``int()`` refuses) and "٥" or "５" (which it reads as 5)."""
    return text.isascii() and text.isdigit()


def read_toml(path: str | Path, what: str = "settings file",
              error: type[Exception] = HubError) -> dict[str, Any]:
    """The file as a dict; raises ``error`` saying in plain words why it cannot be read."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        # Windows Notepad saves "UTF-8" with a byte-order mark, which TOML does not allow
        return tomllib.loads(raw.removeprefix(UTF8_BOM).decode("utf-8"))
    except FileNotFoundError:
        raise error(f"cannot read the {what} {path}: it does not exist") from None
    except OSError as err:
        raise error(f"cannot read the {what} {path}: {err.strerror or err}") from err
    except UnicodeDecodeError as err:  # saved in GBK, say: TOML is UTF-8
        raise error(f"cannot read the {what} {path}: {plain_reason(err)}") from err
    except tomllib.TOMLDecodeError as err:
        raise error(f"cannot read the {what} {path}: it is not valid TOML: {err}") from err


def read_table(path: str | Path, what: str, table: str, *, kind: str, keys: Collection[str],
               tables: tuple[str, ...], error: type[Exception] = HubError) -> dict[str, Any]:
    """Table ``[table]`` of a TOML settings file ({} when the file has none); raises ``error``
    naming the file when it holds a table other than ``tables`` (a misspelt ``[sgin]``), one of
    the table's ``keys`` above its header, or a ``table`` that is not a table."""
    data = read_toml(path, what, error)
    unknown = sorted(key for key, value in data.items()
                     if isinstance(value, dict) and key not in tables)
    if unknown:
        names = ", ".join(f"[{key}]" for key in unknown)
        allowed = " and ".join(f"[{key}]" for key in tables)
        raise error(f"{path}: unknown table {names}: this file may hold {allowed}")
    misplaced = sorted(key for key in data if key in keys)
    if misplaced:
        raise error(f"{path}: {kind} key {misplaced[0]!r} is above the [{table}] header: "
                    f"move it into the [{table}] table")
    section = data.get(table, {})
    if not isinstance(section, dict):
        raise error(f"{path}: [{table}] must be a table")
    return section

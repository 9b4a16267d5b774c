"""Reading a small TOML settings file (device file, kiosk, display, desk, sign, keypad), with
the same plain words whatever goes wrong, for every app."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from hub.errors import HubError

UTF8_BOM = b"\xef\xbb\xbf"


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
        raise error(f"cannot read the {what} {path}: it is not UTF-8 text (byte "
                    f"{err.object[err.start]:#04x} at offset {err.start}); save it as UTF-8") from err
    except tomllib.TOMLDecodeError as err:
        raise error(f"cannot read the {what} {path}: it is not valid TOML: {err}") from err

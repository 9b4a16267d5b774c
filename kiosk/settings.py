"""The kiosk's own settings: a small TOML file given with ``--settings FILE``.

Every key is optional; a flag on the command line overrides the file::

    technician_pin = "246810"      # the PIN that lets a technician leave the full-screen app
    idle_seconds = 30              # back to the start after this long without a touch
    scanner = "keyboard"           # or "serial:/dev/ttyACM0[:BAUD]", or "" for none
    printer = "serial:/dev/ttyUSB0:19200"   # as --printer (default: a preview folder)
    print_mode = "text"            # or "image"
    paper = 58                     # or 80
    lang = "zh"                    # the first language shown (default: the hall's first)

A key this module does not know is an error (a misspelt key would otherwise be silently ignored).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hub.i18n import languages as catalogue_languages
from hub.settings_file import ascii_digits, read_toml
from kiosk.errors import KioskError

logger = logging.getLogger(__name__)

DEFAULT_IDLE_SECONDS = 30.0
MIN_IDLE_SECONDS = 5.0
MAX_IDLE_SECONDS = 3600.0  # an hour without a touch: back to the start at the latest
PRINT_MODES = ("text", "image")
PAPERS = (58, 80)


class SettingsError(KioskError):
    """The settings file cannot be read or holds a bad value; the message says which."""


@dataclass(frozen=True)
class KioskSettings:
    technician_pin: str | None = None
    idle_seconds: float = DEFAULT_IDLE_SECONDS
    scanner: str | None = "keyboard"
    printer: str | None = None
    print_mode: str = "text"
    paper: int = 58
    lang: str | None = None

    def override(self, **flags: Any) -> KioskSettings:
        """These settings with every flag that was given (not None) put over them."""
        given = {key: value for key, value in flags.items() if value is not None}
        return replace(self, **given)


def load_settings(path: str | Path | None) -> KioskSettings:
    """The settings in ``path`` (the defaults when None); raises :class:`SettingsError`."""
    if path is None:
        return KioskSettings()
    return parse_settings(read_toml(path, "settings file", SettingsError), str(path))


def parse_settings(data: dict[str, Any], where: str = "settings") -> KioskSettings:
    known = set(KioskSettings.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise SettingsError(f"{where}: unknown key(s) {', '.join(unknown)}; "
                            f"known keys are {', '.join(sorted(known))}")
    settings = KioskSettings()
    values: dict[str, Any] = {}
    pin = data.get("technician_pin")
    if pin is not None:
        pin = str(pin)
        if not ascii_digits(pin) or not 4 <= len(pin) <= 12:
            raise SettingsError(f"{where}: technician_pin must be 4 to 12 digits")
        values["technician_pin"] = pin
    if "idle_seconds" in data:
        idle = data["idle_seconds"]
        if (isinstance(idle, bool) or not isinstance(idle, int | float)
                or not MIN_IDLE_SECONDS <= idle <= MAX_IDLE_SECONDS):  # nan, inf: no
            raise SettingsError(f"{where}: idle_seconds must be a number from "
                                f"{MIN_IDLE_SECONDS:g} to {MAX_IDLE_SECONDS:g}")
        values["idle_seconds"] = float(idle)
    for key in ("scanner", "printer", "lang"):
        if key in data:
            if not isinstance(data[key], str):
                raise SettingsError(f"{where}: {key} must be a string")
            values[key] = data[key] or None
    if values.get("lang") and values["lang"] not in catalogue_languages():
        raise SettingsError(f"{where}: lang {values['lang']!r} has no strings here (there are "
                            f"{', '.join(catalogue_languages())})")
    if "print_mode" in data:
        if data["print_mode"] not in PRINT_MODES:
            raise SettingsError(f"{where}: print_mode must be text or image")
        values["print_mode"] = data["print_mode"]
    if "paper" in data:
        if data["paper"] not in PAPERS or isinstance(data["paper"], bool):
            raise SettingsError(f"{where}: paper must be 58 or 80")
        values["paper"] = int(data["paper"])
    logger.debug("kiosk settings from %s: %s", where, sorted(values))
    return replace(settings, **values)

"""The display's own settings: a small TOML file given with ``--settings FILE``.

Everything is optional; a display without a file announces every call in the hall's languages
at full volume, twice when no other call waits (once in a burst)::

    voice = true                 # this display drives a speaker (one per speaker zone)
    repeat = 2                   # each announcement said this many times while nothing else waits
    max_age_s = 1800             # last resort: a call still current but not said after this long
                                 # is dropped (a call that is over is withdrawn whatever its age)
    highlight_s = 10             # the newest call stays highlighted this long
    languages = ["zh", "en"]     # languages announced; default: the hall's
    announce_zones = []          # zones whose calls this display announces; [] = all it shows
    default_volume = 1.0         # the volume outside every [[volume]] rule

    [[volume]]                   # local time; a rule may run past midnight
    start = "12:00"
    end = "13:30"
    volume = 0.4

    [[volume]]                   # volume 0 = quiet hours: nothing is said
    start = "18:00"
    end = "08:00"
    volume = 0.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from display.announcer import MAX_AGE_S, VolumeSchedule
from display.errors import DisplayError
from hub.i18n import languages as catalogue_languages
from hub.settings_file import read_toml

KNOWN_KEYS = frozenset(
    {"voice", "repeat", "max_age_s", "highlight_s", "languages", "announce_zones", "default_volume",
     "volume"}
)


class SettingsError(DisplayError):
    """The settings file cannot be read or says something the display cannot do."""


@dataclass(frozen=True)
class VolumeRuleSpec:
    start: str
    end: str
    volume: float


@dataclass(frozen=True)
class DisplaySettings:
    voice: bool | None = None  # None: the mode decides (hall and zone screens speak)
    repeat: int = 2
    max_age_s: float = MAX_AGE_S
    highlight_s: float = 10.0
    languages: tuple[str, ...] = ()  # () = the hall's languages
    announce_zones: tuple[str, ...] = ()
    default_volume: float = 1.0
    volume_rules: tuple[VolumeRuleSpec, ...] = field(default_factory=tuple)

    def schedule(self, timezone: str) -> VolumeSchedule:
        """The volume schedule in the hall's timezone."""
        return VolumeSchedule.parse(
            [(r.start, r.end, r.volume) for r in self.volume_rules], timezone, self.default_volume
        )


def load_settings(path: str | Path | None) -> DisplaySettings:
    """Read ``path`` (None: the defaults); SettingsError says what is wrong, in plain words."""
    if path is None:
        return DisplaySettings()
    data = read_toml(path, "settings file", SettingsError)
    try:
        return parse_settings(data)
    except SettingsError as err:
        raise SettingsError(f"{path}: {err}") from err


def parse_settings(data: Mapping[str, Any]) -> DisplaySettings:
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise SettingsError(f"unknown setting {', '.join(unknown)} (known: {', '.join(sorted(KNOWN_KEYS))})")
    defaults = DisplaySettings()
    voice = data.get("voice")
    if voice is not None:
        voice = _voice(voice)
    rules = _volume_rules(data.get("volume", []))
    settings = DisplaySettings(
        voice=voice,
        repeat=_number(data, "repeat", defaults.repeat, 1, 5, whole=True),
        max_age_s=_number(data, "max_age_s", defaults.max_age_s, 1, 3600),
        highlight_s=_number(data, "highlight_s", defaults.highlight_s, 0, 600),
        languages=_strings(data, "languages"),
        announce_zones=_strings(data, "announce_zones"),
        default_volume=float(_number(data, "default_volume", defaults.default_volume, 0, 1)),
        volume_rules=rules,
    )
    without = [lang for lang in settings.languages or () if lang not in catalogue_languages()]
    if without:  # the voice would read another language's sentence
        raise SettingsError(f"languages: no strings for {', '.join(without)} (there are "
                            f"{', '.join(catalogue_languages())})")
    try:
        settings.schedule("UTC")
    except ValueError as err:
        raise SettingsError(f"volume: {err}") from err
    return settings


def _voice(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("on", "off"):
        return bool(value == "on")
    raise SettingsError(f"voice must be true, false, \"on\" or \"off\", not {value!r}")


def _number(data: Mapping[str, Any], key: str, default: float, low: float, high: float,
            *, whole: bool = False) -> Any:
    value = data.get(key, default)
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if not numeric or (whole and not isinstance(value, int)):
        raise SettingsError(f"{key} must be a {'whole ' if whole else ''}number, not {value!r}")
    if not low <= value <= high:
        raise SettingsError(f"{key} must be between {low:g} and {high:g}, not {value}")
    return value


def _strings(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SettingsError(f"{key} must be a list of names, like [\"zh\", \"en\"]")
    return tuple(value)


def _volume_rules(value: Any) -> tuple[VolumeRuleSpec, ...]:
    if not isinstance(value, list):
        raise SettingsError("volume must be [[volume]] rules with start, end and volume")
    rules = []
    for i, rule in enumerate(value, start=1):
        if not isinstance(rule, dict) or set(rule) != {"start", "end", "volume"}:
            raise SettingsError(f"volume rule {i} needs exactly start, end and volume")
        start, end, volume = rule["start"], rule["end"], rule["volume"]
        for name, moment in (("start", start), ("end", end)):
            if not isinstance(moment, str | time):
                raise SettingsError(f"volume rule {i}: {name} must be a time like \"08:30\"")
        if isinstance(volume, bool) or not isinstance(volume, int | float):
            raise SettingsError(f"volume rule {i}: volume must be a number from 0 to 1")
        rules.append(VolumeRuleSpec(_hhmm(start), _hhmm(end), float(volume)))
    return tuple(rules)


def _hhmm(moment: str | time) -> str:
    return moment.strftime("%H:%M") if isinstance(moment, time) else moment

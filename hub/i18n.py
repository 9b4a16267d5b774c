"""The hall's strings: one catalogue per language, in ``assets/i18n/<lang>.toml``.

Every screen, ticket and announcement takes its words from here, Chinese first. A catalogue is a
TOML file of sections (``[kiosk]``, ``[counter]``, ``[display]``, ``[ticket]``, ``[common]``);
a key is ``section.name`` and a value is a ``str.format`` template::

    tr("zh", "display.call", number="A012", window=5)

A key missing in one language falls back to the hall's first language, then to the key itself,
so a screen never shows an empty label.
"""

from __future__ import annotations

import logging
import math
import tomllib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "assets" / "i18n"
FALLBACK = "zh"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The flat ``section.key -> template`` table of one language ({} if there is none)."""
    path = CATALOGUE_DIR / f"{lang}.toml"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        data = tomllib.load(f)
    flat: dict[str, str] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(name, value)
            else:
                flat[name] = str(value)

    walk("", data)
    return flat


def languages() -> list[str]:
    """Languages that have a catalogue, Chinese first."""
    found = sorted(p.stem for p in CATALOGUE_DIR.glob("*.toml"))
    return sorted(found, key=lambda lang: (lang != FALLBACK, lang))


def tr(lang: str, key: str, **params: object) -> str:
    """The string ``key`` in ``lang``, formatted with ``params``."""
    template = catalogue(lang).get(key)
    if template is None:
        template = catalogue(FALLBACK).get(key)
        if template is None:
            logger.warning("no string %r in any catalogue", key)
            return key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        logger.warning("string %r in %s does not fit its parameters %s", key, lang, sorted(params))
        return template


#: the pause reasons a clerk picks from a list (``counter.pause_reason_<key>``)
PAUSE_REASONS = ("break", "meeting", "consult", "system", "other")


def listed_pause_reason(key: str, hall_languages: Sequence[str]) -> str:
    """A listed pause reason as it goes out: in each of the hall's languages, in their order
    ("午休 / Lunch break"), since every screen of the hall shows it."""
    words = [tr(lang, f"counter.pause_reason_{key}") for lang in hall_languages or [FALLBACK]]
    return " / ".join(dict.fromkeys(words))


def pause_reason_in(reason: str, lang: str | None, hall_languages: Sequence[str]) -> str:
    """A pause reason for a screen in ``lang``: a listed one in that language alone, one typed
    by hand as it is."""
    if lang is not None:
        for key in PAUSE_REASONS:
            if reason == listed_pause_reason(key, hall_languages):
                return tr(lang, f"counter.pause_reason_{key}")
    return reason


def percent(share: float) -> str:
    """A share as whole percent, rounded down: "100%" only when it is all of them (199
    satisfied of 200 is 99%, not 100% beside a dissatisfied rating)."""
    return f"{math.floor(round(share * 100, 6))}%"


def visible(text: str) -> bool:
    """Whether ``text`` has a character a screen shows: not only spaces, NULs, zero-width or
    other control characters (an announcement of those would pop up an empty banner)."""
    return any(c.isprintable() and not c.isspace() for c in text)

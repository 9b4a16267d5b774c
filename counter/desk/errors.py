"""The guidance desk's exceptions, one tree.

    DeskError                anything the desk console raises on purpose
    ├── SettingsError        the desk settings file (--settings) cannot be read or is wrong
    └── PeriodError          a report period that makes no sense (custom "to" before "from" ...)

Printer failures stay :class:`kiosk.errors.PrinterError` (the kiosk's printing layer is reused);
the desk shows them in plain words and never lets them out of a click.
"""

from __future__ import annotations


class DeskError(Exception):
    """Root of every error the desk console raises on purpose."""


class SettingsError(DeskError):
    """The desk settings file cannot be read, or a value in it is wrong; the message says which."""


class PeriodError(DeskError):
    """A report period that cannot be asked for; ``key`` names its words in the catalogue
    (``desk.err_KEY``, with ``params``), so the desk says it in the person's language."""

    def __init__(self, message: str, key: str = "", **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params

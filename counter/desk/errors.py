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
    """A report period that cannot be asked for."""

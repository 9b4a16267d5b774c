"""The counter's exceptions, one tree.

    CounterError             anything the counter app raises on purpose
    ├── SignError            the window's LED sign is misconfigured or answered nonsense
    └── KeypadError          the caller keypad is misconfigured

A sign or keypad that is merely unplugged is not an error: it reports ``is_available() == False``
and comes back by itself. Errors of the serial line (``hub.serial_link.SerialLinkError``) are turned
into these where the counter meets them.
"""

from __future__ import annotations


class CounterError(Exception):
    """Root of every error the counter app raises on purpose."""


class SignError(CounterError):
    """The window's LED sign cannot be set up as configured, or a frame from it is not valid."""


class KeypadError(CounterError):
    """The caller keypad cannot be set up as configured."""

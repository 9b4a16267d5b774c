"""The display's exceptions, one tree.

DisplayError             anything the display raises on purpose
├── VoiceError           speech could not be synthesised (no engine, engine failed or hung)
├── AudioError           a sound could not be joined or played
└── BadCall              a ticket number or window that cannot be announced
"""

from __future__ import annotations


class DisplayError(Exception):
    """Root of every error the display raises on purpose."""


class VoiceError(DisplayError):
    """The text-to-speech engine could not turn a sentence into a WAV file."""


class AudioError(DisplayError):
    """A WAV file could not be joined, read or played."""


class BadCall(DisplayError, ValueError):
    """A ticket number or window number that cannot be announced."""

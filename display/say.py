"""One call's announcement into a file: the heart of ``hall-display --say-call``."""

from __future__ import annotations

import logging
from pathlib import Path

from display.announcer import compose
from display.audio import CHIME, check_writable
from display.errors import BadCall
from display.speech import call_sentence, check_window, parse_ticket
from display.voice import Voice
from hub.i18n import languages

logger = logging.getLogger(__name__)


def say_call(
    number: str,
    window: int,
    lang: str,
    wav: Path,
    voice: Voice,
    chime: Path | None = CHIME,
) -> str:
    """Write the announcement of ``number`` to ``window`` in ``lang`` (the chime, then the
    sentence once) to ``wav``, and return the sentence as shown (``请A012号到5号窗口办理``).

    BadCall for a number that is not 1-2 capital letters and 1-6 digits (or digits alone), a
    window outside 1..999 or a language with no catalogue; AudioError ("cannot write …: why")
    if ``wav`` cannot be written, checked before anything is synthesised; VoiceError or
    AudioError if the sound cannot be made.
    """
    parse_ticket(number)
    check_window(window)
    known = languages()
    if lang not in known:
        raise BadCall(f"language {lang!r} is not one of {', '.join(known)}")
    sentence = call_sentence(number, window, lang)
    check_writable(wav)  # before the voice is asked: a wrong --wav is told as such, and at once
    compose([sentence], voice, wav, chime, repeat=1)
    logger.info("wrote the call of %s to window %d in %s to %s", number, window, lang, wav)
    return sentence.text

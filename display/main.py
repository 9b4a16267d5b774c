"""``hall-display``: the hall's screens and speakers.

    hall-display --mode hall --device display-1 --token ... [--windowed]
    hall-display --mode window --window 5 --device-file /etc/hall/display-w5.toml
    hall-display --mode zone --zone 综合服务区 --voice off ...
    hall-display --say-call A012 5 --lang zh --wav call.wav     # one-shot, no hub, no screen

The screen follows the bus (``QtBus``); calls and desk announcements are said by an
``Announcer`` whose worker runs in a thread of its own, so speech never holds up the screen.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QApplication

from display.announcer import Announcer
from display.audio import CommandPlayer, Player
from display.errors import DisplayError
from display.model import (
    Audience,
    CallCue,
    Cue,
    DisplayModel,
    HallBoard,
    MessageCue,
    ResumeCue,
    audience_for,
    hall_screen,
    window_screen,
    zone_screen,
)
from display.say import say_call
from display.settings import DisplaySettings, load_settings
from display.speech import check_window
from display.views import BoardView, Screen
from display.voice import Pyttsx3Voice, Voice
from hub.appargs import AppParser, add_bus_arguments, fail, settings_from_args, setup_logging
from hub.client import DeviceSettings
from hub.clock import Clock, HubTime
from hub.errors import HubError
from hub.i18n import languages as catalogue_languages
from hub.qtbus import QtBus, quit_on_signals
from hub.settings_file import ascii_digits

logger = logging.getLogger(__name__)

PROG = "hall-display"
MODES = ("hall", "window", "zone")


@dataclass(frozen=True)
class DisplayOptions:
    mode: str = "hall"
    window: int | None = None
    zone: str | None = None
    lang: str | None = None  # the screen's primary language; None: the hall's first
    voice: bool | None = None  # None: the settings, then the mode decide
    orientation: str = "auto"


def speaks(options: DisplayOptions, settings: DisplaySettings) -> bool:
    """Whether this display drives a speaker: ``--voice``, else the settings file, else the hall
    and zone screens do and the window screens do not."""
    if options.voice is not None:
        return options.voice
    if settings.voice is not None:
        return settings.voice
    return options.mode in ("hall", "zone")


class DisplayApp(QObject):
    """One display: the board, the screen of its mode, and (if it speaks) the announcer."""

    def __init__(
        self,
        options: DisplayOptions,
        settings: DisplaySettings,
        *,
        clock: Clock | None = None,
        voice: Voice | None = None,
        player: Player | None = None,
        work_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.options = options
        self.settings = settings
        self.clock = clock or HubTime()  # set by the hub's clock once the bus hears it
        self.board = HallBoard(self.clock, highlight_s=settings.highlight_s, max_age_s=settings.max_age_s)
        self.model = DisplayModel(self.board)
        self.view = BoardView(self.model, self._builder(), orientation=options.orientation)
        self.audience: Audience = audience_for(options.mode, options.window, options.zone,
                                               settings.announce_zones)
        self.speaking = speaks(options, settings)
        self._voice = voice
        self._player = player
        self._work_dir = work_dir
        self.announcer: Announcer | None = None
        self._worker: threading.Thread | None = None
        self._silent = not self.speaking  # voice off: never announces
        self.bus: QtBus | None = None
        self._missing: str | None = None  # what was last said about a zone or window not found
        self.model.cued.connect(self.on_cue)
        self.model.changed.connect(self.check_place)
        if not self.speaking:
            logger.info("voice off: this display shows calls and does not announce them")

    def _builder(self) -> Callable[[], Screen]:
        o, board = self.options, self.board
        if o.mode == "window" and o.window is not None:
            number = o.window
            return lambda: window_screen(board, number, o.lang)
        if o.mode == "zone" and o.zone is not None:
            zone = o.zone
            return lambda: zone_screen(board, zone, o.lang)
        return lambda: hall_screen(board, o.lang)

    # -- the bus

    def connect_bus(self, bus: QtBus) -> None:
        self.bus = bus
        bus.snapshot.connect(self.model.on_snapshot)
        bus.bus_event.connect(self.model.on_event)
        bus.status.connect(self.model.on_status)

    def start(self, settings: DeviceSettings) -> None:
        bus = QtBus(settings, self,
                    hub_time=self.clock if isinstance(self.clock, HubTime) else None)
        self.connect_bus(bus)
        bus.start()

    @Slot()
    def check_place(self) -> None:
        """Say in the log, once, that the zone or window this screen is to show is not in the
        hall (the screen says so too, but nobody may be there to read it)."""
        o, board = self.options, self.board
        if not board.synced:
            return
        missing = None
        if o.mode == "zone" and o.zone is not None and o.zone not in board.zones():
            missing = (f"there is no zone {o.zone!r} in this hall; its zones are: "
                       + (", ".join(board.zones()) or "none"))
        elif o.mode == "window" and o.window is not None and o.window not in board.windows:
            missing = (f"there is no window {o.window} in this hall; its windows are: "
                       + (", ".join(map(str, sorted(board.windows))) or "none"))
        if missing is not None and missing != self._missing:
            logger.warning("%s (check --zone/--window)", missing)
        self._missing = missing

    # -- the voice

    def speaker(self) -> Announcer | None:
        """The announcer, made at the first cue (the hall's languages and timezone are known by
        then); None if this display does not speak. With no sound output it is made all the
        same: it stays silent, says so once, and looks again now and then (a speaker plugged
        back in, a sound server up late), so calls are heard again without a restart."""
        if self.announcer is not None or self._silent:
            return self.announcer
        player = self._player or CommandPlayer()
        langs = self.settings.languages or self.board.languages
        self.announcer = Announcer(
            self._voice or Pyttsx3Voice(),
            player,
            self.clock,
            langs,
            repeat=self.settings.repeat,
            max_age_s=self.settings.max_age_s,
            current=self.board.call_over,
            schedule=self.settings.schedule(self.board.timezone_name),
            work_dir=self._work_dir,
        )
        self._worker = threading.Thread(target=self.announcer.run_forever, name="hall-voice", daemon=True)
        self._worker.start()
        logger.info("announcing in %s, %d times when no other call waits, to %s", ", ".join(langs),
                    self.settings.repeat,
                    ", ".join(self.audience.zones) or
                    ", ".join(map(str, self.audience.windows)) or "the whole hall")
        return self.announcer

    @Slot(object)
    def on_cue(self, cue: Cue) -> None:
        if self._silent or not self.audience.hears(cue, self.board):
            return
        announcer = self.speaker()
        if announcer is None:
            return
        try:
            if isinstance(cue, CallCue):
                if cue.recall:
                    announcer.recall(cue.number, cue.window)
                else:
                    announcer.call(cue.number, cue.window)
            elif isinstance(cue, MessageCue):
                announcer.message({cue.lang: cue.text})
            elif isinstance(cue, ResumeCue) and announcer.resumed(cue.number, cue.window) is not None:
                # said now, after the pause kept it from being said: shown as news with it
                self.board.renew(cue.number, cue.window)
                self.model.changed.emit()
        except (DisplayError, ValueError) as err:
            logger.warning("not announced: %s", err)

    # -- the screen

    def show(self, windowed: bool) -> None:
        self.view.setWindowTitle(PROG)
        if windowed:
            portrait = self.options.orientation == "portrait"
            self.view.resize(540 if portrait else 960, 960 if portrait else 540)
            self.view.show()
        else:
            self.view.setCursor(Qt.CursorShape.BlankCursor)
            self.view.showFullScreen()

    def close(self) -> None:
        if self.bus is not None:
            self.bus.stop()
            self.bus = None
        if self.announcer is not None:
            self.announcer.close()
        if self._worker is not None:
            self._worker.join(5)
            if self._worker.is_alive():
                logger.warning("the voice worker is still busy; leaving it behind")
            self._worker = None
        self.view.close()


# ------------------------------------------------------------------------------ the command line


def build_parser() -> argparse.ArgumentParser:
    parser = AppParser(prog=PROG, description="The hall's screens and speakers.")
    parser.add_argument("--mode", choices=MODES, default="hall",
                        help="hall: every call and queue; window: one window; zone: one zone's windows")
    parser.add_argument("--window", type=int, help="the window shown in --mode window")
    parser.add_argument("--zone", help="the zone shown in --mode zone (as named in the hall file)")
    parser.add_argument("--voice", choices=("on", "off"),
                        help="announce calls on this display's speaker (default: the settings file, "
                             "else on for hall and zone screens, off for window screens)")
    parser.add_argument("--say-call", nargs=2, metavar=("NUMBER", "WINDOW"),
                        help="synthesise that call's announcement and exit (no hub, no screen)")
    parser.add_argument("--lang", help="the screen's primary language (default: the hall's first); "
                                       "with --say-call, the language spoken (default zh)")
    parser.add_argument("--wav", help="with --say-call: write the announcement to this WAV file "
                                      "(without it, it is played on the speaker)")
    parser.add_argument("--orientation", choices=("auto", "landscape", "portrait"), default="auto",
                        help="lay the screen out for this orientation (auto: from the screen's shape)")
    parser.add_argument("--settings", help="the display's settings (TOML): voice, repeat, volume …")
    parser.add_argument("--windowed", action="store_true", help="a normal window instead of full screen")
    add_bus_arguments(parser)
    return parser


def run_say_call(args: argparse.Namespace, voice: Voice | None = None) -> int:
    number, window_text = args.say_call
    number = number.strip().upper()  # a012 is A012, as the hub's call_number takes it
    if args.lang is not None and not args.lang.strip():
        return fail(PROG, "--lang is empty: give a language (" + ", ".join(catalogue_languages())
                    + ") or leave --lang out")
    lang = args.lang or catalogue_languages()[0]
    digits = window_text.removeprefix("-")  # -1 is a number, out of range: check_window says so
    if not ascii_digits(digits):
        return fail(PROG, f"window {window_text!r} is not a whole number")
    window = int(window_text)
    try:
        check_window(window)
        if args.wav:
            sentence = say_call(number, window, lang, Path(args.wav), voice or Pyttsx3Voice())
        else:
            player = CommandPlayer()
            if not player.is_available():
                return fail(PROG, "no sound output on this machine; give --wav FILE to write the "
                                  "announcement to a file", 1)
            with tempfile.TemporaryDirectory(prefix="hall-say-") as scratch:
                wav = Path(scratch) / "call.wav"
                sentence = say_call(number, window, lang, wav, voice or Pyttsx3Voice())
                player.play(wav, 1.0)
    except DisplayError as err:
        return fail(PROG, str(err), 1 if not isinstance(err, ValueError) else 2)
    print(sentence, flush=True)
    return 0


def options_from_args(args: argparse.Namespace) -> DisplayOptions:
    """The display's options; DisplayError saying what is wrong."""
    if args.mode == "window" and args.window is None:
        raise DisplayError("--mode window needs --window N (the window's number)")
    if args.mode == "zone" and not args.zone:
        raise DisplayError("--mode zone needs --zone Z (the zone's name, as in the hall file)")
    if args.window is not None:
        check_window(args.window)
    if args.lang is not None and args.lang not in catalogue_languages():
        known = ", ".join(catalogue_languages())
        raise DisplayError(f"--lang {args.lang}: no such language (known: {known})")
    voice = None if args.voice is None else args.voice == "on"
    return DisplayOptions(args.mode, args.window, args.zone, args.lang, voice, args.orientation)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level, one_shot=bool(args.say_call))
    if args.say_call:
        return run_say_call(args)
    try:
        options = options_from_args(args)
        settings = load_settings(args.settings)
        device = settings_from_args(args)
    except (DisplayError, HubError) as err:
        return fail(PROG, str(err))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    display = DisplayApp(options, settings)
    display.show(args.windowed)
    display.start(device)
    wake = quit_on_signals(app)
    try:
        return int(app.exec())
    finally:
        wake.stop()
        display.close()
        logger.info("display stopped")


if __name__ == "__main__":
    sys.exit(main())

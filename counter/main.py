"""``hall-counter``: the clerk's client at a window, or (``--evaluator``) the window's rating pad.

    hall-counter --device-file counter-1.toml [--keypad keyboard|serial:DEV[:BAUD]]
                 [--keypad-config FILE] [--sign serial:DEV[:BAUD]|fake] [--sign-config FILE]
                 [--lang zh|en] [--windowed]
    hall-counter --evaluator --device-file rating-1.toml [--lang zh|en] [--windowed]

The device is enrolled with its window on the hub (``hall-hub device add counter-1 --role counter
--window 1``); the client works on that window only. ``--sign`` drives the window's LED sign from
the bus; ``--sign-config`` and ``--keypad-config`` name TOML files with a ``[sign]`` / ``[keypad]``
table (see ``counter.sign`` and ``counter.keypad``; one file may hold both). Without ``--keypad``
the F-keys of the keyboard still work as the caller keys.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget

from counter.devices import DeviceWatch, KeypadBridge, SignFollower, SignThread
from counter.errors import CounterError, KeypadError
from counter.evaluator import MonotonicClock, RatingPad
from counter.keypad import (
    KEYPAD_KEYS,
    KeyboardKeypad,
    KeypadConfig,
    SerialKeypad,
    keypad_config_from_toml,
    keypad_from_spec,
)
from counter.model import ClerkModel
from counter.sign import (
    COUNTER_FILE_TABLES,
    SignConfig,
    WindowSign,
    open_sign,
    read_sign_config,
)
from counter.views import ClerkWindow
from counter.views_pad import RatingPadView
from hub.appargs import AppParser, add_bus_arguments, fail, settings_from_args, setup_logging
from hub.errors import HubError
from hub.qtbus import QtBus, quit_on_signals
from hub.settings_file import read_table

logger = logging.getLogger(__name__)

PROG = "hall-counter"
DEVICE_CHECK_MS = 5000
RATING_CHECK_MS = 15000


def build_parser() -> argparse.ArgumentParser:
    parser = AppParser(prog=PROG, description="The window clerk's counter client.")
    parser.add_argument("--evaluator", action="store_true",
                        help="run as the window's citizen-facing rating pad")
    parser.add_argument("--keypad", metavar="SPEC",
                        help="caller keypad: keyboard | serial:DEV[:BAUD]")
    parser.add_argument("--keypad-config", metavar="FILE",
                        help="TOML file with a [keypad] table (key maps, debounce)")
    parser.add_argument("--sign", metavar="SPEC", help="window LED sign: serial:DEV[:BAUD] | fake")
    parser.add_argument("--sign-config", metavar="FILE",
                        help="TOML file with a [sign] table (encoding, framing)")
    parser.add_argument("--lang", choices=["zh", "en"],
                        help="screen language (default: the hall's first language)")
    parser.add_argument("--windowed", action="store_true", help="a normal window, not full screen")
    add_bus_arguments(parser)
    return parser


def read_keypad_config(path: str | None) -> KeypadConfig:
    """The ``[keypad]`` table of ``--keypad-config`` (defaults without one); errors name the file."""
    if path is None:
        return KeypadConfig()
    table = read_table(path, "keypad settings file", "keypad", kind="keypad", keys=KEYPAD_KEYS,
                       tables=COUNTER_FILE_TABLES, error=KeypadError)
    try:
        return keypad_config_from_toml(table)
    except KeypadError as err:
        raise KeypadError(f"{path}: {err}") from err


class CounterApp(QObject):
    """The clerk's client wired together: bus, view-model, window, sign and keypad."""

    def __init__(
        self,
        bus: QtBus,
        *,
        lang: str | None = None,
        sign: WindowSign | None = None,
        keypad: SerialKeypad | KeyboardKeypad | None = None,
        keypad_config: KeypadConfig | None = None,
    ) -> None:
        super().__init__()
        self.bus = bus
        self._lang_fixed = lang is not None
        self.model = ClerkModel(bus, lang=lang or "zh", clock=bus.hub_time)
        config = keypad_config or KeypadConfig()
        keyboard_keys = config.keyboard
        if isinstance(keypad, KeyboardKeypad):
            keypad.close()  # the window's own key handling is this keypad
            keypad = None
        self.watch = DeviceWatch(bus)
        self.sign_thread: SignThread | None = None
        if sign is not None:
            self.sign_thread = SignThread(SignFollower(sign))
            self.watch.add("sign", sign)
        self.bridge: KeypadBridge | None = None
        if keypad is not None:
            self.bridge = KeypadBridge(keypad, self)
            self.bridge.pressed.connect(self.model.press)
            self.bridge.start()
            self.watch.add("keypad", keypad)
        self.window = ClerkWindow(self.model, keyboard_keys, debounce=config.debounce,
                                  device_status=self.watch.status())
        bus.snapshot.connect(self._snapshot)
        bus.bus_event.connect(self._event)
        bus.status.connect(self.model.on_status)
        self.device_timer = QTimer(self)
        self.device_timer.setInterval(DEVICE_CHECK_MS)
        self.device_timer.timeout.connect(self._check_devices)
        self.device_timer.start()
        self.rating_timer = QTimer(self)
        self.rating_timer.setInterval(RATING_CHECK_MS)
        self.rating_timer.timeout.connect(lambda: self.model.refresh_figures())
        self.rating_timer.start()

    def _snapshot(self, seq: int, snapshot: Mapping[str, Any]) -> None:
        window = self.bus.client.window if self.bus.client is not None else None
        self.model.set_window(window)
        if not self._lang_fixed:
            languages = (snapshot.get("hall") or {}).get("languages") or ["zh"]
            self.model.lang = str(languages[0])
            self._lang_fixed = True
        self.model.on_snapshot(seq, snapshot)
        if self.sign_thread is not None:
            self.sign_thread.on_snapshot(seq, snapshot, window)
        self.watch.check(force=True)  # a snapshot comes with each (re)connection

    def _event(self, frame: Mapping[str, Any]) -> None:
        self.model.on_event(frame)
        if self.sign_thread is not None:
            self.sign_thread.on_event(frame)

    def _check_devices(self) -> None:
        status = self.watch.status()
        if status != self.window.device_status:
            self.window.set_device_status(status)
        if self.bus.connected:
            self.watch.check()

    def close(self) -> None:
        self.device_timer.stop()
        self.rating_timer.stop()
        self.window.clock.stop()
        if self.bridge is not None:
            self.bridge.close()
        if self.sign_thread is not None:
            self.sign_thread.close()
        self.window.close()


class PadApp(QObject):
    """The rating pad wired together: bus, pad view-model and its screen."""

    def __init__(
        self, bus: QtBus, *, lang: str | None = None, clock: MonotonicClock = time.monotonic
    ) -> None:
        super().__init__()
        self.bus = bus
        self._lang_fixed = lang is not None
        self.pad = RatingPad(bus, lang=lang or "zh", clock=clock)
        self.view = RatingPadView(self.pad)
        bus.snapshot.connect(self._snapshot)
        bus.bus_event.connect(self.pad.on_event)
        bus.status.connect(self.pad.on_status)

    def _snapshot(self, seq: int, snapshot: Mapping[str, Any]) -> None:
        self.pad.set_window(self.bus.client.window if self.bus.client is not None else None)
        if not self._lang_fixed:
            languages = (snapshot.get("hall") or {}).get("languages") or ["zh"]
            self.pad.default_lang = str(languages[0])
            self._lang_fixed = True
        self.pad.on_snapshot(seq, snapshot)

    def close(self) -> None:
        self.view.timer.stop()
        self.view.close()


def _open_devices(
    args: argparse.Namespace,
) -> tuple[WindowSign | None, SerialKeypad | KeyboardKeypad | None, KeypadConfig]:
    sign_config = read_sign_config(Path(args.sign_config)) if args.sign_config else SignConfig()
    keypad_config = read_keypad_config(args.keypad_config)
    keypad = keypad_from_spec(args.keypad, keypad_config) if args.keypad else None
    sign = open_sign(args.sign, sign_config) if args.sign else None
    return sign, keypad, keypad_config


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level)
    try:
        settings = settings_from_args(args, roles=("counter",))  # bound to its window
        sign, keypad, keypad_config = (None, None, KeypadConfig()) if args.evaluator else (
            _open_devices(args))
    except (HubError, CounterError) as err:
        return fail(PROG, str(err))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setFont(QFont("WenQuanYi Micro Hei", 12))
    _wake = quit_on_signals(app)  # kept: it lets Python see the signals
    bus = QtBus(settings)
    shown: CounterApp | PadApp
    widget: QWidget
    if args.evaluator:
        shown = PadApp(bus, lang=args.lang)
        widget = shown.view
        widget.resize(800, 480)
    else:
        shown = CounterApp(bus, lang=args.lang, sign=sign, keypad=keypad,
                           keypad_config=keypad_config)
        widget = shown.window
        widget.resize(1280, 800)
    if args.windowed:
        widget.show()
    else:
        widget.showFullScreen()
    bus.start()
    logger.info("%s started as %s", PROG, settings.device)
    try:
        code = app.exec()
    finally:
        bus.stop()
        shown.close()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())

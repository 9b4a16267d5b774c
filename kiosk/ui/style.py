"""Sizes and colours of the kiosk, worked out from the window's size.

Type is sized from the short side of the window (1080 px on both a portrait 1080x1920 and a
landscape 1920x1080 screen), so it is the same size in either orientation; the number of columns
comes from the orientation. Touch targets are never smaller than 20 mm on the screen itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QGuiApplication

from kiosk.raster import font_family

MIN_TARGET_MM = 20.0
#: Physical DPI below this is a made-up value (offscreen, some VMs): assume a 21.5" 1080p panel.
_PLAUSIBLE_DPI = 60.0
_FALLBACK_DPI = 102.0

BLUE = "#0b4f9c"
DARK = "#102a43"
TILE = "#eef4fb"
GREY_TILE = "#ececec"
GREY_TEXT = "#5f6b76"
RED = "#b3261e"
ORANGE = "#d35400"
GREEN = "#1e7b34"


def target_px(mm: float = MIN_TARGET_MM) -> int:
    """``mm`` millimetres on this screen, in pixels."""
    screen = QGuiApplication.primaryScreen()
    dpi = screen.physicalDotsPerInch() if screen is not None else _FALLBACK_DPI
    if dpi < _PLAUSIBLE_DPI:
        dpi = _FALLBACK_DPI
    return round(mm / 25.4 * dpi)


@dataclass(frozen=True)
class Metrics:
    width: int
    height: int
    orientation: str = "auto"  # or "portrait" / "landscape" to force the layout

    @property
    def portrait(self) -> bool:
        if self.orientation in ("portrait", "landscape"):
            return self.orientation == "portrait"
        return self.height >= self.width

    @property
    def unit(self) -> float:
        return max(0.4, min(self.width, self.height) / 1080)

    def px(self, size: float) -> int:
        return max(1, round(size * self.unit))

    @property
    def target(self) -> int:
        """The smallest height of anything that is touched."""
        return max(target_px(), self.px(120))

    @property
    def grid_columns(self) -> int:
        return 2 if self.portrait else 3

    @property
    def service_columns(self) -> int:
        return 1 if self.portrait else 2

    @property
    def number_px(self) -> int:
        return self.px(330 if self.portrait else 300)

    @property
    def code_px(self) -> int:
        """The appointment code's type (a long code gets smaller type to fit its box)."""
        return self.px(80)

    @property
    def code_spacing(self) -> int:
        return self.px(6)


def stylesheet(m: Metrics) -> str:
    family = font_family()
    return f"""
    QWidget {{ font-family: "{family}"; color: {DARK}; background: white; font-size: {m.px(40)}px; }}
    QWidget#header, QWidget#header QLabel {{ background: {BLUE}; color: white; }}
    QLabel#hallName {{ font-size: {m.px(50)}px; font-weight: bold; }}
    QLabel#clock {{ font-size: {m.px(34)}px; }}
    QPushButton {{ border-radius: {m.px(18)}px; }}
    QPushButton#language {{ background: white; color: {BLUE}; font-size: {m.px(38)}px;
        font-weight: bold; padding: 0 {m.px(28)}px; min-height: {m.target}px;
        border: {m.px(3)}px solid white; }}
    QWidget#footer, QWidget#footer QLabel {{ background: {TILE}; color: {GREY_TEXT};
        font-size: {m.px(30)}px; }}
    QWidget#footer QLabel#hubLost {{ color: {RED}; font-weight: bold; }}
    QLabel[role="title"] {{ font-size: {m.px(58)}px; font-weight: bold; }}
    QLabel[role="hint"] {{ font-size: {m.px(34)}px; color: {GREY_TEXT}; }}
    QLabel[role="big"] {{ font-size: {m.px(76)}px; font-weight: bold; color: {BLUE}; }}
    QLabel[role="bigAlert"] {{ font-size: {m.px(76)}px; font-weight: bold; color: {RED}; }}
    QLabel[role="body"] {{ font-size: {m.px(44)}px; }}
    QLabel[role="alert"] {{ font-size: {m.px(40)}px; color: {RED}; font-weight: bold; }}
    QLabel[role="number"] {{ font-size: {m.number_px}px; font-weight: bold; color: {BLUE}; }}
    QLabel[role="numberAlert"] {{ font-size: {m.number_px}px; font-weight: bold; color: {RED}; }}
    QLabel[role="take"] {{ font-size: {m.px(72)}px; font-weight: bold; color: {ORANGE}; }}
    QLabel[role="code"] {{ font-size: {m.code_px}px; font-weight: bold;
        letter-spacing: {m.code_spacing}px;
        border: {m.px(4)}px solid {BLUE}; border-radius: {m.px(14)}px; padding: {m.px(12)}px;
        min-height: {m.px(110)}px; }}
    QLabel[role="code"][empty="true"] {{ color: #9aa5b1; }}
    QPushButton[role="tile"] {{ background: {TILE}; border: {m.px(4)}px solid {BLUE};
        min-height: {m.target}px; }}
    QPushButton[role="tile"]:pressed {{ background: #cfe0f5; }}
    QPushButton[role="tile"][available="false"] {{ background: {GREY_TILE}; border-color: #b8b8b8; }}
    QPushButton[role="tile"] QLabel {{ background: transparent; }}
    QLabel[role="tileTitle"] {{ font-size: {m.px(46)}px; font-weight: bold; }}
    QLabel[role="tileSub"] {{ font-size: {m.px(34)}px; color: {GREEN}; }}
    QLabel[role="tileHours"] {{ font-size: {m.px(32)}px; color: {GREY_TEXT}; }}
    QPushButton[dense="true"] QLabel[role="tileTitle"] {{ font-size: {m.px(38)}px; }}
    QPushButton[dense="true"] QLabel[role="tileSub"] {{ font-size: {m.px(30)}px; }}
    QPushButton[dense="true"] QLabel[role="tileHours"] {{ font-size: {m.px(28)}px; }}
    QPushButton[role="tile"][available="false"] QLabel[role="tileTitle"] {{ color: {GREY_TEXT}; }}
    QPushButton[role="tile"][available="false"] QLabel[role="tileSub"] {{ color: {RED}; }}
    QPushButton[role="checkIn"] {{ background: {ORANGE}; border: none; min-height: {m.target}px; }}
    QPushButton[role="checkIn"] QLabel {{ background: transparent; color: white; }}
    QPushButton[role="action"] {{ background: {BLUE}; color: white; font-size: {m.px(48)}px;
        font-weight: bold; min-height: {m.target}px; padding: 0 {m.px(40)}px; border: none; }}
    QPushButton[role="action"]:pressed {{ background: #083a73; }}
    QPushButton[role="secondary"] {{ background: white; color: {BLUE}; font-size: {m.px(44)}px;
        font-weight: bold; min-height: {m.target}px; padding: 0 {m.px(36)}px;
        border: {m.px(4)}px solid {BLUE}; }}
    QPushButton[role="key"] {{ background: {TILE}; border: {m.px(3)}px solid {BLUE};
        font-size: {m.px(64)}px; font-weight: bold; min-height: {m.target}px; }}
    QPushButton[role="key"]:pressed {{ background: #cfe0f5; }}
    QPushButton[role="keyAlt"] {{ background: white; border: {m.px(3)}px solid {BLUE}; color: {BLUE};
        font-size: {m.px(40)}px; font-weight: bold; min-height: {m.target}px; }}
    QScrollArea, QScrollArea > QWidget > QWidget {{ background: white; border: none; }}
    QScrollBar:vertical {{ width: {m.px(16)}px; background: {TILE}; }}
    QScrollBar::handle:vertical {{ background: #9fb3c8; border-radius: {m.px(8)}px;
        min-height: {m.px(80)}px; }}
    """

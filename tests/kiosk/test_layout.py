"""The kiosk's layout measured on the real widgets, offscreen, against a real hub: words never
clipped by their tile, the tiles of a row alike, the county hall's departments on one screen in
landscape (and a far bigger hall scrolling by whole rows), the longest appointment code inside
its box, and the footer's hub-lost note (red, and only after a loss). Screenshots go to
tests/artifacts/kiosk/layout/."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea
from pytestqt.qtbot import QtBot

from hub.client import DeviceSettings
from kiosk.model import CODE_LENGTH_MAX, KioskModel, Screen
from kiosk.printer import PreviewPrinter
from kiosk.scanner import KeyboardScanner
from kiosk.settings import KioskSettings
from kiosk.ticket import PrintMode
from kiosk.ui.app import Kiosk
from kiosk.ui.screens import CheckInPage, HomePage, ServicesPage
from kiosk.ui.style import RED
from kiosk.ui.widgets import Tile, TouchList, label
from kiosk.ui.window import KioskWindow
from tests.hubproc import HubProcess
from tests.kiosk.conftest import opened

PORTRAIT, LANDSCAPE, SMALL = (1080, 1920), (1920, 1080), (1280, 800)
SIZES = {"portrait": PORTRAIT, "landscape": LANDSCAPE, "small": SMALL}
FINGER = 60  # px: the least a tile may be in either direction
LONG_ZH = "居住证办理、户口迁移登记及临时居民身份证异地换领补领综合业务"
LONG_EN = ("Residence permit, household registration transfer and replacement of temporary "
           "resident identity cards issued in another province")


@pytest.fixture(scope="module")
def kiosk(hall: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kiosk]:
    printer = PreviewPrinter(PrintMode.TEXT, 58, tmp_path_factory.mktemp("layout-tickets"))
    app = Kiosk(DeviceSettings(hall.url, "kiosk-2", hall.tokens["kiosk-2"]),
                KioskSettings(idle_seconds=600), printer, scanner=KeyboardScanner())
    with opened(app, PORTRAIT):
        yield app


@pytest.fixture
def k(kiosk: Kiosk, qtbot: QtBot) -> Kiosk:
    """The kiosk on its start screen, portrait, in Chinese."""
    qtbot.waitUntil(lambda: kiosk.model.connected and kiosk.model.screen is not Screen.STARTING,
                    timeout=15000)
    kiosk.window.resize(*PORTRAIT)
    kiosk.model.home()
    settle(qtbot)
    return kiosk


@pytest.fixture
def shots(artifacts: Path) -> Path:
    out = artifacts / "kiosk" / "layout"
    out.mkdir(parents=True, exist_ok=True)
    return out


def settle(qtbot: QtBot) -> None:
    """Let posted layout requests and the lists' deferred fits run."""
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(40)


def show(k: Kiosk, qtbot: QtBot, size: tuple[int, int], lang: str) -> None:
    k.window.resize(*size)
    settle(qtbot)
    k.model.set_language(lang)
    settle(qtbot)


def shoot(k: Kiosk, shots: Path, name: str) -> None:
    assert k.window.grab().save(str(shots / f"{name}.png"))


@contextmanager
def doctored(k: Kiosk, *, departments: int = 0, long_service: bool = False) -> Iterator[None]:
    """The hub's snapshot with ``departments`` more departments (one service each) and a police
    service with a very long name; the real one again afterwards."""
    assert k.bus.client is not None
    real = k.bus.client.snapshot
    hall = {**real["hall"], "departments": [dict(d) for d in real["hall"]["departments"]]}
    services: list[dict[str, Any]] = [dict(s) for s in real["services"]]
    model = next(s for s in services if s["id"] == "hukou")
    if long_service:
        services.append({**model, "id": "longname", "name": LONG_ZH, "name_en": LONG_EN,
                         "waiting": 0, "est_wait_min": 0})
    for i in range(departments):
        hall["departments"].append({"id": f"extra{i}", "name": f"综合窗口{i + 1}",
                                    "name_en": f"Comprehensive desk {i + 1}"})
        services.append({**model, "id": f"extra{i}", "department": f"extra{i}",
                         "name": f"综合业务{i + 1}", "name_en": f"Comprehensive service {i + 1}"})
    k.model.on_snapshot(0, {**real, "hall": hall, "services": services})
    try:
        yield
    finally:
        k.model.on_snapshot(0, real)


# ---------------------------------------------------------------------------------- measures

def clipped_words(tile: Tile) -> list[str]:
    """The tile's visible lines whose wrapped words need more height than they get, or that
    reach past the tile's border."""
    inside = tile.rect().adjusted(2, 2, -2, -2)
    bad = []
    for part in (tile.title, tile.sub, tile.hours):
        if not part.isVisibleTo(tile):
            continue
        if part.heightForWidth(part.width()) > part.height() or not inside.contains(part.geometry()):
            bad.append(f"{tile.key}: {part.text()!r} needs {part.heightForWidth(part.width())} "
                       f"px, has {part.geometry()} in {tile.rect()}")
    return bad


def rows_of(tiles: list[Tile]) -> list[list[Tile]]:
    rows: dict[int, list[Tile]] = {}
    for tile in tiles:
        rows.setdefault(tile.y(), []).append(tile)
    return [rows[y] for y in sorted(rows)]


def off_centre(tile: Tile) -> int:
    """How much further the words are from the tile's top than from its bottom (or back)."""
    parts = [p for p in (tile.title, tile.sub, tile.hours) if p.isVisibleTo(tile)]
    top = min(p.geometry().top() for p in parts)
    bottom = max(p.geometry().bottom() for p in parts)
    return abs(top - (tile.height() - 1 - bottom))


def in_view(area: QScrollArea, tile: Tile) -> QRect:
    """The tile's rectangle in the scroll area's viewport (what shows is the viewport's rect)."""
    return QRect(tile.mapTo(area.viewport(), QPoint(0, 0)), tile.size())


def check_tiles(tiles: list[Tile], where: str) -> None:
    problems = [p for tile in tiles for p in clipped_words(tile)]
    assert not problems, f"{where}: {problems}"
    for row in rows_of(tiles):
        heights = {tile.height() for tile in row}
        assert len(heights) == 1, f"{where}: one row, heights {[(t.key, t.height()) for t in row]}"
    for tile in tiles:
        assert off_centre(tile) <= 3, f"{where}: {tile.key} words off centre by {off_centre(tile)}"
        assert tile.height() >= FINGER and tile.width() >= FINGER, f"{where}: {tile.key} too small"


# ---------------------------------------------------------------------------------- tiles

def test_a_long_service_name_fits_its_tile_after_switching_language(
        k: Kiosk, qtbot: QtBot, shots: Path) -> None:
    page = k.window.pages[Screen.SERVICES]
    assert isinstance(page, ServicesPage)
    with doctored(k, long_service=True):
        for orientation in ("portrait", "landscape"):
            show(k, qtbot, SIZES[orientation], "zh")
            k.model.choose_department("police")  # first in Chinese, then English on this screen
            settle(qtbot)
            tiles = list(page.tiles.values())
            check_tiles(tiles, f"{orientation} zh")
            zh = page.tiles["longname"].height()
            show(k, qtbot, SIZES[orientation], "en")
            shoot(k, shots, f"{orientation}_services_longname_en")
            check_tiles(tiles, f"{orientation} en")
            assert page.tiles["longname"].height() > zh
            show(k, qtbot, SIZES[orientation], "zh")
            check_tiles(tiles, f"{orientation} zh again")
            assert page.tiles["longname"].height() == zh  # shrinks back: no stale maximum
            k.model.home()
            settle(qtbot)


def test_tiles_of_a_row_share_a_height_after_size_and_language_changes(
        k: Kiosk, qtbot: QtBot, shots: Path) -> None:
    home = k.window.pages[Screen.HOME]
    assert isinstance(home, HomePage)
    tiles = list(home.tiles.values())
    for name in ("small", "portrait", "landscape", "small", "portrait"):
        for lang in ("en", "zh"):
            show(k, qtbot, SIZES[name], lang)
            check_tiles(tiles, f"{name} {lang}")
    shoot(k, shots, "portrait_home_zh_after_sizes")


# ---------------------------------------------------------------------------------- the grid

@pytest.mark.parametrize("name", ["landscape", "small"])
def test_the_county_hall_fits_a_landscape_screen_without_scrolling(
        k: Kiosk, qtbot: QtBot, shots: Path, name: str) -> None:
    home = k.window.pages[Screen.HOME]
    assert isinstance(home, HomePage)
    tiles = list(home.tiles.values())
    assert len(tiles) == 9
    for lang in ("zh", "en"):
        show(k, qtbot, SIZES[name], lang)
        shoot(k, shots, f"{name}_home_{lang}")
        where = f"{name} {lang}"
        assert home.list.verticalScrollBar().maximum() == 0, f"{where}: the departments scroll"
        view = home.list.viewport().rect()
        for tile in tiles:
            assert view.contains(in_view(home.list, tile)), f"{where}: {tile.key} not all shown"
        check_tiles(tiles, where)
        # the check-in column leaves the width to the departments
        assert home.check_in.width() < SIZES[name][0] // 5
        assert not [p for p in clipped_words(home.check_in)], where


@pytest.mark.parametrize("name", ["portrait", "landscape", "small"])
def test_a_hall_with_many_departments_scrolls_by_whole_rows(
        k: Kiosk, qtbot: QtBot, shots: Path, name: str) -> None:
    home = k.window.pages[Screen.HOME]
    assert isinstance(home, HomePage)
    with doctored(k, departments=12):
        for lang in ("zh", "en"):
            show(k, qtbot, SIZES[name], lang)
            tiles = list(home.tiles.values())
            assert len(tiles) == 21
            bar = home.list.verticalScrollBar()
            assert bar.maximum() > 0, f"{name} {lang}: 21 departments and no scrolling"
            assert bar.isVisible()
            check_tiles(tiles, f"{name} {lang}")
            for end in (bar.minimum(), bar.maximum()):
                bar.setValue(end)
                settle(qtbot)
                shoot(k, shots, f"{name}_home_21_{lang}_{'top' if end == 0 else 'bottom'}")
                view = home.list.viewport().rect()
                shown = 0
                for tile in tiles:
                    rect = in_view(home.list, tile)
                    cut = rect.intersects(view) and not view.contains(rect)
                    assert not cut, f"{name} {lang} at {end}: {tile.key} cut at {rect} by {view}"
                    shown += view.contains(rect)
                assert shown >= home.columns
            bar.setValue(0)
    k.model.home()
    settle(qtbot)


# ---------------------------------------------------------------------------------- the code

@pytest.mark.parametrize("name", ["portrait", "landscape", "small"])
def test_the_longest_code_fits_its_box(k: Kiosk, qtbot: QtBot, shots: Path, name: str) -> None:
    page = k.window.pages[Screen.CHECK_IN]
    assert isinstance(page, CheckInPage)
    show(k, qtbot, SIZES[name], "zh")
    k.model.open_check_in()
    for digit in "8801":
        k.model.key(digit)
    settle(qtbot)
    code = page.code
    full = code.font().pixelSize()
    assert full == k.window.metrics.px(80)  # a short code keeps the big type
    for i in range(CODE_LENGTH_MAX):
        k.model.key(str(i % 10))
    settle(qtbot)
    shoot(k, shots, f"{name}_check_in_longest_code")
    assert len(code.text()) == CODE_LENGTH_MAX
    text = code.fontMetrics().horizontalAdvance(code.text())
    assert text <= code.contentsRect().width(), f"{text} px of digits in {code.contentsRect()}"
    assert code.sizeHint().width() <= code.width()
    assert page.rect().contains(code.geometry().translated(code.parentWidget().mapTo(page, QPoint())))
    assert code.font().pixelSize() >= full // 3
    k.model.home()
    settle(qtbot)


# ---------------------------------------------------------------------------------- the footer

def red_pixels(label: QLabel) -> int:
    image = label.grab().toImage()
    red = QColor(RED)
    return sum(1 for x in range(image.width()) for y in range(image.height())
               if max(abs(image.pixelColor(x, y).red() - red.red()),
                      abs(image.pixelColor(x, y).green() - red.green()),
                      abs(image.pixelColor(x, y).blue() - red.blue())) < 40)


def test_the_hub_lost_note_is_red(k: Kiosk, qtbot: QtBot, shots: Path) -> None:
    note = k.window.hub_lost
    k.model.on_status(False, "a test says the hub is gone")
    try:
        settle(qtbot)
        shoot(k, shots, "portrait_hub_lost_zh")
        assert note.isVisible() and note.text()
        assert note.palette().color(note.foregroundRole()) == QColor(RED)
        assert red_pixels(note) > 50
    finally:
        k.model.on_status(True, "connected")
    settle(qtbot)
    assert not note.isVisible() or not note.text()


def test_no_loss_is_claimed_before_the_first_connection(k: Kiosk, qtbot: QtBot,
                                                        shots: Path) -> None:
    model = KioskModel(k.bus, k.jobs)
    starting = KioskWindow(model)
    try:
        for name, size in (("portrait", PORTRAIT), ("landscape", LANDSCAPE)):
            starting.resize(*size)
            for lang in ("zh", "en"):
                model.set_language(lang)
                settle(qtbot)
                assert model.screen is Screen.STARTING
                assert not (starting.hub_lost.isVisibleTo(starting) and starting.hub_lost.text())
                assert starting.help.isVisibleTo(starting)
                assert starting.grab().save(str(shots / f"{name}_starting_{lang}.png"))
        model.on_status(True, "connected")
        model.on_status(False, "gone again")
        assert starting.hub_lost.isVisibleTo(starting)
        assert model.t("hub_lost") in starting.hub_lost.text()
    finally:
        starting.deleteLater()


def test_large_bold_labels_are_bold(qtbot: QtBot) -> None:
    """The ticket number on the screen was as thin as regular type (Qt drops the made-up bold
    of WenQuanYi at 64 px and more); a kiosk label draws such a line stroked."""

    def ink(widget: QLabel) -> int:
        widget.setStyleSheet("font-size: 150px; font-weight: bold; color: black;"
                             "background: white;")
        widget.resize(700, 220)
        qtbot.addWidget(widget)
        image = widget.grab().toImage()
        return sum(1 for y in range(0, image.height(), 2) for x in range(0, image.width(), 2)
                   if image.pixelColor(x, y).value() < 128)

    assert ink(label("number", "A012", wrap=False)) > 1.25 * ink(QLabel("A012"))


@pytest.mark.parametrize(("name", "extra"), [("landscape", 1), ("landscape", 12),
                                             ("portrait", 4), ("small", 1)])
def test_a_settled_start_screen_lays_itself_out_no_more(
        k: Kiosk, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, name: str, extra: int) -> None:
    """A tile measured before its denser type was applied found its height changed afterwards,
    and the list fitted again, for ever: a core busy on an idle kiosk. An event that changes
    only a waiting count fits once, without restyling every tile."""
    home = k.window.pages[Screen.HOME]
    assert isinstance(home, HomePage)
    fits = 0
    real_fit = TouchList._fit

    def counted(self: TouchList, *args: Any) -> None:
        nonlocal fits
        fits += 1
        real_fit(self, *args)

    monkeypatch.setattr(TouchList, "_fit", counted)
    with doctored(k, departments=extra):
        show(k, qtbot, SIZES[name], "en")
        before = fits
        for _ in range(20):
            QApplication.processEvents()
        assert fits == before and not home.list._later.isActive()
        restyled = 0
        real_density = Tile.set_density

        def counted_density(self: Tile, density: int) -> None:
            nonlocal restyled
            restyled += density != self.density
            real_density(self, density)

        monkeypatch.setattr(Tile, "set_density", counted_density)
        k.model.on_event({"event": "queue_changed",
                          "data": {"service": "hukou", "waiting": 5, "est_wait_min": 12}})
        QApplication.processEvents()
        assert restyled == 0

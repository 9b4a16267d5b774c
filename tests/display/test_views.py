"""What the screens paint, read back line by line: every text the board draws goes through
``draw_line``, which these tests wrap to record the text and its size (the painting itself is
the real one, offscreen). Screenshots of each case go to tests/artifacts/display/.

The hall is the county hall run by the real engine, with the long names, long ticket numbers
and long clerk names a real hall has.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

import display.views as views
from display.model import DisplayModel, HallBoard, hall_screen, window_screen, zone_screen
from display.views import SHRINK_LIMIT, BoardView, Screen
from hub.config import Hall, load_hall
from hub.engine import HallEngine
from hub.model import Clerk
from hub.protocol import Role, event_for, snapshot_for
from tests.fakes import FakeClock
from tests.hubproc import COUNTY

SIZES = [(1920, 1080), (1366, 768), (1280, 720), (1080, 1920)]
LONG_SOCIAL = ("社会保险参保登记与待遇申领", "Social insurance registration and benefit claims")
LONG_REALTY = ("不动产登记（含抵押、查封、预告登记）",
               "Real estate registration (mortgage, seizure, advance notice)")
LONG_WINDOW = ("综合受理窗口（社保·医保·就业·公积金）",
               "Comprehensive acceptance (social, medical, employment, housing fund)")


@dataclass
class Drawn:
    text: str
    px: int
    box: QRectF


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Drawn]:
    """Every line the screens draw, as drawn."""
    lines: list[Drawn] = []
    real = views.draw_line

    def record(painter: QPainter, box: QRectF, align: Qt.AlignmentFlag, text: str, font: QFont,
               colour: QColor) -> None:
        lines.append(Drawn(text, font.pixelSize(), QRectF(box)))
        real(painter, box, align, text, font, colour)

    monkeypatch.setattr(views, "draw_line", record)
    return lines


@pytest.fixture
def shots(artifacts: Path) -> Path:
    folder = artifacts / "display"
    folder.mkdir(exist_ok=True)
    return folder


class Board:
    """A display's board fed by the real engine of a hall, as the hub would feed it."""

    def __init__(self, hall: Hall) -> None:
        self.clock = FakeClock()
        self.engine = HallEngine(hall, self.clock, always_open=True)
        self.board = HallBoard(self.clock)
        self.board.apply_snapshot(0, snapshot_for(Role.DISPLAY, self.engine.snapshot()))
        self.board.set_status(True, "connected")
        self.model = DisplayModel(self.board)

    def do(self, action: str, *args: Any) -> Any:
        outcome = getattr(self.engine, action)(*args)
        for event in outcome.events:
            data = event_for(Role.DISPLAY, event.name, event.data)
            if data is not None:
                self.board.apply_event({"event": event.name, "data": data,
                                        "at": self.clock.now().isoformat()})
        return outcome.result


def hall_with(services: dict[str, tuple[str, str]] | None = None, prefix: dict[str, str] | None = None,
              window_names: dict[int, tuple[str, str]] | None = None) -> Hall:
    hall = load_hall(COUNTY)
    changed = dict(hall.services)
    for sid, (zh, en) in (services or {}).items():
        changed[sid] = replace(changed[sid], name=zh, name_en=en)
    for sid, letters in (prefix or {}).items():
        changed[sid] = replace(changed[sid], prefix=letters)
    windows = dict(hall.windows)
    for number, (zh, en) in (window_names or {}).items():
        windows[number] = replace(windows[number], name=zh, name_en=en)
    return replace(hall, services=changed, windows=windows)


def paint(board: Board, build: Callable[[], Screen], size: tuple[int, int], path: Path | None = None,
          ) -> None:
    view = BoardView(board.model, build)
    view.resize(*size)
    image = view.grab()
    if path is not None:
        assert image.save(str(path))
    view.close()
    view.deleteLater()


def test_a_ticket_number_is_never_cut_on_any_screen(qtbot: Any, drawn: list[Drawn], shots: Path) -> None:
    """C1000 showed as "C10…" on a zone screen, AB1000 as "AB1…" on a portrait window screen."""
    b = Board(hall_with(prefix={"social": "AB"}))
    for number, clerk in ((1, "1001"), (2, "1002"), (3, "1003")):
        b.do("sign_in", number, Clerk(clerk, "张三"))
    for _ in range(1003):
        b.do("issue", "social")
    called = [b.do("call_number", w, n)["ticket"]["number"]
              for w, n in ((1, "AB1000"), (2, "AB1001"), (3, "AB1002"))]
    assert called == ["AB1000", "AB1001", "AB1002"]
    screens: dict[str, Callable[[str], Screen]] = {
        "hall": lambda lang: hall_screen(b.board, lang),
        "window": lambda lang: window_screen(b.board, 1, lang),
        "zone": lambda lang: zone_screen(b.board, "综合服务区", lang),
    }
    for mode, build in screens.items():
        for lang in ("zh", "en"):
            for size in SIZES:
                drawn.clear()
                path = shots / f"numbers-{mode}-{lang}-{size[0]}x{size[1]}.png"
                paint(b, lambda build=build, lang=lang: build(lang), size,  # type: ignore[misc]
                      path if size in ((1920, 1080), (1080, 1920)) else None)
                texts = [d.text for d in drawn]
                cut = [t for t in texts if re.match(r"^AB\d*…", t)]
                assert cut == [], (mode, lang, size)
                expected = {"AB1000"} if mode == "window" else set(called)
                assert expected <= set(texts), (mode, lang, size, texts)
                if mode == "hall":  # the longest count is read as easily as the others
                    counts = {d.text: d.px for d in drawn if d.text.endswith(("人等候", "waiting"))}
                    for unit in ("人等候", "waiting"):
                        long, short = counts.get(f"1000 {unit}", 0), counts[f"0 {unit}"]  # (0: cut)
                        assert long >= 0.75 * short, (lang, size, unit, long, short)


def test_a_long_count_is_never_cut_in_a_hall_of_one_language(qtbot: Any, drawn: list[Drawn]) -> None:
    """With one language a count is drawn across its whole box: "1000 人…" was cut there."""
    for lang in ("zh", "en"):
        b = Board(replace(hall_with(), languages=(lang,)))
        b.board.languages = (lang,)
        for _ in range(1000):
            b.do("issue", "social")
        unit = "人等候" if lang == "zh" else "waiting"
        for size in [*SIZES, (1024, 600), (800, 480)]:
            drawn.clear()
            paint(b, lambda b=b, lang=lang: hall_screen(b.board, lang), size)  # type: ignore[misc]
            counts = {d.text: d.px for d in drawn if d.text.startswith(("0 ", "1000"))}
            assert f"1000 {unit}" in counts, (lang, size, counts)
            assert counts[f"1000 {unit}"] >= 0.6 * counts[f"0 {unit}"], (lang, size, counts)


def test_the_staff_number_is_never_cut_the_name_is(qtbot: Any, drawn: list[Drawn], shots: Path) -> None:
    """亮身份: "阿依古丽·买买提" cut the line to "工号…"; the number must stay whole."""
    for name in ("阿依古丽·买买提", "阿卜杜热合曼·买买提明·艾尔肯江", "张三"):
        b = Board(hall_with())
        b.do("sign_in", 1, Clerk("20231004", name))
        b.do("issue", "social")
        b.do("call_next", 1)
        for lang, staff in (("zh", "工号 20231004"), ("en", "Staff no. 20231004")):
            for size in SIZES:
                drawn.clear()
                long = name.startswith("阿卜")
                paint(b, lambda b=b, lang=lang: window_screen(b.board, 1, lang),  # type: ignore[misc]
                      size, shots / f"clerk-{lang}-{size[0]}x{size[1]}.png" if long else None)
                lines = [d.text for d in drawn if "20231004" in d.text]
                assert len(lines) == 2, (name, lang, size, [d.text for d in drawn])
                assert lines[0].endswith(staff), (name, lang, size, lines)
                for line in lines:
                    assert line.endswith("20231004") and ("…" in line) != (name in line)
                # the longest name is whole on a full-HD screen (it was cut to "阿卜…")
                assert name in lines[0] or size[0] * size[1] < 1920 * 1080, (size, lines)
                if name == "张三":
                    assert name in lines[0]


def test_one_long_service_name_does_not_shrink_the_others(qtbot: Any, drawn: list[Drawn],
                                                          shots: Path) -> None:
    """One long name made every row of "waiting by service" 8 px: now only it is cut."""
    plain = Board(hall_with())
    long = Board(hall_with(services={"social": LONG_SOCIAL, "realty": LONG_REALTY}))
    short = {s.name for s in plain.engine.hall.services.values()} - {"社会保险", "不动产登记"}
    for b in (plain, long):
        b.do("sign_in", 1, Clerk("1001", "张三"))
        b.do("issue", "social")
        b.do("call_next", 1)
    for lang in ("zh", "en"):
        for size in SIZES:
            sizes: dict[str, int] = {}
            for tag, b in (("plain", plain), ("long", long)):
                drawn.clear()
                paint(b, lambda b=b, lang=lang: hall_screen(b.board, lang), size,  # type: ignore[misc]
                      shots / f"queues-{tag}-{lang}-{size[0]}x{size[1]}.png" if tag == "long" else None)
                sizes[tag] = min(d.px for d in drawn if d.text in short)
                if tag == "long":
                    cut = [d.text for d in drawn if "…" in d.text]
                    long_names = ("社会保险", "不动产", "Social", "Real estate")
                    assert all(t.startswith(long_names) for t in cut), cut
            assert sizes["long"] >= 0.8 * sizes["plain"], (lang, size, sizes)


def test_a_long_window_name_takes_two_lines_where_there_is_room(
    qtbot: Any, drawn: list[Drawn], shots: Path
) -> None:
    b = Board(hall_with(window_names={1: LONG_WINDOW}))
    b.do("sign_in", 1, Clerk("1004", "欧阳娜娜"))
    b.do("issue", "social")
    b.do("call_next", 1)
    for lang in ("zh", "en"):
        drawn.clear()
        paint(b, lambda lang=lang: window_screen(b.board, 1, lang), (1080, 1920),  # type: ignore[misc]
              shots / f"window-long-name-{lang}-portrait.png")
        primary = LONG_WINDOW[0] if lang == "zh" else LONG_WINDOW[1]
        texts = [d.text for d in drawn]
        first = next(i for i, t in enumerate(texts) if primary.startswith(t) and len(t) > 3)
        two = texts[first:first + 2]
        assert "".join(two).replace(" ", "") == primary.replace(" ", ""), texts
        assert not any("…" in t for t in texts if t not in ("…",)), texts
        # the two lines are as large as the name's own line would be, not shrunk to nothing
        assert drawn[first].px >= drawn[first].box.height() * 0.92 * SHRINK_LIMIT



def test_a_pause_reason_shows_whole_in_each_language(qtbot: Any, drawn: list[Drawn],
                                                     shots: Path) -> None:
    """A reason from the clerk's list ("会议 / Meeting") showed as "暂停服务（会议 …" on the
    window's own screen: each language now shows its own part, whole."""
    b = Board(hall_with())
    b.do("sign_in", 1, Clerk("1001", "张三"))
    b.do("pause", 1, "系统故障 / System problem")  # as the clerk's list sends it
    for lang, first, second in (("zh", "暂停服务（系统故障）", "Paused (System problem)"),
                                ("en", "Paused (System problem)", "暂停服务（系统故障）")):
        for size in SIZES:
            drawn.clear()
            paint(b, lambda lang=lang: window_screen(b.board, 1, lang),  # type: ignore[misc]
                  size, shots / f"paused-window-{lang}-{size[0]}x{size[1]}.png")
            texts = [d.text for d in drawn]
            assert first in texts and second in texts, (lang, size, "|".join(texts))


def test_the_clerks_photo_shows_beside_the_name_and_staff_number(
        qtbot: Any, drawn: list[Drawn], shots: Path, tmp_path: Path) -> None:
    """亮身份: name, staff number and photo at the window; the screen above it showed the name
    and number over an empty half."""
    photo = QImage(300, 400, QImage.Format.Format_RGB32)
    photo.fill(QColor("#9fb3c8"))
    painter = QPainter(photo)
    painter.setBrush(QColor("#e0b48c"))
    painter.drawEllipse(75, 60, 150, 180)  # a face
    painter.setBrush(QColor("#2c4a6e"))
    painter.drawRect(30, 260, 240, 140)  # a uniform
    painter.end()
    assert photo.save(str(tmp_path / "1001.png"))
    b = Board(hall_with())
    b.board.photos = tmp_path
    b.do("sign_in", 1, Clerk("1001", "张三"))
    b.do("sign_in", 2, Clerk("1002", "李四"))  # no photo of his on this machine
    b.do("issue", "social")
    b.do("call_next", 1)
    assert window_screen(b.board, 1, "zh").photo == tmp_path / "1001.png"
    assert window_screen(b.board, 2, "zh").photo is None
    for lang in ("zh", "en"):
        for size in SIZES:
            drawn.clear()
            paint(b, lambda lang=lang: window_screen(b.board, 1, lang),  # type: ignore[misc]
                  size, shots / f"photo-window-{lang}-{size[0]}x{size[1]}.png")
            staff = [d for d in drawn if "1001" in d.text and d.text != "C001"]
            assert len(staff) == 2 and all(d.text.endswith("1001") for d in staff), (lang, size)
            # the name and number stand right of the photo (3:4, as tall as their lines)
            assert all(d.box.left() > size[0] * 0.05 for d in staff), (lang, size)


TYPED_REASON = "系统故障正在抢修预计十点半恢复请到二号窗口办理社保医保业务谢谢配合理解支持"  # 37, as typed
S4_REASON = "系统故障，正在联系信息中心处理，请稍候"


def _reason_lines(drawn: list[Drawn], whole: str) -> list[Drawn]:
    """The lines that together draw ``whole`` (wrapped, perhaps cut with "…"): the run of lines
    from the first that starts it."""
    first = next((i for i, d in enumerate(drawn) if d.text and whole.startswith(d.text[:5])), None)
    assert first is not None, [d.text for d in drawn]
    run, joined = [], ""
    for d in drawn[first:]:
        if not (whole.startswith(joined + d.text) or d.text.endswith("…")):
            break
        run.append(d)
        joined += d.text
        if d.text.endswith("…") or joined == whole:
            break
    return run


def test_a_long_typed_pause_reason_wraps_where_there_is_room(
        qtbot: Any, drawn: list[Drawn], shots: Path) -> None:
    """A typed reason was cut to "暂停服务（系统故障，正在…" on the window's own screen and to
    "暂停服务（系…" on the zone card, though the panel had room for two or three lines."""
    b = Board(hall_with())
    b.do("sign_in", 1, Clerk("1001", "张三"))
    b.do("sign_in", 2, Clerk("1002", "欧阳娜娜"))
    b.do("issue", "social")
    b.do("call_next", 2)
    b.do("pause", 1, TYPED_REASON)  # no ticket: the reason stands in the number's panel
    b.do("pause", 2, S4_REASON)  # a ticket: the reason stands under the window's name
    screens: dict[str, tuple[Callable[[str], Screen], str]] = {
        "window": (lambda lang: window_screen(b.board, 1, lang), TYPED_REASON),
        "window-ticket": (lambda lang: window_screen(b.board, 2, lang), S4_REASON),
        "zone": (lambda lang: zone_screen(b.board, "综合服务区", lang), TYPED_REASON),
    }
    for mode, (build, reason) in screens.items():
        for lang in ("zh", "en"):
            whole = f"暂停服务（{reason}）" if lang == "zh" else f"Paused ({reason})"
            for size in ((1920, 1080), (1280, 800), (1080, 1920)):
                drawn.clear()
                paint(b, lambda build=build, lang=lang: build(lang), size,  # type: ignore[misc]
                      shots / f"paused-long-{mode}-{lang}-{size[0]}x{size[1]}.png")
                lines = _reason_lines(drawn, whole)
                texts = [d.text for d in lines]
                shown = "".join(t.replace(" ", "") for t in texts)
                case = (mode, lang, size, texts)
                # two lines at least, of type no smaller than a name's least (not 8 px)
                assert len(lines) >= 2, case
                assert len(shown.rstrip("…")) >= 2 * 9, case
                assert all(d.px >= min(size) * 0.035 for d in lines), (case, [d.px for d in lines])
                if size == (1920, 1080) or mode == "window":  # whole where the panel has room
                    assert shown == whole.replace(" ", ""), case
                other = "Paused" if lang == "zh" else "暂停服务"  # the other language still shows
                assert any(d.text == other for d in drawn), (case, [d.text for d in drawn])


def test_a_short_pause_reason_looks_as_before(qtbot: Any, drawn: list[Drawn]) -> None:
    """A reason that fits its line is drawn on one line, exactly as ``draw_two`` draws it; one
    that did not (a zone card cut "暂停服务（会议）" to "暂停服务（会…") now wraps, whole."""
    b = Board(hall_with())
    b.do("sign_in", 1, Clerk("1001", "张三"))
    b.do("sign_in", 2, Clerk("1002", "李四"))
    b.do("issue", "social")
    b.do("call_next", 2)
    b.do("pause", 1, "会议 / Meeting")
    b.do("pause", 2, "会议 / Meeting")

    def lines(build: Callable[[], Screen], size: tuple[int, int]) -> list[tuple[str, int, QRectF]]:
        drawn.clear()
        paint(b, build, size)
        return [(d.text, d.px, d.box) for d in drawn if d.text != "10:00"]

    builds: list[Callable[[], Screen]] = [
        lambda: window_screen(b.board, 1, "zh"), lambda: window_screen(b.board, 2, "zh"),
        lambda: window_screen(b.board, 1, "en"), lambda: zone_screen(b.board, "综合服务区", "zh"),
        lambda: zone_screen(b.board, "综合服务区", "en")]
    for build in builds:
        for size in ((1920, 1080), (1280, 800), (1080, 1920)):
            now = lines(build, size)
            texts = [t for t, _, _ in now]
            assert any(t in "".join(texts).replace(" ", "")
                       for t in ("暂停服务（会议）", "Paused(Meeting)")), texts
            assert not any("…" in t and ("会议" in t or "Meeting" in t) for t in texts), texts
            with pytest.MonkeyPatch.context() as patch:  # the screens as they were drawn before
                patch.setattr(views, "draw_wrapped", lambda p, box, room, text, colour, **kw:
                              views.draw_two(p, box, text, colour, **{k: v for k, v in kw.items()
                                                                      if k != "wrap_floor"}),
                              raising=False)
                before = lines(build, size)
            if not any("…" in t for t, _, _ in before):
                assert now == before, (size, texts)
            else:  # the zone card cut even "暂停服务（会…": now it wraps, whole
                joined = "".join(texts).replace(" ", "")
                assert "暂停服务（会议）" in joined and "Paused(Meeting)" in joined, (size, texts)

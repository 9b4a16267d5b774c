"""Live indicators and alerts (pure): tables of hall situations, a fake clock, no hub, no Qt."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from counter.desk.errors import PeriodError, SettingsError
from counter.desk.indicators import (
    HallWatch,
    Targets,
    compute,
    device_level,
    load_targets,
    targets_from_dict,
)
from counter.desk.periods import period_range
from counter.desk.report_table import report_csv, report_rows
from tests.fakes import FakeClock

DAY = "2026-11-23"
T0 = datetime.fromisoformat("2026-11-23T02:00:00+00:00")


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def ticket(number: str, service: str, issued: datetime, state: str = "waiting",
           **extra: Any) -> dict[str, Any]:
    return {"id": f"20261123-{number}", "number": number, "service": service, "state": state,
            "priority": "normal", "issued_at": iso(issued), "window": None, "calls": 0,
            "ahead": 0, "est_wait_min": 0, "to_window": None, **extra}


def window(number: int, state: str = "closed", serves: tuple[str, ...] = ("social",),
           **extra: Any) -> dict[str, Any]:
    return {"number": number, "name": f"综合受理 {number}", "name_en": f"Comprehensive {number}",
            "zone": "综合服务区", "serves": list(serves), "state": state,
            "clerk": "1001" if state != "closed" else None,
            "clerk_name": "张三" if state != "closed" else None, "reason": None, "current": None,
            **extra}


def snapshot(waiting: Sequence[dict[str, Any]] = (), windows: Sequence[dict[str, Any]] = (),
             devices: dict[str, Any] | None = None) -> dict[str, Any]:
    services = [{"id": "social", "name": "社会保险", "name_en": "Social insurance", "prefix": "C",
                 "department": "hrss", "open": True, "waiting": 0, "est_wait_min": 0},
                {"id": "realty", "name": "不动产登记", "name_en": "Real estate", "prefix": "F",
                 "department": "realty", "open": True, "waiting": 0, "est_wait_min": 0}]
    for service in services:
        service["waiting"] = sum(1 for t in waiting if t["service"] == service["id"])
    return {"day": DAY, "hall": {"name": "县政务服务中心", "languages": ["zh", "en"],
                                 "timezone": "Asia/Shanghai", "departments": []},
            "services": services, "windows": list(windows) or [window(1, "open")],
            "recent_calls": [], "waiting": list(waiting), "devices": devices or {}}


def report(no_show: int = 0, ratings: dict[str, int] | None = None,
           dissatisfied: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    scores = {"1": 0, "2": 0, "3": 0, "4": 0, **(ratings or {})}
    return {"from": DAY, "to": DAY, "total": {"issued": 10, "no_show": no_show, "ratings": scores},
            "dissatisfied": list(dissatisfied)}


def watch_of(snap: dict[str, Any], clock: FakeClock) -> HallWatch:
    watch = HallWatch()
    watch.apply_snapshot(10, snap, clock.now())
    return watch


def kinds(watch: HallWatch, clock: FakeClock, targets: Targets | None = None) -> list[str]:
    return [a.kind for a in compute(watch, targets or Targets(), clock.now()).alerts]


# ---------------------------------------------------------------------------------- targets


def test_targets_default_without_a_settings_file() -> None:
    assert load_targets(None) == Targets()


def test_targets_read_from_the_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "desk.toml"
    path.write_text("[targets]\nmax_wait_min = 20\nmax_pause_min = 5\ndissatisfied = false\n"
                    "[targets.max_wait_by_service]\nrealty = 45\n", encoding="utf-8")
    targets = load_targets(path)
    assert (targets.max_wait_min, targets.max_pause_min, targets.dissatisfied) == (20, 5, False)
    assert targets.wait_target("realty") == 45
    assert targets.wait_target("social") == 20


@pytest.mark.parametrize(("text", "named"), [
    ("[targets]\nmax_wait_min = 0\n", "max_wait_min"),
    ("[targets]\nmax_pause_min = \"ten\"\n", "max_pause_min"),
    ("[targets]\nmax_wiat_min = 10\n", "max_wiat_min"),
    ("[targets]\ndissatisfied = 1\n", "dissatisfied"),
    ("[targets.max_wait_by_service]\nrealty = -5\n", "realty"),
    ("[targets\n", "not valid TOML"),
    ("[targets]\nmax_wait_min = nan\n", "max_wait_min"),  # the screen divided by it
    ("[targets]\nmax_pause_min = inf\n", "max_pause_min"),
    ("[targets]\nmax_wait_min = 100000\n", "at most 1440"),
    ("[targts]\nmax_wait_min = 10\n", "unknown targts"),
])
def test_a_bad_settings_file_says_what_is_wrong(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "desk.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=named):
        load_targets(path)


def test_a_missing_settings_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_targets(tmp_path / "nowhere.toml")


# ---------------------------------------------------------------------------------- waiting


@pytest.mark.parametrize(("waited", "target", "alerted"), [
    (10, 30, False),
    (30, 30, False),  # "longer than" the target
    (31, 30, True),
    (50, 45, True),
])
def test_a_long_wait_raises_an_alert(waited: int, target: float, alerted: bool) -> None:
    clock = FakeClock()
    snap = snapshot([ticket("C001", "social", clock.now() - timedelta(minutes=waited)),
                     ticket("C002", "social", clock.now() - timedelta(minutes=2))])
    watch = watch_of(snap, clock)
    figures = compute(watch, Targets(max_wait_min=target), clock.now())
    alerts = [a for a in figures.alerts if a.kind == "long_wait"]
    assert bool(alerts) == alerted
    social = next(s for s in figures.services if s.id == "social")
    assert (social.waiting, social.longest_wait_min, social.longest_number) == (2, waited, "C001")
    if alerted:
        assert alerts[0].params["number"] == "C001"
        assert alerts[0].params["count"] == 1
        assert alerts[0].level == "alarm"


def test_the_longest_wait_names_the_first_in_line_of_equal_minutes() -> None:
    """Waits are whole minutes, so ties are the rule: C001 (1 min 40 s) is named, not C009
    (1 min 10 s), in the service's line and its alarm."""
    clock = FakeClock()
    snap = snapshot([ticket("C009", "social", clock.now() - timedelta(seconds=70)),
                     ticket("C001", "social", clock.now() - timedelta(seconds=100))])
    figures = compute(watch_of(snap, clock), Targets(max_wait_min=0), clock.now())
    social = next(s for s in figures.services if s.id == "social")
    assert (social.longest_wait_min, social.longest_number) == (1, "C001")
    alarm = next(a for a in figures.alerts if a.kind == "long_wait")
    assert alarm.params["number"] == "C001"


def test_a_ticket_sent_on_waits_from_when_it_was_sent() -> None:
    """C001, issued 50 minutes ago and sent on to another service 5 minutes ago, has waited
    5 minutes there, as the reports count it (the desk raised a 50-minute alarm)."""
    clock = FakeClock()
    snap = snapshot([ticket("C001", "social", clock.now() - timedelta(minutes=50),
                            queued_at=iso(clock.now() - timedelta(minutes=5)))])
    watch = watch_of(snap, clock)
    assert "long_wait" not in kinds(watch, clock, Targets(max_wait_min=30))
    social = next(s for s in compute(watch, Targets(), clock.now()).services
                  if s.id == "social")
    assert social.longest_wait_min == 5


def test_the_wait_alert_follows_the_clock() -> None:
    clock = FakeClock()
    watch = watch_of(snapshot([ticket("C001", "social", clock.now())]), clock)
    assert "long_wait" not in kinds(watch, clock)
    clock.advance(minutes=31)
    assert "long_wait" in kinds(watch, clock)


def test_a_service_target_overrides_the_hall_target() -> None:
    clock = FakeClock()
    snap = snapshot([ticket("F001", "realty", clock.now() - timedelta(minutes=40))],
                    [window(1, "open", ("realty",))])
    watch = watch_of(snap, clock)
    assert "long_wait" in kinds(watch, clock, Targets(max_wait_min=30))
    assert "long_wait" not in kinds(watch, clock, Targets(max_wait_min=30,
                                                          max_wait_by_service={"realty": 45}))


@pytest.mark.parametrize(("windows", "unserved"), [
    ([window(1, "open")], False),
    ([window(1, "paused")], True),
    ([window(1, "closed")], True),
    ([window(1, "closed"), window(2, "open")], False),
    ([window(1, "open", ("realty",))], True),
])
def test_people_waiting_with_no_open_window(windows: list[dict[str, Any]], unserved: bool) -> None:
    clock = FakeClock()
    watch = watch_of(snapshot([ticket("C001", "social", clock.now())], windows), clock)
    assert ("unserved" in kinds(watch, clock)) == unserved


def test_a_ticket_sent_to_an_open_window_of_another_service_is_not_unserved() -> None:
    """C001 (social insurance) was sent on to window 11, open for real estate, after window 4
    (the only one serving social) paused: window 11 will call it, so "nobody serves social
    insurance" is a false alarm; a second social ticket, waiting for window 4, is not."""
    clock = FakeClock()
    windows = [window(4, "paused", ("social",)), window(11, "open", ("realty",))]
    waiting = [ticket("C001", "social", clock.now(), to_window=11)]
    watch = watch_of(snapshot(waiting, windows), clock)
    assert "unserved" not in kinds(watch, clock)
    watch = watch_of(snapshot([*waiting, ticket("C002", "social", clock.now())], windows), clock)
    unserved = [a for a in compute(watch, Targets(), clock.now()).alerts if a.kind == "unserved"]
    assert [a.params["count"] for a in unserved] == [1]


@pytest.mark.parametrize(("state", "held"), [("closed", True), ("paused", False),
                                             ("open", False)])
def test_tickets_sent_to_a_window_nobody_has_opened_are_an_alert(state: str, held: bool) -> None:
    """Window 1 is open for social; C002 was reassigned to window 2: only window 2 calls it."""
    clock = FakeClock()
    waiting = [ticket("C001", "social", clock.now()),
               ticket("C002", "social", clock.now(), to_window=2)]
    watch = watch_of(snapshot(waiting, [window(1, "open"), window(2, state)]), clock)
    alerts = [a for a in compute(watch, Targets(), clock.now()).alerts if a.kind == "held"]
    assert [(a.key, a.params["count"], a.params["number"]) for a in alerts] == (
        [("held:2", 1, "C002")] if held else [])
    assert not [a for a in compute(watch, Targets(unserved=False), clock.now()).alerts
                if a.kind == "held"]


def test_events_keep_the_waiting_line() -> None:
    clock = FakeClock()
    watch = watch_of(snapshot([ticket("C001", "social", T0)]), clock)
    watch.apply_event({"event": "ticket_issued", "seq": 11, "at": iso(T0),
                       "data": {"ticket": ticket("C002", "social", T0)}}, clock.now())
    watch.apply_event({"event": "ticket_called", "seq": 12, "at": iso(T0),
                       "data": {"ticket": ticket("C001", "social", T0, "called", window=1)}},
                      clock.now())
    assert [t["number"] for t in watch.waiting.values()] == ["C002"]
    # an event the snapshot already holds changes nothing
    assert not watch.apply_event({"event": "ticket_issued", "seq": 9, "at": iso(T0),
                                  "data": {"ticket": ticket("C009", "social", T0)}}, clock.now())
    assert "20261123-C009" not in watch.waiting


# ---------------------------------------------------------------------------------- windows


def paused_event(seq: int, at: datetime, state: str = "paused") -> dict[str, Any]:
    return {"event": "window_changed", "seq": seq, "at": iso(at),
            "data": {"window": window(1, state, reason="午休" if state == "paused" else None)}}


@pytest.mark.parametrize(("minutes", "alerted"), [(5, False), (14, False), (15, True), (40, True)])
def test_a_long_pause_raises_an_alert(minutes: int, alerted: bool) -> None:
    clock = FakeClock()
    watch = watch_of(snapshot(), clock)
    watch.apply_event(paused_event(11, clock.now()), clock.now())
    clock.advance(minutes=minutes)
    figures = compute(watch, Targets(max_pause_min=15), clock.now())
    line = figures.windows[0]
    assert (line.state, line.for_min, line.since_exact, line.reason) == ("paused", minutes, True,
                                                                          "午休")
    assert line.over_limit == alerted
    assert ("long_pause" in [a.kind for a in figures.alerts]) == alerted


def test_resuming_ends_the_pause_alert() -> None:
    clock = FakeClock()
    watch = watch_of(snapshot(), clock)
    watch.apply_event(paused_event(11, clock.now()), clock.now())
    clock.advance(minutes=20)
    assert "long_pause" in kinds(watch, clock)
    watch.apply_event(paused_event(12, clock.now(), "open"), clock.now())
    assert "long_pause" not in kinds(watch, clock)


def test_a_pause_seen_first_in_a_snapshot_is_at_least_that_long() -> None:
    clock = FakeClock()
    watch = watch_of(snapshot(windows=[window(1, "paused")]), clock)
    clock.advance(minutes=16)
    watch.apply_snapshot(11, snapshot(windows=[window(1, "paused")]), clock.now())
    figures = compute(watch, Targets(), clock.now())
    assert (figures.windows[0].for_min, figures.windows[0].since_exact) == (16, False)
    assert figures.alerts[0].params["exact"] is False


def test_window_counts() -> None:
    clock = FakeClock()
    watch = watch_of(snapshot(windows=[window(1, "open"), window(2, "paused"), window(3),
                                       window(4)]), clock)
    figures = compute(watch, Targets(), clock.now())
    assert (figures.windows_open, figures.windows_paused, figures.windows_closed) == (1, 1, 2)


# ---------------------------------------------------------------------------------- devices


@pytest.mark.parametrize(("value", "level"), [
    ("ok", "ok"), ("online", "ok"), (True, "ok"), (None, "ok"),
    ("paper_near_end", "warning"), ("unknown", "warning"),
    ("paper_out", "alarm"), ("offline", "alarm"), ("cover_open", "alarm"), (False, "alarm"),
])
def test_device_levels(value: object, level: str) -> None:
    assert device_level(value) == level


def test_device_alerts_come_from_the_snapshot_and_from_events() -> None:
    clock = FakeClock()
    watch = watch_of(snapshot(devices={"kiosk-2": {"printer": "paper_near_end"}}), clock)
    watch.apply_event({"event": "device_alert", "seq": 11, "at": iso(T0),
                       "data": {"device": "kiosk-1", "status": {"printer": "paper_out"}}},
                      clock.now())
    alerts = {a.params["device"]: a.level for a in compute(watch, Targets(), clock.now()).alerts}
    assert alerts == {"kiosk-1": "alarm", "kiosk-2": "warning"}
    watch.apply_event({"event": "device_alert", "seq": 12, "at": iso(T0),
                       "data": {"device": "kiosk-1", "status": {"printer": "ok"}}}, clock.now())
    assert [a.params["device"] for a in compute(watch, Targets(), clock.now()).alerts] == ["kiosk-2"]


# ---------------------------------------------------------------------------------- today


def test_no_shows_and_ratings_add_events_to_the_days_report() -> None:
    clock = FakeClock()
    watch = watch_of(snapshot(), clock)
    assert compute(watch, Targets(), clock.now()).no_shows is None  # not known before the report
    assert watch.apply_report_today(report(no_show=2, ratings={"4": 3, "1": 1}, dissatisfied=[
        {"ticket": "C001", "day": DAY, "service": "social", "window": 1, "clerk": "1001"}]))
    events = [
        ("ticket_no_show", ticket("C005", "social", T0, "no_show"), {}),
        ("ticket_no_show", ticket("C006", "social", T0, "no_show"), {}),
        ("ticket_reinstated", ticket("C005", "social", T0), {}),
        ("ticket_rated", ticket("C003", "social", T0, "done", window=1, clerk="1001"), {"score": 1}),
        ("ticket_rated", ticket("C004", "social", T0, "done"), {"score": 3}),
    ]
    for seq, (name, t, extra) in enumerate(events, start=11):
        watch.apply_event({"event": name, "seq": seq, "at": iso(T0),
                           "data": {"ticket": t, **extra}}, clock.now())
    figures = compute(watch, Targets(), clock.now())
    assert figures.no_shows == 3
    assert dict(figures.ratings) == {1: 2, 2: 0, 3: 1, 4: 3}
    assert (figures.rated, figures.satisfaction) == (6, round(4 / 6, 3))
    assert [f.ticket for f in figures.follow_ups] == ["C001", "C003"]
    assert [a.params["number"] for a in figures.alerts if a.kind == "dissatisfied"] == [
        "C001", "C003"]
    assert [t["number"] for t in watch.missed.values()] == ["C006"]
    # a later report holds the events: counted once
    watch.apply_report_today(report(no_show=3, ratings={"4": 3, "3": 1, "1": 2}, dissatisfied=[
        {"ticket": "C001", "day": DAY, "service": "social"},
        {"ticket": "C003", "day": DAY, "service": "social"}]))
    figures = compute(watch, Targets(), clock.now())
    assert (figures.no_shows, figures.rated, len(figures.follow_ups)) == (3, 6, 2)


def test_a_followed_up_rating_shows_how_and_is_no_longer_an_alert() -> None:
    clock = FakeClock()
    watch = watch_of(snapshot(), clock)
    done = {"note": "已电话回访", "at": iso(T0), "by": "desk-2"}
    watch.apply_report_today(report(ratings={"1": 2}, dissatisfied=[
        {"ticket": "C001", "id": f"{DAY.replace('-', '')}-C001", "day": DAY, "service": "social",
         "window": 1, "clerk": "1001", "follow_up": done},
        {"ticket": "C002", "id": f"{DAY.replace('-', '')}-C002", "day": DAY, "service": "social",
         "window": "1", "follow_up": None}]))
    first, second = watch.follow_ups()
    assert (first.done, first.note, first.at, first.by) == (True, "已电话回访", iso(T0), "desk-2")
    assert (second.done, second.window, second.clerk) == (False, None, None)  # "1": not a number
    assert [a.params["number"] for a in compute(watch, Targets(), clock.now()).alerts] == ["C002"]
    # rated since the report, then followed up at another desk: both heard as events
    rated = ticket("C003", "social", T0, "done", window=1)
    watch.apply_event({"event": "ticket_rated", "seq": 11, "at": iso(T0),
                       "data": {"ticket": rated, "score": 1}}, clock.now())
    for seq, number in ((12, "C002"), (13, "C003")):
        followed = {**ticket(number, "social", T0, "done"), "follow_up": done}
        watch.apply_event({"event": "ticket_followed_up", "seq": seq, "at": iso(T0),
                           "data": {"ticket": followed, "follow_up": done}}, clock.now())
    assert [(f.ticket, f.done) for f in watch.follow_ups()] == [("C001", True), ("C002", True),
                                                                ("C003", True)]
    assert compute(watch, Targets(), clock.now()).alerts == ()


def test_dissatisfied_alerts_can_be_switched_off() -> None:
    clock = FakeClock()
    watch = watch_of(snapshot(), clock)
    watch.apply_report_today(report(dissatisfied=[{"ticket": "C001", "day": DAY,
                                                   "service": "social"}]))
    assert kinds(watch, clock) == ["dissatisfied"]
    assert kinds(watch, clock, Targets(dissatisfied=False)) == []


def test_a_report_of_another_day_is_not_today() -> None:
    watch = watch_of(snapshot(), FakeClock())
    assert not watch.apply_report_today({**report(), "from": "2026-11-01"})
    assert not watch.has_today


def test_a_new_day_starts_the_counts_again() -> None:
    clock = FakeClock()
    watch = watch_of(snapshot([ticket("C001", "social", T0)]), clock)
    watch.apply_report_today(report(no_show=4))
    watch.apply_event({"event": "day_started", "seq": 11, "at": iso(T0),
                       "data": {"day": "2026-11-24"}}, clock.now())
    figures = compute(watch, Targets(), clock.now())
    assert (figures.no_shows, figures.waiting_total, watch.day) == (None, 0, "2026-11-24")


def test_targets_from_dict_defaults() -> None:
    assert targets_from_dict({}) == Targets()


# ---------------------------------------------------------------------------------- periods


@pytest.mark.parametrize(("kind", "anchor", "first", "last"), [
    ("day", date(2026, 11, 23), date(2026, 11, 23), date(2026, 11, 23)),
    ("week", date(2026, 11, 25), date(2026, 11, 23), date(2026, 11, 29)),  # Monday .. Sunday
    ("week", date(2026, 11, 23), date(2026, 11, 23), date(2026, 11, 29)),
    ("month", date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28)),
    ("month", date(2028, 2, 14), date(2028, 2, 1), date(2028, 2, 29)),
    ("quarter", date(2026, 11, 23), date(2026, 10, 1), date(2026, 12, 31)),
    ("quarter", date(2026, 5, 2), date(2026, 4, 1), date(2026, 6, 30)),
    ("year", date(2026, 11, 23), date(2026, 1, 1), date(2026, 12, 31)),
])
def test_periods(kind: str, anchor: date, first: date, last: date) -> None:
    assert period_range(kind, anchor) == (first, last)


@pytest.mark.parametrize(("first", "last", "problem"), [
    (date(2026, 11, 23), date(2026, 11, 1), "before"),
    (date(2024, 1, 1), date(2026, 1, 1), "at most"),
    (None, date(2026, 1, 1), "needs"),
])
def test_bad_custom_periods(first: date | None, last: date, problem: str) -> None:
    with pytest.raises(PeriodError, match=problem):
        period_range("custom", date(2026, 11, 23), first, last)


def test_custom_period() -> None:
    assert period_range("custom", date(2026, 11, 23), date(2026, 11, 2), date(2026, 11, 9)) == (
        date(2026, 11, 2), date(2026, 11, 9))


# ---------------------------------------------------------------------------------- report table


FIGURES = {"issued": 3, "served": 2, "transferred": 1, "no_show": 1, "cancelled": 0,
           "mean_wait_min": 4.25, "max_wait_min": 9.0, "mean_service_min": None, "rated": 2,
           "satisfaction": 0.5}


def test_report_rows_in_natural_order_and_csv() -> None:
    rep = {"from": DAY, "to": DAY, "total": FIGURES,
           "by_window": {"10": FIGURES, "2": FIGURES}, "by_service": {"social": FIGURES}}
    rows = report_rows(rep, "window", lambda group, key: f"{group}-{key}")
    assert [r.key for r in rows] == ["2", "10"]
    assert [rows[0].cell(c) for c in ("mean_wait_min", "mean_service_min", "satisfaction")] == [
        "4.2", "-", "50.0%"]
    text = report_csv(rep, lambda group, key: key.upper(), {"name": "名称"}, {"window": "按窗口"},
                      "合计")
    lines = text.splitlines()
    assert lines[0].startswith("group,key,名称,issued,served,transferred,no_show")
    # the columns added since (handled, day_end, over_wait...) come after the first ten
    assert lines[1] == "total,,合计,3,2,1,1,0,4.2,9.0,-,2,50.0%,-,-,-,-,-,-"
    assert lines[2].startswith("service,social,SOCIAL,")
    assert lines[3].startswith("按窗口,2,2,")
    assert len(lines) == 5


def test_report_rows_in_the_halls_order() -> None:
    keys = ["fund", "hukou", "medical", "social", "gone"]
    rep = {"by_service": dict.fromkeys(keys, FIGURES),
           "by_clerk": dict.fromkeys(["1010", "1002", "990", "a7"], FIGURES),
           "by_day": dict.fromkeys(["2026-12-05", "2026-11-30"], FIGURES)}
    hall = ["hukou", "idcard", "social", "medical", "fund"]

    def keys_of(group: str, order: list[str]) -> list[str]:
        return [r.key for r in report_rows(rep, group, lambda g, k: k, order)]

    # a service the hall no longer lists comes last
    assert keys_of("service", hall) == ["hukou", "social", "medical", "fund", "gone"]
    assert keys_of("clerk", []) == ["990", "1002", "1010", "a7"]  # by staff number
    assert keys_of("day", []) == ["2026-11-30", "2026-12-05"]
    text = report_csv(rep, lambda group, key: key, {}, {}, "total",
                      order=lambda group: hall if group == "service" else [])
    assert [line.split(",")[1] for line in text.splitlines()[2:7]] == [
        "hukou", "social", "medical", "fund", "gone"]


@pytest.mark.parametrize(("ratings", "share"), [
    ({"2": 3}, 1.0),  # basically satisfied is satisfied (好差评: only 不满意 is bad)
    ({"1": 1, "2": 1}, 0.5),
    ({"1": 1, "2": 1, "3": 1, "4": 1}, 0.75),
    ({"1": 2}, 0.0),
    # one dissatisfied in 10,000 is not 100%, nor one satisfied in 10,000 0%
    ({"1": 1, "4": 9999}, 0.999),
    ({"1": 9999, "4": 1}, 0.001),
])
def test_satisfaction_counts_every_rating_but_dissatisfied(ratings: dict[str, int],
                                                           share: float) -> None:
    clock = FakeClock()
    watch = watch_of(snapshot(), clock)
    watch.apply_report_today(report(ratings=ratings))
    assert compute(watch, Targets(), clock.now()).satisfaction == share


def dissatisfied(number: str, day: str, clerk: str | None = "1003") -> dict[str, Any]:
    return {"ticket": number, "id": f"{day.replace('-', '')}-{number}", "day": day,
            "service": "social", "window": 2, "clerk": clerk, "follow_up": None}


def test_earlier_days_ratings_stay_until_followed_up_and_across_the_day() -> None:
    clock = FakeClock()
    watch = watch_of(snapshot(), clock)
    watch.apply_report_today(report(ratings={"1": 1}, dissatisfied=[dissatisfied("C009", DAY)]))
    # what the hub's follow_ups answers: earlier days' and today's, oldest first
    watch.apply_follow_ups({"dissatisfied": [dissatisfied("C001", "2026-11-20"),
                                             dissatisfied("C002", "2026-11-21"),
                                             dissatisfied("C009", DAY)],
                            "clerks": {"1003": "王五"}})
    assert [(f.day, f.ticket) for f in watch.follow_ups()] == [
        ("2026-11-20", "C001"), ("2026-11-21", "C002"), (DAY, "C009")]
    alerts = [a for a in compute(watch, Targets(), clock.now()).alerts]
    assert [(a.params["number"], a.params["day"], a.params["today"], a.params["clerk"])
            for a in alerts] == [("C001", "2026-11-20", False, "王五"),
                                 ("C002", "2026-11-21", False, "王五"),
                                 ("C009", DAY, True, "王五")]
    # C001 is followed up (at another desk): no alert, shown done for the rest of the day
    done = {"note": "已回访", "at": iso(T0), "by": "desk-2"}
    watch.apply_event({"event": "ticket_followed_up", "seq": 11, "at": iso(T0),
                       "data": {"ticket": {**ticket("C001", "social", T0, "done"),
                                           "id": "20261120-C001"}, "follow_up": done}},
                      clock.now())
    assert [f.done for f in watch.follow_ups()] == [True, False, False]
    # asked again (a reconnect): the hub no longer lists C001; the desk still shows it done
    watch.apply_follow_ups({"dissatisfied": [dissatisfied("C002", "2026-11-21"),
                                             dissatisfied("C009", DAY)]})
    assert [(f.ticket, f.done) for f in watch.follow_ups()] == [
        ("C001", True), ("C002", False), ("C009", False)]
    assert [a.params["number"] for a in compute(watch, Targets(), clock.now()).alerts] == [
        "C002", "C009"]
    # the day ends: what is still to follow up stays with its day, what was done goes
    watch.apply_event({"event": "day_started", "seq": 12, "at": iso(T0),
                       "data": {"day": "2026-11-24"}}, clock.now())
    assert [(f.day, f.ticket, f.done) for f in watch.follow_ups()] == [
        ("2026-11-21", "C002", False), (DAY, "C009", False)]
    assert [a.params["today"] for a in compute(watch, Targets(), clock.now()).alerts] == [
        False, False]


def test_a_clerk_is_named_from_a_window_then_from_the_hub_then_by_number() -> None:
    watch = watch_of(snapshot(windows=[window(1, "open")]), FakeClock())
    watch.hear_clerks({"clerks": {"1001": "旧名", "1002": "李四"}})
    assert [watch.clerk_label(c) for c in ("1001", "1002", "1009", None)] == [
        "张三", "李四", "1009", "-"]

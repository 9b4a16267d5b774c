"""The clerk's view-model, fed plain snapshot and event dicts, with a bus that records requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from counter.errors import CounterError
from counter.keypad import KeypadAction
from counter.model import (
    Action,
    ClerkModel,
    NoticeKind,
    TransferTarget,
    duration_text,
    normalise_number,
)

NOW = datetime(2026, 11, 23, 2, 10, tzinfo=UTC)
ReplyHandler = Callable[[bool, dict[str, Any]], None]


@dataclass
class Sent:
    op: str
    params: dict[str, Any]
    on_done: ReplyHandler | None
    req_id: str


@dataclass
class RecordingBus:
    """Records requests; a test answers them with :meth:`reply`. The figures' requests
    (``window_figures``, sent after syncs and changes) are kept apart in ``asked_figures``, so
    that ``sent`` holds what the clerk's presses sent."""

    sent: list[Sent] = field(default_factory=list)
    asked_figures: list[Sent] = field(default_factory=list)
    counter: int = 0

    def request(
        self,
        op: str,
        params: dict[str, Any] | None = None,
        *,
        on_done: ReplyHandler | None = None,
        req_id: str | None = None,
        timeout: float | None = 10.0,
    ) -> str:
        self.counter += 1
        rid = req_id or f"r{self.counter}"
        sent = Sent(op, dict(params or {}), on_done, rid)
        (self.asked_figures if op == "window_figures" else self.sent).append(sent)
        return rid

    def reply(self, ok: bool, payload: dict[str, Any], index: int = -1) -> None:
        handler = self.sent[index].on_done
        assert handler is not None
        handler(ok, payload)

    def ops(self) -> list[str]:
        return [s.op for s in self.sent]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def iso(moment: datetime) -> str:
    return moment.isoformat()


def ticket(number: str, state: str = "waiting", service: str = "social", **more: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": f"20261123-{number}",
        "number": number,
        "service": service,
        "state": state,
        "priority": "normal",
        "issued_at": iso(NOW - timedelta(minutes=9)),
        "window": None,
        "calls": 0,
        "to_window": None,
        "called_at": None,
        "started_at": None,
        "finished_at": None,
        "clerk": None,
        "score": None,
        "lang": None,
    }
    base.update(more)
    return base


def window(
    number: int = 1, state: str = "open", current: dict[str, Any] | None = None, **more: Any
) -> dict[str, Any]:
    signed = state != "closed"
    base: dict[str, Any] = {
        "number": number,
        "name": f"综合受理 {number}",
        "name_en": f"Comprehensive {number}",
        "zone": "综合服务区",
        "serves": ["social", "medical"],
        "policy": "fifo",
        "state": state,
        "clerk": "1001" if signed else None,
        "clerk_name": "张三" if signed else None,
        "reason": None,
        "current": current,
    }
    base.update(more)
    return base


def snapshot(
    mine: dict[str, Any] | None = None,
    waiting: list[dict[str, Any]] | None = None,
    recent: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "day": "2026-11-23",
        "hall": {"name": "县政务服务中心", "name_en": "County Center", "languages": ["zh", "en"]},
        "services": [
            {"id": "social", "name": "社会保险", "name_en": "Social insurance", "prefix": "C"},
            {"id": "medical", "name": "医保业务", "name_en": "Medical insurance", "prefix": "E"},
            {"id": "hukou", "name": "户籍业务", "name_en": "Household registration", "prefix": "A"},
        ],
        "windows": [mine or window(), window(2, "closed"), window(4, serves=["hukou"])],
        "recent_calls": recent or [],
        "waiting": waiting or [],
    }


def event(name: str, **data: Any) -> dict[str, Any]:
    return {"event": name, "seq": 1, "data": data}


def make(
    mine: dict[str, Any] | None = None, lang: str = "en", **kw: Any
) -> tuple[ClerkModel, RecordingBus, Clock]:
    bus, clock = RecordingBus(), Clock()
    model = ClerkModel(bus, lang=lang, clock=clock)
    model.set_window(1)
    model.on_status(True, "connected")
    model.on_snapshot(5, snapshot(mine, **kw))
    return model, bus, clock


def called(number: str = "C001", state: str = "called", **more: Any) -> dict[str, Any]:
    return ticket(number, state, window=1, calls=1, called_at=iso(NOW - timedelta(seconds=75)),
                  clerk="1001", **more)


# ---------------------------------------------------------------------------------- enabling


def enabled(model: ClerkModel) -> set[Action]:
    return {a for a in Action if model.enabled(a)}


def test_signed_out_window_offers_only_sign_in() -> None:
    model, _, _ = make(window(state="closed"))
    assert not model.signed_in
    assert enabled(model) == {Action.SIGN_IN}


def test_open_window_without_ticket() -> None:
    model, _, _ = make()
    assert enabled(model) == {Action.CALL_NEXT, Action.CALL_NUMBER, Action.PAUSE, Action.SIGN_OUT}


def test_called_ticket_actions() -> None:
    model, _, _ = make(window(current=called()))
    assert enabled(model) == {
        Action.CALL_NEXT, Action.CALL_NUMBER, Action.RECALL, Action.START, Action.NO_SHOW,
        Action.FINISH, Action.TRANSFER, Action.PAUSE,
    }


def test_serving_ticket_cannot_be_recalled_or_marked_no_show() -> None:
    model, _, _ = make(window(current=called(state="serving")))
    on = enabled(model)
    assert Action.FINISH in on and Action.TRANSFER in on
    assert not on & {Action.RECALL, Action.START, Action.NO_SHOW, Action.SIGN_OUT}


def test_paused_window_resumes_but_does_not_call() -> None:
    model, _, _ = make(window(state="paused", reason="午休", current=called(state="serving")))
    on = enabled(model)
    assert Action.RESUME in on and Action.FINISH in on
    assert not on & {Action.CALL_NEXT, Action.CALL_NUMBER, Action.PAUSE}
    assert model.pause_reason == "午休"


def test_everything_is_disabled_while_the_hub_is_unreachable() -> None:
    model, _, _ = make(window(current=called()))
    model.on_status(False, "the hub refuses connections")
    assert enabled(model) == set()
    assert not model.call_next()
    assert model.notice is not None and model.notice.kind is NoticeKind.ERROR
    model.on_status(True, "connected")
    assert Action.CALL_NEXT in enabled(model)


def test_nothing_before_the_first_snapshot() -> None:
    model = ClerkModel(RecordingBus())
    model.set_window(1)
    model.on_status(True, "connected")
    assert enabled(model) == set()


# ---------------------------------------------------------------------------------- commands


def test_a_double_press_sends_one_request() -> None:
    model, bus, _ = make()
    assert model.call_next()
    assert not model.call_next()
    assert bus.ops() == ["call_next"]
    assert model.notice is not None and model.notice.kind is NoticeKind.INFO
    assert enabled(model) == set()
    bus.reply(True, {"ticket": called()})
    assert model.pending is None
    assert model.current is not None and model.current["number"] == "C001"
    assert model.notice is not None and model.notice.text == "Called C001."


def test_each_press_has_its_own_request_id() -> None:
    model, bus, _ = make(window(current=called()))
    model.recall()
    bus.reply(True, {"ticket": {**called(), "calls": 2}})
    model.recall()
    bus.reply(True, {"ticket": {**called(), "calls": 3}})
    assert bus.sent[0].req_id != bus.sent[1].req_id
    assert model.notice is not None and model.notice.text == "Recalled C001 (call 3)."


def test_a_press_not_answered_in_time_waits_for_its_answer_with_the_buttons_held() -> None:
    """It may yet reach the hub (sent again with its id after a reconnect): another press
    meanwhile would be done as well, so none is possible until the answer comes."""
    model, bus, _ = make()
    model.call_next()
    bus.reply(False, {"code": "unavailable", "message": "no answer"})
    assert model.notice is not None and "has not answered yet" in model.notice.text
    assert model.pending is Action.CALL_NEXT and enabled(model) == set()
    assert bus.sent[1].req_id == bus.sent[0].req_id and bus.sent[1].op == "call_next"
    model.finish()  # refused by the screen: nothing sent
    assert len(bus.sent) == 2
    bus.reply(True, {"ticket": called()})
    assert model.pending is None and model.current is not None
    assert model.notice is not None and model.notice.text == "Called C001."
    model.finish()
    assert bus.sent[2].req_id != bus.sent[0].req_id


def test_a_window_closed_from_elsewhere_says_so_instead_of_the_last_action() -> None:
    """The clerk signed in at another window (or the day changed): "Called C001." would still
    show on the sign-in page."""
    model, bus, _ = make()
    model.call_next()
    bus.reply(True, {"ticket": called()})
    model.on_event({"event": "window_changed", "seq": 6, "data": {"window": window(state="closed")}})
    assert not model.signed_in
    assert model.notice is not None and "was signed out" in model.notice.text
    model.sign_in("1001", "1234")  # signing out or in here is this clerk's own doing
    bus.reply(True, {"window": window()})
    assert model.notice is not None and "was signed out" not in model.notice.text


def test_calling_a_ticket_that_missed_its_call_says_the_desk_reinstates_it() -> None:
    model, bus, _ = make()
    model.call_number("E001")
    bus.reply(False, {"code": "invalid_state", "message": "E001 is no_show, not waiting: only "
                                                         "a waiting ticket can be called"})
    assert model.notice is not None and "guidance desk reinstates it" in model.notice.text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_listed_pause_reason_goes_out_in_every_language_of_the_hall(lang: str) -> None:
    """The hall's screens show the reason: an English screen at the counter must not put
    "Meeting" alone on the Chinese window screen."""
    model, _, _ = make(lang=lang)
    assert model.preset_reason("meeting") == "会议 / Meeting"


@pytest.mark.parametrize(("lang", "shown"), [("zh", "会议"), ("en", "Meeting")])
def test_the_clerk_reads_a_listed_pause_reason_in_the_clerks_language(lang: str, shown: str) -> None:
    model, bus, _ = make(lang=lang)
    assert model.window_state is not None
    model.window_state["state"], model.window_state["reason"] = "paused", "会议 / Meeting"
    assert model.pause_reason == shown
    model.window_state["reason"] = "去档案室 / 取材料"  # typed by hand: as it is
    assert model.pause_reason == "去档案室 / 取材料"
    model.window_state["state"] = "open"
    model.pause("会议 / Meeting")
    bus.reply(True, {"window": {**model.window_state, "state": "paused",
                                "reason": "会议 / Meeting"}})
    assert model.notice is not None
    assert model.notice.text == ("已暂停服务：会议。" if lang == "zh" else "Paused: Meeting.")


def test_a_bus_that_cannot_send_at_all_frees_the_buttons() -> None:
    model, bus, _ = make()
    model.call_next()
    bus.reply(False, {"code": "unavailable", "message": "no answer"})
    bus.reply(False, {"code": "unavailable", "message": "the bus is not started"})
    assert model.pending is None
    assert model.notice is not None and "did not answer" in model.notice.text


@pytest.mark.parametrize(
    ("press", "op", "params"),
    [
        (lambda m: m.call_next(), "call_next", {}),
        (lambda m: m.recall(), "recall", {}),
        (lambda m: m.start(), "start", {}),
        (lambda m: m.no_show(), "no_show", {}),
        (lambda m: m.finish(), "finish", {}),
        (lambda m: m.call_number(" c7 "), "call_number", {"number": "C007"}),
        (lambda m: m.pause(" 午休 "), "pause", {"reason": "午休"}),
        (lambda m: m.pause(""), "pause", {}),
        (lambda m: m.transfer(TransferTarget("医保", service="medical"), "first"), "transfer",
         {"to_service": "medical", "position": "first"}),
        (lambda m: m.transfer(TransferTarget("4", window=4)), "transfer",
         {"to_window": 4, "position": "last"}),
    ],
)
def test_commands_send_the_hub_operation(
    press: Callable[[ClerkModel], bool], op: str, params: dict[str, Any]
) -> None:
    model, bus, _ = make(window(current=called()))
    assert press(model)
    assert bus.sent[-1].op == op
    assert bus.sent[-1].params == {"window": 1, **params}


def test_keypad_keys_are_the_button_commands() -> None:
    model, bus, _ = make(window(current=called()))
    model.press(KeypadAction.RECALL)
    bus.reply(True, {"ticket": {**called(), "calls": 2}})
    model.press(KeypadAction.START)
    assert bus.ops() == ["recall", "start"]
    with pytest.raises(CounterError):
        model.press(Action.TRANSFER)


def test_a_key_whose_action_is_impossible_says_why() -> None:
    model, bus, _ = make()
    assert not model.press(KeypadAction.RECALL)
    assert bus.sent == []
    assert model.notice is not None
    assert model.notice.text == "There is no current ticket."
    model.press_refused(Action.SIGN_OUT)  # possible now: nothing to say
    assert model.notice.text == "There is no current ticket."


def test_sign_in_checks_its_fields_and_keeps_the_pin_out_of_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model, bus, _ = make(window(state="closed"))
    assert not model.sign_in("1001", " ")
    assert model.notice is not None and model.notice.text == "Enter your staff number and PIN."
    caplog.set_level("INFO")
    assert model.sign_in(" 1001 ", "1234")
    assert bus.sent[-1].params == {"window": 1, "clerk": "1001", "pin": "1234"}
    assert "1234" not in caplog.text
    bus.reply(True, {"window": window()})
    assert model.signed_in
    assert model.notice is not None and model.notice.text == "张三 signed in at window 1."


@pytest.mark.parametrize(
    ("action", "payload", "text"),
    [
        ("sign_in", {"code": "unauthorized", "message": "unknown clerk 1001 or wrong PIN"},
         "Wrong staff number or PIN."),
        ("sign_in", {"code": "unauthorized", "message": "clerk 1001 is locked for a few minutes"},
         "Too many wrong PINs: this staff number is locked for a few minutes."),
        ("call_next", {"code": "queue_empty", "message": "nobody"}, "Nobody is waiting for this window."),
        ("call_number", {"code": "not_found", "message": "no ticket"}, "There is no ticket C009 today."),
        ("call_number", {"code": "invalid_state", "message": "x"},
         "C009 is not waiting, so it cannot be called."),
        ("recall", {"code": "invalid_state", "message": "x"},
         "That cannot be done now; the screen shows the latest state."),
        ("recall", {"code": "teapot", "message": "short and stout"}, "Not done (teapot): short and stout"),
    ],
)
def test_errors_are_plain_words(action: str, payload: dict[str, Any], text: str) -> None:
    state = "closed" if action == "sign_in" else "open"
    model, bus, _ = make(window(state=state, current=called() if state == "open" else None))
    if action == "sign_in":
        model.sign_in("1001", "0000")
    elif action == "call_number":
        model.call_number("C9")
    else:
        model.press(Action(action))
    bus.reply(False, payload)
    assert model.notice is not None and model.notice.kind is NoticeKind.ERROR
    assert model.notice.text == text
    assert model.pending is None


def test_errors_in_chinese() -> None:
    model, bus, _ = make(lang="zh")
    model.call_next()
    bus.reply(False, {"code": "queue_empty", "message": "nobody"})
    assert model.notice is not None and model.notice.text == "目前没有人等候本窗口。"


def test_a_bad_number_is_refused_before_the_hub() -> None:
    model, bus, _ = make()
    assert not model.call_number("12C")
    assert bus.sent == []
    assert model.notice is not None and "12C" in model.notice.text


@pytest.mark.parametrize(
    ("typed", "number"),
    [("C12", "C012"), (" e001 ", "E001"), ("AB7", "AB007"), ("C1234", "C1234"), ("C", None),
     ("12", None), ("ABC1", None), ("C12X", None), ("C123456", None), ("甲12", None),
     ("Ｃ００１", "C001"), ("ｃ12", "C012"), ("C١٢", None)],
)
def test_normalise_number(typed: str, number: str | None) -> None:
    assert normalise_number(typed) == number


def test_transfer_position_is_checked() -> None:
    model, _, _ = make(window(current=called()))
    with pytest.raises(CounterError):
        model.transfer(TransferTarget("x", service="medical"), "middle")
    with pytest.raises(CounterError):
        model.transfer(TransferTarget("nowhere"))


def test_transfer_targets_exclude_this_window_and_the_tickets_service() -> None:
    model, _, _ = make(window(current=called()), lang="zh")
    services, windows = model.transfer_targets()
    assert [t.service for t in services] == ["medical", "hukou"]
    assert [t.window for t in windows] == [4, 2]  # open windows first
    assert windows[0].label == "4号窗口 · 综合受理 4"
    assert windows[1].label == "2号窗口 · 综合受理 2（无人签到：有人签到后才会叫到）"


def test_transfer_result_clears_the_current_ticket() -> None:
    model, bus, _ = make(window(current=called()))
    model.transfer(TransferTarget("Medical insurance", service="medical"), "first")
    bus.reply(True, {"ticket": ticket("C001", "waiting", service="medical", window=1)})
    assert model.current is None
    assert model.notice is not None
    assert model.notice.text == "C001 sent to Medical insurance (at the front)."
    assert [t["number"] for t in model.waiting] == ["C001"]


# ---------------------------------------------------------------------------------- the bus


def test_events_keep_the_window_and_waiting_line() -> None:
    model, _, clock = make(waiting=[ticket("C001"), ticket("A001", service="hukou")])
    assert [t["number"] for t in model.waiting] == ["C001"]
    model.on_event(event("ticket_issued", ticket=ticket("E001", service="medical",
                                                        issued_at=iso(NOW - timedelta(minutes=2)))))
    model.on_event(event("ticket_issued", ticket=ticket("A002", service="hukou")))
    model.on_event(event("ticket_transferred", ticket=ticket("A001", service="hukou", to_window=1),
                         from_service="hukou", from_window=4))
    assert [t["number"] for t in model.waiting] == ["A001", "C001", "E001"]
    assert model.longest_wait_seconds() == 9 * 60
    clock.now += timedelta(minutes=1)
    assert model.longest_wait_seconds() == 10 * 60
    model.on_event(event("ticket_called", ticket=called("C001"), window=1, calls=1))
    model.on_event(event("window_changed", window=window(current=called("C001"))))
    assert [t["number"] for t in model.waiting] == ["A001", "E001"]
    assert model.current is not None and model.current["number"] == "C001"
    model.on_event(event("ticket_cancelled", ticket=ticket("E001", "cancelled", service="medical")))
    assert [t["number"] for t in model.waiting] == ["A001"]


def test_green_channel_waits_before_normal() -> None:
    model, _, _ = make(waiting=[ticket("C001"), ticket("C002")])
    model.on_event(event("ticket_prioritised", ticket=ticket("C002", priority="green")))
    assert [t["number"] for t in model.waiting] == ["C002", "C001"]


def test_a_recall_event_updates_the_calls() -> None:
    model, _, _ = make(window(current=called()))
    model.on_event(event("ticket_called", ticket={**called(), "calls": 2}, window=1, calls=2))
    assert model.current is not None and model.current["calls"] == 2


def test_another_window_is_not_mine() -> None:
    model, _, _ = make()
    model.on_event(event("window_changed", window=window(4, current=called("A001"), serves=["hukou"])))
    assert model.current is None


def test_elapsed_counts_from_the_call_then_from_the_start() -> None:
    model, _, clock = make(window(current=called()))
    assert model.current_elapsed() == 75
    started = {**called(), "state": "serving", "started_at": iso(NOW - timedelta(seconds=20))}
    model.on_event(event("ticket_started", ticket=started))
    assert model.current_elapsed() == 20
    clock.now += timedelta(minutes=2)
    assert duration_text(model.current_elapsed() or 0) == "2:20"
    assert duration_text(3725) == "1:02:05"


def finished(number: str, clerk: str = "1001") -> dict[str, Any]:
    return ticket(number, "done", window=1, clerk=clerk, finished_at=iso(NOW))


def hub_figures(clerk: str | None = "1001", window_number: int = 1, served: int = 2,
                mean_min: float | None = 6.5, **ratings: int) -> dict[str, Any]:
    """A ``window_figures`` result, as the hub answers it."""
    scores = {"1": 0, "2": 0, "3": 0, "4": 0, **{k.lstrip("s"): v for k, v in ratings.items()}}
    return {"window": window_number, "clerk": clerk, "day": "2026-11-23",
            "figures": {"issued": served + 1, "served": served, "no_show": 1, "cancelled": 0,
                        "mean_wait_min": 3.0, "max_wait_min": 5.0, "mean_service_min": mean_min,
                        "ratings": scores, "rated": sum(ratings.values()),
                        "satisfaction": None}}


def answer_figures(bus: RecordingBus, result: dict[str, Any], ok: bool = True) -> None:
    handler = bus.asked_figures[-1].on_done
    assert handler is not None
    handler(ok, result)


def test_the_figures_are_the_hub_s_asked_after_the_sync_and_each_change() -> None:
    model, bus, _ = make(window(current=called()))
    assert [(s.op, s.params) for s in bus.asked_figures] == [("window_figures", {"window": 1})]
    assert model.figures().served == 0  # not answered yet
    answer_figures(bus, hub_figures(served=7, mean_min=6.5, s4=2, s2=1))
    figures = model.figures()
    assert (figures.served, figures.mean_seconds, figures.rated, figures.scores) == (
        7, 390.0, 3, {4: 2, 2: 1})
    model.on_event(event("ticket_finished", ticket=finished("C003")))
    model.on_event(event("ticket_no_show", ticket=finished("C004")))  # one on its way: once more
    model.on_event(event("ticket_finished", ticket={**finished("A001"), "window": 4}))  # not mine
    assert len(bus.asked_figures) == 2
    answer_figures(bus, hub_figures(served=8))
    assert len(bus.asked_figures) == 3 and model.figures().served == 8
    answer_figures(bus, hub_figures(served=8))
    assert len(bus.asked_figures) == 3
    model.start()  # a start changes no figure
    bus.reply(True, {"ticket": called(state="serving")})
    assert len(bus.asked_figures) == 3
    model.finish()
    bus.reply(True, {"ticket": finished("C001")})
    assert len(bus.asked_figures) == 3  # the reply does not ask: its event, which follows, does
    model.on_event(event("ticket_finished", ticket=finished("C001")))
    assert len(bus.asked_figures) == 4


def test_figures_of_another_clerk_or_window_or_a_refusal_are_not_shown() -> None:
    model, bus, _ = make()
    answer_figures(bus, hub_figures(window_number=4, served=9))
    assert model.figures().served == 0
    model.refresh_figures(force=True)
    answer_figures(bus, {"code": "internal", "message": "x"}, ok=False)
    assert model.figures().served == 0
    model.refresh_figures(force=True)
    answer_figures(bus, hub_figures(served=3))
    assert model.figures().served == 3
    model.refresh_figures(force=True)
    answer_figures(bus, {**hub_figures(), "figures": {"served": "many", "ratings": []}})
    assert model.figures().served == 3  # a reply that cannot be read changes nothing
    # another clerk signs in at this window: the last clerk's figures are not theirs
    model.on_event(event("window_changed", window=window(clerk="1002", clerk_name="李四")))
    assert model.figures().served == 0


def test_ratings_are_asked_for_a_while_after_a_finish_then_no_more() -> None:
    model, bus, clock = make()
    answer_figures(bus, hub_figures())
    assert not model.refresh_figures()  # nothing finished yet: the timer asks nothing
    model.on_event(event("ticket_finished", ticket=finished("C003")))
    answer_figures(bus, hub_figures())
    clock.now += timedelta(minutes=1)
    assert model.refresh_figures()  # the citizen may be rating it now
    answer_figures(bus, hub_figures(s3=1))
    assert model.figures().rated == 1
    clock.now += timedelta(minutes=5)
    assert not model.refresh_figures()
    model.on_status(False, "gone")
    assert not model.refresh_figures(force=True)


def test_a_new_day_starts_the_figures_again() -> None:
    model, bus, _ = make()
    answer_figures(bus, hub_figures(served=5))
    assert model.figures().served == 5
    model.on_snapshot(9, {**snapshot(), "day": "2026-11-24"})
    assert model.figures().served == 0
    assert len(bus.asked_figures) == 2


def test_a_window_nobody_is_signed_in_at_asks_no_figures() -> None:
    model, bus, _ = make(window(state="closed"))
    assert bus.asked_figures == [] and not model.refresh_figures(force=True)


def test_the_view_model_says_when_it_changed() -> None:
    model, bus, _ = make()
    seen: list[int] = []
    model.changed.connect(lambda: seen.append(1))
    model.call_next()
    bus.reply(True, {"ticket": called()})
    assert len(seen) == 2  # sending, then the reply


def test_a_notice_follows_the_language_of_the_screen() -> None:
    model, bus, _ = make(window(current=called()), lang="zh")
    model.transfer(TransferTarget("医保业务", service="medical"), "last")
    bus.reply(True, {"ticket": ticket("C001", "waiting", service="medical")})
    assert model.notice is not None and model.notice.text == "C001 已转到 医保业务（排在最后）。"
    model.set_lang("en")
    assert model.notice is not None and model.notice.text == "C001 sent to Medical insurance (at the back)."


# ---------------------------------------------------------------------------------- the list


def placed(number: str, line_ord: int, service: str = "social", *, first: bool = False,
           **more: Any) -> dict[str, Any]:
    """A waiting ticket with its place in line, as the hub's views carry it."""
    return ticket(number, service=service, first=first, line_ord=line_ord, **more)


MIXED_LINE = [
    placed("C001", 1), placed("C002", 2), placed("E001", 3, "medical"),
    placed("C003", 4, priority="green"), placed("C004", 5, first=True),
    placed("E002", 6, "medical", priority="appointment"),
    placed("A001", 7, "hukou", to_window=1), placed("A002", 8, "hukou", first=True, to_window=1),
    placed("C005", 9, first=True), placed("A003", 10, "hukou", to_window=4),
]


def test_the_list_is_in_the_hubs_calling_order() -> None:
    """Sent to this window alone first (placed first, then line_ord), then by priority class,
    placed first and line_ord across the services the window serves; all tickets issued in
    the same second (equal issued_at), as a busy kiosk issues them."""
    model, _, _ = make(waiting=MIXED_LINE)
    assert [t["number"] for t in model.waiting] == [
        "A002", "A001", "C003", "E002", "C004", "C005", "C001", "C002", "E001"]


def test_an_ordered_window_lists_its_services_in_their_order() -> None:
    model, _, _ = make(window(policy="ordered", serves=["medical", "social"]), waiting=MIXED_LINE)
    assert [t["number"] for t in model.waiting] == [
        "A002", "A001", "E002", "E001", "C003", "C004", "C005", "C001", "C002"]


def test_a_ticket_placed_first_moves_up_the_list() -> None:
    model, _, _ = make(waiting=[placed("C001", 1), placed("C002", 2)])
    model.on_event(event("ticket_reinstated", ticket=placed("C009", 7, first=True)))
    model.on_event(event("ticket_transferred", ticket=placed("C001", 8),  # sent to the back
                         from_service="social", from_window=2))
    assert [t["number"] for t in model.waiting] == ["C009", "C002", "C001"]


# ---------------------------------------------------------------------------------- notices


def test_nobody_waiting_goes_once_someone_waits() -> None:
    model, bus, _ = make(lang="zh")
    model.call_next()
    bus.reply(False, {"code": "queue_empty", "message": "nobody"})
    assert model.notice is not None and model.notice.text == "目前没有人等候本窗口。"
    model.on_event(event("ticket_issued", ticket=placed("A001", 1, "hukou")))  # not for us
    assert model.notice is not None and model.notice.text == "目前没有人等候本窗口。"
    model.on_event(event("ticket_issued", ticket=placed("C001", 2)))
    assert model.notice is None


def test_the_hub_unreachable_goes_once_it_is_back() -> None:
    model, _, _ = make(lang="zh")
    model.on_status(False, "the hub refuses connections")
    assert not model.call_next()
    assert model.notice is not None and model.notice.text == "与服务中心断开，请稍候再试。"
    model.on_status(True, "connected")
    assert model.notice is None
    # a notice that still holds stays: a press the hub has not answered
    model.call_next()
    model.on_status(False, "gone")
    model.on_status(True, "connected")
    assert model.notice is not None and model.notice.kind is NoticeKind.INFO


def test_a_sign_in_error_leaves_the_page_after_a_while() -> None:
    """The next clerk must not find the last one's wrong PIN, or a "sign in first" said to a
    key pressed an hour ago."""
    model, bus, clock = make(window(state="closed"), lang="zh")
    model.sign_in("1001", "0000")
    bus.reply(False, {"code": "unauthorized", "message": "unknown clerk 1001 or wrong PIN"})
    assert model.notice is not None and model.notice.text == "工号或密码不正确。"
    clock.now += timedelta(seconds=59)
    assert model.notice is not None
    clock.now += timedelta(seconds=1)
    assert model.notice is None
    model.press(KeypadAction.CALL_NEXT)
    assert model.notice is not None and model.notice.text == "请先签到。"
    clock.now += timedelta(minutes=1)
    assert model.notice is None
    # signed in, an error stays until the next action (the clerk is there to read it)
    model.on_event(event("window_changed", window=window()))
    model.call_next()
    bus.reply(False, {"code": "internal", "message": "x"})
    clock.now += timedelta(minutes=5)
    assert model.notice is not None and model.notice.kind is NoticeKind.ERROR


# ---------------------------------------------------------------------------------- paused


def test_a_paused_window_does_not_recall() -> None:
    """The clerk resumes first: a recall would put the call back on the hall's screens of a
    window that says it is paused."""
    model, bus, _ = make(window(state="paused", current=called()), lang="zh")
    assert not model.enabled(Action.RECALL)
    assert not model.press(KeypadAction.RECALL)
    assert bus.sent == []
    assert model.notice is not None and model.notice.text == "窗口暂停中，请先恢复服务再叫号。"
    model.on_event(event("window_changed", window=window(current=called())))
    assert model.enabled(Action.RECALL)


# ---------------------------------------------------------------------------------- transfer


@pytest.mark.parametrize(
    ("to_window", "state", "kind", "text"),
    [(4, "open", NoticeKind.OK, "K001 已转到4号窗口（综合受理 4），排在最后。"),
     (2, "closed", NoticeKind.WARN, "K001 已转到2号窗口（综合受理 2），排在最后。注意：该窗口现在"
                                    "无人签到，有人签到后才会叫到。"),
     (4, "paused", NoticeKind.WARN, "K001 已转到4号窗口（综合受理 4），排在最后。注意：该窗口正在"
                                    "暂停，恢复服务后才会叫到。")],
)
def test_a_transfer_to_a_window_names_it_and_warns_when_nobody_calls_there(
    to_window: int, state: str, kind: NoticeKind, text: str
) -> None:
    model, bus, _ = make(window(current=called("K001", service="fund")), lang="zh")
    model.on_event(event("window_changed", window=window(4, state, serves=["hukou"])))
    model.transfer(TransferTarget("x", window=to_window))
    bus.reply(True, {"ticket": ticket("K001", service="fund", to_window=to_window)})
    assert model.notice is not None
    assert (model.notice.kind, model.notice.text) == (kind, text)

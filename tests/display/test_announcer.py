"""The announcement queue with a hand-driven clock, and ``say_call`` with the real voice."""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from display.announcer import Announcer, VolumeSchedule
from display.audio import CHIME, FakePlayer, wav_duration
from display.errors import AudioError, BadCall, VoiceError
from display.say import say_call
from display.voice import FakeVoice, Pyttsx3Voice

SENTENCE_S = 1.0  # every FakeVoice sentence
GAP_S = 0.4
# The chime, then zh and en, said twice: 4 sentences with a gap before each.
ANNOUNCEMENT_S = wav_duration(CHIME) + 4 * (GAP_S + SENTENCE_S)
ROUND_S = wav_duration(CHIME) + 2 * (GAP_S + SENTENCE_S)  # said once: a burst
TEN_AM_SHANGHAI = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.instant = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self.instant

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.instant += timedelta(seconds=seconds)

    def set_local(self, hhmm: str) -> None:
        hour, minute = map(int, hhmm.split(":"))
        with self._lock:
            self.instant = datetime(2025, 3, 3, hour, minute, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(TEN_AM_SHANGHAI)


@pytest.fixture
def voice(tmp_path: Path) -> FakeVoice:
    return FakeVoice(tmp_path / "voice", seconds=SENTENCE_S)


@pytest.fixture
def player(clock: FakeClock) -> FakePlayer:
    return FakePlayer(clock, wait=clock.advance)


def make_announcer(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path, **options: object
) -> Announcer:
    return Announcer(voice, player, clock, ["zh", "en"], work_dir=tmp_path / "work", **options)  # type: ignore[arg-type]


def drain(announcer: Announcer) -> list[tuple[str, str]]:
    outcomes: list[tuple[str, str]] = []
    while (outcome := announcer.announce_next()) is not None:
        outcomes.append((outcome.announcement.number or "message", outcome.result))
    return outcomes


def test_calls_are_announced_in_arrival_order_before_messages_one_after_another(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path
) -> None:
    announcer = make_announcer(voice, player, clock, tmp_path)
    announcer.call("A001", 1)
    announcer.call("B002", 12)
    announcer.message({"zh": "大厅17:30关闭", "en": "The hall closes at 17:30"})
    announcer.call("A003", 5)

    assert [a.number for a in announcer.pending()] == ["A001", "B002", "A003", None]
    assert drain(announcer) == [
        ("A001", "announced"),
        ("B002", "announced"),
        ("A003", "announced"),
        ("message", "announced"),
    ]
    assert voice.spoken[:4] == [
        ("请A零零一号到一号窗口办理", "zh"),
        ("Number A, zero, zero, one, please go to window 1.", "en"),
        ("请B零零二号到十二号窗口办理", "zh"),
        ("Number B, zero, zero, two, please go to window 12.", "en"),
    ]
    assert ("大厅十七点三十分关闭", "zh") in voice.spoken
    # each call once (others waited), the message twice (nothing else did): 5 rounds played
    assert len(player.played) == 5
    for before, after in zip(player.played, player.played[1:], strict=False):
        assert after.start >= before.end
    for played in player.played[:3]:
        assert (played.end - played.start).total_seconds() == pytest.approx(ROUND_S, abs=0.01)
    message = sum((p.end - p.start).total_seconds() for p in player.played[3:])
    assert message == pytest.approx(ANNOUNCEMENT_S, abs=0.01)


def test_the_chime_comes_once_and_the_sentences_repeat_while_nothing_else_waits(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path
) -> None:
    announcer = make_announcer(voice, player, clock, tmp_path, repeat=3)
    announcer.call("A001", 1)
    outcome = announcer.announce_next()
    assert outcome is not None and outcome.rounds == 3
    expected = wav_duration(CHIME) + 6 * (GAP_S + SENTENCE_S)
    assert len(player.played) == 3
    rounds = [(p.end - p.start).total_seconds() for p in player.played]
    assert rounds == pytest.approx([ROUND_S] + [2 * (GAP_S + SENTENCE_S)] * 2, abs=0.01)
    assert sum(rounds) == pytest.approx(expected, abs=0.01)


def test_a_burst_from_twelve_windows_is_said_whole_each_call_once(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Twelve windows call in the same second and the desk has a message: every call is said,
    once each (the hall hears its number sooner), in the order called, then the message."""
    announcer = make_announcer(voice, player, clock, tmp_path)
    numbers = [f"A{n:03d}" for n in range(1, 13)]
    announcer.message({"zh": "请保管好随身物品"})
    for window, number in enumerate(numbers, start=1):
        announcer.call(number, window)

    with caplog.at_level(logging.WARNING, logger="display.announcer"):
        outcomes = drain(announcer)
    assert outcomes == [(n, "announced") for n in numbers] + [("message", "announced")]
    assert caplog.records == []
    assert len(player.played) == 12 + 2  # one round a call, the message twice
    last_call = player.played[11]
    assert (last_call.end - TEN_AM_SHANGHAI).total_seconds() == pytest.approx(12 * ROUND_S, abs=0.1)


def test_a_call_still_current_is_said_however_long_it_waited(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path
) -> None:
    """A 135-character desk notice took the speaker 87 s and the call behind it was dropped."""
    announcer = make_announcer(voice, player, clock, tmp_path)
    announcer.message({"zh": "各位市民请注意：因系统升级，今天下午暂停取号。"})
    assert drain(announcer) == [("message", "announced")]
    announcer.call("C001", 1)
    clock.advance(300)  # the speaker was busy (or the worker slow): five minutes
    assert drain(announcer) == [("C001", "announced")]


def test_the_last_resort_age_drops_a_call_with_a_warning(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    announcer = make_announcer(voice, player, clock, tmp_path)
    assert announcer.max_age_s >= 1200  # far above a full hall's queue
    announcer.call("C001", 1)
    clock.advance(announcer.max_age_s + 1)
    with caplog.at_level(logging.WARNING, logger="display.announcer"):
        assert drain(announcer) == [("C001", "stale")]
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert caplog.records[0].getMessage().startswith("call of C001 to window 1 not said: queued")
    assert player.played == []


def test_a_recall_is_announced_again(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path
) -> None:
    announcer = make_announcer(voice, player, clock, tmp_path)
    announcer.call("A012", 5)
    assert drain(announcer) == [("A012", "announced")]
    clock.advance(30)
    announcer.recall("A012", 5)
    assert drain(announcer) == [("A012", "announced")]
    assert len(player.played) == 4  # twice each: nothing else waited


def test_a_recall_of_a_call_not_said_yet_is_said_once_in_its_place(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path
) -> None:
    announcer = make_announcer(voice, player, clock, tmp_path)
    announcer.call("A012", 5)
    announcer.call("A013", 6)
    clock.advance(50)
    recalled = announcer.recall("A012", 5)
    assert [a.number for a in announcer.pending()] == ["A012", "A013"]
    assert recalled.kind == "recall" and recalled.queued_at == clock.now()
    assert drain(announcer) == [("A012", "announced"), ("A013", "announced")]
    assert [t for t, lang in voice.spoken if lang == "zh"].count("请A零一二号到五号窗口办理") == 1


def test_a_window_calling_on_before_its_last_call_was_said_has_only_its_newest_said(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A burst: window 1 calls C001, C003, C005 while the voice is busy. The hall must hear
    C005 (the number window 1 calls now), not C001 (finished long ago) while C005 goes stale."""
    announcer = make_announcer(voice, player, clock, tmp_path)
    with caplog.at_level(logging.WARNING, logger="display.announcer"):
        announcer.call("C001", 1)
        announcer.call("C002", 2)
        announcer.call("C003", 1)
        announcer.recall("C002", 2)
        announcer.call("C005", 1)
        assert [(a.number, a.window) for a in announcer.pending()] == [("C002", 2), ("C005", 1)]
        # drained inside: once the block ends, whatever level an earlier test left the root
        # logger at decides what else is captured
        assert drain(announcer) == [("C002", "announced"), ("C005", "announced")]
    assert [r.getMessage() for r in caplog.records] == [
        "call of C001 to window 1 not said: window 1 calls C003 now",
        "call of C003 to window 1 not said: window 1 calls C005 now",
    ]


class Hall:
    """What the display's board would answer: which ticket each window calls now, and the
    tickets whose call ended (no-show, transferred …)."""

    def __init__(self) -> None:
        self.calling: dict[int, str] = {}
        self.ended: dict[str, str] = {}

    def call_over(self, number: str, window: int) -> str | None:
        if number in self.ended:
            return f"{number} was {self.ended[number]}"
        if self.calling.get(window) != number:
            return f"window {window} calls {self.calling.get(window)} now"
        return None


def test_a_call_no_longer_current_when_its_turn_comes_is_withdrawn_with_why(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hall = Hall()
    announcer = make_announcer(voice, player, clock, tmp_path, current=hall.call_over)
    for window, number in ((1, "C001"), (2, "C002"), (3, "A001"), (4, "B001")):
        hall.calling[window] = number
        announcer.call(number, window)
    hall.ended["C002"] = "marked no-show"  # while C001 waits to be said
    hall.ended["A001"] = "transferred"
    hall.calling[4] = "B002"  # the window moved on (the newer call came to another display)
    with caplog.at_level(logging.WARNING, logger="display.announcer"):
        assert drain(announcer) == [("C001", "announced"), ("C002", "withdrawn"),
                                    ("A001", "withdrawn"), ("B001", "withdrawn")]
    assert [r.getMessage() for r in caplog.records] == [
        "call of C002 to window 2 not said: C002 was marked no-show",
        "call of A001 to window 3 not said: A001 was transferred",
        "call of B001 to window 4 not said: window 4 calls B002 now",
    ]
    assert [t for t, lang in voice.spoken if lang == "zh"] == ["请C零零一号到一号窗口办理"]


def test_a_call_over_after_its_first_round_is_not_repeated(
    voice: FakeVoice, clock: FakeClock, tmp_path: Path
) -> None:
    hall = Hall()

    def the_citizen_comes_during_the_first_round(seconds: float) -> None:
        clock.advance(seconds)
        hall.ended["C001"] = "finished"

    player = FakePlayer(clock, wait=the_citizen_comes_during_the_first_round)
    announcer = make_announcer(voice, player, clock, tmp_path, current=hall.call_over)
    hall.calling[1] = "C001"
    announcer.call("C001", 1)
    outcome = announcer.announce_next()
    assert outcome is not None and (outcome.result, outcome.rounds) == ("announced", 1)
    assert len(player.played) == 1


def test_a_call_arriving_while_another_is_said_cuts_the_repeat_and_goes_before_a_message(
    voice: FakeVoice, clock: FakeClock, tmp_path: Path
) -> None:
    """A long desk notice is said once, not twice, when a call comes in meanwhile; a message not
    yet started waits for the call."""
    arrivals = iter([lambda: announcer.call("C002", 2), lambda: announcer.message({"zh": "第二条通知"})])

    def a_call_comes_in(seconds: float) -> None:
        clock.advance(seconds)
        next(arrivals, lambda: None)()

    player = FakePlayer(clock, wait=a_call_comes_in)
    announcer = make_announcer(voice, player, clock, tmp_path)
    announcer.message({"zh": "各位市民请注意：因系统升级，今天下午十五点三十分起暂停取号。"})
    outcomes = []
    while (outcome := announcer.announce_next()) is not None:
        outcomes.append((outcome.announcement.number or outcome.announcement.sentences[0].text,
                         outcome.rounds))
    assert outcomes == [
        ("各位市民请注意：因系统升级，今天下午十五点三十分起暂停取号。", 1),  # C002 came in: once
        ("C002", 1),  # the second message came in while C002 was said
        ("第二条通知", 2),
    ]


def test_quiet_hours_log_each_call_not_said(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    schedule = VolumeSchedule.parse([("18:00", "08:00", 0.0)], timezone="Asia/Shanghai")
    announcer = make_announcer(voice, player, clock, tmp_path, schedule=schedule)
    clock.set_local("19:00")
    announcer.call("A001", 1)
    with caplog.at_level(logging.WARNING, logger="display.announcer"):
        assert drain(announcer) == [("A001", "quiet")]
    assert [r.getMessage() for r in caplog.records] == [
        "call of A001 to window 1 not said: quiet hours"]


def test_the_volume_follows_the_schedule_and_quiet_hours_say_nothing(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path
) -> None:
    schedule = VolumeSchedule.parse(
        [("12:00", "13:30", 0.0), ("08:00", "12:00", 0.6), ("21:00", "07:00", 0.0)],
        timezone="Asia/Shanghai",
        default=0.9,
    )
    announcer = make_announcer(voice, player, clock, tmp_path, schedule=schedule)
    expected = {"10:00": ("announced", 0.6), "12:30": ("quiet", None), "15:00": ("announced", 0.9),
                "23:00": ("quiet", None), "06:59": ("quiet", None), "07:00": ("announced", 0.9)}  # fmt: skip
    for hhmm, (result, volume) in expected.items():
        clock.set_local(hhmm)
        played_before = len(player.played)
        spoken_before = len(voice.spoken)
        announcer.call("A001", 1)
        outcome = announcer.announce_next()
        assert outcome is not None and outcome.result == result, hhmm
        if volume is None:
            assert len(player.played) == played_before and len(voice.spoken) == spoken_before
        else:
            assert player.played[-1].volume == volume


def test_a_bad_volume_in_the_schedule_is_refused() -> None:
    with pytest.raises(ValueError):
        VolumeSchedule.parse([("08:00", "12:00", 1.5)])
    with pytest.raises(ValueError):
        VolumeSchedule.parse([("8 am", "12:00", 0.5)])


def test_with_no_sound_output_the_queue_drains_silently_and_says_so_once(
    voice: FakeVoice, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    player = FakePlayer(clock, available=False)
    announcer = make_announcer(voice, player, clock, tmp_path)
    for n in range(1, 4):
        announcer.call(f"A00{n}", n)
    with caplog.at_level(logging.WARNING, logger="display.announcer"):
        assert [r for _, r in drain(announcer)] == ["silent"] * 3
    assert [r.message for r in caplog.records].count("announcements are silent: no sound output") == 1
    assert voice.spoken == []


def test_a_speaker_missing_at_the_first_call_is_looked_for_again_and_heard_once_back(
    voice: FakeVoice, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The USB speaker was unplugged (or the sound server not up yet) at the first call: the
    calls after it is back are said, without a restart; one line when lost, one when back."""
    player = FakePlayer(clock, wait=clock.advance, available=False)
    announcer = make_announcer(voice, player, clock, tmp_path, repeat=1)
    with caplog.at_level(logging.WARNING, logger="display.announcer"):
        announcer.call("A001", 1)
        assert drain(announcer) == [("A001", "silent")]
        player.available = True  # plugged back in
        clock.advance(5)
        announcer.call("A002", 2)
        assert drain(announcer) == [("A002", "silent")]  # not looked for at every call
        clock.advance(61)
        announcer.call("A003", 3)
        assert drain(announcer) == [("A003", "announced")]
        announcer.call("A004", 4)
        assert drain(announcer) == [("A004", "announced")]
        player.available = False  # unplugged again
        clock.advance(61)
        announcer.call("A005", 5)
        assert drain(announcer) == [("A005", "silent")]
    assert [r.getMessage() for r in caplog.records] == [
        "announcements are silent: no sound output",
        "announcements can be heard again (the sound output is back)",
        "announcements are silent: no sound output",
    ]
    assert len(player.played) == 2


def test_a_call_withdrawn_while_its_window_paused_is_said_once_when_it_resumes(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Windows 1 and 4 call in the same second; window 4 pauses before A001's turn comes and
    resumes still calling A001: the citizen must still hear their number."""
    hall = Hall()
    hall.calling = {1: "C001", 4: "A001"}
    paused: set[int] = set()

    def current(number: str, window: int) -> str | None:
        return f"window {window} is paused" if window in paused else hall.call_over(number, window)

    announcer = make_announcer(voice, player, clock, tmp_path, current=current, repeat=1)
    announcer.call("C001", 1)
    announcer.call("A001", 4)
    paused.add(4)
    with caplog.at_level(logging.INFO, logger="display.announcer"):
        assert drain(announcer) == [("C001", "announced"), ("A001", "withdrawn")]
        paused.discard(4)
        resumed = announcer.resumed("A001", 4)
        assert resumed is not None and resumed.kind == "call" and resumed.window == 4
        assert drain(announcer) == [("A001", "announced")]
        assert announcer.resumed("A001", 4) is None  # once: it has been said now
    assert "window 4 resumed: saying call of A001 to window 4" in caplog.text
    assert [t for t, lang in voice.spoken if lang == "zh"].count("请A零零一号到四号窗口办理") == 1


def test_a_resume_owes_nothing_for_a_call_said_or_called_over(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path
) -> None:
    hall = Hall()
    hall.calling = {4: "A001", 5: "B001"}
    announcer = make_announcer(voice, player, clock, tmp_path, current=hall.call_over)
    announcer.call("A001", 4)
    assert drain(announcer) == [("A001", "announced")]
    assert announcer.resumed("A001", 4) is None  # said before the pause: heard
    hall.calling[5] = "B002"
    announcer.call("B001", 5)
    assert drain(announcer) == [("B001", "withdrawn")]
    announcer.call("B002", 5)  # the window called on: B001 is owed nothing
    assert announcer.resumed("B001", 5) is None
    assert drain(announcer) == [("B002", "announced")]


def test_a_voice_failure_skips_that_announcement_only(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    announcer = make_announcer(voice, player, clock, tmp_path)
    real_synthesise = voice.synthesise

    def synthesise(text: str, lang: str) -> Path:
        if "A001" in text or "零零一" in text:
            raise VoiceError("espeak crashed")
        return real_synthesise(text, lang)

    monkeypatch.setattr(voice, "synthesise", synthesise)
    announcer.call("A001", 1)
    announcer.call("A002", 2)
    assert drain(announcer) == [("A001", "failed"), ("A002", "announced")]


def test_a_sound_server_that_fails_every_call_is_an_error_once_until_it_works_again(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The player is there but its sound server is down (sox: no default audio device): one
    ERROR for the hall's technician, not one per call all day."""
    announcer = make_announcer(voice, player, clock, tmp_path)
    real_play = player.play

    def no_server(wav: Path, volume: float) -> None:
        raise AudioError("/usr/bin/play failed: no default audio device configured")

    monkeypatch.setattr(player, "play", no_server)
    for n in range(1, 4):
        announcer.call(f"A00{n}", n)
    with caplog.at_level(logging.INFO, logger="display.announcer"):
        assert [r for _, r in drain(announcer)] == ["failed"] * 3
        monkeypatch.setattr(player, "play", real_play)
        announcer.call("A004", 4)
        assert [r for _, r in drain(announcer)] == ["announced"]
    assert [r.levelname for r in caplog.records if "could not announce" in r.message] == \
        ["ERROR", "INFO", "INFO"]
    assert "announcements work again" in caplog.text


def test_a_voice_failing_on_every_sentence_is_an_error_once(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Its message names each sentence, yet it is the one fault: one ERROR, then INFO."""
    announcer = make_announcer(voice, player, clock, tmp_path)

    def no_sound(text: str, lang: str) -> Path:
        raise VoiceError(f"the speech engine wrote no sound for {text!r}")

    monkeypatch.setattr(voice, "synthesise", no_sound)
    for n in range(1, 4):
        announcer.call(f"A00{n}", n)
    with caplog.at_level(logging.INFO, logger="display.announcer"):
        assert [r for _, r in drain(announcer)] == ["failed"] * 3
    failures = [r for r in caplog.records if "could not announce" in r.message]
    assert [r.levelname for r in failures] == ["ERROR", "INFO", "INFO"]
    assert "wrote no sound for '" in failures[0].getMessage()  # the technician sees the text


def test_bad_calls_and_empty_messages_are_refused_when_fed(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path
) -> None:
    announcer = make_announcer(voice, player, clock, tmp_path)
    with pytest.raises(BadCall):
        announcer.call("a12", 5)
    with pytest.raises(BadCall):
        announcer.recall("A012", 0)
    with pytest.raises(ValueError):
        announcer.message({"zh": "  ", "fr": "Bonjour"})
    assert announcer.pending() == []


def test_two_workers_never_overlap_and_keep_the_order(
    voice: FakeVoice, clock: FakeClock, tmp_path: Path
) -> None:
    active = 0
    most = 0
    guard = threading.Lock()

    def wait(seconds: float) -> None:
        nonlocal active, most
        with guard:
            active += 1
            most = max(most, active)
        threading.Event().wait(0.002)  # let the other worker try to start
        clock.advance(seconds)
        with guard:
            active -= 1

    player = FakePlayer(clock, wait=wait)
    announcer = make_announcer(voice, player, clock, tmp_path, repeat=1)
    numbers = [f"C{n:03d}" for n in range(1, 16)]
    workers = [threading.Thread(target=announcer.run_forever, args=(0.01,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for window, number in enumerate(numbers, start=1):
        announcer.call(number, window)
    deadline = threading.Event()
    for _ in range(500):
        if len(player.played) == len(numbers):
            break
        deadline.wait(0.01)
    announcer.close()
    for worker in workers:
        worker.join(timeout=5)
    assert most == 1
    assert [p.start for p in player.played] == sorted(p.start for p in player.played)
    zh_said = [text for text, lang in voice.spoken if lang == "zh"]
    assert [re.sub(r"^请(C\S+?)号.*$", r"\1", t) for t in zh_said] == [
        "C" + "".join("零一二三四五六七八九"[int(d)] for d in n[1:]) for n in numbers
    ]


async def test_an_asyncio_task_drains_the_queue(
    voice: FakeVoice, player: FakePlayer, clock: FakeClock, tmp_path: Path
) -> None:
    announcer = make_announcer(voice, player, clock, tmp_path, repeat=1)
    task = asyncio.create_task(announcer.run(poll_s=0.01))
    announcer.call("A001", 1)
    announcer.recall("B002", 2)
    for _ in range(500):
        if len(player.played) == 2:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(player.played) == 2
    assert announcer.announce_next() is None


def test_say_call_writes_the_chime_and_the_sentence(voice: FakeVoice, tmp_path: Path) -> None:
    out = tmp_path / "call.wav"
    assert say_call("A012", 5, "zh", out, voice) == "请A012号到5号窗口办理"
    assert voice.spoken == [("请A零一二号到五号窗口办理", "zh")]
    assert wav_duration(out) == pytest.approx(wav_duration(CHIME) + GAP_S + SENTENCE_S, abs=0.01)


@pytest.mark.parametrize(
    ("number", "window", "lang"),
    [("A0123456", 5, "zh"), ("a012", 5, "zh"), ("A012", 0, "zh"), ("A012", 1000, "en"),
     ("A012", 5, "xx")],
)
def test_say_call_refuses_what_it_cannot_announce(
    voice: FakeVoice, tmp_path: Path, number: str, window: int, lang: str
) -> None:
    with pytest.raises(BadCall):
        say_call(number, window, lang, tmp_path / "call.wav", voice)
    assert voice.spoken == []


@pytest.mark.parametrize(
    ("lang", "text"),
    [("zh", "请A012号到5号窗口办理"), ("en", "Number A012, please go to window 5")],
)
def test_say_call_with_the_real_voice(tmp_path: Path, lang: str, text: str) -> None:
    out = tmp_path / f"call-{lang}.wav"
    voice = Pyttsx3Voice(cache_dir=tmp_path / "cache")
    assert say_call("A012", 5, lang, out, voice) == text
    seconds = float(subprocess.run(["sox", "--i", "-D", str(out)], capture_output=True, text=True).stdout)
    assert wav_duration(CHIME) + 1.0 < seconds < 12.0
    stat = subprocess.run(["sox", str(out), "-n", "stat"], capture_output=True, text=True).stderr
    match = re.search(r"RMS\s+amplitude:\s+([0-9.]+)", stat)
    assert match and float(match.group(1)) > 0.02

"""``hall-hub``: check-config, device, clerk, appointments and serve, as a technician runs them."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub import cli
from hub.model import Ticket
from hub.store import Batch, Store, ticket_row
from tests.hub.test_server import in_process
from tests.hubproc import COUNTY, ROOT, HubProcess, self_signed

COUNTY_TEXT = COUNTY.read_text(encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def line_of(text: str, needle: str, after: str = "") -> int:
    """The 1-based line of the first ``needle`` that comes after ``after``."""
    start = text.index(after) if after else 0
    return text[:text.index(needle, start)].count("\n") + 1


def broken(tmp_path: Path, name: str, old: str, new: str, after: str = "") -> tuple[Path, int]:
    """The county hall with one change; returns the file and the line of the change."""
    start = COUNTY_TEXT.index(after) if after else 0
    at = COUNTY_TEXT.index(old, start)
    text = COUNTY_TEXT[:at] + new + COUNTY_TEXT[at + len(old):]
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path, text[:at].count("\n") + 1


def test_check_config_accepts_the_county_hall(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check-config", str(COUNTY))
    assert code == 0
    assert out.strip().splitlines()[-1] == (f"{COUNTY}: OK: 县政务服务中心, 9 departments, "
                                            "12 services, 12 windows")


@pytest.mark.parametrize(("case", "old", "new", "after", "words"), [
    ("duplicate prefix", 'prefix = "B"', 'prefix = "A"', 'id = "idcard"',
     "prefix 'A' is already used by service 'hukou'"),
    ("unknown serves", 'serves = ["collect", "pay"]', 'serves = ["collect", "payment"]', "",
     "serves 'payment', which is not a service id (did you mean 'pay'?)"),
    ("bad time", 'close = "12:00"', 'close = "12h00"', "", "'12h00' is not a time"),
    ("time of day", 'open = "08:30"', 'open = "24:30"', "", "'24:30' is not a time of day"),
    ("bad TOML", 'name_en = "Tax services"', 'name_en = "Tax services', "", "not valid TOML"),
    ("unknown department", 'department = "fund"', 'department = "funds"', "",
     "department 'funds' is not defined in [[departments]] (did you mean 'fund'?)"),
    ("duplicate window", "number = 12", "number = 11", "", "number is used twice (first on line "
     f"{line_of(COUNTY_TEXT, 'number = 11')})"),
    ("duplicate service", 'id = "idcard"', 'id = "hukou"', "", "id is used twice (first on line "
     f"""{line_of(COUNTY_TEXT, 'id = "hukou"')})"""),
    ("duplicate department", 'id = "hrss"', 'id = "police"', "",
     "department id 'police' is used twice (first on line "
     f"""{line_of(COUNTY_TEXT, 'id = "police"')})"""),
])
def test_check_config_names_each_problem_with_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, old: str, new: str,
        after: str, words: str) -> None:
    path, line = broken(tmp_path, case.replace(" ", "-"), old, new, after)
    code, out, _ = run(capsys, "check-config", str(path))
    assert code != 0
    problem = next(row for row in out.splitlines() if words in row)
    assert problem.startswith(f"{path}: line {line}: "), (problem, line)
    assert "OK" not in out
    # the hub will not serve it either, and says why
    served = subprocess.run([sys.executable, "-m", "hub.cli", "serve", "--config", str(path),
                             "--db", str(tmp_path / "hall.db"), "--port", "0"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert served.returncode != 0
    assert words in served.stderr and f"line {line}" in served.stderr
    assert "listening" not in served.stdout


def test_a_misspelt_service_id_is_named_on_the_windows_that_serve_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = broken(tmp_path, "typo", 'id = "idcard"', 'id = "id_card"')
    code, out, _ = run(capsys, "check-config", str(path))
    assert code != 0
    wrong = [row for row in out.splitlines() if "serves 'idcard'" in row]
    assert wrong and all(row.endswith("(did you mean 'id_card'?)") for row in wrong), out
    assert "served by no window" not in out  # (it is, once the typo is mended)
    # an id like none of the hall's gets no guess
    path, _ = broken(tmp_path, "far", 'serves = ["pay"]', 'serves = ["xyz"]')
    code, out, _ = run(capsys, "check-config", str(path))
    assert "serves 'xyz', which is not a service id\n" in out + "\n" and "did you mean" not in out


def test_a_hall_file_saved_in_gbk_names_its_first_line_and_the_cure(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(COUNTY_TEXT.encode("gbk"))
    first = next(i for i, row in enumerate(COUNTY_TEXT.splitlines(), 1) if not row.isascii())
    code, out, _ = run(capsys, "check-config", str(path))
    assert code != 0
    assert out.splitlines()[0].startswith(f"{path}: line {first}: cannot read the file: it is "
                                          "not UTF-8 text"), out
    assert "save it as UTF-8" in out
    assert out.count("line ") == 1, out  # the line is named once, in front


def test_a_table_written_wrong_is_one_error_not_one_per_window(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """[services] for [[services]] gave one error and 24 on the windows naming services; no
    [[windows]] at all gave one error and 12 warnings of services served by no window."""
    first, windows = COUNTY_TEXT.index("[[services]]"), COUNTY_TEXT.index("[[windows]]")
    second = COUNTY_TEXT.index("[[services]]", first + 1)
    cases = {"single": COUNTY_TEXT[:first] + "[services]" + COUNTY_TEXT[first + 12:second]
             + COUNTY_TEXT[windows:],
             "no-windows": COUNTY_TEXT[:windows]}
    for name, text in cases.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        code, out, _ = run(capsys, "check-config", str(path))
        assert code != 0
        assert len(out.strip().splitlines()) == 2, out  # the error, and the count
        assert "1 error(s)" in out


def test_check_config_reports_every_problem_at_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = COUNTY_TEXT.replace('prefix = "B"', 'prefix = "A"').replace(
        'serves = ["pay"]', 'serves = ["paying"]')
    path = tmp_path / "two.toml"
    path.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "check-config", str(path))
    assert code != 0
    assert "prefix 'A' is already used" in out and "serves 'paying'" in out
    assert "2 error(s)" in out


def test_devices_are_added_listed_and_revoked(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "hall.db")
    code, out, _ = run(capsys, "device", "add", "kiosk-9", "--role", "kiosk", "--db", db)
    assert code == 0
    token = out.strip().splitlines()[-1]
    assert len(token) >= 32 and " " not in token
    code, out, _ = run(capsys, "device", "add", "counter-3", "--role", "counter", "--window",
                       "3", "--config", str(COUNTY), "--db", db)
    assert code == 0 and "at window 3" in out
    code, _, err = run(capsys, "device", "add", "counter-x", "--role", "counter", "--db", db)
    assert code != 0 and "--window" in err
    code, _, err = run(capsys, "device", "add", "counter-y", "--role", "counter", "--window",
                       "42", "--config", str(COUNTY), "--db", db)
    assert code != 0 and "no window 42" in err
    code, _, err = run(capsys, "device", "add", "kiosk-8", "--role", "kiosk", "--window", "1",
                       "--db", db)
    assert code != 0 and "--window is for counters" in err
    code, _, err = run(capsys, "device", "add", "kiosk-9", "--role", "kiosk", "--db", db)
    assert code != 0 and "already enrolled" in err
    code, out, _ = run(capsys, "device", "list", "--db", db)
    rows = {row.split()[0]: row.split() for row in out.strip().splitlines()}
    assert set(rows) == {"kiosk-9", "counter-3"}
    assert rows["kiosk-9"][1:4] == ["kiosk", "-", "active"]
    assert rows["counter-3"][1:5] == ["counter", "window", "3", "active"]
    assert token not in out
    code, out, _ = run(capsys, "device", "list", "counter-3", "--db", db)  # one of them
    assert code == 0 and [row.split()[0] for row in out.splitlines()] == ["counter-3"]
    code, out, err = run(capsys, "device", "list", "counter-4", "--db", db)
    assert code == 2 and not out and "no device named 'counter-4'" in err
    code, out, _ = run(capsys, "device", "revoke", "kiosk-9", "--db", db)
    assert code == 0 and "revoked kiosk-9" in out
    code, out, _ = run(capsys, "device", "list", "--db", db)
    assert "revoked" in next(row for row in out.splitlines() if row.startswith("kiosk-9"))
    code, _, err = run(capsys, "device", "revoke", "kiosk-9", "--db", db)
    assert code != 0 and "no active device" in err
    # a revoked name may be enrolled again, with a new token
    code, out, _ = run(capsys, "device", "add", "kiosk-9", "--role", "kiosk", "--db", db)
    assert code == 0 and out.strip().splitlines()[-1] != token
    store = Store(db)
    try:
        assert store.device("kiosk-9", token) is None
        assert store.device("kiosk-9", out.strip().splitlines()[-1]) is not None
    finally:
        store.close()


def test_the_printed_token_opens_a_connection(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from tests.hub.test_server import Wire

    async def scenario() -> None:
        async with in_process(tmp_path / "hub", always_open=True) as hub:
            code, out, _ = run(capsys, "device", "add", "window-sign-5", "--role", "display",
                               "--window", "5", "--db", str(hub.db))
            assert code == 0
            sign = await Wire.open(hub.url, "window-sign-5", out.strip().splitlines()[-1])
            assert sign.hello["role"] == "display" and sign.hello["window"] == 5
            await sign.close()

    asyncio.run(scenario())


def test_clerks_are_added_with_a_pin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "hall.db")
    code, out, _ = run(capsys, "clerk", "add", "2001", "--name", "赵敏", "--pin", "864209",
                       "--db", db)
    assert code == 0 and out.strip() == "clerk 2001 (赵敏) can now sign in"
    code, out, _ = run(capsys, "clerk", "add", "2001", "--name", "赵敏", "--pin", "864209",
                       "--db", db)  # again: it says it replaced the PIN, not "can now"
    assert code == 0 and out.strip() == ("clerk 2001 (赵敏) already enrolled: the new PIN "
                                         "replaces the old one")
    for pin in ("12a4", "123", "1234567890123", "１２３４"):  # full-width: from a Chinese IME
        code, _, err = run(capsys, "clerk", "add", "2002", "--name", "钱", "--pin", pin,
                           "--db", db)
        assert code != 0 and "PIN must be 4 to 12 digits" in err
    for staff, name in (("", "钱"), ("  ", "钱"), ("2003", ""), ("2003", " ")):
        code, _, err = run(capsys, "clerk", "add", staff, "--name", name, "--pin", "1234",
                           "--db", db)
        assert code == 2 and "must be 1 to 64 characters, not blank" in err
    store = Store(db)
    try:
        clerk = store.clerk("2001", "864209")
        assert clerk is not None and clerk.name == "赵敏"
        assert store.clerk("2001", "864208") is None
        assert store.clerk("2002", "1234") is None
        assert b"864209" not in Path(db).read_bytes()
    finally:
        store.close()


def test_appointments_import_all_or_nothing(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "hall.db")
    good = tmp_path / "good.csv"
    good.write_text("code,service,date,start,end,name,phone\n"
                    "A1,social,2026-11-23,09:00,09:30,王,138\n"
                    "A2,pay,2026-11-23,10:00,10:30\n", encoding="utf-8")
    code, out, _ = run(capsys, "appointments", "import", str(good), "--config", str(COUNTY),
                       "--db", db)
    assert code == 0 and "imported 2 appointments" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("code,service,date,start,end\n"
                   "B1,social,2026-11-24,09:00,09:30\n"
                   "B2,social,2026-11-24,9h,09:30\n"
                   "B3,nosuch,2026-11-24,09:00,09:30\n"
                   "B4,social,2026-11-24,10:00,09:30\n", encoding="utf-8")
    code, _, err = run(capsys, "appointments", "import", str(bad), "--config", str(COUNTY),
                       "--db", db)
    assert code != 0 and "nothing imported" in err
    assert f"{bad}:3:" in err and f"{bad}:4:" in err and f"{bad}:5:" in err
    assert f"{bad}:2:" not in err
    store = Store(db)
    try:
        assert store.appointment("A1") is not None and store.appointment("A2") is not None
        assert store.appointment("B1") is None
    finally:
        store.close()


def test_every_bad_appointment_row_is_reported_on_the_line_it_starts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Short and long rows, a code booked twice, a date not written YYYY-MM-DD: each on the line
    it starts on, even after a name written over two lines, and nothing imported."""
    db = str(tmp_path / "hall.db")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n\ncode,service,date,start,end,name,phone\n"  # a header after blank lines
                   'C1,social,2026-11-24,09:00,09:30,"王\n五",138\n'  # lines 4-5
                   "C2,social,2026-11-24,10:00\n"  # line 6: four columns
                   "C3;social;2026-11-24;10:00;10:30\n"  # line 7: one column
                   "C1,pay,2026-11-24,11:00,11:30\n"  # line 8: C1 again
                   "C4,pay,20261124,11:00,11:30\n"  # line 9
                   "C5,pay,2026-11-24,11:00,11:30,n,p,extra\n", encoding="utf-8")  # line 10
    code, out, err = run(capsys, "appointments", "import", str(bad), "--config", str(COUNTY),
                         "--db", db)
    assert code == 2 and out == "" and "Traceback" not in err
    assert [line.split(": ", 1)[0] for line in err.strip().splitlines()[1:]] == \
        [f"{bad}:{n}" for n in (6, 7, 8, 9, 10)], err
    assert "4 column(s); a row is code,service,date,start,end[,name,phone]" in err
    assert "code 'C1' is already booked on line 4" in err
    assert "(got '20261124'" in err


def test_a_record_the_csv_reader_cannot_read_and_an_unknown_zone_are_one_line_each(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "hall.db")
    big = tmp_path / "big.csv"
    big.write_text("C1,social,2026-11-24,09:00,09:30\n"
                   "C2,social,2026-11-24,09:00,09:30," + "x" * 200_000 + "\n", encoding="utf-8")
    code, out, err = run(capsys, "appointments", "import", str(big), "--config", str(COUNTY),
                         "--db", db)
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"{big}:2: field larger than field limit" in err
    good = tmp_path / "good.csv"
    good.write_text("C1,social,2026-11-24,09:00,09:30\n", encoding="utf-8")
    code, out, err = run(capsys, "appointments", "import", str(good), "--timezone", "Nowhere/Place",
                         "--db", db)
    assert code == 2 and out == "" and "Traceback" not in err
    assert "--timezone 'Nowhere/Place' is not a time zone" in err
    code, out, err = run(capsys, "appointments", "import", str(good), "--timezone", "Asia",
                         "--db", db)  # a folder of zones
    assert code == 2 and "--timezone 'Asia' is not a time zone" in err


def test_tokens_are_safe_on_a_command_line(tmp_path: Path) -> None:
    """A token is passed as --token TOKEN: it must never look like an option."""
    store = Store(tmp_path / "t.db")
    try:
        tokens = [store.add_device(f"kiosk-{i}", "kiosk", None) for i in range(300)]
    finally:
        store.close()
    assert all(t[0].isalnum() and t.isalnum() and len(t) >= 40 for t in tokens)


def test_report_lists_the_dissatisfied_ratings_and_their_follow_up(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hall.db"
    store = Store(db)
    try:
        at = datetime(2026, 11, 20, 9, tzinfo=UTC)
        rows = [Ticket(id=f"20261120-C00{n}", day="2026-11-20", number=f"C00{n}", seqno=n,
                       service="social", issued_service="social", state="done",
                       priority="normal", issued_at=at, line_at=at, line_ord=n, window=1,
                       clerk="1001", score=1) for n in (1, 2)]
        rows[0].follow_up_note, rows[0].followed_up_by = "已电话回访", "desk-1"
        rows[0].followed_up_at = datetime(2026, 11, 21, 10, tzinfo=UTC)
        store.commit(Batch(tickets=[ticket_row(t) for t in rows]))
    finally:
        store.close()
    code, out, _err = run(capsys, "report", "--config", str(COUNTY), "--db", str(db),
                          "--from", "2026-11-20", "--to", "2026-11-20")
    assert code == 0
    assert ("2026-11-20 C001 window 1 clerk 1001  followed up 2026-11-21T10:00:00+00:00 by "
            "desk-1: 已电话回访") in out
    assert "2026-11-20 C002 window 1 clerk 1001  TO FOLLOW UP" in out
    lines = out.splitlines()
    assert lines[2] == "all" and "sent on" in lines[3] and "unserved" in lines[3]
    assert lines[4].split()[:3] == ["2", "2", "0"]  # the hall's total: 2 issued, 2 served
    assert lines[4].split()[-1] == "0%"  # both ratings "dissatisfied"
    by_window = lines.index("by window")
    assert lines[by_window + 1].split()[0] == "handled"  # a window takes no tickets
    code, out, _err = run(capsys, "report", "--config", str(COUNTY), "--db", str(db),
                          "--from", "2026-11-20", "--to", "2026-11-20", "--json",
                          "--wait-min", "15")
    assert code == 0 and json.loads(out)["targets"]["wait_min"] == 15
    code, out, err = run(capsys, "report", "--config", str(COUNTY), "--db",
                         str(tmp_path / "typo.db"), "--from", "2026-11-20", "--to", "2026-11-20")
    assert code == 2 and not out and "there is no hall database" in err
    assert not (tmp_path / "typo.db").exists()


def test_check_config_says_a_warning_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "hall.toml"
    path.write_text(COUNTY.read_text(encoding="utf-8").replace('serves = ["realty"]',
                                                               'serves = ["tax"]'))
    code, out, _ = run(capsys, "check-config", str(path))
    assert code == 0 and out.count("served by no window") == 1, out
    assert not [r for r in caplog.records if r.name == "hub.config"]  # not logged a second time


@pytest.mark.parametrize(("argv", "words"), [
    (["", "--role", "kiosk"], "must be 1 to 64 characters"),
    (["   ", "--role", "kiosk"], "must not be blank"),
    (["kiosk\n2", "--role", "kiosk"], "must not hold a line break"),
    (["kiosk\u200b2", "--role", "kiosk"], "must not hold a line break"),
    (["k" * 65, "--role", "kiosk"], "must be 1 to 64 characters"),
    (["c-0", "--role", "counter", "--window", "0"], "--window must be from 1 to 999"),
    (["c-5", "--role", "counter", "--window", "-5"], "--window must be from 1 to 999"),
])
def test_device_add_refuses_what_could_never_connect(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    db = str(tmp_path / "hall.db")
    code, out, err = run(capsys, "device", "add", *argv, "--db", db)
    assert code == 2 and words in err and not out, err
    _, listed, why = run(capsys, "device", "list", "--db", db)  # nothing enrolled, or no db yet
    assert listed.strip() == "no devices enrolled" or "there is no hall database" in why


@pytest.mark.parametrize("port", ["99999", "-1", "65536", "８０", "http"])
def test_serve_refuses_a_port_that_is_not_one(capsys: pytest.CaptureFixture[str],
                                              port: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["serve", "--config", str(COUNTY), "--port", port])
    assert stopped.value.code == 2
    assert f"'{port}' is not a port number (0 to 65535" in capsys.readouterr().err


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hall.db"
    db.write_text("not a database, a note someone saved here\n" * 100)
    code, _, err = run(capsys, "device", "list", "--db", str(db))
    assert code == 2
    assert err.splitlines() == [f"hall-hub: cannot open the database {db}: file is not a database"]


def test_check_config_warns_of_what_it_assumes_and_what_it_does_not_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Keys left out run with a default the technician is told of; a key the hub does not read
    (a misspelt "polcy") is named with its line, so it cannot quietly mean the default."""
    text = COUNTY_TEXT
    for key in ('timezone = "Asia/Shanghai"', 'day_starts = "05:00"'):
        assert key in text
        text = text.replace(key, "")
    text = text.replace('policy = "ordered"', 'polcy = "ordered"', 1)
    text = text.replace("minutes = ", "# minutes = ", 1)
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "check-config", str(path))
    assert code == 0, out
    lines = out.splitlines()
    assert f"{path}: line {line_of(text, '[hall]')}: warning: [hall]: 'timezone' is missing; " \
        '"Asia/Shanghai" is used' in lines
    assert any("'day_starts' is missing; \"05:00\" is used" in line for line in lines)
    polcy = line_of(text, "polcy")
    assert any(line.startswith(f"{path}: line {polcy}: warning: window ") and
               "'polcy' is not a key this hub reads, so it is ignored" in line for line in lines)
    assert any("'minutes' is missing; 10 is used" in line for line in lines)
    assert lines[-1].startswith(f"{path}: OK: ")


def test_a_time_written_without_quotes_is_told_to_have_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, line = broken(tmp_path, "bare", 'day_starts = "05:00"', "day_starts = 05:00:00")
    code, out, _ = run(capsys, "check-config", str(path))
    assert code == 1
    assert f'{path}: line {line}: [hall] day_starts: write the time in quotes, like "05:00"' \
        in out.splitlines()


def test_report_refuses_dates_that_are_not_days(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "hall.db")
    with pytest.raises(SystemExit) as stopped:
        cli.main(["report", "--config", str(COUNTY), "--db", db, "--from", "2026-13-01",
                  "--to", "2026-12-01"])
    assert stopped.value.code == 2
    assert "'2026-13-01' is not a date like 2026-11-23" in capsys.readouterr().err
    code, _, err = run(capsys, "report", "--config", str(COUNTY), "--db", db,
                       "--from", "2026-12-05", "--to", "2026-12-01")
    assert code == 2 and err.strip() == "hall-hub: --from 2026-12-05 is after --to 2026-12-01"


def test_a_second_hub_on_the_same_database_does_not_start(tmp_path: Path) -> None:
    """Two hubs on one database would hand out the same numbers. The lock goes with the first
    hub's process: after a SIGKILL the next hub starts."""
    first = HubProcess(tmp_path / "hall").start()
    try:
        second = subprocess.run(
            [sys.executable, "-m", "hub.cli", "serve", "--config", str(COUNTY), "--db",
             str(first.db), "--port", "0"], cwd=ROOT, capture_output=True, text=True,
            timeout=30)
        assert second.returncode == 2
        assert second.stderr.strip() == (
            f"hall-hub: another hub (pid {first.proc.pid if first.proc else '?'}) is already "
            f"serving {first.db}; stop it first (two hubs on one database would hand out the "
            "same numbers)")
        first.kill()
        first.start()  # the killed hub's lock went with it
    finally:
        first.stop()


def test_a_quoted_key_has_its_own_line(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path, line = broken(tmp_path, "quoted", 'prefix = "A"', '"prefix" = "a"')
    code, out, _ = run(capsys, "check-config", str(path))
    assert code == 1
    assert f"{path}: line {line}: service 'hukou': prefix 'a' must be 1 or 2 capital letters" \
        in out.splitlines()


def test_the_lock_is_taken_on_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing the pid into DB.lock fails on a full disk: the hub starts all the same (it
    serves what it has, and refuses changes saying the disk is full)."""
    def full(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli.os, "write", full)
    lock = cli._serving_alone(tmp_path / "hall.db")
    try:
        monkeypatch.undo()
        with pytest.raises(cli.CliError, match=r"another hub \(pid \?\) is already serving"):
            cli._serving_alone(tmp_path / "hall.db")
    finally:
        os.close(lock)


def test_one_lock_for_one_database_whatever_path_names_it(tmp_path: Path) -> None:
    """A hub serving hall.db, and another started on a symlink to it: refused (the lock was
    beside the path as typed, and two hubs handed out the same numbers)."""
    (tmp_path / "alias.db").symlink_to(tmp_path / "hall.db")
    lock = cli._serving_alone(tmp_path / "hall.db")
    try:
        with pytest.raises(cli.CliError, match="is already serving"):
            cli._serving_alone(tmp_path / "alias.db")
    finally:
        os.close(lock)


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """``path`` made read-only even for root (chmod is not: the tests may run as root)."""
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not possible here (not root, or not an ext4-like disk)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_database_is_one_line_for_every_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """device add/revoke and clerk add on a database that cannot be written gave a traceback;
    serve started, said it listened, and refused every change."""
    db = str(tmp_path / "hall.db")
    assert run(capsys, "device", "add", "kiosk-1", "--role", "kiosk", "--db", db)[0] == 0
    with immutable(tmp_path / "hall.db"):
        for argv in (["device", "add", "kiosk-2", "--role", "kiosk"],
                     ["device", "revoke", "kiosk-1"],
                     ["clerk", "add", "1001", "--name", "张三", "--pin", "1234"],
                     ["serve", "--config", str(COUNTY), "--port", "0"]):
            code, _out, err = run(capsys, *argv, "--db", db)
            assert code == 2, argv
            assert err.count("\n") == 1 and "Traceback" not in err, err
            assert "attempt to write a readonly database (the file, or its folder, is " \
                   "read-only for this user)" in err, argv
        assert run(capsys, "device", "list", "--db", db)[0] == 0  # reading is fine


@pytest.mark.parametrize("argv", [
    ["serve", "--config", "hall.toml", "--bogus"], ["serve"], ["frobnicate"], [],
    ["device", "add", "x", "--role", "robot"], ["device", "add", "c-1", "--role", "counter",
                                                 "--window", "abc"],
    ["clerk", "add", "1002", "--pin", "1234"], ["serve", "--config", "h", "--rate-limit", "x"],
])
def test_a_mistake_on_the_command_line_is_one_plain_line(
        capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert not out and len(err.splitlines()) == 1, err
    assert err.startswith("hall-hub") and "--help" in err


@pytest.mark.parametrize("command", [["device", "list"], ["device", "revoke", "kiosk-1"]])
def test_listing_or_revoking_in_a_database_that_is_not_there_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    """A mistyped --db made an empty database there and answered "no devices enrolled"."""
    db = tmp_path / "typo" / "hall.db"
    code, out, err = run(capsys, *command, "--db", str(db))
    assert code == 2 and not out
    assert err.splitlines() == [f"hall-hub: there is no hall database at {db} (give the hub's "
                                "own with --db)"]
    assert not db.parent.exists()


def test_serve_on_a_port_taken_leaves_no_new_database_behind(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        db = tmp_path / "typo" / "var" / "hall.db"  # its folders made, and taken away again
        code, out, err = run(capsys, "serve", "--config", str(COUNTY), "--db", str(db),
                             "--port", port)
        assert code == 2 and not out
        assert f"hall-hub: cannot listen on 127.0.0.1:{port}: " in err.splitlines()[-1]
        assert sorted(p.name for p in tmp_path.iterdir()) == []  # a mistyped --db: gone again
        # the hall's own database stays, of course
        kept = tmp_path / "hall.db"
        assert run(capsys, "device", "add", "kiosk-1", "--role", "kiosk", "--db", str(kept))[0] == 0
        code, _, _ = run(capsys, "serve", "--config", str(COUNTY), "--db", str(kept),
                         "--port", port)
        assert code == 2 and kept.exists()


def test_serve_with_a_key_that_cannot_be_used_says_what_to_give(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A key encrypted with a pass phrase made serve ask for it at the terminal (a hub started
    by systemd has none) and then say "invalid argument"; a key that is not the
    certificate's, or the two swapped, are said as such, in one line."""
    cert, key = self_signed(tmp_path / "tls")
    locked = tmp_path / "tls" / "locked.pem"
    subprocess.run(["openssl", "pkey", "-in", str(key), "-aes256", "-passout", "pass:secret",
                    "-out", str(locked)], check=True, capture_output=True)
    _other_cert, other_key = self_signed(tmp_path / "other")
    db = str(tmp_path / "hall.db")
    for cert_file, key_file, said in (
            (cert, locked, f"the key {locked} is encrypted with a pass phrase"),
            (cert, other_key, "--cert is the certificate, --key its key"),
            (key, cert, "--cert is the certificate, --key its key")):
        code, _out, err = run(capsys, "serve", "--config", str(COUNTY), "--db", db,
                              "--cert", str(cert_file), "--key", str(key_file), "--port", "0")
        assert code == 2 and said in err and err.count("\n") == 1, err


def test_a_device_name_with_a_full_width_space_is_taken(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The space a Chinese input method types (U+3000) is no control character."""
    db = str(tmp_path / "hall.db")
    code, out, _err = run(capsys, "device", "add", "大厅\u3000屏幕", "--role", "display", "--db", db)
    assert code == 0 and out.strip()

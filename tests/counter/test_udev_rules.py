"""udev/99-hall-devices.rules: every line is a well-formed rule, and the four names are there.

udev accepts a broken line silently (it logs and skips it), so the classic mistakes are caught here:
``SYMLINK==`` (a test, not an assignment), ``ATTR{idVendor}`` on a tty, a quote lost.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "udev" / "99-hall-devices.rules"

TOKEN = re.compile(
    r'(?P<key>[A-Z_]+)(?:\{(?P<attr>[A-Za-z0-9_]+)\})?(?P<op>==|!=|\+=|-=|:=|=)"(?P<value>[^"]*)"'
)
MATCH_KEYS = {"SUBSYSTEM", "KERNEL", "KERNELS", "SUBSYSTEMS", "ATTR", "ATTRS", "ENV", "DRIVERS", "ACTION"}
ASSIGN_KEYS = {"SYMLINK", "GROUP", "MODE", "ENV", "OWNER"}
NAMES = {"hall-printer", "hall-sign", "hall-keypad", "hall-scanner"}
CHIPS = {("1a86", "7523"), ("0403", "6001"), ("067b", "2303"), ("10c4", "ea60")}

Rule = list[tuple[str, str | None, str, str]]


def rules() -> list[Rule]:
    parsed: list[Rule] = []
    for number, line in enumerate(RULES.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        parts = [part.strip() for part in text.split(",")]
        rule: Rule = []
        for part in parts:
            token = TOKEN.fullmatch(part)
            assert token, f'line {number}: {part!r} is not KEY=="value" or KEY="value"'
            rule.append((token["key"], token["attr"], token["op"], token["value"]))
        parsed.append(rule)
    return parsed


def test_every_line_is_a_well_formed_rule() -> None:
    found = rules()
    assert found
    for rule in found:
        tests = [(k, a, o, v) for k, a, o, v in rule if o in ("==", "!=")]
        assignments = [(k, a, o, v) for k, a, o, v in rule if o not in ("==", "!=")]
        assert tests and assignments, f"{rule} needs tests and assignments"
        for key, _, _, _ in tests:
            assert key in MATCH_KEYS, f"{key} cannot be tested"
        for key, _, op, value in assignments:
            assert key in ASSIGN_KEYS, f"{key} cannot be assigned"
            if key == "MODE":
                assert re.fullmatch(r"0[0-7]{3}", value), value
            if key == "SYMLINK":
                assert op == "+=", "SYMLINK takes +=, so other rules' links survive"
        if ("SUBSYSTEM", None, "==", "tty") in tests:
            # a tty's vendor is on its USB parent: ATTR (no S) would never match
            assert not any(k == "ATTR" for k, _, _, _ in tests)


def test_ids_are_four_hex_digits() -> None:
    for rule in rules():
        for _, attr, _, value in rule:
            if attr in ("idVendor", "idProduct"):
                assert re.fullmatch(r"[0-9a-f]{4}", value), value


def test_each_hall_name_is_given_with_group_and_mode() -> None:
    given: set[str] = set()
    for rule in rules():
        links = {v for k, _, _, v in rule if k == "SYMLINK"}
        if not links:
            continue
        given |= links
        keys = {k for k, _, _, _ in rule}
        assert {"GROUP", "MODE"} <= keys, f"{links} without GROUP and MODE"
        group = next(v for k, _, _, v in rule if k == "GROUP")
        assert group == ("lp" if links == {"hall-printer"} else "dialout")
        # a symlink needs something that tells one unit of a chip from another
        assert {"KERNELS", "KERNEL"} & keys or any(a == "serial" for _, a, _, _ in rule)
    assert given == NAMES


def test_every_common_usb_serial_chip_is_opened_to_dialout() -> None:
    opened: set[tuple[str, str]] = set()
    for rule in rules():
        attrs = {a: v for _, a, _, v in rule if a in ("idVendor", "idProduct")}
        groups = {v for k, _, _, v in rule if k == "GROUP"}
        if len(attrs) == 2 and groups == {"dialout"}:
            opened.add((attrs["idVendor"], attrs["idProduct"]))
    assert opened >= CHIPS


@pytest.mark.skipif(shutil.which("udevadm") is None, reason="udevadm is not installed here")
def test_udevadm_accepts_the_file() -> None:
    help_text = subprocess.run(["udevadm", "--help"], capture_output=True, text=True, check=False).stdout
    if "verify" not in help_text:
        pytest.skip("this udevadm has no 'verify' (systemd < 253)")
    result = subprocess.run(
        ["udevadm", "verify", "--resolve-names=never", str(RULES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""The small TOML files every app reads (device file, settings, sign, keypad): whatever is wrong
with one is one plain line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from display.main import main as display_main
from hub.errors import HubError
from hub.settings_file import read_toml


def test_a_file_saved_in_gbk_is_named_and_said_to_need_utf8(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_bytes('lang = "中"\n'.encode("gbk"))
    with pytest.raises(HubError, match=r"kiosk\.toml: it is not UTF-8 text .*save it as UTF-8"):
        read_toml(path)
    path.write_text('lang = "中"\n', encoding="utf-8")
    assert read_toml(path) == {"lang": "中"}


def test_a_file_saved_as_utf8_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Windows Notepad's "UTF-8" starts with EF BB BF, which tomllib calls invalid TOML."""
    path = tmp_path / "sign.toml"
    path.write_text('[sign]\nencoding = "gbk"\n', encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_toml(path) == {"sign": {"encoding": "gbk"}}


def test_an_app_given_one_says_so_in_one_line(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "display.toml"
    path.write_bytes('voice = "开"\n'.encode("gbk"))
    assert display_main(["--settings", str(path), "--device", "d", "--token", "t"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "not UTF-8" in err and str(path) in err

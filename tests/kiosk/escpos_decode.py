"""A decoder for the ESC/POS bytes a ticket printer is sent, written from the command reference.

It reads bytes the way a printer in its power-on state does and gives back what would come out:
lines of text with the style each was printed in, the data of each QR code printed, the raster
images, cuts, and the real-time status requests seen. It is strict: a command it does not
know raises :class:`DecodeError`, so a test notices bytes nobody meant to send.

Text is decoded as the printer would: in Chinese character mode (``FS &``) a byte >= 0x80
starts a GB18030 character; outside it, bytes >= 0x80 come from the code page chosen with
``ESC t`` (only page 0, CP437, is known here). After ``ESC @`` Chinese mode is off, as in the
reference's default state, so a ticket that forgets ``FS &`` decodes to mojibake.

Commands (ESC/POS Application Programming Guide): LF, CR, HT; ESC @, ESC !, ESC E, ESC -,
ESC a, ESC M, ESC t, ESC d, ESC J, ESC 2, ESC 3; GS !, GS B, GS V, GS v 0, GS ( k (QR, cn 49);
FS &, FS ., FS !, FS C; DLE EOT n.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
LF, CR, HT = 0x0A, 0x0D, 0x09


class DecodeError(ValueError):
    """Bytes that are not a command this decoder knows, or a truncated command."""


@dataclass(frozen=True)
class Style:
    width: int = 1  # GS ! magnification (ESC ! double width gives 2)
    height: int = 1
    bold: bool = False
    underline: bool = False
    invert: bool = False
    font: int = 0
    align: str = "left"


@dataclass
class Line:
    """One printed line: its text and the style of its first character."""

    text: str
    style: Style


@dataclass
class Raster:
    """A ``GS v 0`` image: ``rows[y][x]`` is True for a burnt (black) dot."""

    width: int
    height: int
    rows: list[list[bool]]


@dataclass
class Decoded:
    lines: list[Line] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    rasters: list[Raster] = field(default_factory=list)
    cuts: int = 0
    status_requests: list[int] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # names, in order

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def image(self) -> Raster:
        """All rasters stacked top to bottom (python-escpos splits tall images)."""
        if not self.rasters:
            raise DecodeError("no raster image in the data")
        width = self.rasters[0].width
        if any(r.width != width for r in self.rasters):
            raise DecodeError("raster fragments differ in width")
        rows = [row for raster in self.rasters for row in raster.rows]
        return Raster(width, len(rows), rows)


class _Printer:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.out = Decoded()
        self.reset()
        self.line_bytes = bytearray()
        self.line_text = ""
        self.line_style: Style | None = None
        self.qr_store: bytes = b""

    def reset(self) -> None:
        self.style = Style()
        self.chinese = False
        self.code_page = 0

    # reading
    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise DecodeError(f"command truncated at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    # text
    def flush_text(self) -> None:
        if not self.line_bytes:
            return
        raw = bytes(self.line_bytes)
        self.line_bytes.clear()
        if self.chinese:
            self.line_text += raw.decode("gb18030")
        elif self.code_page == 0:
            self.line_text += codecs.decode(raw, "cp437")
        else:
            raise DecodeError(f"code page {self.code_page} not known to the decoder")

    def set_style(self, **changes: object) -> None:
        self.flush_text()
        self.style = Style(**{**self.style.__dict__, **changes})  # type: ignore[arg-type]

    def print_byte(self, b: int) -> None:
        if self.line_style is None:
            self.line_style = self.style
        self.line_bytes.append(b)

    def end_line(self) -> None:
        self.flush_text()
        self.out.lines.append(Line(self.line_text, self.line_style or self.style))
        self.line_text = ""
        self.line_style = None

    def end_line_if_started(self) -> None:
        self.flush_text()
        if self.line_text or self.line_style is not None:
            self.end_line()

    def run(self) -> Decoded:
        while self.pos < len(self.data):
            b = self.byte()
            if b == LF:
                self.end_line()
            elif b == CR:
                continue
            elif b == HT:
                self.print_byte(0x20)
            elif b == ESC:
                self.esc(self.byte())
            elif b == GS:
                self.gs(self.byte())
            elif b == FS:
                self.fs(self.byte())
            elif b == DLE:
                if self.byte() != 0x04:
                    raise DecodeError(f"unknown DLE command at byte {self.pos - 1}")
                self.out.status_requests.append(self.byte())
                self.out.commands.append("DLE EOT")
            elif b < 0x20:
                raise DecodeError(f"unexpected control byte {b:#04x} at {self.pos - 1}")
            else:
                self.print_byte(b)
                # a GB18030 character's trail bytes may look like anything printable: keep them
                if self.chinese and b >= 0x81:
                    self.gb_trail(b)
        self.end_line_if_started()
        return self.out

    def gb_trail(self, lead: int) -> None:
        second = self.byte()
        self.line_bytes.append(second)
        if 0x30 <= second <= 0x39:  # four-byte GB18030
            self.line_bytes.extend(self.take(2))

    def name(self, text: str) -> None:
        self.out.commands.append(text)

    def esc(self, c: int) -> None:
        if c == ord("@"):
            self.end_line_if_started()
            self.reset()
            self.name("ESC @")
        elif c == ord("!"):
            n = self.byte()
            self.set_style(
                width=2 if n & 0x20 else 1,
                height=2 if n & 0x10 else 1,
                bold=bool(n & 0x08),
                underline=bool(n & 0x80),
                font=n & 0x01,
            )
            self.name("ESC !")
        elif c == ord("E"):
            self.set_style(bold=bool(self.byte() & 1))
            self.name("ESC E")
        elif c == ord("-"):
            self.set_style(underline=bool(self.byte() & 3))
            self.name("ESC -")
        elif c == ord("a"):
            n = self.byte()
            align = {0: "left", 48: "left", 1: "center", 49: "center", 2: "right", 50: "right"}
            if n not in align:
                raise DecodeError(f"ESC a {n} is not an alignment")
            self.set_style(align=align[n])
            self.name("ESC a")
        elif c == ord("M"):
            self.set_style(font=self.byte() & 1)
            self.name("ESC M")
        elif c == ord("t"):
            self.flush_text()
            self.code_page = self.byte()
            self.name("ESC t")
        elif c == ord("d"):
            n = self.byte()
            self.end_line_if_started()
            for _ in range(n):
                self.end_line()
            self.name("ESC d")
        elif c == ord("J"):
            self.byte()
            self.end_line_if_started()
            self.name("ESC J")
        elif c == ord("2"):
            self.name("ESC 2")
        elif c == ord("3"):
            self.byte()
            self.name("ESC 3")
        else:
            raise DecodeError(f"unknown command ESC {c:#04x} at byte {self.pos - 2}")

    def fs(self, c: int) -> None:
        if c == ord("&"):
            self.flush_text()
            self.chinese = True
            self.name("FS &")
        elif c == ord("."):
            self.flush_text()
            self.chinese = False
            self.name("FS .")
        elif c in (ord("!"), ord("C")):
            self.byte()
            self.name(f"FS {chr(c)}")
        else:
            raise DecodeError(f"unknown command FS {c:#04x} at byte {self.pos - 2}")

    def gs(self, c: int) -> None:
        if c == ord("!"):
            n = self.byte()
            width, height = (n >> 4) + 1, (n & 0x0F) + 1
            if width > 8 or height > 8:
                raise DecodeError(f"GS ! {n:#04x} is not a character size")
            self.set_style(width=width, height=height)
            self.name("GS !")
        elif c == ord("B"):
            self.set_style(invert=bool(self.byte() & 1))
            self.name("GS B")
        elif c == ord("V"):
            m = self.byte()
            if m in (65, 66, 97, 98, 103, 104):
                self.byte()
            elif m not in (0, 1, 48, 49):
                raise DecodeError(f"GS V {m} is not a cut")
            self.end_line_if_started()
            self.out.cuts += 1
            self.name("GS V")
        elif c == ord("v"):
            self.raster()
        elif c == ord("("):
            self.gs_paren()
        else:
            raise DecodeError(f"unknown command GS {c:#04x} at byte {self.pos - 2}")

    def raster(self) -> None:
        if self.byte() != ord("0"):
            raise DecodeError("only GS v 0 raster images are known")
        self.byte()  # m: density, does not change the dots
        x_bytes = int.from_bytes(self.take(2), "little")
        height = int.from_bytes(self.take(2), "little")
        data = self.take(x_bytes * height)
        rows = [
            [bool(data[y * x_bytes + x // 8] & (0x80 >> (x % 8))) for x in range(x_bytes * 8)]
            for y in range(height)
        ]
        self.end_line_if_started()
        self.out.rasters.append(Raster(x_bytes * 8, height, rows))
        self.name("GS v 0")

    def gs_paren(self) -> None:
        kind = self.byte()
        size = int.from_bytes(self.take(2), "little")
        body = self.take(size)
        if kind != ord("k"):
            raise DecodeError(f"unknown command GS ( {chr(kind)}")
        cn, fn = body[0], body[1]
        if cn != 49:
            raise DecodeError(f"GS ( k symbol type {cn} is not QR")
        if fn == 80:  # store: m (48) then the data
            if body[2] != 48:
                raise DecodeError("GS ( k store needs m = 48")
            self.qr_store = bytes(body[3:])
        elif fn == 81:  # print the stored symbol
            self.end_line_if_started()
            self.out.qr_codes.append(self.qr_store.decode("utf-8"))
        elif fn not in (65, 67, 69):  # model, module size, error correction
            raise DecodeError(f"GS ( k function {fn} not known")
        self.name(f"GS ( k {fn}")


def decode(data: bytes) -> Decoded:
    """What a printer would print from ``data``."""
    return _Printer(data).run()

"""Reading a Python source file exactly: its encoding, BOM, line endings and positions."""

from __future__ import annotations

import bisect
import codecs
import io
import os
import re
from dataclasses import dataclass, field
from functools import cached_property

from .diagnostics import CompileError, Diagnostic

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _detect_encoding(data: bytes) -> tuple[str, bool]:
    """The encoding Python would use for `data` (PEP 263), and whether it starts with a BOM."""
    bom = data.startswith(codecs.BOM_UTF8)
    lines = data.split(b"\n", 2)[:2]
    for i, line in enumerate(lines):
        match = _COOKIE.match(line)
        if match:
            name = match.group(1).decode("ascii")
            try:
                return codecs.lookup(name).name, bom
            except LookupError:
                raise ValueError(f"unknown encoding {name!r} in the coding cookie on line {i + 1}") from None
        if i == 0 and line.strip() and not line.lstrip().startswith(b"#"):
            break
    return "utf-8", bom


@dataclass
class Source:
    """A source file's text, split into lines that keep their own endings."""

    path: str
    text: str
    encoding: str = "utf-8"
    bom: bool = False
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = io.StringIO(self.text, newline="").readlines()

    @classmethod
    def from_bytes(cls, path: str, data: bytes) -> Source:
        """Decode `data` as Python would; undecodable bytes become a diagnostic."""
        try:
            encoding, bom = _detect_encoding(data)
            text = data[len(codecs.BOM_UTF8) :].decode(encoding) if bom else data.decode(encoding)
        except (ValueError, UnicodeDecodeError) as exc:
            line = 0
            if isinstance(exc, UnicodeDecodeError):
                line = data.count(b"\n", 0, exc.start) + 1
            raise CompileError([Diagnostic(path, line, 0, f"cannot decode the file: {exc}")]) from None
        return cls(path, text, encoding, bom)

    @classmethod
    def read(cls, path: str | os.PathLike[str], display: str | None = None) -> Source:
        """Read a file; an unreadable path is a diagnostic, not a traceback."""
        shown = display if display is not None else os.fspath(path)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CompileError([Diagnostic(shown, 0, 0, f"cannot read: {exc.strerror or exc}")]) from None
        return cls.from_bytes(shown, data)

    def line(self, lineno: int) -> str:
        """Line `lineno` (1-based) without its ending; '' past the end."""
        if 1 <= lineno <= len(self.lines):
            return self.lines[lineno - 1].rstrip("\r\n")
        return ""

    @cached_property
    def line_offsets(self) -> list[int]:
        """Offset in `text` where each line starts."""
        offsets = [0]
        for line in self.lines:
            offsets.append(offsets[-1] + len(line))
        return offsets

    def line_of(self, offset: int) -> int:
        """The 1-based line holding `offset` of `text`."""
        return bisect.bisect_right(self.line_offsets, offset)

    def char_col(self, lineno: int, byte_col: int) -> int:
        """Convert the UTF-8 byte column that `ast` reports into a character column."""
        line = self.lines[lineno - 1] if 1 <= lineno <= len(self.lines) else ""
        if line.isascii():
            return byte_col
        return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def diagnostic(self, lineno: int, col: int, message: str) -> Diagnostic:
        """A diagnostic at a 1-based line and 1-based column of this file."""
        return Diagnostic(self.path, lineno, col, message, self.line(lineno) if lineno else None)

    def encode(self, text: str) -> bytes:
        """Encode output the way the source was encoded, BOM included."""
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data

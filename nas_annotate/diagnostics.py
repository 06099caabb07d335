"""Diagnostics in the `FILE:LINE:COL: error: message` format, with the source line and a caret."""

from __future__ import annotations

from typing import NamedTuple


class RunError(Exception):
    """A problem of a running script that its user must fix: the message is the whole report
    (where and why), shown without a traceback."""


class Diagnostic(NamedTuple):
    """One problem found in a user's file; `line` and `col` are 1-based, 0 when unknown."""

    path: str
    line: int
    col: int
    message: str
    source_line: str | None = None
    severity: str = "error"

    def render(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        text = f"{where}: {self.severity}: {self.message}"
        if self.source_line is not None and self.line:
            shown = self.source_line.rstrip("\r\n").expandtabs(1)
            caret_col = max(self.col, 1)
            text += f"\n    {shown}\n    {' ' * (caret_col - 1)}^"
        return text


class CompileError(Exception):
    """Raised with every problem of the inputs at once; the CLI prints them and exits 1."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.path, d.line, d.col))
        super().__init__(render_all(self.diagnostics))


def render_all(diagnostics: list[Diagnostic]) -> str:
    """All diagnostics, one block each, in file and position order."""
    ordered = sorted(diagnostics, key=lambda d: (d.path, d.line, d.col))
    return "\n".join(d.render() for d in ordered)

"""Warnings about what looks like an annotation but is not one: a string statement or comment
whose text starts with `@nni.` and a name no annotation has (`@nni.mutable_layr`).  Python
and the compiler leave such strings alone, so a typo would otherwise silently remove a layer
from the search space."""

from __future__ import annotations

import ast
import difflib
import io
import re
import tokenize
import warnings
from collections.abc import Iterable

from .diagnostics import CompileError, Diagnostic
from .locate import KINDS
from .source import Source

_ANY_NAME = re.compile(r"@nni\.(\w+)")
_MARKER = re.compile(r"[ \t\f\r\n]*@nni\.(\w+)")
_COMMENT = re.compile(r"#[ \t]*@nni\.(\w+)")


def misspelt_markers(source: Source) -> list[Diagnostic]:
    """A warning for each `@nni.NAME` string statement or comment whose NAME is no annotation."""
    if all(name in KINDS for name in _ANY_NAME.findall(source.text)):
        return []  # the usual case, without a parse
    found: list[tuple[int, str]] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source.text, filename=source.path)
    except (SyntaxError, ValueError):
        return []  # the analysis reports why the file does not parse
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            match = _MARKER.match(node.value.value)
            if match and match.group(1) not in KINDS:
                start = source.line_offsets[node.lineno - 1] + source.char_col(node.lineno, node.col_offset)
                found.append((source.text.find("@nni.", start), match.group(1)))
    try:
        # newline=None: lines end where Python ends them, at a lone \r too (which Python 3.12's
        # tokenizer cannot take before non-ASCII text)
        for token in tokenize.generate_tokens(io.StringIO(source.text, newline=None).readline):
            match = _COMMENT.match(token.string) if token.type == tokenize.COMMENT else None
            if match and match.group(1) not in KINDS and not source.line(token.start[0])[: token.start[1]].strip():
                offset = source.line_offsets[token.start[0] - 1] + token.start[1] + token.string.index("@")
                found.append((offset, match.group(1)))
    except (tokenize.TokenError, SyntaxError):
        pass  # ast accepted the file; tokenize's stricter corners only cost the comment warnings
    return [_warning(source, offset, name) for offset, name in sorted(found)]


def _warning(source: Source, offset: int, name: str) -> Diagnostic:
    line = source.line_of(offset)
    message = f"'@nni.{name}' is not an annotation, so this is left as it is"
    close = difflib.get_close_matches(name, KINDS, n=1, cutoff=0.6)
    if close:
        message += f"; did you mean '@nni.{close[0]}'?"
    return source.diagnostic(line, offset - source.line_offsets[line - 1] + 1, message)._replace(severity="warning")


def lint_files(paths: Iterable[str]) -> list[Diagnostic]:
    """The warnings for every readable, decodable file of `paths` that mentions `@nni.`."""
    found: list[Diagnostic] = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            if b"@nni." in data:
                found.extend(misspelt_markers(Source.from_bytes(path, data)))
        except (OSError, CompileError):
            continue  # the analysis reports unreadable and undecodable files
    return found

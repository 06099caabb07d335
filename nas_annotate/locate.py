"""Locating annotations: string statements and `#` comment blocks, with their scope and region.

The module is parsed once with the C `ast` parser (fast, exact positions); only the statement
tree is walked.  Untouched lines are never re-rendered, so comments and layout survive by
construction.  A file whose text does not contain a marker is not parsed at all.
"""

from __future__ import annotations

import ast
import warnings
import bisect
import codecs
import io
import re
import tokenize
from dataclasses import dataclass, replace

from .diagnostics import Diagnostic
from .model import Pos, Region
from .source import Source

MARKERS = (
    "@nni.mutable_layer",
    "@nni.report_intermediate_result",
    "@nni.report_final_result",
    "@nni.variable",
    "@nni.function_choice",
    "@nni.get_next_parameter",
    "@nni.training_update",
)
_NAMES = r"(mutable_layers?|report_intermediate_result|report_final_result|variable|function_choice|get_next_parameter|training_update)(?!\w)"
MARKER_RE = re.compile(r"\s*@nni\." + _NAMES)
# at the start of a line, whichever its line break (a lone "\r" ends a line too)
_COMMENT_CANDIDATE = re.compile(r"(?:^|(?<=\r))([ \t\f]*)#[ \t]*@nni\." + _NAMES, re.M)
_LEADING = re.compile(r"[ \t\f]*")
# the annotation kind each marker name starts
KINDS = {
    "mutable_layer": "mutable_layer",
    "mutable_layers": "mutable_layer",
    "report_intermediate_result": "report",
    "report_final_result": "report",
    "variable": "variable",
    "function_choice": "function_choice",
    "get_next_parameter": "get_next_parameter",
    "training_update": "training_update",
}
# the kinds that annotate the statement after them
TARGETED = ("variable", "function_choice")
_STRING_START = re.compile(r"([rRuUbBfF]*)('''|\"\"\"|'|\")")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_CONTEXTS = {ast.FunctionDef: "function", ast.AsyncFunctionDef: "async", ast.ClassDef: "class"}


def _level(line: str, col: int) -> int:
    """The indentation Python sees for what starts at `col` of `line`: a form feed in the
    leading whitespace resets the count to 0 (ast's columns count it as a character)."""
    prefix = line[:col]
    if "\f" in prefix and not prefix.strip(" \t\f"):
        return col - prefix.rfind("\f") - 1
    return col


def has_annotations(text: str) -> bool:
    """The cheap pre-scan: a file without a marker needs no parse."""
    return any(marker in text for marker in MARKERS)


@dataclass(frozen=True)
class Body:
    """An annotation's text (from its marker on) and the file position of every character."""

    text: str
    starts: tuple[int, ...]
    anchors: tuple[tuple[int, int], ...]
    exact: bool = True

    def pos(self, offset: int) -> Pos:
        """File position (1-based line and column) of `offset` in `text`."""
        i = bisect.bisect_right(self.starts, offset) - 1
        line, col0 = self.anchors[max(i, 0)]
        if not self.exact:
            return Pos(line, col0 + 1)
        return Pos(line, col0 + offset - self.starts[max(i, 0)] + 1)


def _body(pieces: list[tuple[int, int, str]], exact: bool = True) -> Body:
    starts, anchors, total = [], [], 0
    for line, col0, text in pieces:
        starts.append(total)
        anchors.append((line, col0))
        total += len(text)
    return Body("".join(p[2] for p in pieces), tuple(starts), tuple(anchors), exact)


@dataclass(frozen=True)
class RawAnnotation:
    """An annotation found in a file, before its body is parsed; `target` is the statement
    a variable or function choice annotates (None when there is none)."""

    kind: str
    form: str
    region: Region
    indent: str
    scope: str
    body: Body
    target: ast.stmt | None = None
    context: str = "module"  # where it stands: 'module', 'class', 'function' or 'async' (function)


@dataclass
class _Stmt:
    start: int
    col: int
    end: int
    parent: int
    scope: str
    body0: int | None
    node: ast.stmt | None = None
    alone: bool = True  # the first statement on its line (not after `;`, nor after a clause's `:`)


class _Walker:
    """Collects every statement (document order), its scope, and the string annotations."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.stmts: list[_Stmt] = []
        self.strings: list[tuple[ast.Expr, str, str, ast.stmt | None]] = []
        self.contexts: dict[str, str] = {"": "module"}

    def walk(self, body: list[ast.stmt], parent: int, scope: str) -> None:
        char_col = self.source.char_col
        for i, node in enumerate(body):
            if type(node) is ast.Expr:
                value = node.value
                if type(value) is ast.Constant and type(value.value) is str:
                    kind = _kind(value.value)
                    if kind:
                        self.strings.append((node, kind, scope, body[i + 1] if i + 1 < len(body) else None))
            decorators = getattr(node, "decorator_list", None)
            start = decorators[0].lineno if decorators else node.lineno
            text = self.source.line(node.lineno)
            at = char_col(node.lineno, node.col_offset)
            col = _level(text, at)
            index = len(self.stmts)
            clauses = _clauses(node) if type(node) in _COMPOUND else ()
            body0 = _first_line(clauses[0][1] if clauses[0][0] is None else [clauses[0][0]]) if clauses else None
            alone = not text[:at].strip()
            self.stmts.append(_Stmt(start, col, node.end_lineno or node.lineno, parent, scope, body0, node, alone))
            inner = scope
            if isinstance(node, _SCOPES):
                inner = f"{scope}.{node.name}" if scope else node.name
                self.contexts[inner] = _CONTEXTS[type(node)]
            for header, block in clauses:
                if header is None:
                    self.walk(block, index, inner)
                    continue
                # an except or case clause: a header of its own, then its block
                line, col = _clause_start(self.source, header)
                clause = len(self.stmts)
                end = block[-1].end_lineno or line
                self.stmts.append(_Stmt(line, col, end, index, inner, block[0].lineno))
                self.walk(block, clause, inner)


_COMPOUND = {
    ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor, ast.While, ast.With,
    ast.AsyncWith, ast.Try, getattr(ast, "TryStar", ast.Try), getattr(ast, "Match", ast.If),
}


def _clauses(node: ast.stmt) -> list[tuple[ast.AST | None, list[ast.stmt]]]:
    """The blocks of a compound statement in document order; except and case clauses come
    with their header node."""
    clauses: list[tuple[ast.AST | None, list[ast.stmt]]] = []
    if isinstance(getattr(node, "body", None), list):
        clauses.append((None, node.body))  # type: ignore[attr-defined]
    clauses += [(handler, handler.body) for handler in getattr(node, "handlers", ())]
    clauses += [(case, case.body) for case in getattr(node, "cases", ())]
    for name in ("orelse", "finalbody"):
        if getattr(node, name, None):
            clauses.append((None, getattr(node, name)))
    return clauses


def _first_line(block: list) -> int:
    first = block[0]
    return first.pattern.lineno if hasattr(first, "pattern") else first.lineno


def _clause_start(source: Source, header: ast.AST) -> tuple[int, int]:
    """Line and column of an `except` clause, or of the `case` keyword before a pattern."""
    if hasattr(header, "pattern"):
        line = header.pattern.lineno  # type: ignore[attr-defined]
        text = source.line(line)
        return line, _level(text, len(text) - len(text.lstrip()))
    col = source.char_col(header.lineno, header.col_offset)  # type: ignore[attr-defined]
    return header.lineno, _level(source.line(header.lineno), col)  # type: ignore[attr-defined]


def _kind(text: str) -> str | None:
    match = MARKER_RE.match(text)
    return KINDS[match.group(1)] if match else None


def locate(source: Source) -> tuple[list[RawAnnotation], list[Diagnostic]]:
    """Every annotation of the file in source order, or the diagnostics that prevent it."""
    found, diagnostics, _ = locate_tree(source)
    return found, diagnostics


def locate_tree(source: Source) -> tuple[list[RawAnnotation], list[Diagnostic], ast.Module | None]:
    """`locate`, and the file's `ast` module (None when it has no marker or does not parse)."""
    if not has_annotations(source.text):
        return [], [], None
    try:
        tree = ast.parse(source.text, filename=source.path)
    except SyntaxError as exc:
        return [], [_syntax_diagnostic(source, exc)], None
    except ValueError as exc:  # a null byte: Python 3.10 raises ValueError, later versions SyntaxError
        return [], [_syntax_diagnostic(source, SyntaxError(str(exc)))], None
    walker = _Walker(source)
    walker.walk(tree.body, -1, "")
    found = [_from_string(source, node, kind, scope, target) for node, kind, scope, target in walker.strings]
    diagnostics: list[Diagnostic] = []
    _from_comments(source, walker.stmts, found, diagnostics)
    found = [replace(a, context=walker.contexts.get(a.scope, "module")) for a in found]
    found.sort(key=lambda a: (a.region.line, a.region.col))
    return _without_annotated_targets(source, found), diagnostics, tree


def _without_annotated_targets(source: Source, found: list[RawAnnotation]) -> list[RawAnnotation]:
    """An annotation followed by another one before its target statement has no target."""
    result = []
    for i, annotation in enumerate(found):
        target = annotation.target
        if target is not None and i + 1 < len(found):
            decorators = getattr(target, "decorator_list", None)
            start = (decorators[0].lineno, 0) if decorators else (target.lineno, source.char_col(target.lineno, target.col_offset))
            after = found[i + 1].region
            if (after.line, after.col) <= start:
                annotation = replace(annotation, target=None)
        result.append(annotation)
    return result


def syntax_errors(source: Source) -> list[Diagnostic]:
    """The file's Python syntax error, if it has one (a file without annotations is otherwise
    never parsed)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source.text, source.path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        return [_syntax_diagnostic(source, exc)]
    except ValueError as exc:
        return [_syntax_diagnostic(source, SyntaxError(str(exc)))]
    return []


def _syntax_diagnostic(source: Source, exc: SyntaxError) -> Diagnostic:
    line = exc.lineno or 0
    return source.diagnostic(line, exc.offset or 0, f"invalid Python syntax: {exc.msg}")


def _span(source: Source, node: ast.AST) -> Region:
    line, end_line = node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]
    col = source.char_col(line, node.col_offset)  # type: ignore[attr-defined]
    return Region(line, col, end_line, source.char_col(end_line, node.end_col_offset or 0))  # type: ignore[attr-defined]


def _from_string(source: Source, node: ast.Expr, kind: str, scope: str, target: ast.stmt | None) -> RawAnnotation:
    region = _span(source, node)
    prefix = source.line(region.line)[: region.col]
    indent = prefix if not prefix.strip() else re.match(r"[ \t]*", prefix).group(0)
    constant = _span(source, node.value)
    line, col, end_line, end_col = constant.line, constant.col, constant.end_line, constant.end_col
    value = node.value.value  # type: ignore[attr-defined]
    start = source.line_offsets[line - 1] + col
    segment = source.text[start : source.line_offsets[end_line - 1] + end_col]
    match = _STRING_START.match(segment)
    assert match is not None
    opener = len(match.group(0))
    quote = match.group(2)
    content = segment[opener : len(segment) - len(quote)]
    normalised = content.replace("\r\n", "\n").replace("\r", "\n")
    raw = "r" in match.group(1).lower()
    pieces = _literal_pieces(normalised, line, col + opener, raw) if segment.endswith(quote) else None
    if pieces is not None and "".join(p[2] for p in pieces) == value:
        body = _body(pieces)
    else:
        body = _body([(line, col, value)], exact=False)
    return RawAnnotation(kind, "string", region, indent, scope, body, target if kind in TARGETED else None)


_ESCAPE = re.compile(r"\\(N\{[^}]*\}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|.|\n)|[^\\\n]+|\n", re.S)


def _literal_pieces(content: str, line: int, col: int, raw: bool) -> list[tuple[int, int, str]] | None:
    """The value of a string literal's `content`, as pieces of text with the file position of
    each: escape sequences are decoded, each mapped to where it is written."""
    if raw or "\\" not in content:
        lines = content.split("\n")
        pieces = [(line + i, 0 if i else col, text + "\n") for i, text in enumerate(lines)]
        pieces[-1] = (pieces[-1][0], pieces[-1][1], lines[-1])
        return pieces
    pieces = []
    for token in _ESCAPE.finditer(content):
        text = token.group(0)
        if text == "\n":
            pieces.append((line, col, text))
            line, col = line + 1, 0
            continue
        if token.group(1) is not None:
            try:
                value = codecs.decode(text, "unicode_escape") if text[1] in "\\'\"abfnrtvxuUN01234567\n" else text
            except UnicodeDecodeError:
                return None
            pieces.append((line, col, value))
            if text.endswith("\n"):
                line, col = line + 1, 0
                continue
        else:
            pieces.append((line, col, text))
        col += len(text)
    return pieces or [(line, col, "")]


def _from_comments(
    source: Source, stmts: list[_Stmt], found: list[RawAnnotation], diagnostics: list[Diagnostic]
) -> None:
    starts = [s.start for s in stmts]
    in_strings = {line for a in found for line in range(a.region.line, a.region.end_line + 1)}
    for match in _COMMENT_CANDIDATE.finditer(source.text):
        line = source.line_of(match.start())
        indent = match.group(1)
        level = _level(indent, len(indent))
        if line in in_strings:
            continue
        place = _statement_position(source, stmts, starts, line)
        if place is None:
            continue
        if place == "expression":
            message = "an annotation must stand where a statement may stand, not inside an expression"
            diagnostics.append(source.diagnostic(line, len(indent) + 1, message))
            continue
        scope = _comment_scope(stmts, starts, line, level)
        if isinstance(scope, tuple):
            diagnostics.append(source.diagnostic(line, len(indent) + 1, scope[0]))
            continue
        pieces = []
        file_line = line
        while file_line <= len(source.lines):
            text = source.line(file_line)
            leading = _LEADING.match(text).group(0)  # type: ignore[union-attr]
            # the block's lines: a '#' at the same indentation (after any form feed)
            if not text.startswith("#", len(leading)) or leading.rpartition("\f")[2] != indent.rpartition("\f")[2]:
                break
            if file_line > line and _COMMENT_CANDIDATE.match(text):
                break
            pieces.append((file_line, len(leading) + 1, text[len(leading) + 1 :] + "\n"))
            file_line += 1
        region = Region(line, len(indent), pieces[-1][0], len(source.line(pieces[-1][0])))
        kind = KINDS[match.group(2)]
        target = _next_statement(source, stmts, starts, region.end_line, level) if kind in TARGETED else None
        found.append(RawAnnotation(kind, "comment", region, indent, scope, _body(pieces), target))


def _next_statement(source: Source, stmts: list[_Stmt], starts: list[int], last: int, col: int) -> ast.stmt | None:
    """The statement after line `last` in the block whose statements start at column `col`:
    only blank and comment lines may come between."""
    i = bisect.bisect_right(starts, last)
    if i == len(stmts) or stmts[i].col != col or stmts[i].node is None:
        return None
    for line in range(last + 1, stmts[i].start):
        text = source.line(line).strip()
        if text and not text.startswith("#"):
            return None
    return stmts[i].node


def _statement_position(source: Source, stmts: list[_Stmt], starts: list[int], line: int) -> str | None:
    """'ok' for a comment between statements, 'expression' for one inside a statement, None in a string."""
    i = bisect.bisect_left(starts, line) - 1
    while i >= 0:
        stmt = stmts[i]
        if stmt.body0 is None and stmt.start <= line <= stmt.end:
            return _kind_of_line(source, stmt.start, stmt.end, line)
        if stmt.body0 is not None and stmt.start <= line < stmt.body0:
            return _kind_of_line(source, stmt.start, stmt.body0 - 1, line, header=True)
        i = stmt.parent
    return "ok"


def _kind_of_line(source: Source, first: int, last: int, line: int, header: bool = False) -> str | None:
    """Tokenize lines first..last to tell whether `line` holds a comment, and whether in an expression."""
    text = "".join(source.lines[first - 1 : last])
    comments: set[int] = set()
    end = None
    try:
        # newline=None: lines end where Python ends them, at a lone \r too (which Python 3.12's
        # tokenizer cannot take before non-ASCII text)
        for tok in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if tok.type == tokenize.COMMENT:
                comments.add(tok.start[0] + first - 1)
            elif tok.type == tokenize.NEWLINE and end is None:
                end = tok.start[0] + first - 1
    except (tokenize.TokenError, SyntaxError):
        pass
    if line not in comments:
        return None
    if header and end is not None and line > end:
        return "ok"
    return "expression"


def _comment_scope(stmts: list[_Stmt], starts: list[int], line: int, col: int) -> str | tuple[str]:
    """The scope a statement at (line, col) would belong to, or a 1-tuple holding an error message."""
    i = bisect.bisect_left(starts, line) - 1
    if i < 0:
        return "" if col == 0 else ("this annotation is indented, but no block encloses it",)
    stmt = stmts[i]
    if stmt.body0 is not None and stmt.body0 > line:
        first_body = stmts[i + 1]
        if first_body.col == col:
            return first_body.scope
        return (f"this annotation must be indented like the block it opens (column {first_body.col + 1})",)
    following = bisect.bisect_right(starts, line)
    while i > 0 and not stmts[i].alone and stmts[i - 1].parent == stmts[i].parent:
        i -= 1  # `a = 1; b = 2`: the block's column is its line's first statement's
    while i >= 0:
        if stmts[i].col == col:
            if following < len(stmts) and stmts[following].col > col and stmts[following].alone:
                return (f"this annotation is indented less than the statement after it (column {stmts[following].col + 1})",)
            return stmts[i].scope
        i = stmts[i].parent
    return ("this annotation is not indented like any enclosing block",)

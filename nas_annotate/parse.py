"""Parsing an annotation body into drafts: one `field: value` table per mutable layer.

Both syntaxes are read here: the seed's `@nni.mutable_layer {...}{...}` (fields separated by
commas or newlines) and NNI's `@nni.mutable_layers({...}, ...)`.  Values are Python
expressions, parsed with `ast` and kept with their positions; `validate` gives them meaning.
The other annotations (`@nni.report_final_result(acc)`, `@nni.variable(...)`,
`@nni.function_choice(...)`, `@nni.get_next_parameter()`) are calls, parsed whole.
"""

from __future__ import annotations

import ast
import difflib
import io
import keyword
import re
import tokenize
from dataclasses import dataclass, field

from .locate import KINDS, MARKER_RE, Body
from .model import Pos, quote

FIELDS = (
    "layer_choice",
    "fixed_inputs",
    "input_candidates",
    "input_num",
    "input_aggregate",
    "post_process",
    "layer_output",
    "name",
)
ALIASES = {"optional_inputs": "input_candidates", "optional_input_size": "input_num"}

_NAME = re.compile(r"[A-Za-z_]\w*|'[^'\n]*'|\"[^\"\n]*\"")
_SKIP = re.compile(r"(?:[ \t\r\n\f]+|#[^\n]*)*")
_SKIP_COMMAS = re.compile(r"(?:[ \t\r\n\f,]+|#[^\n]*)*")
_SPECIAL = re.compile(r"[][(){}'\"#,\n]")
_STRINGS = {
    "'''": re.compile(r"'''(?:[^'\\]|\\.|'(?!''))*'''", re.S),
    '"""': re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""', re.S),
    "'": re.compile(r"'(?:[^'\\\n]|\\.)*'"),
    '"': re.compile(r'"(?:[^"\\\n]|\\.)*"'),
}
_CLOSE = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class FieldValue:
    """One `field: value` entry: the value's source text and its parsed expression."""

    written: str
    name_offset: int
    text: str
    node: ast.expr
    offset: int


@dataclass
class Draft:
    """The fields of one mutable layer as written, before validation."""

    pos: Pos
    fields: dict[str, FieldValue] = field(default_factory=dict)
    attempted: set[str] = field(default_factory=set)
    broken: bool = False
    failed: bool = False


@dataclass
class ParsedBody:
    """The drafts of one annotation, where its text ended, and the problems found.

    A call-style annotation (not a mutable layer) has no drafts: `call` holds it as written,
    from its name to its closing parenthesis (`written` is the name), when it parses."""

    drafts: list[Draft]
    end: int
    errors: list[tuple[Pos, str]]
    call: FieldValue | None = None


class _Parser:
    def __init__(self, body: Body, whole: bool, parsed: dict[str, ast.expr], context: str) -> None:
        self.context = context
        self.body = body
        self.parsed = parsed
        self.text = body.text
        self.whole = whole
        self.errors: list[tuple[Pos, str]] = []

    def error(self, offset: int, message: str) -> None:
        self.errors.append((self.body.pos(min(offset, max(len(self.text) - 1, 0))), message))

    def skip(self, i: int, commas: bool = False) -> int:
        """Skip whitespace, newlines and comments (and commas, if asked)."""
        return (_SKIP_COMMAS if commas else _SKIP).match(self.text, i).end()  # type: ignore[union-attr]

    def parse(self) -> ParsedBody:
        match = MARKER_RE.match(self.text)
        assert match is not None, "locate hands over bodies that start with a marker"
        if KINDS[match.group(1)] != "mutable_layer":
            return self.call(match)
        drafts: list[Draft] = []
        i = match.end()
        if match.group(1) == "mutable_layers":
            i = self.skip(i)
            if not self.text.startswith("(", i):
                self.error(i, "expected '(' after @nni.mutable_layers")
                return ParsedBody(drafts, len(self.text), self.errors)
            open_at = i
            i = self.skip(i + 1, commas=True)
            while i < len(self.text) and self.text[i] == "{":
                i = self.skip(self.block(i, drafts), commas=True)
            if i >= len(self.text):
                self.error(open_at, "unbalanced parentheses: '(' is never closed")
                return ParsedBody(drafts, len(self.text), self.errors)
            if self.text[i] != ")":
                self.error(i, "expected '{' or ')' in @nni.mutable_layers(...)")
                return ParsedBody(drafts, len(self.text), self.errors)
            i += 1
        else:
            i = self.skip(i)
            if not self.text.startswith("{", i):
                self.error(i, "expected '{' after @nni.mutable_layer")
                return ParsedBody(drafts, len(self.text), self.errors)
            while True:
                i = self.block(i, drafts)
                after = self.skip(i, commas=True)
                if after >= len(self.text) or self.text[after] != "{":
                    break
                i = after
        if not drafts and not self.errors:
            self.error(match.end(), "the annotation declares no mutable layer")
        self.rest(i, commas=True)
        return ParsedBody(drafts, i, self.errors)

    def call(self, match: re.Match[str]) -> ParsedBody:
        """An annotation written as a call, `@nni.name(arguments)`."""
        name = match.group(1)
        i = match.end()
        while self.text.startswith((" ", "\t"), i):
            i += 1
        if not self.text.startswith("(", i) and name == "training_update" and not self.text[i:].strip():
            bare = ast.parse(f"{name}()", mode="eval").body  # NNI's own spelling: no arguments, no parentheses
            return ParsedBody([], len(self.text), self.errors, FieldValue(name, match.start(1), name, bare, match.start(1)))
        if not self.text.startswith("(", i):
            self.error(i, f"expected '(' after @nni.{name}")
            return ParsedBody([], len(self.text), self.errors)
        end = self.value_end(i, group=True)
        if end is None:
            return ParsedBody([], len(self.text), self.errors)
        start = match.start(1)
        text = self.text[start:end]
        try:
            node = ast.parse(text, mode="eval").body
        except SyntaxError as exc:
            at = _offset_in(text, exc.lineno or 1, exc.offset or 1)
            statement = _statement_argument(text, at) if name == "function_choice" else None
            if statement is not None:
                offset, written = statement
                self.error(start + offset, f"{quote(written)} is a statement, and an option of @nni.function_choice is "
                           "an expression: list a value such as f(x), 2 * k or lambda x: x + 1")
            else:
                self.error(start + at, f"invalid expression in @nni.{name}(...): {exc.msg}")
            return ParsedBody([], end, self.errors)
        if ("await" in text or "yield" in text) and self.suspends(node, text, start):
            return ParsedBody([], end, self.errors)
        self.rest(end)
        return ParsedBody([], end, self.errors, FieldValue(name, start, text, node, start))

    def suspends(self, node: ast.expr, text: str, start: int) -> bool:
        """Report an `await` outside an async function, or a `yield` outside a function: the
        expanded code runs the annotation's expressions where the annotation stands."""
        for inner in ast.walk(node):
            if isinstance(inner, ast.Await) and self.context != "async":
                where = "outside an async function"
            elif isinstance(inner, (ast.Yield, ast.YieldFrom)) and self.context not in ("function", "async"):
                where = "outside a function"
            else:
                continue
            word = "await" if isinstance(inner, ast.Await) else "yield"
            self.error(start + _offset_in(text, inner.lineno, inner.col_offset + 1), f"'{word}' {where}")
            return True
        return False

    def rest(self, i: int, commas: bool = False) -> None:
        """In a string annotation, nothing but whitespace (or commas) may follow offset `i`."""
        if self.whole:
            rest = self.skip(i, commas)
            if rest < len(self.text):
                self.error(rest, "unexpected text after the annotation")

    def block(self, i: int, drafts: list[Draft]) -> int:
        """Parse one `{...}` block starting at `i`; return the offset after its `}`."""
        draft = Draft(self.body.pos(i))
        drafts.append(draft)
        before = len(self.errors)
        end = self.fields(i, draft)
        draft.failed = len(self.errors) > before
        return end

    def fields(self, i: int, draft: Draft) -> int:
        """Parse the entries of the block whose `{` is at `i`; return the offset after its `}`."""
        start = i
        i += 1
        while True:
            i = self.skip(i, commas=True)
            if i >= len(self.text):
                self.error(start, "unbalanced braces: '{' is never closed")
                draft.broken = True
                return i
            if self.text[i] == "}":
                return i + 1
            name = _NAME.match(self.text, i)
            if not name:
                self.error(i, "expected a field name such as 'layer_choice'")
                i = self.value_end(i)
                if i is None:
                    draft.broken = True
                    return len(self.text)
                continue
            written = name.group(0).strip("'\"")
            name_offset = i
            i = name.end()
            while i < len(self.text) and self.text[i] in " \t":
                i += 1
            if not self.text.startswith(":", i):
                self.error(i, f"expected ':' after the field name '{written}'")
                draft.attempted.add(ALIASES.get(written, written))
                i = self.value_end(i)
                if i is None:
                    draft.broken = True
                    return len(self.text)
                continue
            value_start = self.skip(i + 1)
            end = self.value_end(value_start)
            if end is None:
                draft.broken = True
                return len(self.text)
            self.add_field(draft, written, name_offset, value_start, end)
            i = end

    def value_end(self, i: int, group: bool = False) -> int | None:
        """Where the value starting at `i` ends: a comma, newline or closing brace at depth 0;
        with `group`, just after the bracket that closes the one at `i`."""
        text = self.text
        stack: list[tuple[str, int]] = []
        while True:
            match = _SPECIAL.search(text, i)
            if match is None:
                if stack:
                    ch, at = stack[-1]
                    self.error(at, f"unbalanced brackets: '{ch}' is never closed")
                    return None
                return len(text)
            i = match.start()
            ch = text[i]
            if ch in "([{":
                stack.append((ch, i))
            elif ch in ")]}":
                if not stack:
                    if ch == "}":
                        return i
                    self.error(i, f"unmatched '{ch}'")
                    return None
                opener, at = stack.pop()
                if ch == "}" and opener != "{":
                    self.error(at, f"unbalanced brackets: '{opener}' is never closed")
                    return None
                if _CLOSE[opener] != ch:
                    self.error(i, f"'{ch}' does not match '{opener}'")
                    return None
                if group and not stack:
                    return i + 1
            elif ch in "'\"":
                quote = text[i : i + 3] if text.startswith(ch * 3, i) else ch
                string = _STRINGS[quote].match(text, i)
                if string is None:
                    self.error(i, "unterminated string")
                    return None
                i = string.end()
                continue
            elif ch == "#":
                if not stack:
                    return i
                newline = text.find("\n", i)
                i = len(text) if newline < 0 else newline
                continue
            elif not stack:
                return i
            i += 1

    def add_field(self, draft: Draft, written: str, name_offset: int, start: int, end: int) -> None:
        name = ALIASES.get(written, written)
        draft.attempted.add(name)
        if name not in FIELDS:
            close = difflib.get_close_matches(written, FIELDS + tuple(ALIASES), n=1)
            draft.attempted.update(ALIASES.get(c, c) for c in close)
            hint = f"; did you mean '{close[0]}'?" if close else f"; fields are {', '.join(FIELDS)}"
            self.error(name_offset, f"unknown field '{written}'{hint}")
            return
        if name in draft.fields:
            first = draft.fields[name]
            same = "" if first.written == written else f" (as '{first.written}')"
            line = self.body.pos(first.name_offset).line
            self.error(name_offset, f"duplicated field '{written}': already given{same} on line {line}")
            return
        text = self.text[start:end].rstrip()
        if not text:
            self.error(start, f"field '{written}' has no value")
            return
        node = self.parsed.get(text)
        try:
            if node is None:
                node = self.parsed[text] = _atom(text) or _atom_list(text) or ast.parse(text, mode="eval").body
        except SyntaxError as exc:
            offset = _offset_in(text, exc.lineno or 1, exc.offset or 1)
            self.error(start + offset, f"invalid expression in field '{written}': {exc.msg}")
            return
        if ("await" in text or "yield" in text) and self.suspends(node, text, start):
            return
        draft.fields[name] = FieldValue(written, name_offset, text, node, start)


_ATOM = re.compile(r"([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)*)|(0|[1-9]\d*)")


def _atom(text: str) -> ast.expr | None:
    """A name, dotted name or non-negative int, as `ast.parse` would give it, without the
    parser (over a third of all values); None for anything else."""
    match = _ATOM.fullmatch(text)
    if match is None or not text.isascii():
        return None
    name, dotted, digits = match.groups()
    if digits is not None:
        node: ast.expr = ast.Constant(int(digits))
    elif keyword.iskeyword(name) or any(map(keyword.iskeyword, dotted.split(".")[1:])):
        if name not in ("True", "False", "None") or dotted:
            return None
        node = ast.Constant({"True": True, "False": False, "None": None}[name])
    else:
        node = ast.Name(name, ast.Load())
        node.lineno, node.col_offset = 1, 0
        for part in dotted.split(".")[1:]:
            node = ast.Attribute(node, part, ast.Load())
            node.lineno, node.col_offset = 1, 0
    node.lineno, node.col_offset = 1, 0
    return node


_ATOM_LIST = re.compile(r"\[[\w., \t]*\]")


def _atom_list(text: str) -> ast.expr | None:
    """A one-line list of `_atom`s (`[conv3, conv5, pool]`, half of all other values), as
    `ast.parse` would give it, element positions included; None for anything else."""
    if _ATOM_LIST.fullmatch(text) is None or not text.isascii():
        return None
    elements: list[ast.expr] = []
    offset = 1
    parts = text[1:-1].split(",") if text[1:-1].strip() else []
    if len(parts) > 1 and not parts[-1].strip():
        parts.pop()  # a trailing comma
    for part in parts:
        node = _atom(part.strip())
        if node is None:
            return None
        column = offset + len(part) - len(part.lstrip())
        inner: ast.expr = node
        while True:
            inner.col_offset = column
            if not isinstance(inner, ast.Attribute):
                break
            inner = inner.value
        elements.append(node)
        offset += len(part) + 1
    result = ast.List(elements, ast.Load())
    result.lineno, result.col_offset = 1, 0
    return result


def _statement_argument(text: str, at: int) -> tuple[int, str] | None:
    """The argument of the call `text` holding offset `at`, with its offset, when it is a
    statement (`return x`, `import os`, `x += 1`), not an expression."""
    depth, begin = 0, 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.OP or token.string not in "()[]{},":
                continue
            offset = _offset_in(text, token.start[0], token.start[1] + 1)
            if token.string in "([{":
                depth += 1
                if depth == 1:
                    begin = offset + 1
            elif depth == 1:  # the end of an argument
                if begin <= at <= offset:
                    return _statement(text, begin, offset)
                begin = offset + 1
                depth -= token.string != ","
            elif token.string != ",":
                depth -= 1
    except (tokenize.TokenError, SyntaxError):
        pass
    return None


def _statement(text: str, begin: int, end: int) -> tuple[int, str] | None:
    """The text between `begin` and `end`, stripped, with its offset, when it parses as one
    statement that is not an expression."""
    piece = text[begin:end]
    written = piece.strip()
    try:
        module = ast.parse(written)
    except SyntaxError:
        return None
    if len(module.body) != 1 or isinstance(module.body[0], ast.Expr):
        return None
    return begin + len(piece) - len(piece.lstrip()), " ".join(written.split())


def _offset_in(text: str, lineno: int, col: int) -> int:
    """Offset of a 1-based (line, column) position within `text`."""
    lines = text.split("\n")
    lineno = min(max(lineno, 1), len(lines))
    return sum(len(line) + 1 for line in lines[: lineno - 1]) + min(max(col - 1, 0), len(lines[lineno - 1]))


def parse_body(body: Body, whole: bool, parsed: dict[str, ast.expr] | None = None, context: str = "module") -> ParsedBody:
    """Parse an annotation body; `whole` says the text must end with the annotation (string form);
    `context` is what it stands in: 'module', 'class', 'function' or 'async' (function).

    `parsed` shares the expressions of one file's annotations: they repeat their values (one
    list of ops for every layer of a cell), the nodes are never modified, and their positions
    are relative to the value's text.
    """
    return _Parser(body, whole, {} if parsed is None else parsed, context).parse()

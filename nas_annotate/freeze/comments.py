"""Comments written inside an annotation, and which of them the frozen form keeps.

A mutable layer's annotation is replaced by the chosen statement; a `#` comment inside it is
kept, as a comment line above that layer's statement, unless it sits on a line that lists only
candidates the choice did not take (a note about a lost alternative). Comments inside other
annotations (reports, hyperparameters) go with the annotation.
"""

from __future__ import annotations

import ast
import io
import tokenize

from ..choice import Decision
from ..model import Annotation, MutableLayer
from ..source import Source

_STRING_OPENING = ("'''", '"""', "'", '"')


def annotation_text(source: Source, annotation: Annotation) -> str:
    """The annotation's text without its string quotes or its comment marks, line for line."""
    region = annotation.region
    lines = [source.line(n) for n in range(region.line, region.end_line + 1)]
    if annotation.form == "comment":
        return "\n".join(line.lstrip(" \t\f")[1:] for line in lines)
    lines[-1] = lines[-1][: region.end_col]
    lines[0] = lines[0][region.col :]
    text = "\n".join(lines)
    start = len(text) - len(text.lstrip("rRuUbBfF"))
    for quote in _STRING_OPENING:
        if text.startswith(quote, start) and text.endswith(quote):
            return " " * (start + len(quote)) + text[start + len(quote) : len(text) - len(quote)]
    return text


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    """The tokens of an annotation's text, read as if in brackets (no indentation to track);
    none when it does not tokenize."""
    try:
        return list(tokenize.generate_tokens(io.StringIO("(" + text + "\n)").readline))
    except (tokenize.TokenError, SyntaxError):
        return []


def _spelling(token: tokenize.TokenInfo) -> object:
    if token.type == tokenize.STRING:
        try:
            return ("str", ast.literal_eval(token.string))
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return token.string
    return token.string


_SKIPPED = (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)


def _words(text: str) -> list[object]:
    return [_spelling(t) for t in _tokens(text) if t.type not in _SKIPPED][1:-1]


def _holds(words: list[object], label: list[object]) -> bool:
    """Whether `label`'s tokens occur in `words` as a whole expression (not as `conv` in `conv(...)`
    or in `x.conv`)."""
    n = len(label)
    for i in range(len(words) - n + 1):
        if words[i : i + n] == label and (i == 0 or words[i - 1] != ".") and (i + n == len(words) or words[i + n] not in ("(", ".", "[")):
            return True
    return False


def layer_comments(text: str, annotation: Annotation, decisions: dict[str, Decision]) -> list[list[str]]:
    """For each layer of a mutable-layer annotation (whose `annotation_text` is `text`), the
    comments to keep above its statement."""
    if "#" not in text:
        return [[] for _ in annotation.layers]
    tokens = _tokens(text)
    by_line: dict[int, list[object]] = {}
    comments: list[tuple[int, str]] = []
    for token in tokens:
        line = annotation.region.line + token.start[0] - 1
        if token.type == tokenize.COMMENT:
            comments.append((line, token.string))
        elif token.type not in _SKIPPED:
            by_line.setdefault(line, []).append(_spelling(token))
    kept: list[list[str]] = [[] for _ in annotation.layers]
    for line, comment in comments:
        owner = _owner(annotation.layers, line)
        layer = annotation.layers[owner]
        words = by_line.get(line, [])
        listed = [i for i, candidate in enumerate(layer.layer_choice) if _holds(words, _words(candidate.label))]
        decision = decisions.get(layer.key)
        if listed and decision is not None and decision.layer not in listed:
            continue  # a note on lost candidates only
        kept[owner].append(comment)
    return kept


def _owner(layers: tuple[MutableLayer, ...], line: int) -> int:
    """The layer a comment line belongs to: the last one starting at or before it."""
    owner = 0
    for i, layer in enumerate(layers):
        if layer.pos.line <= line:
            owner = i
    return owner

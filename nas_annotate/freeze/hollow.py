"""The text libcst parses, when nothing will be pruned: the file with the code of each statement
freeze will not touch replaced by `...` on the same lines.

Freeze prints an untouched statement as the file's own text of it (rewrite.Verbatim), so libcst
needs only its place: the block it is in, its leading comment and blank lines, its lines. A
placeholder on the same lines gives all of that and parses in a fraction of the time (on the
compiler benchmark's module, libcst's parse takes 55% as long). What stays as written: every
compound statement (its header), every string statement (annotations, docstrings), every
import (the reporting import goes after them), every statement that holds a hyperparameter's
value and every line with more than one statement or in a one-line suite (libcst prints
those). Pruning reads every name a file uses, so a file where pruning may run is parsed whole
(`pruning_may_run`), as is a file whose statement spans do not tile (freeze checks
`Places.exact` and parses again).
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..pipeline import Analysis
from ..source import Source
from .bindings import COMPOUND, blocks
from .plan import words


def hollowed(analysis: Analysis) -> str | None:
    """The file's text with untouched statements hollowed; None when none can be."""
    source, tree = analysis.source, analysis.tree
    if tree is None:
        return None
    kept_lines: set[int] = set()
    for param in analysis.params:
        for span in param.spans:
            kept_lines.update(range(span.line, span.end_line + 1))
    lines = list(source.lines)
    changed = False
    for node in _hollowable(tree.body, source):
        last = node.end_lineno or node.lineno
        if kept_lines.intersection(range(node.lineno, last + 1)):
            continue
        start = source.char_col(node.lineno, node.col_offset)
        end = source.char_col(last, node.end_col_offset or 0)
        first_text, last_text = lines[node.lineno - 1], lines[last - 1]
        if node.lineno == last:
            lines[node.lineno - 1] = first_text[:start] + "..." + first_text[end:]
        else:
            lines[node.lineno - 1] = first_text[:start] + "(" + _ending(first_text)
            for line in range(node.lineno, last - 1):
                lines[line] = _ending(lines[line])
            lines[last - 1] = ")" + last_text[end:]
        changed = True
    return "".join(lines) if changed else None


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _hollowable(body: list[ast.stmt], source: Source) -> Iterator[ast.stmt]:
    """The simple statements of these blocks (nested ones too) that may be hollowed: alone on
    their lines, in an indented block, neither an import nor a string."""
    for i, node in enumerate(body):
        if isinstance(node, COMPOUND):
            for block in blocks(node):
                if block and not _on_header(block[0], source):
                    yield from _hollowable(block, source)
            continue
        first, last = node.lineno, node.end_lineno or node.lineno
        if i and (body[i - 1].end_lineno or body[i - 1].lineno) == first or i + 1 < len(body) and body[i + 1].lineno == last:
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue
        yield node


def _on_header(node: ast.stmt, source: Source) -> bool:
    """Whether a block's first statement follows its clause's `:` on the same line (a one-line suite)."""
    line = source.lines[node.lineno - 1]
    return bool(line[: source.char_col(node.lineno, node.col_offset)].strip())


def pruning_may_run(analysis: Analysis, definable: set[str]) -> bool:
    """Whether some name that the annotations or the replaced code write is one of `definable`,
    the names pruning may remove (`bindings.prunable_names`): a superset of `prune`'s own test."""
    written: set[str] = set()
    source = analysis.source
    offsets = source.line_offsets
    for annotation in analysis.annotations:
        region = annotation.region
        written |= words(source.text[offsets[region.line - 1] : offsets[min(region.end_line, len(source.lines))]])
        for param in annotation.params:
            for span in param.spans:
                written |= words(source.text[offsets[span.line - 1] : offsets[min(span.end_line, len(source.lines))]])
    return bool(definable & written)

"""Where things are in the CST: the statement tree of libcst's module walked beside `ast`'s,
so that each `ast` statement (exact line numbers, which the compiler's regions use) names its
libcst node, and each run of comment and blank lines (a statement's leading lines, a block's
footer) knows its file lines, without libcst's position metadata (a second pass over the
whole tree)."""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass
from typing import Sequence, Union

import libcst as cst

from ..source import Source
from .bindings import blocks

Owner = Union[cst.Module, cst.IndentedBlock, cst.SimpleStatementSuite]


@dataclass(frozen=True)
class Site:
    """A statement of a block: `owner.body[index]`; `small` is the index of a simple statement
    within its line (None for a compound statement, and for a line's whole)."""

    owner: Owner
    index: int
    node: cst.CSTNode
    small: int | None


@dataclass(frozen=True)
class Slot:
    """A run of comment and blank lines, lines `first`..`first + count - 1` of the file: the
    leading lines of `owner.body[index]`, or its footer (`index` None), or a module's header
    (`index` -1)."""

    owner: Owner
    index: int | None
    first: int
    count: int


class Places:
    def __init__(self, source: Source, tree: ast.Module, module: cst.Module) -> None:
        self.source = source
        self.parents: dict[int, cst.CSTNode] = {}
        self.sites: dict[int, Site] = {}  # id(ast statement) -> its site
        self.starts: dict[tuple[int, int], ast.stmt] = {}  # (line, char column) -> simple ast statement
        self.slots: list[Slot] = []
        self.tree = tree
        self._firsts: list[int] | None = None
        self.cst_sites: dict[int, Site] = {}  # id(libcst statement) -> its site
        self.assignments: dict[int, Site] = {}  # id(the Name of a module-level `NAME = value`) -> its site
        self.spans: dict[int, tuple[int, int, int]] = {}  # id(libcst statement) -> (first leading line, first line, last line)
        self.exact = True  # whether the spans tile the file (see `text`)
        if module.header:
            self.slots.append(Slot(module, -1, 1, len(module.header)))
        last = self._block(module, module.body, tree.body, len(module.header))
        if module.body and last != len(source.lines):
            self.exact = False

    # --- the walk -------------------------------------------------------------------------

    def _block(self, owner: Owner, body: Sequence[cst.CSTNode], asts: list[ast.stmt], end: int) -> int:
        """Map one block; return its last line (nested footers included). `end`: the line
        before the block, for a block that is empty (a module of comments)."""
        k = 0
        before = end if isinstance(owner, cst.Module) else None  # the line before the block's first statement, when known
        for index, statement in enumerate(body):
            self.parents[id(statement)] = owner
            if isinstance(statement, cst.SimpleStatementLine):
                count = len(statement.body)
                line = asts[k : k + count]
                k += count
                for small, node in enumerate(line):
                    site = Site(owner, index, statement.body[small], small)
                    self._simple(node, site)
                    if isinstance(owner, cst.Module):
                        self._assignment(site)
                start, end = line[0].lineno, max(node.end_lineno or node.lineno for node in line)
            else:
                node = asts[k]
                k += 1
                self.sites[id(node)] = self.cst_sites[id(statement)] = Site(owner, index, statement, None)
                decorators = getattr(node, "decorator_list", None)
                start = decorators[0].lineno if decorators else node.lineno
                if decorators and not self.source.line(start).lstrip().startswith("@"):
                    self.exact = False  # a decorator whose expression starts below its `@`
                end = self._compound(statement, node)  # type: ignore[arg-type]
            leading = statement.leading_lines  # type: ignore[attr-defined]
            if leading:
                self.slots.append(Slot(owner, index, start - len(leading), len(leading)))
            first = start - len(leading)
            if before is not None and first != before + 1:
                self.exact = False  # e.g. a line continued past the statement's end
            self.spans[id(statement)] = (first, start, end)
            before = end
        footer = getattr(owner, "footer", ())
        if footer:
            first = end + 1
            if isinstance(owner, cst.Module):  # the file's last lines (libcst may drop a blank line before an indented comment)
                first = len(self.source.lines) - len(footer) + 1
            self.slots.append(Slot(owner, None, first, len(footer)))
        return end + len(footer)

    def _simple(self, node: ast.stmt, site: Site) -> None:
        self.sites[id(node)] = self.cst_sites[id(site.node)] = site
        self.starts[(node.lineno, self.source.char_col(node.lineno, node.col_offset))] = node

    def _assignment(self, site: Site) -> None:
        """Note a module-level `NAME = value` (a definition pruning may remove)."""
        small = site.node
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            target = small.target
        else:
            return
        if isinstance(target, cst.Name):
            self.assignments[id(target)] = site

    def _suite(self, parent: cst.CSTNode, suite: cst.BaseSuite, asts: list[ast.stmt], header: int) -> int:
        self.parents[id(suite)] = parent
        if isinstance(suite, cst.IndentedBlock):
            return self._block(suite, suite.body, asts, header)
        assert isinstance(suite, cst.SimpleStatementSuite)
        for small, node in enumerate(asts):
            self._simple(node, Site(suite, small, suite.body[small], small))
        return max(node.end_lineno or node.lineno for node in asts)

    def _compound(self, statement: cst.BaseCompoundStatement, node: ast.stmt) -> int:
        """Map the blocks of a compound statement, in document order; return its last line."""
        end = node.lineno
        for clause, suite, asts in _clauses(statement, node):
            if clause is not statement:
                self.parents[id(clause)] = statement
            if isinstance(clause, cst.If) and clause is not statement:  # an elif: a statement of its own
                end = self._compound(clause, asts[0])
                continue
            end = self._suite(clause, suite, asts, end)  # type: ignore[arg-type]
        return end

    # --- lookups --------------------------------------------------------------------------

    def text(self, statement: cst.CSTNode, leading: bool) -> str | None:
        """The file's text of a statement libcst parsed (from its leading lines, or from its
        own first line, through its nested footers): what libcst would print for it, taken
        from the file instead. None when the spans are not known to be exact: every
        statement's lines must follow its predecessor's, and the module's last end the file."""
        span = self.spans.get(id(statement)) if self.exact else None
        if span is None:
            return None
        offsets = self.source.line_offsets
        return self.source.text[offsets[span[0 if leading else 1] - 1] : offsets[span[2]]]

    def frame(self, statement: cst.CSTNode, body: cst.IndentedBlock) -> tuple[str, str] | None:
        """The file's text of a compound statement around its block `body`: from its own first
        line to the block's first line, and from the block's last line to its end (the clauses
        after it). None when the spans are not known to be exact."""
        if not self.exact or id(statement) not in self.spans or not body.body:
            return None
        _, start, end = self.spans[id(statement)]
        first = self.spans[id(body.body[0])][0]
        last = self.spans[id(body.body[-1])][2] + len(body.footer)
        offsets, text = self.source.line_offsets, self.source.text
        return text[offsets[start - 1] : offsets[first - 1]], text[offsets[last] : offsets[end]]

    def at(self, line: int, col: int) -> ast.stmt | None:
        """The simple statement starting at (line, 0-based character column)."""
        return self.starts.get((line, col))

    def site(self, node: ast.stmt) -> Site:
        return self.sites[id(node)]

    def line_site(self, node: ast.stmt) -> Site:
        """The whole line (SimpleStatementLine) of a simple statement, or the suite holding it."""
        site = self.sites[id(node)]
        if isinstance(site.owner, cst.SimpleStatementSuite):
            return site
        return Site(site.owner, site.index, site.owner.body[site.index], None)

    def slot(self, line: int) -> Slot | None:
        """The run of comment lines holding file line `line`."""
        if self._firsts is None:
            self.slots.sort(key=lambda slot: slot.first)
            self._firsts = [slot.first for slot in self.slots]
        i = bisect.bisect_right(self._firsts, line) - 1
        if i >= 0 and line < self.slots[i].first + self.slots[i].count:
            return self.slots[i]
        return None

    def innermost(self, line: int, col: int, end_line: int, end_col: int) -> ast.stmt | None:
        """The innermost statement holding the span (1-based lines, 0-based character columns)."""
        body: list[ast.stmt] = self.tree.body
        found = None
        while True:
            inner = None
            for node in body:
                if self._holds(node, line, col, end_line, end_col):
                    inner = node
                    break
            if inner is None:
                return found
            found = inner
            body = [s for block in blocks(inner) for s in block]

    def _holds(self, node: ast.stmt, line: int, col: int, end_line: int, end_col: int) -> bool:
        decorators = getattr(node, "decorator_list", None)
        first = decorators[0] if decorators else node
        start = (first.lineno, self.source.char_col(first.lineno, first.col_offset))
        last = node.end_lineno or node.lineno
        stop = (last, self.source.char_col(last, node.end_col_offset or 0))
        return start <= (line, col) and (end_line, end_col) <= stop

    def ancestors(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        """`node`'s enclosing statements, blocks and clauses, up to the module."""
        chain = []
        current = self.parents.get(id(node))
        while current is not None:
            chain.append(current)
            current = self.parents.get(id(current))
        return chain


def _clauses(statement: cst.CSTNode, node: ast.stmt) -> list[tuple[cst.CSTNode, cst.BaseSuite | None, list[ast.stmt]]]:
    """The clauses of a compound statement in document order: (clause node, its suite, the
    `ast` statements of its block). An `elif` comes as the `If` clause with its `ast` node."""
    if isinstance(statement, cst.Match):
        return [(case, case.body, ast_case.body) for case, ast_case in zip(statement.cases, node.cases)]  # type: ignore[attr-defined]
    clauses: list[tuple[cst.CSTNode, cst.BaseSuite | None, list[ast.stmt]]] = [(statement, statement.body, node.body)]  # type: ignore[attr-defined]
    if isinstance(statement, cst.If):
        orelse = statement.orelse
        if isinstance(orelse, cst.If):
            clauses.append((orelse, None, node.orelse))  # type: ignore[attr-defined]
        elif orelse is not None:
            clauses.append((orelse, orelse.body, node.orelse))  # type: ignore[attr-defined]
        return clauses
    if isinstance(statement, (cst.Try, cst.TryStar)):
        for handler, ast_handler in zip(statement.handlers, node.handlers):  # type: ignore[attr-defined]
            clauses.append((handler, handler.body, ast_handler.body))
        if statement.orelse is not None:
            clauses.append((statement.orelse, statement.orelse.body, node.orelse))  # type: ignore[attr-defined]
        if statement.finalbody is not None:
            clauses.append((statement.finalbody, statement.finalbody.body, node.finalbody))  # type: ignore[attr-defined]
        return clauses
    orelse = getattr(statement, "orelse", None)  # for, while
    if orelse is not None:
        clauses.append((orelse, orelse.body, node.orelse))  # type: ignore[attr-defined]
    return clauses

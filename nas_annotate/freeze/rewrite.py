"""Applying the frozen form's edits to libcst's module, block by block.

Every edit is keyed by the node it changes in the parsed module; one transformer visits only
the nodes on the way to an edit, so an untouched statement is the very node libcst parsed and
prints exactly as it was read. Statements are added and removed where their block is rebuilt,
which is also where the comment and blank lines above them go:

- an annotation's lines are replaced by its statements, each on a line of its own at the
  block's indentation (joined with `;` only when the annotation shared its line); the lines
  above it stay above its first statement, and a comment after it, on its line, stays at the
  end of its last statement;
- an annotation that leaves nothing (a dropped report, a hyperparameter's) takes only its own
  lines away: the lines above it stay, above the next statement;
- a pruned definition takes the comment lines directly above it (its description) with it;
- where removing lines brings two runs of blank lines together, the longer run is kept, not
  their sum; a block left empty gets `pass`.

A statement of a rebuilt block that no edit touched is printed as the file's own text of it
(`Verbatim`), which is what libcst would print for it, without walking its nodes again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import libcst as cst

from .places import Owner, Site


@dataclass
class Lines:
    """What replaces an annotation (or a pruned simple statement): statements, each with the
    comment lines to put above it; `trailing`: whether the comment after the annotation, on its
    line, stays (at the end of the last statement); `pruned`: a definition that goes with the
    comments just above it."""

    statements: list[tuple[cst.BaseSmallStatement, list[str]]]
    trailing: bool = False
    pruned: bool = False


Text = Callable[[cst.CSTNode, bool], Optional[str]]  # a parsed statement's text in the file (see `Places.text`)


@dataclass(frozen=True)
class Verbatim(cst.BaseStatement):
    """An untouched statement as the text libcst parsed it from, with new `leading_lines`
    (or, when `text` includes its own, none). Only printed: it has no children to visit."""

    text: str
    leading_lines: Sequence[cst.EmptyLine] = ()

    def _visit_and_replace_children(self, visitor: cst.CSTVisitorT) -> Verbatim:
        return self

    def _codegen_impl(self, state: cst.CodegenState) -> None:  # type: ignore[override]
        for line in self.leading_lines:
            line._codegen(state)
        state.add_token(self.text)


@dataclass(frozen=True)
class Framed(cst.BaseCompoundStatement):
    """A compound statement whose only change is its block: its own lines before and after the
    block as the file has them (`head`: from its first line through the block's header line;
    `tail`: the clauses after the block), the block printed."""

    head: str
    body: cst.IndentedBlock
    tail: str
    leading_lines: Sequence[cst.EmptyLine] = ()

    def _visit_and_replace_children(self, visitor: cst.CSTVisitorT) -> Framed:
        return self

    def _codegen_impl(self, state: cst.CodegenState) -> None:  # type: ignore[override]
        for line in self.leading_lines:
            line._codegen(state)
        state.add_token(self.head)
        block = self.body
        state.increase_indent(state.default_indent if block.indent is None else block.indent)
        for statement in block.body:
            statement._codegen(state)
        for line in block.footer:
            line._codegen(state)
        state.decrease_indent()
        state.add_token(self.tail)


Frame = Callable[[cst.CSTNode, cst.IndentedBlock], Optional[tuple[str, str]]]  # see `Places.frame`


def kept(statement: cst.BaseStatement, leading: Sequence[cst.EmptyLine], text: Text) -> cst.BaseStatement:
    """An untouched statement of a rebuilt block, under `leading` lines."""
    if leading is statement.leading_lines or list(leading) == list(statement.leading_lines):  # type: ignore[attr-defined]
        whole = text(statement, True)
        return statement if whole is None else Verbatim(whole)
    own = text(statement, False)
    return statement.with_changes(leading_lines=leading) if own is None else Verbatim(own, leading)


@dataclass
class BlockPlan:
    """The edits of one block (a module, an indented block or a one-line suite)."""

    smalls: dict[int, dict[int, Lines]] = field(default_factory=dict)  # statement -> {simple statement -> Lines}
    slots: dict[int | None, list[tuple[int, int, Lines]]] = field(default_factory=dict)  # statement (None: footer, -1: header) -> [(first, last) line offsets]
    pruned: set[int] = field(default_factory=set)
    after: dict[int, list[cst.SimpleStatementLine]] = field(default_factory=dict)  # statement (-1: before the first) -> new lines

    def replace(self, site: Site, lines: Lines) -> None:
        small = site.small if site.small is not None else 0
        self.smalls.setdefault(site.index if not isinstance(site.owner, cst.SimpleStatementSuite) else 0, {})[small] = lines

    def apply(self, owner: Owner, text: Text) -> Owner:
        if isinstance(owner, cst.SimpleStatementSuite):
            return _suite(owner, self.smalls.get(0, {}))
        return _block(owner, self, text)


def _comment_line(text: str) -> cst.EmptyLine:
    return cst.EmptyLine(indent=True, whitespace=cst.SimpleWhitespace(""), comment=cst.Comment(text))


def _blank(line: cst.EmptyLine) -> bool:
    return line.comment is None


def _blanks_at_end(lines: Sequence[cst.EmptyLine]) -> int:
    count = 0
    while count < len(lines) and _blank(lines[len(lines) - 1 - count]):
        count += 1
    return count


def join(first: Sequence[cst.EmptyLine], second: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """Two runs of lines that a removal brings together: where blank lines meet blank lines,
    the longer run stays, not both."""
    first, second = list(first), list(second)
    tail = _blanks_at_end(first)
    head = 0
    while head < len(second) and _blank(second[head]):
        head += 1
    if tail and head:
        second = second[min(tail, head) :]
    return first + second


def _strip_blanks(lines: list[cst.EmptyLine]) -> list[cst.EmptyLine]:
    start = 0
    while start < len(lines) and _blank(lines[start]):
        start += 1
    return lines[start:]


def _detach(lines: list[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """The lines above a pruned definition without the comment lines directly above it."""
    end = len(lines)
    while end and not _blank(lines[end - 1]):
        end -= 1
    return lines[:end]


def _own_lines(lines: Lines, leading: list[cst.EmptyLine], trailing: cst.TrailingWhitespace | None) -> list[cst.SimpleStatementLine]:
    """The statements of `lines`, one per line; the first takes `leading`."""
    out = []
    for statement, comments in lines.statements:
        above = leading + [_comment_line(text) for text in comments]
        leading = []
        out.append(cst.SimpleStatementLine([statement], leading_lines=above))
    if trailing is not None and out:
        out[-1] = out[-1].with_changes(trailing_whitespace=trailing)
    return out


def _split(
    lines: Sequence[cst.EmptyLine], inserts: list[tuple[int, int, Lines]], carry: list[cst.EmptyLine]
) -> tuple[list[cst.SimpleStatementLine], list[cst.EmptyLine]]:
    """The statements replacing the annotations in a run of comment lines (each taking the
    lines before it), and the lines left after the last one."""
    out: list[cst.SimpleStatementLine] = []
    pending = carry
    position = 0
    for first, last, replacement in sorted(inserts, key=lambda insert: insert[0]):
        pending = join(pending, lines[position:first])
        position = last + 1
        if replacement.statements:
            out.extend(_own_lines(replacement, pending, None))
            pending = []
    return out, join(pending, lines[position:])


def _semicolons(smalls: list[cst.BaseSmallStatement], original: Sequence[cst.BaseSmallStatement]) -> list[cst.BaseSmallStatement]:
    """A line's statements after some were replaced: no `;` left dangling after the last."""
    last = smalls[-1]
    if last is not original[-1] and isinstance(last.semicolon, cst.Semicolon):
        smalls[-1] = last.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return smalls


def _edit_line(
    line: cst.SimpleStatementLine, edits: dict[int, Lines], leading: list[cst.EmptyLine]
) -> tuple[list[cst.SimpleStatementLine], list[cst.EmptyLine]]:
    """A line some of whose simple statements are replaced: the new lines, and the lines to
    carry to the next statement when nothing is left of it."""
    if len(line.body) == 1:
        replacement = edits[0]
        if not replacement.statements:
            return [], (_detach(leading) if replacement.pruned else leading)
        return _own_lines(replacement, leading, line.trailing_whitespace if replacement.trailing else None), []
    smalls = _edited(line.body, edits)
    if not smalls:
        pruned = all(edit.pruned for edit in edits.values())
        return [], (_detach(leading) if pruned else leading)
    return [line.with_changes(body=_semicolons(smalls, line.body), leading_lines=leading)], []


def _edited(body: Sequence[cst.BaseSmallStatement], edits: dict[int, Lines]) -> list[cst.BaseSmallStatement]:
    """The small statements of a line, each edited one replaced by its statements."""
    smalls: list[cst.BaseSmallStatement] = []
    for j, small in enumerate(body):
        if j in edits:
            smalls.extend(statement for statement, _ in edits[j].statements)
        else:
            smalls.append(small)
    return smalls


def _suite(suite: cst.SimpleStatementSuite, edits: dict[int, Lines]) -> cst.SimpleStatementSuite:
    smalls = _edited(suite.body, edits)
    if not smalls:
        return suite.with_changes(body=[cst.Pass()])
    return suite.with_changes(body=_semicolons(smalls, suite.body))


def _block(owner: cst.Module | cst.IndentedBlock, plan: BlockPlan, text: Text) -> cst.Module | cst.IndentedBlock:
    body: list[cst.BaseStatement] = []
    carry: list[cst.EmptyLine] = []
    header: list[cst.EmptyLine] = list(owner.header) if isinstance(owner, cst.Module) else []
    if -1 in plan.slots:  # annotations among the module's first comment lines
        produced, rest = _split(header, plan.slots[-1], [])
        body.extend(produced)
        header, carry = ([], rest) if produced else (rest, [])
    body.extend(plan.after.get(-1, ()))
    for i, statement in enumerate(owner.body):
        leading = list(statement.leading_lines)
        produced, leading = _split(leading, plan.slots.get(i, []), carry)
        carry = []
        body.extend(produced)
        if i in plan.pruned:
            carry = _detach(leading)
        else:
            if not body and i:  # what stood before it went: no new blank lines at the block's start
                leading = join(header, leading)[len(header) :] if header else _strip_blanks(leading)
            if i in plan.smalls:
                lines, carry = _edit_line(statement, plan.smalls[i], leading)  # type: ignore[arg-type]
                body.extend(lines)
            else:
                body.append(kept(statement, leading, text))
        body.extend(plan.after.get(i, ()))
    footer = list(owner.footer)
    if carry and not any(line.comment for line in footer):
        carry = carry[: len(carry) - _blanks_at_end(carry)]  # no new blank lines at a block's end
    produced, footer = _split(footer, plan.slots.get(None, []), carry)
    body.extend(produced)
    if not body and isinstance(owner, cst.IndentedBlock):
        body.append(cst.SimpleStatementLine([cst.Pass()]))
    changes: dict[str, object] = {"body": body, "footer": footer}
    if isinstance(owner, cst.Module):
        changes["header"] = header
    return owner.with_changes(**changes)


class Rewrite(cst.CSTTransformer):
    """Applies the edits: `replace` maps a node's id to a function of the node (its children
    already rewritten), `plans` a block's id to its plan; `text` gives an untouched statement's
    text. `rebuild` walks the blocks and clauses on the way to an edit (the ids in `visit`, and
    the blocks with a plan) by hand, and hands each statement whose expressions change (the ids
    in `inside`) to libcst's transformer, which visits only the nodes in `visit` there too."""

    def __init__(
        self,
        replace: dict[int, Callable[[cst.CSTNode], cst.CSTNode]],
        plans: dict[int, BlockPlan],
        visit: set[int],
        inside: set[int],
        text: Text,
        frame: Frame,
    ) -> None:
        super().__init__()
        self.frame = frame
        self.replace = replace
        self.plans = plans
        self.visit = visit
        self.inside = inside
        self.text = text
        self.reach = visit | plans.keys()  # the nodes `rebuild` goes to

    def rebuild(self, node: cst.CSTNode) -> cst.CSTNode:
        """`node` with its edits (it is on the way to one)."""
        if id(node) in self.inside:
            return node.visit(self)  # type: ignore[return-value]
        changes: dict[str, object] = {}
        for name in _FIELDS.get(type(node), ()):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                if id(value) in self.reach:
                    changes[name] = self.rebuild(value)
            elif isinstance(value, (tuple, list)) and any(id(item) in self.reach for item in value):
                changes[name] = [self.rebuild(item) if id(item) in self.reach else item for item in value]
        if isinstance(node, cst.BaseCompoundStatement) and list(changes) == ["body"] and id(node) not in self.replace:
            body = changes["body"]
            texts = self.frame(node, node.body) if isinstance(body, cst.IndentedBlock) and body.body else None  # type: ignore[arg-type]
            if texts is not None:
                return Framed(texts[0], body, texts[1], node.leading_lines)  # type: ignore[arg-type, attr-defined]
        return self.on_leave(node, node.with_changes(**changes) if changes else node)

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) in self.visit

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[no-untyped-def, override]
        key = id(original_node)
        function = self.replace.get(key)
        if function is not None:
            updated_node = function(updated_node)
        plan = self.plans.get(key)
        if plan is not None:
            updated_node = plan.apply(updated_node, self.text)  # type: ignore[arg-type]
        elif original_node is updated_node:  # not on the way to an edit: its block prints it (`kept`)
            pass
        elif isinstance(updated_node, (cst.Module, cst.IndentedBlock)):
            body = [kept(s, s.leading_lines, self.text) for s in updated_node.body]  # type: ignore[attr-defined]
            updated_node = updated_node.with_changes(body=body)
        elif type(updated_node) in _FIELDS:  # a compound statement or clause that libcst prints
            updated_node = self.untouched(original_node, updated_node)
        return updated_node

    def untouched(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        """`updated` with the blocks no edit reached (those it shares with `original`) holding
        the file's text of their statements, as a rebuilt block does (`kept`)."""
        changes: dict[str, object] = {}
        for name in _FIELDS[type(updated)]:
            value = getattr(updated, name)
            if value is None or value is not getattr(original, name):
                continue
            if isinstance(value, cst.IndentedBlock):
                changes[name] = value.with_changes(body=[kept(s, s.leading_lines, self.text) for s in value.body])  # type: ignore[attr-defined]
            elif isinstance(value, (tuple, list)):
                changes[name] = [self.untouched(item, item) for item in value]
            elif type(value) in _FIELDS:
                changes[name] = self.untouched(value, value)
        return updated.with_changes(**changes) if changes else updated


_SUITES = ("body", "orelse", "handlers", "finalbody")
# the fields of the nodes between a module and a statement that hold blocks and clauses
_FIELDS: dict[type, tuple[str, ...]] = {
    cst.Module: ("body",),
    cst.IndentedBlock: ("body",),
    cst.FunctionDef: ("body",),
    cst.ClassDef: ("body",),
    cst.If: ("body", "orelse"),
    cst.Else: ("body",),
    cst.For: ("body", "orelse"),
    cst.While: ("body", "orelse"),
    cst.With: ("body",),
    cst.Try: _SUITES,
    cst.TryStar: _SUITES,
    cst.ExceptHandler: ("body",),
    cst.ExceptStarHandler: ("body",),
    cst.Finally: ("body",),
    cst.Match: ("cases",),
    cst.MatchCase: ("body",),
}

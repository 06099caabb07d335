"""From the compiler's analysis of a file and a choice to the edits of its frozen form."""

from __future__ import annotations

import ast
import functools
import re
from typing import Callable, Iterable

import libcst as cst

from ..choice import Decision
from ..diagnostics import CompileError
from ..model import Annotation, Hyperparameter, MutableLayer, Region
from ..pipeline import Analysis
from .build import REPORTING, Builder, Code, file_quote, layer_statements, param_text, placed, report_statement, temporaries
from .comments import annotation_text, layer_comments
from .places import Places, Site
from .rewrite import BlockPlan, Lines, Rewrite

Reference = tuple[cst.CSTNode, str]  # (a node of the scope it is read in, an expression's text)


@functools.lru_cache(maxsize=4096)
def names(text: str) -> frozenset[str]:
    """The names the expression `text` reads (none when it does not parse)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


_WORD = re.compile(r"[A-Za-z_]\w*")


@functools.lru_cache(maxsize=4096)
def words(text: str) -> frozenset[str]:
    """Every identifier-like word of `text`: more than `names`, cheaper."""
    return frozenset(_WORD.findall(text))


class Plan:
    """The edits that freeze one file, and what they take away and keep (for pruning)."""

    def __init__(self, analysis: Analysis, tree: ast.Module, module: cst.Module, decisions: dict, keep_reports: bool) -> None:
        self.analysis = analysis
        self.source = analysis.source
        self.module = module
        self.decisions = decisions
        self.keep_reports = keep_reports
        self.places = Places(self.source, tree, module)
        self.build = Builder()
        self.temporary = temporaries(self.source.text)
        self.blocks: dict[int, BlockPlan] = {}
        self.block_owners: dict[int, cst.CSTNode] = {}
        self.replace: dict[int, Callable[[cst.CSTNode], cst.CSTNode]] = {}
        self.edited: list[cst.CSTNode] = []  # nodes whose ancestors the rewrite must visit
        self.lost: list[Reference] = []  # expressions of the file that the frozen form no longer has
        self.kept: list[Reference] = []  # expressions the new code reads
        self.words: set[str] = set()  # every word of what goes (a cheap test before pruning)
        self._layers: list[tuple[cst.CSTNode, MutableLayer, Decision]] = []
        self.dead: list[cst.CSTNode] = []  # parsed code that the frozen form drops
        self.reports_kept = False
        self.visit_extra: set[int] = set()
        for annotation in analysis.annotations:
            self.annotation(annotation)
        if self.reports_kept:
            self.import_reporting()

    # --- bookkeeping ----------------------------------------------------------------------

    def block(self, owner: cst.CSTNode) -> BlockPlan:
        plan = self.blocks.get(id(owner))
        if plan is None:
            plan = self.blocks[id(owner)] = BlockPlan()
            self.block_owners[id(owner)] = owner
            self.edited.append(owner)
        return plan

    def fail(self, line: int, col: int, message: str) -> CompileError:
        return CompileError([self.source.diagnostic(line, col, message)])

    def read(self, anchor: cst.CSTNode, texts: Iterable[str], into: list[Reference]) -> None:
        """Record that the expressions `texts` read their names in the scope of `anchor` (the
        names are worked out only if pruning needs them: `names`)."""
        into.extend((anchor, text) for text in texts)

    # --- annotations ----------------------------------------------------------------------

    def annotation(self, annotation: Annotation) -> None:
        """Plan the replacement of one annotation (and of what its hyperparameter chooses)."""
        region = annotation.region
        if annotation.form == "string":
            node = self.places.at(region.line, region.col)
            if node is None:
                raise self.fail(region.line, region.col + 1, "internal: freeze found no statement for this annotation")
            site = self.places.site(node)
            anchor: cst.CSTNode = site.node
            self.dead.append(site.node)
        else:
            slot = self.places.slot(region.line)
            if slot is None or region.end_line >= slot.first + slot.count:
                raise self.fail(region.line, region.col + 1, "freeze cannot place the code of this annotation: its comment lines are not between two statements of one block")
            body = slot.owner.body  # type: ignore[union-attr]
            anchor = body[slot.index] if slot.index is not None and slot.index >= 0 and body else (body[-1] if body else slot.owner)
        lines = self.replacement(annotation, anchor)
        if annotation.form == "string":
            plan = self.block(site.owner)
            plan.replace(site, lines)
        else:
            plan = self.block(slot.owner)
            plan.slots.setdefault(slot.index, []).append((region.line - slot.first, region.end_line - slot.first, lines))
        for param in annotation.params:
            self.choose(param, anchor)

    def replacement(self, annotation: Annotation, anchor: cst.CSTNode) -> Lines:
        statements: list[tuple[cst.BaseSmallStatement, list[str]]] = []
        if annotation.layers:
            text = annotation_text(self.source, annotation)
            self.build.quote = file_quote(text)
            comments = layer_comments(text, annotation, self.decisions)
            for layer, kept in zip(annotation.layers, comments):
                decision: Decision = self.decisions[layer.key]
                made = layer_statements(layer, decision, self.build, self.temporary)
                statements.extend((statement, kept if k == 0 else []) for k, statement in enumerate(made))
                self._layers.append((anchor, layer, decision))
            self.words |= words(text)
            return Lines(statements, trailing=True)
        for report in annotation.reports:
            statement = report_statement(report, self.build, self.keep_reports)
            if statement is not None:
                statements.append((statement, []))
                self.read(anchor, [report.value.label], self.kept)
            # a dropped report's names are not lost candidates': they start no pruning
            self.reports_kept = self.reports_kept or self.keep_reports
        return Lines(statements, trailing=bool(statements) and self.keep_reports)

    def references(self) -> None:
        """Add the layers' expressions to `lost` and `kept` (only pruning needs them)."""
        for anchor, layer, decision in self._layers:
            chosen = set(decision.inputs)
            for i, candidate in enumerate(layer.layer_choice):
                self.read(anchor, [candidate.label], self.kept if i == decision.layer else self.lost)
            for i, expression in enumerate(layer.input_candidates):
                self.read(anchor, [expression.label], self.kept if i in chosen else self.lost)
            self.read(anchor, [e.label for e in layer.fixed_inputs], self.kept)
            self.read(anchor, [helper.label for helper in (layer.input_aggregate, layer.post_process) if helper is not None], self.kept)
            if not isinstance(layer.layer_output.node, ast.Name):
                self.read(anchor, [layer.layer_output.label], self.kept)
        self._layers = []

    # --- hyperparameters ------------------------------------------------------------------

    def choose(self, param: Hyperparameter, anchor: cst.CSTNode) -> None:
        """Put the chosen value where the hyperparameter's spans are."""
        decision = self.decisions[param.key]
        text = param_text(param, decision)
        new = self.build.parse(text)
        for i, option in enumerate(param.options):
            if i != int(decision):
                self.read(anchor, [option.text], self.lost)
                self.words |= words(option.text)
        by_statement: dict[int, tuple[Site, list[Region]]] = {}
        for span in param.spans:
            node = self.places.innermost(span.line, span.col, span.end_line, span.end_col)
            if node is None:
                raise self.fail(span.line, span.col + 1, "internal: freeze found no statement holding this value")
            site = self.places.site(node)
            by_statement.setdefault(id(site.node), (site, []))[1].append(span)
        for site, spans in by_statement.values():
            self.read(site.node, [text], self.kept)
            for span in spans:
                start = self.source.line_offsets[span.line - 1] + span.col
                replaced = "(" + self.source.text[start : self.source.line_offsets[span.end_line - 1] + span.end_col] + ")"
                self.read(site.node, [replaced], self.lost)
                self.words |= words(replaced)
            if param.kind == "variable":
                self.assign(site, new)
            else:
                self.calls(param, site, spans, new)

    def assign(self, site: Site, new: cst.BaseExpression) -> None:
        node = site.node
        if not isinstance(node, (cst.Assign, cst.AnnAssign)) or node.value is None:
            raise self.fail(0, 0, "internal: the target of @nni.variable is not an assignment")
        self.dead.append(node.value)
        self.replace[id(node)] = lambda updated: updated.with_changes(value=placed(new, "statement"))  # type: ignore[attr-defined]
        self.edited.append(self.line_of(site))
        self.visit_extra.add(id(self.line_of(site)))

    def line_of(self, site: Site) -> cst.CSTNode:
        """The statement a site's node is part of, as the block holds it."""
        if isinstance(site.owner, cst.SimpleStatementSuite):
            return site.owner
        return site.owner.body[site.index]

    def calls(self, param: Hyperparameter, site: Site, spans: list[Region], new: cst.BaseExpression) -> None:
        """Replace the listed calls of a function choice in one statement."""
        wanted = set()
        for option in param.options:
            try:
                node = ast.parse(option.text.strip(), mode="eval").body
            except (SyntaxError, ValueError):
                continue
            if isinstance(node, ast.Call):
                wanted.add(ast.dump(node))
        found = list(self._matching(site.node, wanted, [], "statement"))
        if len(found) != len(spans):
            raise self.fail(spans[0].line, spans[0].col + 1, "internal: freeze found the calls of this function choice elsewhere than the compiler")
        for call, chain, context in found:
            self.dead.append(call)
            self.replace[id(call)] = lambda updated, c=context: _keep_parens(updated, placed(new, c))
            self.visit_extra.update(id(node) for node in chain)
        self.edited.append(self.line_of(site))
        self.visit_extra.add(id(self.line_of(site)))

    def _matching(self, node: cst.CSTNode, wanted: set[str], chain: list[cst.CSTNode], context: str):  # type: ignore[no-untyped-def]
        """The outermost calls under `node` that equal a listed call, in source order, with the
        nodes above each and the context it stands in (see `build.placed`); not inside
        f-strings, nor in the blocks of a compound statement."""
        if isinstance(node, cst.Call) and self._dump(node) in wanted:
            yield node, list(chain), context
            return
        if isinstance(node, (cst.FormattedString, cst.BaseSuite, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.MatchCase)) and chain:
            return
        chain.append(node)
        for child in node.children:
            yield from self._matching(child, wanted, chain, _context(node, child))
        chain.pop()

    def _dump(self, call: cst.Call) -> str:
        code = self.module.code_for_node(call.with_changes(lpar=[], rpar=[]))
        try:
            return ast.dump(ast.parse(code.strip(), mode="eval").body)
        except (SyntaxError, ValueError):
            try:
                return ast.dump(ast.parse("(" + code + ")", mode="eval").body)
            except (SyntaxError, ValueError):
                return ""

    # --- reports --------------------------------------------------------------------------

    def import_reporting(self) -> None:
        """`import nas_annotate.reporting` after the module's first imports (or its docstring)."""
        body = self.module.body
        at = -1
        for i, statement in enumerate(body):
            if isinstance(statement, cst.SimpleStatementLine):
                smalls = statement.body
                if all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in smalls):
                    at = i
                elif i == 0 and isinstance(smalls[0], cst.Expr) and isinstance(smalls[0].value, (cst.SimpleString, cst.ConcatenatedString)):
                    at = max(at, 0)
                continue
            break
        line = cst.SimpleStatementLine([Code(f"import {REPORTING}")])
        self.block(self.module).after.setdefault(at, []).append(line)

    # --- the rewrite ----------------------------------------------------------------------

    def rewrite(self) -> cst.Module:
        visit = set(self.visit_extra)
        visit.add(id(self.module))
        for node in self.edited:
            visit.update(id(n) for n in self.places.ancestors(node))
        return Rewrite(self.replace, self.blocks, visit, self.visit_extra, self.places.text, self.places.frame).rebuild(self.module)  # type: ignore[return-value]


def _keep_parens(old: cst.CSTNode, new: cst.BaseExpression) -> cst.BaseExpression:
    """`new` in place of `old`, in the parentheses `old` had."""
    if getattr(old, "lpar", None) and not new.lpar:
        return new.with_changes(lpar=old.lpar, rpar=old.rpar)  # type: ignore[attr-defined]
    return new


_VALUES = (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return, cst.Expr)
_ITEMS = (cst.Arg, cst.Element, cst.StarredElement, cst.DictElement)


def _context(parent: cst.CSTNode, child: cst.CSTNode) -> str:
    """How an expression `child` of `parent` may be written (see `build.placed`)."""
    if isinstance(parent, _VALUES) and child is parent.value:
        return "statement"
    if isinstance(parent, _ITEMS) and (child is getattr(parent, "value", None) or child is getattr(parent, "key", None)):
        return "item"
    if isinstance(parent, cst.Attribute) and child is parent.value:
        return "attribute"
    return "operand"

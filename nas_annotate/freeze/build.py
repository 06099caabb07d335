"""The code that replaces an annotation in the frozen form.

A layer becomes the statement [what a layer computes](../../docs/language.md#what-a-layer-computes)
says, written as one nested call: `cell2 = bn_relu([sep_conv(add([[cell1], [stem]]), kernel=3), [stem]])`.
The nesting keeps the language's promise (each chosen expression evaluated once, in the order
the annotation writes them, before the layer's calls) whenever Python's own evaluation order of
the nested call gives exactly that; otherwise the fewest expressions that must go first are
bound to temporaries, as the line-preserving form (`expand --choice`) binds them all.

The new statements are written from the compiler's parsed annotation (its `ast` nodes) as the
text libcst would print for them (its default spacing), and enter the tree as `Code`
statements: building libcst nodes only to print them again cost a third of freeze's time on
the benchmark's module (docs/design.md). Shapes the writer does not know keep their label, the
canonical spelling. A hyperparameter's chosen value, which goes inside a statement of the
file, is a parsed libcst expression (`Builder.parse`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Union

import libcst as cst

from ..choice import Decision
from ..model import Expression, Hyperparameter, MutableLayer, Report, is_reference


@dataclass(frozen=True)
class Code(cst.BaseSmallStatement):
    """A simple statement written by freeze, as its text (one line, no comment)."""

    text: str
    semicolon: Union[cst.Semicolon, cst.MaybeSentinel] = cst.MaybeSentinel.DEFAULT

    def _visit_and_replace_children(self, visitor: cst.CSTVisitorT) -> Code:
        return self

    def _codegen_impl(self, state: cst.CodegenState, default_semicolon: bool = False) -> None:  # type: ignore[override]
        state.add_token(self.text)
        if isinstance(self.semicolon, cst.Semicolon):
            self.semicolon._codegen(state)
        elif default_semicolon:
            state.add_token("; ")


class Builder:
    """Writes expressions for one file: `quote` is the quote character its string literals get
    when the canonical spelling allows either."""

    def __init__(self, quote: str = "'") -> None:
        self.quote = quote
        self._texts: dict[str, str] = {}
        self._nodes: dict[str, cst.BaseExpression] = {}

    def parse(self, text: str) -> cst.BaseExpression:
        """`text` (a Python expression) as a libcst node, parsed once per spelling."""
        node = self._nodes.get(text)
        if node is None:
            node = self._nodes[text] = cst.parse_expression(text)
        return node

    def expression(self, expression: Expression) -> str:
        """An annotation's expression, in its canonical spelling (its label), string literals
        in the file's quotes."""
        key = self.quote + expression.label
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = self.write(expression.node) or expression.label
        return text

    def write(self, node: ast.expr) -> str | None:
        """The usual shapes (names, attributes, literals, calls, lists), written directly; None
        for the others."""
        kind = type(node)
        if kind is ast.Name:
            return node.id  # type: ignore[attr-defined]
        if kind is ast.Attribute and is_reference(node):
            value = self.write(node.value)  # type: ignore[attr-defined]
            return None if value is None else f"{value}.{node.attr}"  # type: ignore[attr-defined]
        if kind is ast.Constant:
            return self.constant(node.value)  # type: ignore[attr-defined]
        if kind is ast.Call:
            func = self.write(node.func)  # type: ignore[attr-defined]
            args = [self.argument(arg) for arg in node.args]  # type: ignore[attr-defined]
            args += [self.keyword(keyword) for keyword in node.keywords]  # type: ignore[attr-defined]
            if func is None or None in args:
                return None
            return f"{func}({', '.join(args)})"  # type: ignore[arg-type]
        if kind in (ast.List, ast.Tuple):
            elements = [None if type(e) is ast.Starred else self.write(e) for e in node.elts]  # type: ignore[attr-defined]
            if None in elements:
                return None
            if kind is ast.List:
                return f"[{', '.join(elements)}]"  # type: ignore[arg-type]
            return f"({elements[0]},)" if len(elements) == 1 else f"({', '.join(elements)})"  # type: ignore[arg-type]
        return None

    def argument(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Starred):
            value = self.write(node.value)
            return None if value is None else "*" + value
        return self.write(node)

    def keyword(self, keyword: ast.keyword) -> str | None:
        value = self.write(keyword.value)
        if value is None:
            return None
        return "**" + value if keyword.arg is None else f"{keyword.arg}={value}"

    def constant(self, value: object) -> str | None:
        if value is None or isinstance(value, bool):
            return repr(value)
        if type(value) is int and value >= 0:
            return repr(value)
        if type(value) is float and value >= 0 and value != float("inf"):
            return repr(value)
        if type(value) is str:
            return self.string(value)
        return None

    def string(self, value: str) -> str:
        """A string literal for `value`: Python's own spelling, in the file's quotes when that
        changes nothing else."""
        text = repr(value)
        if self.quote == '"' and text[0] == "'" and '"' not in text and "\\" not in text:
            return '"' + text[1:-1] + '"'
        return text

    @staticmethod
    def call(callee: str, first: str, arguments: Iterable[tuple[str, str]]) -> str:
        """`callee(first, *arguments)`: each argument with its prefix ('', '*', '**' or 'name=')."""
        return f"{callee}({', '.join([first, *(prefix + value for prefix, value in arguments)])})"


def file_quote(text: str) -> str:
    """The quote an annotation's own string literals use: `"` when it writes only those."""
    singles, doubles = text.count("'"), text.count('"')
    return '"' if doubles and not singles else "'"


def _listing(items: list[str]) -> str:
    return f"[{', '.join(items)}]"


def _atom(expression: Expression) -> bool:
    """Whether evaluating `expression` twice is as good as once: a name, a dotted name, a literal."""
    return isinstance(expression.node, (ast.Name, ast.Constant)) or is_reference(expression.node)


_CALL = -1


def _evaluation(layer: MutableLayer, decision: Decision) -> tuple[list[Expression], list[int]]:
    """The expressions the line-preserving form evaluates, in its order (each field in the order
    the annotation writes it), and the order Python evaluates them in the nested statement:
    `id`s, with `_CALL` where one of the layer's calls is made."""
    candidate = layer.layer_choice[decision.layer]
    inputs = [layer.input_candidates[i] for i in decision.inputs]
    fields: dict[str, list[Expression]] = {
        "layer_choice": [a.value for a in candidate.arguments],
        "fixed_inputs": list(layer.fixed_inputs),
        "input_candidates": [layer.input_candidates[i] for i in sorted(set(decision.inputs))],
        "input_aggregate": [a.value for a in layer.input_aggregate.arguments] if layer.input_aggregate else [],
        "post_process": [a.value for a in layer.post_process.arguments] if layer.post_process else [],
    }
    order = [e for name in layer.order for e in fields.get(name, ())]
    nested = [id(e) for e in (*layer.fixed_inputs, *inputs)]
    if layer.input_aggregate is not None:
        nested += [id(a.value) for a in layer.input_aggregate.arguments] + [_CALL]
    nested += [id(a.value) for a in candidate.arguments] + [_CALL]
    if layer.post_process is not None:
        nested += [id(e) for e in inputs] + [id(a.value) for a in layer.post_process.arguments] + [_CALL]
    return order, nested


def bound(layer: MutableLayer, decision: Decision) -> list[Expression]:
    """The expressions of the chosen layer to bind to temporaries first, in the order they are
    evaluated: those written twice in the statement (unless a name or literal), and the shortest
    run of side-effecting ones, from the first, after which the nested statement evaluates the
    rest in the same order and before any of the layer's calls."""
    order, nested = _evaluation(layer, decision)
    twice = {key for key in nested if key != _CALL and nested.count(key) > 1}
    reused = {id(e) for e in order if id(e) in twice and not _atom(e)}
    impure = [e for e in order if not e.pure]
    first_call = nested.index(_CALL)
    for k in range(len(impure) + 1):
        rest = [id(e) for e in impure[k:]]
        if any(key in reused for key in rest):
            continue
        places = [nested.index(key) for key in rest]
        if places == sorted(places) and all(place < first_call for place in places):
            early = {id(e) for e in impure[:k]} | reused
            return [e for e in order if id(e) in early]
    raise AssertionError("binding every expression first always keeps the order")  # pragma: no cover


def layer_statements(layer: MutableLayer, decision: Decision, build: Builder, temporary: Callable[[], str]) -> list[cst.BaseSmallStatement]:
    """The chosen layer as statements: temporaries (rarely), the assignment, their `del`."""
    early = bound(layer, decision)
    names: dict[int, str] = {}
    statements: list[cst.BaseSmallStatement] = []
    for expression in early:
        name = temporary()
        statements.append(Code(f"{name} = {build.expression(expression)}"))
        names[id(expression)] = name

    def value(expression: Expression) -> str:
        return names.get(id(expression)) or build.expression(expression)

    def arguments(call) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
        return [(a.prefix, value(a.value)) for a in call.arguments]

    chosen = _listing([value(layer.input_candidates[i]) for i in decision.inputs])
    inputs = _listing([_listing([value(e) for e in layer.fixed_inputs]), chosen])
    if layer.input_aggregate is not None:
        inputs = build.call(layer.input_aggregate.callee, inputs, arguments(layer.input_aggregate))
    candidate = layer.layer_choice[decision.layer]
    out = build.call(candidate.callee, inputs, arguments(candidate))
    if layer.post_process is not None:
        out = build.call(layer.post_process.callee, _listing([out, chosen]), arguments(layer.post_process))
    statements.append(Code(f"{build.expression(layer.layer_output)} = {out}"))
    if names:
        statements.append(Code("del " + ", ".join(names.values())))
    return statements


REPORTING = "nas_annotate.reporting"


def report_statement(report: Report, build: Builder, keep: bool) -> cst.BaseSmallStatement | None:
    """A kept report as a call of `nas_annotate.reporting`; a dropped one as nothing, or as its
    value alone when computing that has effects (a call) the script may rely on."""
    value = build.expression(report.value)
    if keep:
        return Code(f"{REPORTING}.{report.function}({value})")
    return None if report.value.pure else Code(value)


def param_text(param: Hyperparameter, decision: int | float) -> str:
    """The chosen value of a hyperparameter as written: the option's text, or the number."""
    return param.options[int(decision)].text if param.options else repr(decision)


_ATOMS = (
    cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Dict, cst.Set, cst.SimpleString,
    cst.FormattedString, cst.Ellipsis, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp,
)
_NUMBERS = (cst.Integer, cst.Float, cst.Imaginary)


def placed(node: cst.BaseExpression, context: str) -> cst.BaseExpression:
    """`node` where an expression stood, in parentheses only where Python needs them there.

    `context` is 'statement' (the whole value of an assignment, a return, an expression
    statement), 'item' (an argument, or an element of a list, set, tuple or dict), 'attribute'
    (before `.name`: a number needs them, `1.real` does not parse) or 'operand' (anywhere else)."""
    if node.lpar:
        return node
    if isinstance(node, (cst.NamedExpr, cst.Yield)):
        needs = True
    elif isinstance(node, cst.Tuple):
        needs = context != "statement"
    elif context in ("statement", "item"):
        needs = False
    elif isinstance(node, _NUMBERS):
        needs = context == "attribute"
    else:
        needs = not isinstance(node, _ATOMS)
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]) if needs else node


_TEMPORARY = re.compile(r"_t(\d+)\b")


def temporaries(text: str) -> Callable[[], str]:
    """Names for temporaries that nothing in `text` uses: `_t0`, `_t1`, ..."""
    taken = {int(n) for n in _TEMPORARY.findall(text)}
    counter = [0]

    def fresh() -> str:
        while counter[0] in taken:
            counter[0] += 1
        counter[0] += 1
        return f"_t{counter[0] - 1}"

    return fresh

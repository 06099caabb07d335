"""The code that replaces an annotation in the frozen form, as libcst nodes.

A layer becomes the statement [what a layer computes](../../docs/language.md#what-a-layer-computes)
says, written as one nested call: `cell2 = bn_relu([sep_conv(add([[cell1], [stem]]), kernel=3), [stem]])`.
The nesting keeps the language's promise (each chosen expression evaluated once, in the order
the annotation writes them, before the layer's calls) whenever Python's own evaluation order of
the nested call gives exactly that; otherwise the fewest expressions that must go first are
bound to temporaries, as the line-preserving form (`expand --choice`) binds them all.

Expressions are built from the compiler's parsed annotation (its `ast` nodes) directly, without
a libcst parse; only shapes the builder does not know are parsed, once per spelling.
"""

from __future__ import annotations

import ast
import re
from typing import Callable, Iterable

import libcst as cst

from ..choice import Decision
from ..model import Expression, Hyperparameter, MutableLayer, Report, is_reference

# shared by every node built (libcst's nodes are immutable; building a default for each is slow)
_NO_SPACE = cst.SimpleWhitespace("")
_SPACE = cst.SimpleWhitespace(" ")
_EQUAL = cst.AssignEqual(whitespace_before=_NO_SPACE, whitespace_after=_NO_SPACE)
_LEFT, _RIGHT = cst.LeftSquareBracket(_NO_SPACE), cst.RightSquareBracket(_NO_SPACE)
_FUNC = {"whitespace_after_func": _NO_SPACE, "whitespace_before_args": _NO_SPACE}
_ARG = {"whitespace_after_star": _NO_SPACE, "whitespace_after_arg": _NO_SPACE}
_NAMES = {"True", "False", "None"}


class Builder:
    """Makes libcst expressions for one file: `quote` is the quote character its string
    literals get when the canonical spelling allows either."""

    def __init__(self, quote: str = "'") -> None:
        self.quote = quote
        self._cache: dict[str, cst.BaseExpression] = {}

    def parse(self, text: str) -> cst.BaseExpression:
        """`text` (a Python expression) as a libcst node, parsed once per spelling."""
        node = self._cache.get(text)
        if node is None:
            node = self._cache[text] = cst.parse_expression(text)
        return node

    def expression(self, expression: Expression) -> cst.BaseExpression:
        """An annotation's expression, in its canonical spelling (its label)."""
        node = self._cache.get(expression.label)
        if node is None:
            node = self._cache[expression.label] = self.convert(expression.node) or cst.parse_expression(expression.label)
        return node

    def reference(self, dotted: str) -> cst.BaseExpression:
        """`f` or `mod.f` as a name or an attribute chain."""
        node = self._cache.get(dotted)
        if node is None:
            head, _, attr = dotted.rpartition(".")
            node = cst.Attribute(self.reference(head), cst.Name(attr)) if head else cst.Name(dotted)
            self._cache[dotted] = node
        return node

    def convert(self, node: ast.expr) -> cst.BaseExpression | None:
        """The usual shapes (names, attributes, literals, calls, lists), built directly; None
        for the others, which are parsed from their label."""
        kind = type(node)
        if kind is ast.Name:
            return cst.Name(node.id)  # type: ignore[attr-defined]
        if kind is ast.Attribute and is_reference(node):
            return self.reference(ast.unparse(node))
        if kind is ast.Constant:
            return self.constant(node.value)  # type: ignore[attr-defined]
        if kind is ast.Call:
            func = self.convert(node.func)  # type: ignore[attr-defined]
            args = [self.argument(arg) for arg in node.args]  # type: ignore[attr-defined]
            args += [self.keyword(keyword) for keyword in node.keywords]  # type: ignore[attr-defined]
            if func is None or any(arg is None for arg in args):
                return None
            return cst.Call(func, args, **_FUNC)  # type: ignore[arg-type]
        if kind in (ast.List, ast.Tuple):
            elements = [self.convert(element) for element in node.elts]  # type: ignore[attr-defined]
            if any(element is None or isinstance(element, cst.StarredElement) for element in elements):
                return None
            wrapped = [cst.Element(element) for element in elements]  # type: ignore[arg-type]
            return cst.List(wrapped, _LEFT, _RIGHT) if kind is ast.List else cst.Tuple(wrapped)
        return None

    def argument(self, node: ast.expr) -> cst.Arg | None:
        if isinstance(node, ast.Starred):
            value = self.convert(node.value)
            return None if value is None else cst.Arg(value, star="*", **_ARG)
        value = self.convert(node)
        return None if value is None else cst.Arg(value, **_ARG)

    def keyword(self, keyword: ast.keyword) -> cst.Arg | None:
        value = self.convert(keyword.value)
        if value is None:
            return None
        if keyword.arg is None:
            return cst.Arg(value, star="**", **_ARG)
        return cst.Arg(value, keyword=cst.Name(keyword.arg), equal=_EQUAL, **_ARG)

    def constant(self, value: object) -> cst.BaseExpression | None:
        if value is None or isinstance(value, bool):
            return cst.Name(repr(value))
        if type(value) is int and value >= 0:
            return cst.Integer(repr(value))
        if type(value) is float and value >= 0 and value != float("inf"):
            return cst.Float(repr(value))
        if type(value) is str:
            return cst.SimpleString(self.string(value))
        return None

    def string(self, value: str) -> str:
        """A string literal for `value`: Python's own spelling, in the file's quotes when that
        changes nothing else."""
        text = repr(value)
        if self.quote == '"' and text[0] == "'" and '"' not in text and "\\" not in text:
            return '"' + text[1:-1] + '"'
        return text

    def call(self, callee: str, first: cst.BaseExpression, arguments: Iterable[tuple[str, cst.BaseExpression]]) -> cst.Call:
        """`callee(first, *arguments)`: each argument with its prefix ('', '*', '**' or 'name=')."""
        args = [cst.Arg(first, **_ARG)]
        for prefix, value in arguments:
            if prefix in ("*", "**"):
                args.append(cst.Arg(value, star=prefix, **_ARG))  # type: ignore[arg-type]
            elif prefix:
                args.append(cst.Arg(value, keyword=cst.Name(prefix[:-1]), equal=_EQUAL, **_ARG))
            else:
                args.append(cst.Arg(value, **_ARG))
        return cst.Call(self.reference(callee), args, **_FUNC)


def file_quote(text: str) -> str:
    """The quote an annotation's own string literals use: `"` when it writes only those."""
    singles, doubles = text.count("'"), text.count('"')
    return '"' if doubles and not singles else "'"


def _listing(items: list[cst.BaseExpression]) -> cst.List:
    return cst.List([cst.Element(item) for item in items], _LEFT, _RIGHT)


def _assign(target: cst.BaseExpression, value: cst.BaseExpression) -> cst.Assign:
    return cst.Assign([cst.AssignTarget(target, _SPACE, _SPACE)], value)


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
    names: dict[int, cst.BaseExpression] = {}
    statements: list[cst.BaseSmallStatement] = []
    for expression in early:
        name = cst.Name(temporary())
        statements.append(_assign(name, build.expression(expression)))
        names[id(expression)] = name

    def value(expression: Expression) -> cst.BaseExpression:
        return names.get(id(expression)) or build.expression(expression)

    def arguments(call) -> list[tuple[str, cst.BaseExpression]]:  # type: ignore[no-untyped-def]
        return [(a.prefix, value(a.value)) for a in call.arguments]

    chosen = [value(layer.input_candidates[i]) for i in decision.inputs]
    inputs: cst.BaseExpression = _listing([_listing([value(e) for e in layer.fixed_inputs]), _listing(chosen)])
    if layer.input_aggregate is not None:
        inputs = build.call(layer.input_aggregate.callee, inputs, arguments(layer.input_aggregate))
    candidate = layer.layer_choice[decision.layer]
    out: cst.BaseExpression = build.call(candidate.callee, inputs, arguments(candidate))
    if layer.post_process is not None:
        out = build.call(layer.post_process.callee, _listing([out, _listing(chosen)]), arguments(layer.post_process))
    statements.append(_assign(build.expression(layer.layer_output), out))
    if names:
        targets = [cst.Element(name) for name in names.values()]
        statements.append(cst.Del(targets[0].value if len(targets) == 1 else cst.Tuple(targets, lpar=[], rpar=[])))
    return statements


REPORTING = "nas_annotate.reporting"


def report_statement(report: Report, build: Builder, keep: bool) -> cst.BaseSmallStatement | None:
    """A kept report as a call of `nas_annotate.reporting`; a dropped one as nothing, or as its
    value alone when computing that has effects (a call) the script may rely on."""
    value = build.expression(report.value)
    if keep:
        return cst.Expr(cst.Call(build.reference(f"{REPORTING}.{report.function}"), [cst.Arg(value)]))
    return None if report.value.pure else cst.Expr(value)


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

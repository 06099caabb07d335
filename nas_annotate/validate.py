"""Validation: turning drafts into typed mutable layers and reports, with a diagnostic for every problem."""

from __future__ import annotations

import ast
import re
from typing import Any

from .locate import Body
from .model import Argument, Call, Expression, MutableLayer, Pos, Report
from .parse import Draft, FieldValue

_IMPURE = (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)
_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")

Errors = list[tuple[Pos, str]]


class _Builder:
    """Builds the typed values of one draft, recording problems instead of raising."""

    def __init__(self, body: Body, errors: Errors) -> None:
        self.body = body
        self.errors = errors

    def offset(self, value: FieldValue, node: ast.AST) -> int:
        """The offset of `node` within the field's text (`ast` gives line and byte column)."""
        lineno, col = node.lineno, node.col_offset  # type: ignore[attr-defined]
        if lineno == 1 and value.text.isascii():
            return col
        lines = value.text.split("\n")
        line = lines[lineno - 1]
        if not line.isascii():
            col = len(line.encode("utf-8")[:col].decode("utf-8", "replace"))
        return sum(len(text) + 1 for text in lines[: lineno - 1]) + col

    def fail(self, value: FieldValue, node: ast.AST, message: str) -> None:
        self.errors.append((self.body.pos(value.offset + self.offset(value, node)), message))

    def expression(self, value: FieldValue, node: ast.expr) -> Expression:
        return Expression(label(node), node, self.offset(value, node), _pure(node))

    def call(self, value: FieldValue, node: ast.expr, what: str) -> Call | None:
        """A call `f(a, k=v)` or a bare reference `f` / `mod.f`."""
        func = node.func if isinstance(node, ast.Call) else node
        if not _is_reference(func):
            if isinstance(node, ast.Call):
                self.fail(value, node, f"the function of {what} {quote(ast.unparse(node))} must be a name or a dotted name")
            else:
                self.fail(value, node, f"{what} {quote(ast.unparse(node))} is neither a call nor a reference to a function")
            return None
        arguments: list[Argument] = []
        if isinstance(node, ast.Call):
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    arguments.append(Argument("*", self.expression(value, arg.value)))
                else:
                    arguments.append(Argument("", self.expression(value, arg)))
            for keyword in node.keywords:
                prefix = "**" if keyword.arg is None else f"{keyword.arg}="
                arguments.append(Argument(prefix, self.expression(value, keyword.value)))
        return Call(label(node), label(func), tuple(arguments), self.offset(value, node))

    def elements(self, value: FieldValue, field: str) -> list[ast.expr] | None:
        if not isinstance(value.node, (ast.List, ast.Tuple)):
            self.fail(value, value.node, f"{field} must be a list, such as [a, b]")
            return None
        for element in value.node.elts:
            if isinstance(element, ast.Starred):
                self.fail(value, element, f"{field} cannot unpack {quote(ast.unparse(element))}; list each item")
                return None
        return value.node.elts

    def unique(self, value: FieldValue, items: list[Expression] | list[Call], what: str) -> None:
        seen: dict[str, int] = {}
        for item in items:
            if item.label in seen:
                first = self.body.pos(value.offset + seen[item.label])
                message = f"duplicate {what} {quote(item.label)} (also at line {first.line}, column {first.col})"
                self.errors.append((self.body.pos(value.offset + item.offset), message))
            else:
                seen[item.label] = item.offset


def quote(text: str) -> str:
    """`text` in quotes for a message: single quotes, or double ones when it holds a single quote."""
    return f'"{text}"' if "'" in text and '"' not in text else f"'{text}'"


def label(node: ast.expr) -> str:
    """The canonical spelling of an expression: `ast.unparse`, with fast paths for the usual shapes."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and _is_reference(node):
        return f"{label(node.value)}.{node.attr}"
    if isinstance(node, ast.Call) and _is_reference(node.func):
        parts = [("*" + label(a.value)) if isinstance(a, ast.Starred) else label(a) for a in node.args]
        parts += [(f"{k.arg}=" if k.arg else "**") + label(k.value) for k in node.keywords]
        return f"{label(node.func)}({', '.join(parts)})"
    if isinstance(node, ast.Constant) and type(node.value) in (int, bool, type(None)):
        return repr(node.value)
    return ast.unparse(node)


def canonical(text: str) -> str | None:
    """The label of the expression `text`, or None when it is not one (parsed, never evaluated)."""
    try:
        return label(ast.parse(text.strip(), mode="eval").body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _pure(node: ast.expr) -> bool:
    if isinstance(node, (ast.Name, ast.Constant)) or (isinstance(node, ast.Attribute) and _is_reference(node)):
        return True
    return not any(isinstance(n, _IMPURE) for n in ast.walk(node))


def _is_reference(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _candidates(b: _Builder, value: FieldValue) -> list[Call]:
    elements = b.elements(value, "layer_choice")
    if elements is not None and not elements:
        b.fail(value, value.node, "layer_choice is empty: list at least one candidate")
    choices = [c for c in (b.call(value, element, "candidate") for element in elements or ()) if c is not None]
    b.unique(value, choices, "candidate")
    return choices


def _inputs(b: _Builder, value: FieldValue, name: str) -> list[Expression] | None:
    elements = b.elements(value, name)
    inputs = [b.expression(value, e) for e in elements or ()]
    b.unique(value, inputs, "input candidate" if name == "input_candidates" else "fixed input")
    return inputs if elements is not None else None


def _shared(built: dict, b: _Builder, name: str, value: FieldValue, make) -> Any:
    """`make(b, value)`, shared by every field of the file written the same way: positions in
    it are relative to the field's text. Results with problems are not shared."""
    key = (name, value.text)
    if key in built:
        return built[key]
    before = len(b.errors)
    result = make(b, value)
    if len(b.errors) == before:
        built[key] = result
    return result


def build_layer(
    draft: Draft, body: Body, module: str, scope: str, errors: Errors, built: dict | None = None
) -> MutableLayer | None:
    """The typed layer of a draft, or None when a problem makes it unusable (errors say why).

    `built` shares what is built from one spelling of a field across a file's layers."""
    if draft.broken:
        return None
    built = {} if built is None else built
    before = len(errors)
    b = _Builder(body, errors)
    fields = draft.fields
    for required in ("layer_choice", "layer_output"):
        if required not in draft.attempted:
            errors.append((draft.pos, f"missing field '{required}'"))

    choices: list[Call] = []
    if "layer_choice" in fields:
        choices = _shared(built, b, "layer_choice", fields["layer_choice"], _candidates)

    inputs: dict[str, list[Expression]] = {}
    usable = "input_candidates" not in draft.attempted or "input_candidates" in fields
    for name in ("fixed_inputs", "input_candidates"):
        inputs[name] = []
        if name in fields:
            made = _shared(built, b, name, fields[name], lambda b, value, name=name: _inputs(b, value, name))
            usable = usable and (made is not None or name == "fixed_inputs")
            inputs[name] = made or []
    candidates = inputs["input_candidates"]

    input_num = (0, 0)
    if "input_num" in fields and usable:
        input_num = _input_num(b, fields["input_num"], len(candidates), "input_candidates" in fields) or input_num
    elif candidates and "input_num" not in draft.attempted:
        value = fields["input_candidates"]
        b.fail(value, value.node, "input_num is required when there are input_candidates: an int k or a range [lo, hi]")

    helpers: dict[str, Call | None] = {}
    for name in ("input_aggregate", "post_process"):
        helpers[name] = None
        if name in fields:
            helpers[name] = _shared(built, b, name, fields[name], lambda b, value, name=name: b.call(value, value.node, name))

    output = None
    if "layer_output" in fields:
        value = fields["layer_output"]
        if _is_reference(value.node):
            output = b.expression(value, value.node)
        else:
            b.fail(value, value.node, "layer_output must be a name, or an attribute such as self.out")

    name = None
    if "name" in fields:
        value = fields["name"]
        node = value.node
        written = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        if _is_reference(node):
            written = ast.unparse(node)
        if written is None or not _NAME.fullmatch(written):
            b.fail(value, node, "name must be an identifier such as stem_conv (dots allowed)")
        else:
            name = written

    if len(errors) > before or draft.failed or output is None or not choices:
        return None
    suffix = name or (f"{scope}.{output.label}" if scope else output.label)
    return MutableLayer(
        key=f"{module}/{suffix}",
        layer_choice=tuple(choices),
        fixed_inputs=tuple(inputs["fixed_inputs"]),
        input_candidates=tuple(candidates),
        input_num=input_num,
        input_aggregate=helpers["input_aggregate"],
        post_process=helpers["post_process"],
        layer_output=output,
        name=name,
        pos=draft.pos,
        order=tuple(sorted(fields, key=lambda f: fields[f].offset)),
    )


REPORTS = {"report_intermediate_result": "intermediate", "report_final_result": "final"}


def build_report(call: FieldValue, body: Body, errors: Errors) -> Report | None:
    """The report of `@nni.report_..._result(value)`, or None when it is not exactly one
    positional argument (errors say why)."""
    b = _Builder(body, errors)
    node = call.node
    assert isinstance(node, ast.Call), "parse hands over calls"
    what = f"@nni.{call.written}"
    before = len(errors)
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            b.fail(call, arg, f"{what} cannot unpack {quote(ast.unparse(arg))}; report one value")
    for keyword in node.keywords:
        b.fail(call, keyword, f"{what} takes no keyword arguments, not {quote(ast.unparse(keyword))}")
    if len(node.args) != 1 and len(errors) == before:
        where = node.args[1] if len(node.args) > 1 else node
        b.fail(call, where, f"{what} takes exactly one argument, the value to report ({len(node.args)} given)")
    if len(errors) > before:
        return None
    return Report(REPORTS[call.written], b.expression(call, node.args[0]))


def _input_num(b: _Builder, value: FieldValue, count: int, has_candidates: bool) -> tuple[int, int] | None:
    node = value.node
    try:
        literal = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        literal = None
    if _is_int(literal):
        lo = hi = literal
    elif isinstance(literal, (list, tuple)) and len(literal) == 2 and all(_is_int(x) for x in literal):
        lo, hi = literal
    else:
        b.fail(value, node, f"input_num must be an int k or a range [lo, hi], not {quote(value.text)}")
        return None
    if not has_candidates and hi > 0:
        b.fail(value, node, "input_num is given but there are no input_candidates to choose from")
        return None
    if lo < 0:
        b.fail(value, node, f"input_num cannot be negative: {quote(value.text)}")
        return None
    if lo > hi:
        b.fail(value, node, f"input_num [{lo}, {hi}] is an empty range: lo must not exceed hi")
        return None
    if hi > count:
        b.fail(value, node, f"input_num {quote(value.text)} asks for more inputs than the {count} input candidate(s)")
        return None
    return lo, hi


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def duplicate_keys(layers: list[MutableLayer]) -> Errors:
    """Two layers of one module with one key: an error at the second, naming the first."""
    errors: Errors = []
    first: dict[str, MutableLayer] = {}
    for layer in layers:
        if layer.key in first:
            other = first[layer.key].pos
            errors.append(
                (
                    layer.pos,
                    f"two layers have the key '{layer.key}' (the other is at line {other.line}); "
                    "give one of them a 'name:' field",
                )
            )
        else:
            first[layer.key] = layer
    return errors

"""Validation: turning drafts into typed mutable layers, reports and hyperparameters, with a
diagnostic for every problem."""

from __future__ import annotations

import ast
import difflib
import math
import re
from typing import Any, Sequence

from .choice import BOUNDED, DISTRIBUTIONS, FUNCTION_CHOICE
from .locate import Body
from .model import (
    Argument, Call, Expression, Hyperparameter, MutableLayer, Option, Pos, Region, Report, TrainingUpdate, is_reference, label, quote,
)
from .parse import Draft, FieldValue
from .source import Source

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
        if not is_reference(func):
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


def _pure(node: ast.expr) -> bool:
    if isinstance(node, (ast.Name, ast.Constant)) or (isinstance(node, ast.Attribute) and is_reference(node)):
        return True
    return not any(isinstance(n, _IMPURE) for n in ast.walk(node))


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
        if is_reference(value.node):
            output = b.expression(value, value.node)
        else:
            b.fail(value, value.node, "layer_output must be a name, or an attribute such as self.out")

    name = None
    if "name" in fields:
        value = fields["name"]
        node = value.node
        written = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        if is_reference(node):
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


def duplicate_keys(items: Sequence[MutableLayer | Hyperparameter]) -> Errors:
    """Two layers or hyperparameters of one module with one key: an error at the second, naming the first."""
    errors: Errors = []
    first: dict[str, MutableLayer | Hyperparameter] = {}
    for item in items:
        if item.key in first:
            line = first[item.key].pos.line
            if isinstance(item, MutableLayer) and isinstance(first[item.key], MutableLayer):
                message = f"two layers have the key '{item.key}' (the other is at line {line}); give one of them a 'name:' field"
            else:
                message = f"two annotations have the key '{item.key}' (the other is at line {line}); rename one of them"
            errors.append((item.pos, message))
        else:
            first[item.key] = item
    return errors


# the nodes that open a scope of their own inside a statement
_SCOPES = (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

# expressions that stay one operand without parentheses
_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Constant, ast.Subscript, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp)


def _number(node: ast.expr) -> int | float | None:
    """The value of a real-number literal (`3`, `-0.5`, `1e-3`), or None (bools are not numbers)."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * node.value
    return None


class _Param:
    """Builds one `@nni.variable` or `@nni.function_choice`, recording problems."""

    def __init__(self, call: FieldValue, body: Body, source: Source, errors: Errors) -> None:
        self.call = call
        self.b = _Builder(body, errors)
        self.source = source
        self.errors = errors
        self.what = f"@nni.{call.written}"

    def fail(self, node: ast.AST, message: str) -> None:
        self.b.fail(self.call, node, message)

    def written(self, node: ast.expr) -> str:
        """`node` as the annotation writes it."""
        return ast.get_source_segment(self.call.text, node) or ast.unparse(node)

    def region(self, node: ast.AST) -> Region:
        """Where `node` of the user's file is, with character columns."""
        line, end_line = node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]
        char_col = self.source.char_col
        return Region(line, char_col(line, node.col_offset), end_line, char_col(end_line, node.end_col_offset or 0))  # type: ignore[attr-defined]

    def at_statement(self, node: ast.stmt, message: str) -> None:
        region = self.region(node)
        self.errors.append((Pos(region.line, region.col + 1), message))

    def arguments(self, node: ast.Call, reference_only: bool) -> tuple[list[ast.expr], str | None, ast.expr | None]:
        """The positional arguments, and the `name=` (canonical, and as a node)."""
        name = name_node = None
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.fail(arg, f"{self.what} cannot unpack {quote(ast.unparse(arg))}; list each item")
        for keyword in node.keywords:
            if keyword.arg != "name":
                hint = "; an option is an expression, not an assignment" if reference_only and keyword.arg else ""
                self.fail(keyword, f"{self.what} takes only the keyword argument name=, not {quote(ast.unparse(keyword))}{hint}")
                continue
            name_node = keyword.value
            allowed = is_reference(name_node) or (not reference_only and isinstance(name_node, (ast.Attribute, ast.Subscript)))
            if allowed:
                name = label(name_node)
            elif reference_only:
                self.fail(name_node, "name must be an identifier such as name=pool (dots allowed)")
            else:
                self.fail(name_node, "name must be the variable the next statement assigns, such as name=learning_rate")
        if name_node is None:
            self.fail(node, f"{self.what} needs name=, the {'variable it assigns' if not reference_only else 'name of the choice'}")
        return [a for a in node.args if not isinstance(a, ast.Starred)], name, name_node

    def option(self, node: ast.expr) -> Option:
        """An option as the search space and the generated code show it."""
        text = self.written(node)
        number = _number(node)
        if number is not None:
            value: int | float | str = number
        elif isinstance(node, ast.Constant) and type(node.value) is str:
            value = node.value
        else:
            value = label(node)
        if "\n" in text or "\r" in text:
            text = label(node)
        literal = number is not None or isinstance(node, ast.Constant) and type(node.value) is str
        atom = literal or isinstance(node, _ATOMS)
        return Option(value, text, literal, atom, self.b.offset(self.call, node))

    def confined(self, nodes: list[ast.expr], sites: list[ast.Call]) -> None:
        """An option using `await`, `yield` or `:=` cannot replace a call that stands in a
        lambda, comprehension, function or class of the target statement (`sites`)."""
        for node in nodes if sites else ():
            word = _scope_bound(node)
            if word is not None:
                site = self.region(sites[0])
                message = (
                    f"the option {quote(label(node))} uses {quote(word)}, so it cannot replace {quote(label(sites[0]))} at line "
                    f"{site.line}, column {site.col + 1}, inside a lambda, comprehension or function of the next statement; "
                    "compute it in a statement before the annotation"
                )
                self.fail(node, message)

    def options(self, nodes: list[ast.expr], what: str) -> tuple[Option, ...]:
        options = tuple(self.option(node) for node in nodes)
        seen: dict[tuple[bool, Any], Option] = {}
        for option in options:
            key = (isinstance(option.label, str), option.label)
            if key in seen:
                first = self.b.body.pos(self.call.offset + seen[key].offset)
                message = f"duplicate {what} {quote(str(option.label))} (also at line {first.line}, column {first.col})"
                self.errors.append((self.b.body.pos(self.call.offset + option.offset), message))
            else:
                seen[key] = option
        return options

    def distribution(self, node: ast.expr) -> tuple[str, tuple[int | float, ...], tuple[Option, ...]] | None:
        """The distribution `nni.<dist>(args)` of a variable: its name, numbers and options."""
        func = node.func if isinstance(node, ast.Call) else None
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "nni"):
            self.fail(node, f"the value of @nni.variable must be a distribution such as nni.choice(...), not {quote(ast.unparse(node))}")
            return None
        assert isinstance(node, ast.Call)
        dist = func.attr
        if dist not in DISTRIBUTIONS:
            close = difflib.get_close_matches(dist, list(DISTRIBUTIONS), n=1)
            hint = f"; did you mean 'nni.{close[0]}'?" if close else f"; distributions are {', '.join(DISTRIBUTIONS)}"
            self.fail(node, f"unknown distribution 'nni.{dist}'{hint}")
            return None
        before = len(self.errors)
        for keyword in node.keywords:
            self.fail(keyword, f"nni.{dist} takes no keyword arguments, not {quote(ast.unparse(keyword))}")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.fail(arg, f"nni.{dist} cannot unpack {quote(ast.unparse(arg))}; list each item")
        if len(self.errors) > before:
            return None
        if dist == "choice":
            if not node.args:
                self.fail(node, "nni.choice needs at least one option")
                return None
            options = self.options(node.args, "option")
            return (dist, (), options) if len(self.errors) == before else None
        numbers = self.numbers(dist, node)
        return None if numbers is None else (dist, numbers, ())

    def numbers(self, dist: str, node: ast.Call) -> tuple[int | float, ...] | None:
        """The arguments of a numeric distribution, checked as NNI defines them."""
        names = DISTRIBUTIONS[dist]
        args = node.args
        if len(args) != len(names) and not (dist == "randint" and len(args) == 1):
            usage = "(lower, upper) or (upper)" if dist == "randint" else f"({', '.join(names)})"
            self.fail(node, f"nni.{dist} takes {usage}, not {len(args)} argument(s)")
            return None
        values = []
        for arg in args:
            value = _number(arg)
            if value is None:
                self.fail(arg, f"the arguments of nni.{dist} must be number literals, not {quote(self.written(arg))}")
            elif not math.isfinite(value):
                self.fail(arg, f"the arguments of nni.{dist} must be finite, not {quote(self.written(arg))}")
            values.append(value)
        if any(value is None or not math.isfinite(value) for value in values):
            return None
        if dist == "randint":
            for arg, value in zip(args, values):
                if not isinstance(value, int):
                    self.fail(arg, f"the bounds of nni.randint must be integers, not {quote(self.written(arg))}")
                    return None
            if len(values) == 1:
                values, args = [0, *values], [node, *args]
        at = dict(zip(names, args))
        given = dict(zip(names, values))
        if dist == "randint" and not given["lower"] < given["upper"]:
            self.fail(at["upper"], f"nni.randint needs lower < upper (upper is excluded), not [{given['lower']}, {given['upper']})")
        elif dist in BOUNDED and not given["low"] < given["high"]:
            self.fail(at["high"], f"nni.{dist} needs low < high, not low={given['low']!r}, high={given['high']!r}")
        elif dist in ("loguniform", "qloguniform") and not given["low"] > 0:
            self.fail(at["low"], f"nni.{dist} needs 0 < low, not low={given['low']!r}")
        elif "sigma" in given and not given["sigma"] > 0:
            self.fail(at["sigma"], f"nni.{dist} needs sigma > 0, not {given['sigma']!r}")
        elif "q" in given and not given["q"] > 0:
            self.fail(at["q"], f"nni.{dist} needs q > 0, not {given['q']!r}")
        else:
            return tuple(values)
        return None


def build_param(
    call: FieldValue, body: Body, source: Source, module: str, scope: str, target: ast.stmt | None, errors: Errors
) -> Hyperparameter | None:
    """The hyperparameter of `@nni.variable(nni.<dist>(...), name=x)` or
    `@nni.function_choice(f(a), <any expression>, ..., name=x)` annotating `target`, or None
    when a problem makes it unusable (errors say why)."""
    node = call.node
    assert isinstance(node, ast.Call), "parse hands over calls"
    p = _Param(call, body, source, errors)
    at = body.pos(len(body.text) - len(body.text.lstrip()))
    before = len(errors)
    kind = call.written
    args, name, name_node = p.arguments(node, reference_only=kind == FUNCTION_CHOICE)
    dist, numbers, options = "choice", (), ()
    if kind == "variable":
        if len(args) != 1:
            p.fail(args[1] if len(args) > 1 else node, f"@nni.variable takes one distribution, such as nni.choice(...), and name= ({len(args)} given)")
        made = p.distribution(args[0]) if len(args) == 1 else None
        if made is not None:
            dist, numbers, options = made
    else:
        options = p.options(args, "option")
        calls = [arg for arg in args if isinstance(arg, ast.Call)]
        if not args:
            p.fail(node, "@nni.function_choice lists no options: list the call the next statement makes and its "
                   "alternatives, such as (f(x), g(x), name=op)")
        elif not calls:
            p.fail(node, "@nni.function_choice has no call among its options: list the call the next statement makes "
                   "(such as f(x)); the chosen option replaces it there")
    if target is None:
        errors.append((at, f"{p.what}: annotation has no target statement (the next statement of its block)"))
        return None
    spans: tuple[Region, ...] = ()
    if kind == "variable":
        assigned = _assigned(target)
        if assigned is None:
            p.at_statement(target, f"the statement after @nni.variable must assign {quote(name or 'the variable')}, such as {name or 'x'} = ...")
        elif name is not None and label(assigned[0]) != name:
            p.fail(name_node, f"@nni.variable is named {quote(name)} but the next statement assigns {quote(label(assigned[0]))}")  # type: ignore[arg-type]
        else:
            spans = (p.region(assigned[1]),)
    elif calls:
        found = _occurrences(target, {ast.dump(call) for call in calls})
        spans = tuple(p.region(call) for call, _ in found)
        if not spans:
            listed = ", ".join(label(call) for call in calls)
            errors.append((at, f"@nni.function_choice: none of its calls ({listed}) occurs in the next statement; write one "
                               "of them there, or put the annotation just before the statement that makes it"))
        p.confined(args, [call for call, nested in found if nested])
    if len(errors) > before or name is None:
        return None
    key = f"{module}/{scope}.{name}" if scope else f"{module}/{name}"
    alias = f"{module}/{name}/{FUNCTION_CHOICE if kind == FUNCTION_CHOICE else dist}"
    return Hyperparameter(key, kind, dist, name, numbers, options, spans, alias, at)


def _assigned(statement: ast.stmt) -> tuple[ast.expr, ast.expr] | None:
    """The target and value of an assignment to one target, or None."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        return statement.targets[0], statement.value
    if isinstance(statement, ast.AnnAssign) and statement.value is not None:
        return statement.target, statement.value
    return None


def _occurrences(statement: ast.stmt, dumps: set[str]) -> list[tuple[ast.Call, bool]]:
    """The calls of `statement` whose structure is in `dumps` (outermost ones; not inside
    f-strings, whose positions Python does not always give exactly), in source order, each
    with whether it stands in a scope of its own (a lambda, comprehension, function or class)."""
    found: list[tuple[ast.Call, bool]] = []
    stack: list[tuple[ast.AST, bool]] = [(statement, False)]
    while stack:
        node, nested = stack.pop()
        if isinstance(node, ast.Call) and ast.dump(node) in dumps:
            found.append((node, nested))
        elif not isinstance(node, ast.JoinedStr):
            inner = nested or isinstance(node, _SCOPES)
            stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return sorted(found, key=lambda pair: (pair[0].lineno, pair[0].col_offset))


def _scope_bound(node: ast.expr) -> str | None:
    """The `await`, `yield` or `:=` that `node` uses outside a lambda of its own: moved into
    another scope, it no longer compiles or means something else."""
    stack: list[ast.AST] = [node]
    while stack:
        inner = stack.pop()
        if isinstance(inner, ast.Await):
            return "await"
        if isinstance(inner, (ast.Yield, ast.YieldFrom)):
            return "yield"
        if isinstance(inner, ast.NamedExpr):
            return ":="
        if not isinstance(inner, ast.Lambda):
            stack.extend(ast.iter_child_nodes(inner))
    return None


UPDATE_KEYWORDS = ("validation_data", "state")
NNI_TF1_KEYWORDS = ("tf", "session", "loss", "feed_dict")  # NNI 1's, for its TF1 one-shot modes


def build_training_update(call: FieldValue, body: Body, errors: Errors) -> TrainingUpdate | None:
    """`@nni.training_update(validation_data=(x, y), state=state)`: keywords only, ours and
    NNI's TF1 keywords, each once; None when it is not that (errors say why)."""
    b = _Builder(body, errors)
    node = call.node
    assert isinstance(node, ast.Call), "parse hands over calls"
    before = len(errors)
    known = UPDATE_KEYWORDS + NNI_TF1_KEYWORDS
    for arg in node.args:
        b.fail(call, arg, f"@nni.training_update takes keyword arguments only ({', '.join(known)}), not {quote(ast.unparse(arg))}")
    seen: set[str] = set()
    for keyword in node.keywords:
        if keyword.arg is None:
            b.fail(call, keyword, f"@nni.training_update cannot unpack {quote(ast.unparse(keyword))}; name its keywords")
        elif keyword.arg not in known:
            close = difflib.get_close_matches(keyword.arg, known, n=1, cutoff=0.6)
            hint = f"; did you mean {quote(close[0])}?" if close else f" (it takes {', '.join(known)})"
            b.fail(call, keyword, f"@nni.training_update has no keyword {quote(keyword.arg)}{hint}")
        elif keyword.arg in seen:
            b.fail(call, keyword, f"@nni.training_update is given {quote(keyword.arg)} twice")
        seen.add(keyword.arg or "")
    if len(errors) > before:
        return None
    given = {keyword.arg: keyword.value for keyword in node.keywords}
    validation = b.expression(call, given["validation_data"]) if "validation_data" in given else None
    state = b.expression(call, given["state"]) if "state" in given else None
    return TrainingUpdate(validation, tuple(name for name in NNI_TF1_KEYWORDS if name in given), state)


def build_next_parameter(call: FieldValue, body: Body, errors: Errors) -> None:
    """`@nni.get_next_parameter()` takes no arguments."""
    node = call.node
    assert isinstance(node, ast.Call), "parse hands over calls"
    if node.args or node.keywords:
        where = node.args[0] if node.args else node.keywords[0]
        _Builder(body, errors).fail(call, where, "@nni.get_next_parameter takes no arguments")

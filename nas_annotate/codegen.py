"""Emitting code: the statements of each chosen layer, spliced onto the annotation's own lines.

Every line outside an annotation is copied unchanged; the statements replacing an annotation
occupy its lines (joined with `;` when they outnumber them), so line numbers never move.  A
hyperparameter replaces expressions of the statement it annotates (the assigned value, the
listed calls), in parentheses padded with the newlines they covered; the rest of the
statement is unchanged.
"""

from __future__ import annotations

from typing import Callable, Union

from .choice import Decision
from .model import Annotation, Call, Expression, Hyperparameter, MutableLayer, Region, Report, TrainingUpdate
from .source import Source

TEMP = "_nas_annotate_"
RUNTIME = "__import__('nas_annotate.runtime').runtime"
REPORTING = "__import__('nas_annotate.reporting').reporting"
# the reporting function when nas_annotate is importable, else one that does nothing
_OPTIONAL_REPORTING = (
    "getattr(__import__('importlib.util').util.find_spec('nas_annotate') and " + REPORTING + ", {!r}, lambda value: None)"
)
_DECISION, _ARGS, _CHOSEN = TEMP + "d", TEMP + "a", TEMP + "c"


def _field_order(layer: MutableLayer) -> list[str]:
    """The fields holding expressions, in the order the annotation writes them."""
    holding = {
        "layer_choice": True,
        "fixed_inputs": bool(layer.fixed_inputs),
        "input_candidates": bool(layer.input_candidates),
        "input_aggregate": layer.input_aggregate is not None,
        "post_process": layer.post_process is not None,
    }
    return [name for name in layer.order if holding.get(name)]


def _switch(options: list[str]) -> str:
    """An expression evaluating only the option the run-time decision selects."""
    parts = [f"{option} if {_DECISION}[0] == {i} else" for i, option in enumerate(options[:-1])]
    return " ".join(parts + [options[-1]])


class _LayerCode:
    """The statements of one layer; `decision` None gives the run-time (choice-independent) form.

    Expressions that cannot have side effects are inlined where they are used; the others
    that get evaluated are bound to temporaries in the order the annotation writes them, so
    each runs once, in source order, and only when chosen.
    """

    def __init__(self, layer: MutableLayer, decision: Decision | None) -> None:
        self.layer = layer
        self.decision = decision
        self.names: dict[int, str] = {}
        self.temps: list[str] = []
        self.statements: list[str] = []

    def bind(self, name: str, value: str) -> None:
        self.temps.append(name)
        self.statements.append(f"{name} = {value}")

    def hoist(self, expressions: list[Expression], reused: bool = False) -> None:
        """Bind the expressions that must not be inlined: impure ones, and when `reused`
        (written twice in the output) every one that is more than a name or a literal."""
        for expression in expressions:
            inline = expression.pure and not (reused and type(expression.node).__name__ not in ("Name", "Constant"))
            if not inline and id(expression) not in self.names:
                self.names[id(expression)] = f"{TEMP}{len(self.temps)}"
                self.bind(self.names[id(expression)], expression.label)

    def text(self, expression: Expression) -> str:
        return self.names.get(id(expression), expression.label)

    def call(self, call: Call, first: str) -> str:
        arguments = [first] + [a.prefix + self.text(a.value) for a in call.arguments]
        return f"{call.callee}({', '.join(arguments)})"

    def ask(self, name: str, function: str) -> None:
        """Bind `name` to the runtime's `function` for this layer (its key, labels and range)."""
        layer = self.layer
        lo, hi = layer.input_num
        shape = f"{layer.key!r}, {tuple(layer.choice_labels)!r}, {tuple(layer.input_labels)!r}, {lo}, {hi}"
        self.bind(name, f"{RUNTIME}.{function}({shape})")

    def build(self) -> list[str]:
        layer, decision = self.layer, self.decision
        if decision is None:
            self.ask(_DECISION, "decide")
        for field in _field_order(layer):
            if field == "layer_choice":
                self.candidate_arguments()
            elif field == "fixed_inputs":
                self.hoist(list(layer.fixed_inputs))
            elif field == "input_candidates":
                self.chosen_inputs()
            else:
                helper = layer.input_aggregate if field == "input_aggregate" else layer.post_process
                self.hoist([a.value for a in helper.arguments])  # type: ignore[union-attr]
        if decision is None:
            value = _switch([self.output(candidate) for candidate in layer.layer_choice])
        else:
            value = self.output(layer.layer_choice[decision.layer])
        self.statements.append(f"{layer.layer_output.label} = {value}")
        if decision is None:
            self.statements.append(f"{RUNTIME}.done({layer.key!r})")
        if self.temps:
            self.statements.append("del " + ", ".join(self.temps))
        return self.statements

    def candidate_arguments(self) -> None:
        if self.decision is not None:
            self.hoist([a.value for a in self.layer.layer_choice[self.decision.layer].arguments])
            return
        groups = [[a.value for a in c.arguments if not a.value.pure] for c in self.layer.layer_choice]
        if not any(groups):
            return
        for group in groups:
            for j, expression in enumerate(group):
                self.names[id(expression)] = f"{_ARGS}[{j}]"
        self.bind(_ARGS, _switch(["(" + "".join(e.label + ", " for e in group) + ")" for group in groups]))

    def chosen_inputs(self) -> None:
        candidates = self.layer.input_candidates
        if self.decision is not None:
            chosen = sorted(set(self.decision.inputs))
            reused = self.layer.post_process is not None or len(chosen) < len(self.decision.inputs)
            self.hoist([candidates[i] for i in chosen], reused)
            return
        options = "".join(f"{e.label} if {i} in {_DECISION}[1] else None, " for i, e in enumerate(candidates))
        self.bind(_CHOSEN, f"{RUNTIME}.pick({_DECISION}[1], ({options}))")

    def output(self, candidate: Call) -> str:
        layer = self.layer
        if self.decision is not None:
            chosen = "[" + ", ".join(self.text(layer.input_candidates[i]) for i in self.decision.inputs) + "]"
            again = chosen
        elif layer.input_candidates:
            chosen, again = _CHOSEN, f"[*{_CHOSEN}]"
        else:
            chosen = again = "[]"
        inputs = "[[" + ", ".join(self.text(e) for e in layer.fixed_inputs) + "], " + chosen + "]"
        if layer.input_aggregate is not None:
            inputs = self.call(layer.input_aggregate, inputs)
        out = self.call(candidate, inputs)
        if layer.post_process is not None:
            out = self.call(layer.post_process, f"[{out}, {again}]")
        return out


_SITE, _INPUTS = TEMP + "s", TEMP + "x"


class _SupernetCode(_LayerCode):
    """The supernet form of one layer: every candidate called once, on every input candidate
    (gated by the layer's architecture state), their outputs mixed by it (docs/language.md, "What a layer computes", per
    candidate, with one `input_aggregate` before the candidates and one `post_process` after
    the mix, so a one-hot state computes exactly the chosen form)."""

    def __init__(self, layer: MutableLayer) -> None:
        super().__init__(layer, None)

    def build(self) -> list[str]:
        layer = self.layer
        self.ask(_SITE, "supernet")
        for field in _field_order(layer):
            if field == "layer_choice":
                self.hoist([a.value for c in layer.layer_choice for a in c.arguments])
            elif field == "fixed_inputs":
                self.hoist(list(layer.fixed_inputs))
            elif field == "input_candidates":
                self.bind(_CHOSEN, f"{_SITE}.gate(({''.join(e.label + ', ' for e in layer.input_candidates)}))")
            else:
                helper = layer.input_aggregate if field == "input_aggregate" else layer.post_process
                self.hoist([a.value for a in helper.arguments])  # type: ignore[union-attr]
        chosen = f"[*{_CHOSEN}]" if layer.input_candidates else "[]"
        inputs = "[[" + ", ".join(self.text(e) for e in layer.fixed_inputs) + "], " + chosen + "]"
        if layer.input_aggregate is not None:
            self.bind(_INPUTS, self.call(layer.input_aggregate, inputs))
            inputs = _INPUTS
        outputs = "".join(self.call(candidate, inputs) + ", " for candidate in layer.layer_choice)
        out = f"{_SITE}.mix(({outputs}))"
        if layer.post_process is not None:
            out = self.call(layer.post_process, f"[{out}, {chosen}]")
        self.statements.append(f"{layer.layer_output.label} = {out}")
        self.statements.append("del " + ", ".join(self.temps))
        return self.statements


def layer_statements(layer: MutableLayer, decision: Decision | None, supernet: bool = False) -> list[str]:
    """Python for one layer (docs/language.md, "What a layer computes"): for `decision`, or asking the runtime when it is None;
    `supernet`: the form in which the runtime builds every candidate (one-shot search)."""
    if supernet:
        return _SupernetCode(layer).build()
    return _LayerCode(layer, decision).build()


def report_statement(report: Report, standalone: bool) -> str:
    """Python for a report: a call to `nas_annotate.reporting`; `standalone` code runs without
    nas_annotate installed too, and then reports nothing."""
    function = _OPTIONAL_REPORTING.format(report.function) if standalone else f"{REPORTING}.{report.function}"
    return f"{function}({report.value.label})"


def update_statement(update: TrainingUpdate) -> str:
    """Python for a training update in the supernet form: the net acts there. NNI's TF1
    keywords are named, not evaluated."""
    args = [f"validation_data=({update.validation.label})"] if update.validation is not None else []
    if update.state is not None:
        args.append(f"state=({update.state.label})")
    if update.unused:
        args.append(f"unused={update.unused!r}")
    return f"{RUNTIME}.training_update({', '.join(args)})"


def loop_statement(update: TrainingUpdate) -> str:
    """Python for a training update in the run-time form: where a trial that inherits its
    parent's weights takes them in a loop of its own (the JAX loop's state given, nothing else
    evaluated)."""
    return f"{RUNTIME}.training_update(" + (f"state=({update.state.label})" if update.state is not None else "") + ")"


def param_value(param: Hyperparameter, decision: float | None) -> str:
    """The expression replacing a hyperparameter's value: for `decision` (an option's index, or
    the number), or asking the runtime when it is None. Always in parentheses."""
    if decision is not None:
        text = param.options[int(decision)].text if param.options else repr(decision)
        return f"({text})"
    if param.literal:
        args = param.labels if param.options else param.args
        return f"({RUNTIME}.value({param.key!r}, {param.dist!r}, {tuple(args)!r}, {param.alias!r}))"
    index = f"{RUNTIME}.index({param.key!r}, {param.labels!r}, {param.alias!r})"
    options = [option.text if option.atom else f"({option.text})" for option in param.options]
    if len(options) == 1:
        return f"(({index}, {options[0]})[1])"
    chain = [f"{option} if {index} == {i} else " for i, option in enumerate(options[:-1])]
    return "(" + "".join(chain) + options[-1] + ")"


# a replacement: an annotation's region by statements (with their indentation), or a span of
# a statement by an expression (indentation None)
Replacement = tuple[Region, Union[str, None], Union[list[str], str]]


def splice(source: Source, replacements: list[Replacement]) -> str:
    """The source text with each annotation region replaced by statements, and each span by an
    expression, on the same lines."""
    lines = list(source.lines)
    for region, indent, new in sorted(replacements, key=lambda r: (r[0].line, r[0].col), reverse=True):
        if indent is None:
            _replace_span(lines, region, new)  # type: ignore[arg-type]
        else:
            _place(lines, region, indent, new)  # type: ignore[arg-type]
    return "".join(lines)


def _replace_span(lines: list[str], region: Region, text: str) -> None:
    """Replace the characters of `region` by `text` (one line); when they spanned lines, their
    line endings go before the closing parenthesis of `text`, so every line keeps its number."""
    first, last = region.line - 1, region.end_line - 1
    head, tail = lines[first][: region.col], lines[last][region.end_col :]
    if first == last:
        lines[first] = head + text + tail
        return
    lines[first] = head + text[:-1] + _ending(lines[first])
    for i in range(first + 1, last):
        lines[i] = _ending(lines[i])
    lines[last] = text[-1] + tail


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _edges(lines: list[str], region: Region) -> tuple[str, str]:
    """The text before an annotation on its first line, and after it on its last line."""
    return lines[region.line - 1][: region.col], lines[region.end_line - 1].rstrip("\r\n")[region.end_col :]


def _place(lines: list[str], region: Region, indent: str, statements: list[str]) -> None:
    first, last = region.line - 1, region.end_line - 1
    prefix, suffix = _edges(lines, region)
    count = last - first + 1
    endings = [_ending(lines[i]) for i in range(first, last + 1)]
    if not prefix.strip() and (not suffix.strip() or suffix.lstrip().startswith("#")):
        rows = statements
        if len(rows) > count:
            rows = rows[: count - 1] + ["; ".join(rows[count - 1 :])]
        new = [indent + row for row in rows] + [""] * (count - len(rows))
        if suffix.strip():
            new[-1] = new[-1] + suffix if new[-1] else indent + suffix.lstrip()
    elif count == 1:
        new = [prefix + "; ".join(statements) + suffix]
    else:
        new = [prefix + "; ".join(statements) + " \\"] + ["\\"] * (count - 2) + [suffix]
    for i in range(count):
        lines[first + i] = new[i] + endings[i]


def expand_annotations(
    source: Source,
    annotations: list[Annotation],
    decide: Callable[[MutableLayer | Hyperparameter], Decision | int | float] | None,
    supernet: bool = False,
) -> str:
    """The source with every annotation replaced by its code: for the decisions of `decide`,
    or the run-time form when it is None (its layers in the supernet form with `supernet`)."""
    replacements: list[Replacement] = []
    for annotation in annotations:
        statements = [
            s
            for layer in annotation.layers
            for s in layer_statements(layer, decide(layer) if decide else None, supernet)  # type: ignore[arg-type]
        ]
        statements += [report_statement(report, decide is not None) for report in annotation.reports]
        if annotation.kind == "get_next_parameter":
            statements.append("None" if decide else f"{RUNTIME}.get_next_parameter()")
        if annotation.update is not None:
            statements.append(update_statement(annotation.update) if supernet else "None" if decide else loop_statement(annotation.update))
        replacements.append((annotation.region, annotation.indent, statements or ["pass"]))
        for param in annotation.params:
            value = param_value(param, decide(param) if decide else None)  # type: ignore[arg-type]
            replacements.extend((span, None, value) for span in param.spans)
    return splice(source, replacements)

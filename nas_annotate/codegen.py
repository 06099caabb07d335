"""Emitting code: the statements of each chosen layer, spliced onto the annotation's own lines.

Every line outside an annotation is copied unchanged; the statements replacing an annotation
occupy its lines (joined with `;` when they outnumber them), so line numbers never move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .model import Annotation, Call, Expression, MutableLayer, Region
from .source import Source

TEMP = "_nas_annotate_"


@dataclass(frozen=True)
class Decision:
    """The choice for one layer: the candidate's index and the chosen inputs' indices, in order."""

    layer: int
    inputs: tuple[int, ...]


class _Temps:
    """Binds impure expressions to temporaries, in source order, so each is evaluated once."""

    def __init__(self, expressions: list[Expression]) -> None:
        impure = sorted({id(e): e for e in expressions if not e.pure}.values(), key=lambda e: (e.pos.line, e.pos.col))
        self.names = {id(e): f"{TEMP}{i}" for i, e in enumerate(impure)}
        self.statements = [f"{self.names[id(e)]} = {e.label}" for e in impure]

    def text(self, expression: Expression) -> str:
        return self.names.get(id(expression), expression.label)

    def call(self, call: Call, first: str) -> str:
        arguments = [first] + [a.prefix + self.text(a.value) for a in call.arguments]
        return f"{call.callee}({', '.join(arguments)})"


def layer_statements(layer: MutableLayer, decision: Decision) -> list[str]:
    """Plain Python for one layer under one decision (SPEC §4)."""
    candidate = layer.layer_choice[decision.layer]
    chosen = [layer.input_candidates[i] for i in decision.inputs]
    evaluated = [a.value for a in candidate.arguments] + list(layer.fixed_inputs) + chosen
    for helper in (layer.input_aggregate, layer.post_process):
        if helper is not None:
            evaluated += [a.value for a in helper.arguments]
    temps = _Temps(evaluated)
    chosen_list = "[" + ", ".join(temps.text(e) for e in chosen) + "]"
    inputs = "[[" + ", ".join(temps.text(e) for e in layer.fixed_inputs) + "], " + chosen_list + "]"
    if layer.input_aggregate is not None:
        inputs = temps.call(layer.input_aggregate, inputs)
    out = temps.call(candidate, inputs)
    if layer.post_process is not None:
        out = temps.call(layer.post_process, f"[{out}, {chosen_list}]")
    statements = temps.statements + [f"{layer.layer_output.label} = {out}"]
    if temps.statements:
        statements.append("del " + ", ".join(temps.names.values()))
    return statements


def splice(source: Source, replacements: list[tuple[Region, str, list[str]]]) -> str:
    """The source text with each region replaced by statements, on the same lines."""
    lines = list(source.lines)
    for region, indent, statements in replacements:
        _place(lines, region, indent, statements)
    return "".join(lines)


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _place(lines: list[str], region: Region, indent: str, statements: list[str]) -> None:
    first, last = region.line - 1, region.end_line - 1
    prefix = lines[first][: region.col]
    body_last = lines[last].rstrip("\r\n")
    suffix = body_last[region.end_col :]
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
    source: Source, annotations: list[Annotation], decide: Callable[[MutableLayer], Decision]
) -> str:
    """The source with every annotation replaced by the code of its layers' decisions."""
    replacements = []
    for annotation in annotations:
        statements = [s for layer in annotation.layers for s in layer_statements(layer, decide(layer))]
        replacements.append((annotation.region, annotation.indent, statements or ["pass"]))
    return splice(source, replacements)

"""The typed model of annotations: what the parser builds and every emitter reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ast


@dataclass(frozen=True)
class Pos:
    """A position in a user's file: 1-based line and 1-based column."""

    line: int
    col: int


@dataclass(frozen=True)
class Expression:
    """A Python expression written in an annotation, with its canonical label and its offset
    within its field's text (positions are worked out only for diagnostics).

    `pure` is true when it contains no call, await, yield or assignment expression, so
    evaluating it has no side effect and it may be inlined where it is used.
    """

    label: str
    node: ast.expr
    offset: int
    pure: bool


@dataclass(frozen=True)
class Argument:
    """One argument of a candidate call: `prefix` is '', '*', '**' or 'name='."""

    prefix: str
    value: Expression


@dataclass(frozen=True)
class Call:
    """A candidate, `input_aggregate` or `post_process`: `f(a, k=v)` or the bare reference `f`."""

    label: str
    callee: str
    arguments: tuple[Argument, ...]
    offset: int  # within its field's text


@dataclass(frozen=True)
class MutableLayer:
    """One mutable layer: the candidates, the inputs and where the result goes."""

    key: str
    layer_choice: tuple[Call, ...]
    fixed_inputs: tuple[Expression, ...]
    input_candidates: tuple[Expression, ...]
    input_num: tuple[int, int]
    input_aggregate: Call | None
    post_process: Call | None
    layer_output: Expression
    name: str | None
    pos: Pos
    order: tuple[str, ...]  # the fields, in the order the annotation writes them

    @property
    def choice_labels(self) -> list[str]:
        return [c.label for c in self.layer_choice]

    @property
    def input_labels(self) -> list[str]:
        return [e.label for e in self.input_candidates]


@dataclass(frozen=True)
class Report:
    """A report annotation: `function` is the `nas_annotate.reporting` function it calls
    ('intermediate' or 'final') with `value`."""

    function: str
    value: Expression


@dataclass(frozen=True)
class Region:
    """The characters an annotation occupies: from (line, col) to (end_line, end_col), 0-based cols."""

    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class Annotation:
    """One annotation in a file (a string statement or a comment block): its `kind`
    ('mutable_layer' or 'report') and what it declares, its layers or its report."""

    kind: str
    form: str
    region: Region
    indent: str
    scope: str
    layers: tuple[MutableLayer, ...] = ()
    reports: tuple[Report, ...] = ()


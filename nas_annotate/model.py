"""The typed model of annotations: what the parser builds and every emitter reads, and the
canonical spelling that labels expressions (shared with choice documents, which the runtime
reads without loading the compiler)."""

from __future__ import annotations

import ast
from dataclasses import dataclass


def label(node: ast.expr) -> str:
    """The canonical spelling of an expression: `ast.unparse`, with fast paths for the usual shapes."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and is_reference(node):
        return f"{label(node.value)}.{node.attr}"
    if isinstance(node, ast.Call) and is_reference(node.func):
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


def quote(text: str) -> str:
    """`text` in quotes for a message: single quotes, or double ones when it holds a single quote."""
    return f'"{text}"' if "'" in text and '"' not in text else f"'{text}'"


def is_reference(node: ast.expr) -> bool:
    """Whether `node` is a name or a dotted name (`f`, `mod.f`)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


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
class Option:
    """An option of `nni.choice` or a call of `nni.function_choice`.

    `label` is what the search space and choices call it: a number or string literal's value,
    else its canonical spelling; `text` is the source as written (on one line, else the
    canonical spelling), which the generated code pastes; `atom` says it needs no parentheses
    as an operand; `offset` is within the annotation's call.
    """

    label: int | float | str
    text: str
    literal: bool
    atom: bool
    offset: int


@dataclass(frozen=True)
class Hyperparameter:
    """`@nni.variable` (`kind` 'variable') or `@nni.function_choice` (`kind` 'function_choice').

    `dist` is the distribution ('choice', 'uniform', ...; 'choice' for a function choice), `args`
    its numbers (randint's as [lower, upper]), `options` the choice's options or the listed
    calls; `spans` are the file regions the value replaces in the target statement: the
    right-hand side, or each occurrence of a listed call. `alias` is NNI's key for it.
    """

    key: str
    kind: str
    dist: str
    name: str
    args: tuple[int | float, ...]
    options: tuple[Option, ...]
    spans: tuple[Region, ...]
    alias: str
    pos: Pos

    @property
    def labels(self) -> tuple[int | float | str, ...]:
        return tuple(option.label for option in self.options)

    @property
    def values(self) -> list[int | float | str]:
        """The search space's `_value`: the options' labels, or the distribution's numbers."""
        return list(self.labels) if self.options else list(self.args)

    @property
    def literal(self) -> bool:
        """A numeric distribution, or a choice among literals only: its value is data."""
        return self.kind == "variable" and all(option.literal for option in self.options)


@dataclass(frozen=True)
class Region:
    """The characters an annotation occupies: from (line, col) to (end_line, end_col), 0-based cols."""

    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class TrainingUpdate:
    """`@nni.training_update(...)`, placed after a training step of the script's own loop:
    where one-shot search acts in it. `validation` is the `validation_data=` given; `state` the
    `state=` (a JAX loop's own state); `unused` names NNI 1's TF1 keywords given (`tf`,
    `session`, `loss`, `feed_dict`), taken and unused."""

    validation: Expression | None
    unused: tuple[str, ...] = ()
    state: Expression | None = None


@dataclass(frozen=True)
class Annotation:
    """One annotation in a file (a string statement or a comment block): its `kind`
    ('mutable_layer', 'report', 'variable', 'function_choice', 'get_next_parameter' or
    'training_update') and what it declares: its layers, its report, its hyperparameter or its
    training update."""

    kind: str
    form: str
    region: Region
    indent: str
    scope: str
    layers: tuple[MutableLayer, ...] = ()
    reports: tuple[Report, ...] = ()
    params: tuple[Hyperparameter, ...] = ()
    update: TrainingUpdate | None = None


"""The compiler's pipeline for one file: locate → parse → validate, giving an `Analysis`."""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

from .diagnostics import Diagnostic
from .locate import locate_tree
from .model import Annotation, Hyperparameter, MutableLayer, Pos, Region
from .parse import parse_body
from .source import Source
from .validate import build_layer, build_next_parameter, build_param, build_report, build_training_update, duplicate_keys


@dataclass
class Analysis:
    """What the compiler knows about one file: its annotations, or why it cannot know."""

    source: Source
    module: str
    annotations: list[Annotation]
    diagnostics: list[Diagnostic]
    tree: ast.Module | None = None  # the file's `ast` module, when it has a marker and parses

    @property
    def layers(self) -> list[MutableLayer]:
        return [layer for annotation in self.annotations for layer in annotation.layers]

    @property
    def params(self) -> list[Hyperparameter]:
        """The variables and function choices, in source order."""
        return [param for annotation in self.annotations for param in annotation.params]

    @property
    def keys(self) -> list[str]:
        """Every key of the file (layers, then hyperparameters), and NNI's keys of its hyperparameters."""
        params = self.params
        return [layer.key for layer in self.layers] + [p.key for p in params] + [p.alias for p in params]


def analyse(source: Source, module: str) -> Analysis:
    """Locate, parse and validate every annotation of `source`; collect all problems.

    Python's own warnings about the user's code (such as invalid escapes) are left to Python,
    which gives them when the code runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.11's invalid escapes
        return _analyse(source, module)


def _analyse(source: Source, module: str) -> Analysis:
    raw_annotations, diagnostics, tree = locate_tree(source)
    annotations: list[Annotation] = []
    expressions: dict = {}
    built: dict = {}
    for raw in raw_annotations:
        parsed = parse_body(raw.body, raw.form == "string", expressions, raw.context)
        errors = list(parsed.errors)
        layers = []
        for draft in parsed.drafts:
            layer = build_layer(draft, raw.body, module, raw.scope, errors, built)
            if layer is not None:
                layers.append(layer)
        reports = []
        params = []
        update = None
        if parsed.call is not None and raw.kind == "report":
            report = build_report(parsed.call, raw.body, errors)
            if report is not None:
                reports.append(report)
        elif parsed.call is not None and raw.kind == "get_next_parameter":
            build_next_parameter(parsed.call, raw.body, errors)
        elif parsed.call is not None and raw.kind == "training_update":
            update = build_training_update(parsed.call, raw.body, errors)
        elif parsed.call is not None:
            param = build_param(parsed.call, raw.body, source, module, raw.scope, raw.target, errors)
            if param is not None:
                params.append(param)
        diagnostics.extend(source.diagnostic(pos.line, pos.col, message) for pos, message in errors)
        region = raw.region
        if raw.form == "comment":
            last = raw.body.pos(max(parsed.end - 1, 0)).line
            region = Region(region.line, region.col, last, len(source.line(last)))
        annotations.append(
            Annotation(raw.kind, raw.form, region, raw.indent, raw.scope, tuple(layers), tuple(reports), tuple(params), update)
        )
    keyed = [item for annotation in annotations for item in (*annotation.layers, *annotation.params)]
    problems = duplicate_keys(keyed) + _overlaps([p for a in annotations for p in a.params])
    diagnostics.extend(source.diagnostic(pos.line, pos.col, message) for pos, message in problems)
    return Analysis(source, module, annotations, diagnostics, tree)


def _overlaps(params: list[Hyperparameter]) -> list[tuple[Pos, str]]:
    """Code that two annotations would both replace (a function choice's statement holding an
    annotated assignment that uses a listed call): an error at the later annotation."""
    spans = sorted(((span, param) for param in params for span in param.spans), key=lambda pair: (pair[0].line, pair[0].col))
    problems = []
    for (before, first), (after, second) in zip(spans, spans[1:]):
        if (after.line, after.col) < (before.end_line, before.end_col) and first is not second:
            later, other = (first, second) if (first.pos.line, first.pos.col) > (second.pos.line, second.pos.col) else (second, first)
            message = f"this annotation replaces code that the annotation at line {other.pos.line} replaces too"
            problems.append((later.pos, message))
    return problems

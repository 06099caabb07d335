"""The compiler's pipeline for one file: locate → parse → validate, giving an `Analysis`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from .diagnostics import Diagnostic
from .locate import locate
from .model import Annotation, MutableLayer, Region
from .parse import parse_body
from .source import Source
from .validate import build_layer, build_report, duplicate_keys


@dataclass
class Analysis:
    """What the compiler knows about one file: its annotations, or why it cannot know."""

    source: Source
    module: str
    annotations: list[Annotation]
    diagnostics: list[Diagnostic]

    @property
    def layers(self) -> list[MutableLayer]:
        return [layer for annotation in self.annotations for layer in annotation.layers]


def analyse(source: Source, module: str) -> Analysis:
    """Locate, parse and validate every annotation of `source`; collect all problems.

    Python's own warnings about the user's code (such as invalid escapes) are left to Python,
    which gives them when the code runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return _analyse(source, module)


def _analyse(source: Source, module: str) -> Analysis:
    raw_annotations, diagnostics = locate(source)
    annotations: list[Annotation] = []
    expressions: dict = {}
    built: dict = {}
    for raw in raw_annotations:
        parsed = parse_body(raw.body, raw.form == "string", expressions)
        errors = list(parsed.errors)
        layers = []
        for draft in parsed.drafts:
            layer = build_layer(draft, raw.body, module, raw.scope, errors, built)
            if layer is not None:
                layers.append(layer)
        reports = []
        if parsed.call is not None and raw.kind == "report":
            report = build_report(parsed.call, raw.body, errors)
            if report is not None:
                reports.append(report)
        diagnostics.extend(source.diagnostic(pos.line, pos.col, message) for pos, message in errors)
        region = raw.region
        if raw.form == "comment":
            last = raw.body.pos(max(parsed.end - 1, 0)).line
            region = Region(region.line, region.col, last, len(source.line(last)))
        annotations.append(Annotation(raw.kind, raw.form, region, raw.indent, raw.scope, tuple(layers), tuple(reports)))
    layers = [layer for annotation in annotations for layer in annotation.layers]
    diagnostics.extend(source.diagnostic(pos.line, pos.col, message) for pos, message in duplicate_keys(layers))
    return Analysis(source, module, annotations, diagnostics)

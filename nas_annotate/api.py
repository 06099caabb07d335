"""The library API the CLI is a thin shell over: check, extract and expand files."""

from __future__ import annotations

from typing import Iterable

from .choice import ChoiceDocument, load_choice, resolve
from .codegen import expand_annotations
from .diagnostics import CompileError, Diagnostic
from .files import python_files
from .importhook import mentions_marker
from .keys import module_name
from .lint import lint_files
from .locate import has_annotations, syntax_errors
from .pipeline import Analysis, analyse
from .source import Source
from .space import render

def analyse_file(path: str, module: str | None = None) -> Analysis:
    """Read and analyse one file; its module name comes from its place among packages."""
    source = Source.read(path)
    return analyse(source, module or module_name(path))


def analyse_paths(paths: Iterable[str], parse_all: bool = False) -> tuple[list[Analysis], list[Diagnostic]]:
    """Analyse every annotated file under `paths`; files without a marker are not even decoded,
    unless `parse_all` (what `check` promises: every file's Python syntax is checked too)."""
    analyses: list[Analysis] = []
    diagnostics: list[Diagnostic] = []
    owners: dict[str, tuple[str, int]] = {}
    for path in python_files(paths):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            if not mentions_marker(data):
                if parse_all:
                    diagnostics.extend(syntax_errors(Source.from_bytes(path, data)))
                continue
            analysis = analyse(Source.from_bytes(path, data), module_name(path))
        except OSError as exc:
            diagnostics.append(Diagnostic(path, 0, 0, f"cannot read: {exc.strerror or exc}"))
            continue
        except CompileError as exc:
            diagnostics.extend(exc.diagnostics)
            continue
        if parse_all and not has_annotations(analysis.source.text):
            diagnostics.extend(syntax_errors(analysis.source))
        analyses.append(analysis)
        diagnostics.extend(analysis.diagnostics)
        for item in (*analysis.layers, *analysis.params):
            if item.key in owners and owners[item.key][0] != path:
                other_path, other_line = owners[item.key]
                message = f"the key '{item.key}' is also defined at {other_path}:{other_line}"
                diagnostics.append(analysis.source.diagnostic(item.pos.line, item.pos.col, message))
            elif item.key not in owners:
                owners[item.key] = (path, item.pos.line)
    return analyses, diagnostics


def check(paths: Iterable[str]) -> list[Diagnostic]:
    """Every problem in the files under `paths` (their annotations, and their Python syntax),
    errors and warnings; empty when all is well."""
    try:
        diagnostics = analyse_paths(paths, parse_all=True)[1] + lint_files(python_files(paths))
    except CompileError as exc:
        diagnostics = exc.diagnostics
    return sorted(diagnostics, key=lambda d: (d.path, d.line, d.col))


def extract(paths: Iterable[str], fmt: str = "json") -> str:
    """The search space of every annotated file under `paths`, rendered in `fmt`."""
    analyses, diagnostics = analyse_paths(paths)
    if diagnostics:
        raise CompileError(diagnostics)
    return render(analyses, fmt)


def expand(path: str, choice: ChoiceDocument | str | None) -> bytes:
    """Plain Python for `path` under `choice`: every annotation replaced by the chosen layers and
    hyperparameter values, and reports by calls to `nas_annotate.reporting` that do nothing
    where it is not installed.

    Without a choice, the choice-independent form: each layer asks `nas_annotate.runtime`.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise CompileError([Diagnostic(path, 0, 0, f"cannot read: {exc.strerror or exc}")]) from None
    if not mentions_marker(data):
        return data
    source = Source.from_bytes(path, data)
    if not has_annotations(source.text):
        return data
    analysis = analyse(source, module_name(path))
    if analysis.diagnostics:
        raise CompileError(analysis.diagnostics)
    if choice is None:
        text = expand_annotations(source, analysis.annotations, None)
    else:
        document = load_choice(choice) if isinstance(choice, str) else choice
        decisions = resolve(document, analysis.module, analysis.layers, analysis.params)
        text = expand_annotations(source, analysis.annotations, lambda item: decisions[item.key])
    return source.encode(text)


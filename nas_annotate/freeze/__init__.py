"""`nas-annotate freeze`: an annotated script, or a directory of modules, as the plain Python a
person would have written for one choice (docs/cli.md, "freeze").

Each mutable layer becomes its chosen statement, each hyperparameter its chosen value, report
annotations go (or, with `keep_reports`, become calls of `nas_annotate.reporting`), and the
definitions that only lost candidates used are pruned. Untouched statements are kept byte for
byte. The compiler's own analysis finds the annotations and resolves the choice (so labels,
keys, validation and diagnostics are exactly those of `extract` and `expand`); libcst
parses the file (hollowed, when nothing can be pruned: hollow.py), rewrites it and analyses its
scopes, and untouched code is printed as the file's own text (rewrite.py). Only this package
imports libcst.

    freeze(path, choice) -> bytes                       one file
    freeze_tree(directory, choice) -> [(relative path, bytes)]
    write_tree(outputs, out_dir, sources)               each file atomically
"""

from __future__ import annotations

import contextlib
import gc
import os
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

import libcst as cst

from ..choice import ChoiceDocument, load_choice, resolve
from ..diagnostics import CompileError, Diagnostic
from ..files import atomic_write, python_files
from ..importhook import mentions_marker
from ..keys import module_name
from ..locate import has_annotations, syntax_errors
from ..pipeline import analyse
from ..source import Source
from .bindings import prunable_names
from .exports import ALL, exported_names, imported_by_others
from .hollow import hollowed, pruning_may_run
from .plan import Plan
from .prune import prune

__all__ = ["Options", "freeze", "freeze_files", "freeze_tree", "write_tree", "libcst_syntax"]


@dataclass(frozen=True)
class Options:
    """`keep_reports`: report annotations become calls of `nas_annotate.reporting` instead of
    going; `keep_unused`: definitions only lost candidates used are kept."""

    keep_reports: bool = False
    keep_unused: bool = False


def libcst_syntax() -> str:
    """Which Python syntax the installed libcst reads, as its package says (for messages)."""
    from importlib.metadata import PackageNotFoundError, metadata, version

    try:
        summary, installed = metadata("libcst").get("Summary", ""), version("libcst")
    except PackageNotFoundError:  # pragma: no cover - libcst imported, so installed
        return "libcst"
    import re

    match = re.search(r"Python \d+\.\d+ (?:through|to|-+>?) \d+\.\d+", summary)
    return f"libcst {installed} (which reads {match.group(0)} syntax)" if match else f"libcst {installed}"


def _parse(source: Source, text: str | None = None) -> cst.Module:
    """The file (or `text`, its hollowed form) as libcst's module; what libcst cannot parse is a
    diagnostic."""
    try:
        return cst.parse_module(source.text if text is None else text)
    except cst.ParserSyntaxError as exc:
        line, col = exc.raw_line, exc.raw_column + 1
        reason = str(exc.message).removeprefix("parser error: ")
        message = f"freeze cannot rewrite this file: {libcst_syntax()} cannot parse it: {reason}"
        raise CompileError([source.diagnostic(line, col, message)]) from None
    except RecursionError:
        raise CompileError([source.diagnostic(0, 0, "freeze cannot rewrite this file: it is nested too deeply for libcst")]) from None


def _frozen(source: Source, module: str, document: ChoiceDocument, options: Options, exported: frozenset[str] | None) -> str | None:
    """The frozen text of one file, or None when it has no annotation (it stays as it is)."""
    if not has_annotations(source.text):
        return None
    analysis = analyse(source, module)
    if analysis.diagnostics:
        raise CompileError(analysis.diagnostics)
    if not analysis.annotations:
        return None
    decisions = resolve(document, analysis.module, analysis.layers, analysis.params)
    tree = analysis.tree
    assert tree is not None  # a file with annotations parsed
    definable = prunable_names(tree)
    hollow = hollowed(analysis) if options.keep_unused or not pruning_may_run(analysis, definable) else None
    plan = None
    if hollow is not None:
        try:
            plan = Plan(analysis, tree, _parse(source, hollow), decisions, options.keep_reports)
        except CompileError:
            plan = None  # libcst's message is about the file as written
        if plan is not None and not plan.places.exact:
            plan = None  # the file's text cannot stand in for the placeholders
    if plan is None:
        plan = Plan(analysis, tree, _parse(source), decisions, options.keep_reports)
    if not options.keep_unused:
        own = exported_names(tree)
        protected = ALL if own is ALL or exported is ALL else frozenset(own | (exported or frozenset()))
        prune(plan, protected, definable)
    text = plan.rewrite().code
    if source.text.endswith("\r") and not text.endswith("\r"):  # libcst drops the last lone CR
        text += "\r"
    return text


def _load(choice: ChoiceDocument | str | Mapping) -> ChoiceDocument:
    if isinstance(choice, ChoiceDocument):
        return choice
    if isinstance(choice, Mapping):
        import json

        text = json.dumps(choice)
        return ChoiceDocument("<choice>", text, dict(choice))
    return load_choice(choice)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise CompileError([Diagnostic(path, 0, 0, f"cannot read: {exc.strerror or exc}")]) from None


@contextlib.contextmanager
def _without_collector() -> Iterator[None]:
    """No runs of the cyclic garbage collector while trees of tens of thousands of nodes (which
    hold no cycles) are built: it would walk them again and again for nothing (a fifth of
    freeze's time on the benchmark's module). Cycles made meanwhile are collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def freeze_files(
    paths: Iterable[str], choice: ChoiceDocument | str | Mapping, options: Options = Options(), parse_all: bool | None = None
) -> dict[str, bytes]:
    """Every file of `paths` frozen for `choice` (a file without annotations as it is); the
    names each imports from another are kept. `parse_all` (the default for several files):
    a syntax error in a file without annotations is a problem too, as for `check`. Problems of
    all files are raised together."""
    paths = list(paths)
    document = _load(choice)
    datas: dict[str, bytes] = {}
    problems: list[Diagnostic] = []
    for path in paths:
        try:
            datas[path] = _read(path)
        except CompileError as exc:
            problems.extend(exc.diagnostics)
    names = {path: module_name(path) for path in datas}
    if parse_all is None:
        parse_all = len(datas) > 1
    imports = imported_by_others(datas, names) if len(datas) > 1 else {}
    outputs: dict[str, bytes] = {}
    with _without_collector():
        for path, data in datas.items():
            try:
                outputs[path] = _freeze_data(path, data, names[path], document, options, imports.get(names[path]), parse_all)
            except CompileError as exc:
                problems.extend(exc.diagnostics)
    if problems:
        raise CompileError(problems)
    return outputs


def _freeze_data(
    path: str, data: bytes, module: str, document: ChoiceDocument, options: Options, exported: frozenset[str] | None, check: bool
) -> bytes:
    if not mentions_marker(data):
        if check:  # in a tree, every file is read as Python, as `check` reads them
            problems = syntax_errors(Source.from_bytes(path, data))
            if problems:
                raise CompileError(problems)
        return data
    source = Source.from_bytes(path, data)
    text = _frozen(source, module, document, options, exported)
    return data if text is None else source.encode(text)


def freeze(path: str, choice: ChoiceDocument | str | Mapping, options: Options = Options()) -> bytes:
    """`path` frozen for `choice` (a choice document, its path or inline text, or a dict)."""
    return freeze_files([path], choice, options)[path]


def freeze_tree(root: str, choice: ChoiceDocument | str | Mapping, options: Options = Options()) -> list[tuple[str, bytes]]:
    """Every Python file under the directory `root` (as `check` finds them), frozen: pairs of
    (path relative to `root`, content)."""
    paths = python_files([root])
    outputs = freeze_files(paths, choice, options, parse_all=True)
    return [(os.path.relpath(path, root), outputs[path]) for path in paths]


def write_tree(outputs: list[tuple[str, bytes]], out_dir: str, root: str) -> list[str]:
    """Write `freeze_tree`'s outputs under `out_dir`, each file atomically; never over a file of
    `root` (the sources). Returns the paths written."""
    problems = []
    targets = []
    for relative, _ in outputs:
        target = os.path.join(out_dir, relative)
        source = os.path.join(root, relative)
        if os.path.exists(target) and os.path.samefile(target, source):
            problems.append(Diagnostic(target, 0, 0, "refusing to write over the source file; choose another output directory"))
        targets.append(target)
    if problems:
        raise CompileError(problems[:1] if len(problems) > 1 and os.path.samefile(out_dir, root) else problems)
    for target, (_, data) in zip(targets, outputs):
        try:
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
            atomic_write(target, data, os.stat(target).st_mode & 0o7777 if os.path.exists(target) else None)
        except OSError as exc:
            raise CompileError([Diagnostic(target, 0, 0, f"cannot write: {exc.strerror or exc}")]) from None
    return targets

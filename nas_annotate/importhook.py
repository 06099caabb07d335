"""The import hook: annotated modules load in their run-time form, compiled once and cached.

A finder placed first on `sys.meta_path` claims a module only when its source file is one
we were asked to watch *and* contains a marker; everything else loads through the normal
path untouched.  Compiled code is cached beside the normal bytecode, under its own tag, in a
file keyed by a hash of the source, its path and module name, the tool version and the
Python version: any change misses, nothing stale is reused.  The cache is written atomically
(temporary file + rename) and honours `PYTHONDONTWRITEBYTECODE`.  A warm import reads the
source and the cache file and never loads the compiler.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import marshal
import os
import sys
from importlib._bootstrap_external import cache_from_source  # type: ignore[import-not-found]
from types import CodeType, ModuleType
from typing import Any, Iterable, Sequence

from .version import __version__
from .files import atomic_write

MARKERS = (
    b"@nni.mutable_layer",
    b"@nni.report_intermediate_result",
    b"@nni.report_final_result",
    b"@nni.variable",
    b"@nni.function_choice",
    b"@nni.get_next_parameter",
    b"@nni.training_update",
)
_MAGIC = b"NASANN06"  # a new one whenever the generated code changes within a version
FORMS = ("runtime", "supernet")  # the run-time form, and its supernet variant for one-shot search


class AnnotationError(ImportError):
    """An annotated module has problems; `diagnostics` lists them all."""

    def __init__(self, diagnostics: list) -> None:
        from .diagnostics import render_all

        self.diagnostics = diagnostics
        super().__init__(render_all(diagnostics))


def mentions_marker(data: bytes) -> bool:
    """The cheap pre-scan: whether a source holds a marker at all.

    Markers start with '@', which is rare in Python source: going from one '@' to the next (a
    memchr) is cheaper than searching for every marker, while there is less than about one
    '@' per kilobyte; past that, the searches finish the job."""
    find, starts = data.find, data.startswith
    at, budget = find(b"@"), len(data) >> 10
    while at >= 0:
        if starts(MARKERS, at):
            return True
        if budget == 0:
            return any(find(marker, at) >= 0 for marker in MARKERS)
        budget -= 1
        at = find(b"@", at + 1)
    return False


def has_annotations(data: bytes) -> bool:
    """Whether a module's source holds an annotation, and so needs us; most answers come from
    the bytes alone (a marker where a string statement or a comment starts it)."""
    if not mentions_marker(data):
        return False
    for marker in MARKERS:
        at = data.find(marker)
        while at >= 0:
            start = data.rfind(b"\n", 0, at) + 1
            prefix = data[start:at].strip()
            if prefix in (b"", b"#") or prefix.lstrip(b"rRuU") in (b'"""', b"'''", b'"', b"'"):
                return True
            at = data.find(marker, at + 1)
    from .diagnostics import CompileError
    from .locate import locate
    from .source import Source

    try:
        found, problems = locate(Source.from_bytes("<module>", data))
    except CompileError:
        return True
    return bool(found or problems)


def cache_path(path: str, form: str = "runtime") -> str:
    """Where the compiled `form` of `path` is cached: beside its normal bytecode (which
    follows `PYTHONPYCACHEPREFIX`), under our own tag (one file per form)."""
    normal = cache_from_source(path)
    return normal[: -len(".pyc")] + (".nas-annotate.pyc" if form == "runtime" else f".nas-annotate-{form}.pyc")


def _cache_key(path: str, module: str, data: bytes, form: str = "runtime") -> bytes:
    digest = hashlib.sha256()
    python = f"{sys.implementation.cache_tag} {sys.hexversion}".encode()
    for part in (_MAGIC, form.encode(), __version__.encode(), python, os.path.abspath(path).encode(), module.encode()):
        digest.update(part + b"\0")
    digest.update(data)
    return digest.digest()


def _read_cache(path: str, key: bytes, form: str = "runtime") -> tuple[CodeType, list[str]] | None:
    try:
        with open(cache_path(path, form), "rb") as handle:
            blob = handle.read()
    except OSError:
        return None
    header = len(_MAGIC) + len(key)
    if len(blob) < header + 36 or blob[: len(_MAGIC)] != _MAGIC or blob[len(_MAGIC) : header] != key:
        return None
    if hashlib.sha256(blob[header + 32 :]).digest() != blob[header : header + 32]:
        return None
    header += 32
    size = int.from_bytes(blob[header : header + 4], "little")
    try:
        keys = marshal.loads(blob[header + 4 : header + 4 + size])
        code = marshal.loads(blob[header + 4 + size :])
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(code, CodeType) or not isinstance(keys, list):
        return None
    return code, keys


def _write_cache(path: str, key: bytes, code: CodeType, keys: list[str], form: str) -> None:
    if sys.dont_write_bytecode:
        return
    target = cache_path(path, form)
    meta = marshal.dumps(keys)
    body = len(meta).to_bytes(4, "little") + meta + marshal.dumps(code)
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        atomic_write(target, _MAGIC + key + hashlib.sha256(body).digest() + body)
    except OSError:
        pass


def compile_annotated(path: str, module: str, data: bytes, form: str = "runtime") -> tuple[CodeType, list[str]]:
    """The code object of the run-time `form` of `path` (see FORMS) and its keys (layers,
    hyperparameters, and NNI's keys of the hyperparameters), from the cache if fresh."""
    key = _cache_key(path, module, data, form)
    cached = _read_cache(path, key, form)
    if cached is not None:
        return cached
    from .codegen import expand_annotations
    from .diagnostics import CompileError
    from .pipeline import analyse
    from .source import Source

    try:
        source = Source.from_bytes(path, data)
    except CompileError as exc:
        raise AnnotationError(exc.diagnostics) from None
    analysis = analyse(source, module)
    if analysis.diagnostics:
        raise AnnotationError(analysis.diagnostics)
    text = expand_annotations(source, analysis.annotations, None, supernet=form == "supernet")
    code = compile(_whole_lines(text, path, source, analysis.annotations), path, "exec", dont_inherit=True)
    keys = analysis.keys
    _write_cache(path, key, code, keys, form)
    return code, keys


def script_code(path: str, data: bytes) -> CodeType:
    """The code to run a script (`path`, its source `data`) as a main module: its run-time
    form, its keys registered with the runtime, if it holds a marker; else plain Python."""
    if not has_annotations(data):
        return compile(data, path, "exec", dont_inherit=True)
    from . import runtime
    from .keys import module_name

    module = module_name(path)
    code, keys = compile_annotated(path, module, data, runtime.form())
    runtime.register(module, keys)
    return code


def _whole_lines(text: str, path: str, source: Any, annotations: list) -> Any:
    """The generated code's syntax tree, each of its nodes on an annotation's lines or on the
    lines of a value it replaces covering its whole source line: a traceback then shows the
    line without carets that would point into generated code the user never wrote."""
    import ast

    tree = ast.parse(text, filename=path)
    lines = {n for a in annotations for n in range(a.region.line, a.region.end_line + 1)}
    lines.update(n for a in annotations for p in a.params for s in p.spans for n in range(s.line, s.end_line + 1))
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in lines:
            node.col_offset, node.end_lineno = 0, node.lineno  # type: ignore[attr-defined]
            node.end_col_offset = len(source.lines[node.lineno - 1].encode("utf-8"))  # type: ignore[attr-defined]
    return tree


class AnnotationLoader(importlib.machinery.SourceFileLoader):
    """Loads an annotated module from its run-time form.

    Only `get_code` is replaced: importlib's own `exec_module` runs the code, so a traceback
    through an import keeps Python's usual shape (importlib's frames hidden).
    """

    def get_code(self, fullname: str) -> CodeType:  # type: ignore[override]
        from . import runtime
        from .keys import module_name

        module = module_name(self.path)
        code, keys = compile_annotated(self.path, module, self.get_data(self.path), runtime.form())
        runtime.register(module, keys)
        return code


def _excluded_prefixes() -> tuple[str, ...]:
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    package = os.path.dirname(os.path.abspath(__file__))
    return tuple(os.path.join(os.path.realpath(p), "") for p in prefixes | {package})


class AnnotationFinder:
    """Claims the annotated modules under `roots` and in `packages`; nothing else."""

    def __init__(self, roots: Iterable[str] = (), packages: Iterable[str] = ()) -> None:
        self.roots = tuple(os.path.join(os.path.realpath(r), "") for r in roots)
        self.packages = tuple(packages)
        self.excluded = _excluded_prefixes()

    def _watched(self, fullname: str, origin: str) -> bool:
        if any(fullname == p or fullname.startswith(p + ".") for p in self.packages):
            return True
        real = os.path.realpath(origin)
        return real.startswith(self.roots) and not real.startswith(self.excluded)

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None):  # type: ignore[override]
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader) or not spec.origin:
            return None
        if not self._watched(fullname, spec.origin):
            return None
        try:
            with open(spec.origin, "rb") as handle:
                if not has_annotations(handle.read()):
                    return None
        except OSError:
            return None
        spec.loader = AnnotationLoader(fullname, spec.origin)
        return spec


class ImportHook:
    """An installed hook; `uninstall()` (or leaving its `with` block) removes it."""

    def __init__(self, finder: AnnotationFinder) -> None:
        self.finder = finder

    def uninstall(self) -> None:
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)

    def __enter__(self) -> ImportHook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.uninstall()


def install_import_hook(
    packages: Iterable[str] | None = None, choice: str | dict | None = None, roots: Iterable[str] | None = None
) -> ImportHook:
    """Expand annotated modules as they are imported.

    `packages`: module or package names to watch (their submodules too); `roots`: directories
    whose modules are watched (default: the current directory when no packages are named).
    `choice`: a choice document (path, inline text or mapping) handed to the runtime.
    """
    if choice is not None:
        from . import runtime

        runtime.set_choice(choice)
    packages = tuple(packages or ())
    if roots is None:
        roots = () if packages else (os.getcwd(),)
    finder = AnnotationFinder(roots, packages)
    sys.meta_path.insert(0, finder)
    return ImportHook(finder)

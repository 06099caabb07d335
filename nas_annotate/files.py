"""Files: finding the Python files named on a command line, telling cheaply whether one holds
anything for the compiler, and writing outputs all at once (a temporary file, renamed).

Light on purpose: commands given only files without annotations answer from here alone."""

from __future__ import annotations

import os
from typing import Iterable

from .diagnostics import CompileError, Diagnostic



def atomic_write(path: str, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one, never a
    part. The file gets `mode`, or the usual permissions (0o666 less the umask). Raises OSError."""
    directory, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(directory, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise



def write_output(path: str, data: bytes, sources: Iterable[str] = ()) -> None:
    """Write a command's output to `path` all at once, keeping the file's mode; never over one
    of `sources` (the user's files)."""
    for source in sources:
        if os.path.exists(path) and os.path.samefile(path, source):
            raise CompileError([Diagnostic(path, 0, 0, "refusing to write over the source file; choose another output")])
    try:
        atomic_write(path, data, os.stat(path).st_mode & 0o7777 if os.path.exists(path) else None)
    except OSError as exc:
        raise CompileError([Diagnostic(path, 0, 0, f"cannot write: {exc.strerror or exc}")]) from None


_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages"}


def python_files(paths: Iterable[str]) -> list[str]:
    """The files named, and the `.py` files under the directories named, in a stable order."""
    found: list[str] = []
    missing: list[Diagnostic] = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(
                    d
                    for d in dirs
                    if not d.startswith(".") and d not in _SKIP_DIRS and not os.path.exists(os.path.join(root, d, "pyvenv.cfg"))
                )
                found.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(".py"))
        elif os.path.isfile(path):
            found.append(path)
        else:
            missing.append(Diagnostic(path, 0, 0, "no such file or directory"))
    if missing:
        raise CompileError(missing)
    seen: set[str] = set()
    unique = []
    for path in found:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append(path)
    return unique


def nothing_to_compile(paths: Iterable[str]) -> bool:
    """Whether no file of `paths` mentions `@nni.` (no annotation, nothing to warn about), so a
    command can answer without the compiler. Unreadable files are left to the compiler."""
    for path in paths:
        try:
            with open(path, "rb") as handle:
                if b"@nni." in handle.read():
                    return False
        except OSError:
            return False
    return True

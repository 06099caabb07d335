"""The last stage of the compile commands: write what was made (stdout, or a file written
atomically), or print every problem compiler-style and exit 1.  Shared by `cli.py` and
`draw/command.py`."""

from __future__ import annotations

import sys
from typing import Callable, NoReturn

import click


def fail(exc: Exception) -> NoReturn:
    """Print the diagnostics of `exc` (a CompileError) and exit 1."""
    from .diagnostics import render_all

    click.echo(render_all(exc.diagnostics), err=True)  # type: ignore[attr-defined]
    sys.exit(1)


def warn(diagnostics: list) -> None:
    """Print warnings, if any."""
    from .diagnostics import render_all

    if diagnostics:
        click.echo(render_all(diagnostics), err=True)


def produce(make: Callable[[], bytes], output: str | None, sources: tuple[str, ...]) -> None:
    """Write what `make` builds from `sources`, warning about their misspelt markers; on
    errors, print them with the warnings and exit 1."""
    from .diagnostics import CompileError
    from .lint import lint_files

    found = lint_files(sources)
    try:
        data = make()
    except CompileError as exc:
        fail(CompileError(exc.diagnostics + found))
    warn(found)
    emit(data, output, sources)


def pass_through(path: str, output: str | None) -> None:
    """Write a file that has nothing to compile as it is."""
    with open(path, "rb") as handle:
        emit(handle.read(), output, (path,))


def emit(data: bytes, output: str | None, sources: tuple[str, ...]) -> None:
    """`data` to stdout (`output` None or -) or to the file `output`, never one of `sources`."""
    from .diagnostics import CompileError
    from .files import write_output

    if output is None or output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        write_output(output, data, sources)
    except CompileError as exc:
        fail(exc)

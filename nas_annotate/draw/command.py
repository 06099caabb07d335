"""`nas-annotate draw PATH... -o FILE [--choice CHOICE] [--only-chosen]`."""

from __future__ import annotations

import importlib.util
import os

import click

from . import FORMATS


def picture_format(output: str, fmt: str | None) -> str:
    """The format to write: `fmt`, else the output's extension (stdout: svg)."""
    if fmt is not None:
        return fmt
    if output == "-":
        return "svg"
    extension = os.path.splitext(output)[1].lower().lstrip(".")
    if extension not in FORMATS:
        raise click.UsageError(f"cannot tell the format of '{output}' from its extension: name a .svg, .png or .dot file, or give --format")
    return extension


def title_of(paths: tuple[str, ...], choice: str | None) -> str:
    """The picture's title: the paths, and the choice file when there is one."""
    title = " ".join(paths)
    if choice is not None:
        title += f" — choice {choice}" if os.path.isfile(choice) else " — the chosen architecture"
    return title


def main(paths: tuple[str, ...], output: str, choice: str | None, only_chosen: bool, fmt: str | None) -> None:
    """Write the picture, or say in one line why not (exit 1; 2 for usage)."""
    from ..emit import fail, produce
    from ..diagnostics import CompileError
    from ..files import python_files
    from . import draw

    kind = picture_format(output, fmt)
    if only_chosen and choice is None:
        raise click.UsageError("--only-chosen needs --choice")
    if kind == "png" and importlib.util.find_spec("matplotlib") is None:
        raise click.ClickException("drawing a PNG needs matplotlib: pip install 'nas-annotate[search]' (or draw a .svg or .dot)")
    try:
        sources = tuple(python_files(paths))
    except CompileError as exc:
        fail(exc)
    produce(lambda: draw(paths, kind, choice, only_chosen, title_of(paths, choice)), output, sources)

"""The `nas-annotate` command: a thin shell over `nas_annotate.api`, importing it lazily."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from . import __version__


def _fail(exc: Exception) -> NoReturn:
    from .diagnostics import render_all

    click.echo(render_all(exc.diagnostics), err=True)  # type: ignore[attr-defined]
    sys.exit(1)


def _emit(data: bytes, output: str | None, sources: tuple[str, ...]) -> None:
    from .api import write_atomic

    if output is None or output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomic(output, data, sources)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nas-annotate")
def main() -> None:
    """Compile nni.mutable_layer annotations: extract the search space, expand a choice."""


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("-o", "--output", metavar="FILE", help="Write the document here (atomically) instead of stdout.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "yaml", "nni"]), default="json", show_default=True,
    help="json or yaml: our search space; nni: NNI's annotation search space.",
)
def extract(paths: tuple[str, ...], output: str | None, fmt: str) -> None:
    """Print the search space of the annotated files and directories PATH..."""
    from .api import extract as extract_space, python_files
    from .diagnostics import CompileError

    try:
        _emit(extract_space(paths, fmt).encode("utf-8"), output, tuple(python_files(paths)))
    except CompileError as exc:
        _fail(exc)


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
def check(paths: tuple[str, ...]) -> None:
    """Report every problem in the annotations of PATH... (exit 1 if there is one)."""
    from .api import analyse_paths
    from .diagnostics import CompileError

    try:
        analyses, diagnostics = analyse_paths(paths)
    except CompileError as exc:
        _fail(exc)
    if diagnostics:
        _fail(CompileError(diagnostics))
    layers = sum(len(a.layers) for a in analyses)
    files = sum(1 for a in analyses if a.annotations)
    click.echo(f"ok: {layers} mutable layer(s) in {files} annotated file(s)")


@main.command()
@click.argument("file", metavar="FILE")
@click.option("-c", "--choice", metavar="CHOICE", help="A choice document (JSON or YAML file, or inline JSON).")
@click.option("-o", "--output", metavar="OUT", help="Write the expanded file here (atomically) instead of stdout.")
def expand(file: str, choice: str | None, output: str | None) -> None:
    """Print FILE with every annotation replaced by the layers CHOICE selects.

    Without --choice, print the choice-independent form: each layer asks nas_annotate.runtime
    at run time (choice from NAS_ANNOTATE_CHOICE, set_choice() or NNI).
    """
    from .api import expand as expand_file
    from .diagnostics import CompileError

    try:
        _emit(expand_file(file, choice), output, (file,))
    except CompileError as exc:
        _fail(exc)


@main.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("script", metavar="SCRIPT")
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[-- ARGS...]")
@click.option("-c", "--choice", metavar="CHOICE", help="A choice document (JSON or YAML file, or inline JSON).")
@click.option("--sample", type=click.Choice(["first", "random"]), help="Choose layers without a choice document (for quick runs).")
@click.option("--seed", type=int, help="Seed for --sample random.")
@click.option("--package", "packages", multiple=True, metavar="NAME", help="Also expand annotated modules of this package (repeatable).")
def run_command(
    script: str, args: tuple[str, ...], choice: str | None, sample: str | None, seed: int | None, packages: tuple[str, ...]
) -> None:
    """Run SCRIPT as `python SCRIPT ARGS...` would, with its annotations (and those of the
    modules it imports from its directory or --package) expanded for the choice.

    Options for the script itself go after `--`; the choice comes from --choice, else
    NAS_ANNOTATE_CHOICE, else NNI (when run as an NNI trial); --sample fills any gaps.
    """
    from .runner import UsageProblem, main as run_main

    try:
        status = run_main(script, args, choice, sample, seed, packages)
    except UsageProblem as exc:
        raise click.UsageError(str(exc)) from None
    sys.exit(status)


def run(prog_name: str = "nas-annotate") -> None:
    """Run the click command line (the entry point is `nas_annotate.entry.main`)."""
    main.main(prog_name=prog_name)

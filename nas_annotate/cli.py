"""The `nas-annotate` command: a thin shell over `nas_annotate.api`, importing it lazily."""

from __future__ import annotations

import sys

from collections.abc import Callable

import click

from .version import __version__
from .emit import emit, fail, pass_through, produce, warn


class _ScriptCommand(click.Command):
    """A command that runs a script: an option it does not know is a usage error that says
    where the script's own options go (after `--`), with click's "did you mean"."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = _bare_prune(args) if self.name == "search" else args
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            hint = f"options for the script go after `--`: nas-annotate {self.name} [OPTIONS] SCRIPT -- {exc.option_name} ..."
            raise click.UsageError(f"{exc.format_message()}\n{hint}", ctx=exc.ctx) from None


def _bare_prune(args: list[str]) -> list[str]:
    """`--prune` followed by anything but its values is `--prune=median` (click would take the
    script's name for its value)."""
    found = []
    for i, arg in enumerate(args):
        if arg == "--":
            return found + args[i:]
        following = args[i + 1] if i + 1 < len(args) else None
        found.append("--prune=median" if arg == "--prune" and following not in ("median", "hyperband") else arg)
    return found


def _gpu_options(command: Callable[..., None]) -> Callable[..., None]:
    """--gpus, --gpus-per-trial and --trials-per-gpu, as search, table and compare take them."""
    for option in reversed((
        click.option("--gpus", default="all", show_default=True, metavar="all|none|LIST",
                     help="The GPUs trials use: all (CUDA_VISIBLE_DEVICES, else nvidia-smi -L), none, or a list such as 0,2,3."),
        click.option("--gpus-per-trial", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
                     help="GPUs each trial gets."),
        click.option("--trials-per-gpu", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
                     help="Trials that may share one GPU at once."),
    )):
        command = option(command)
    return command


EMPTY_SPACE = b"{}\n"  # the space of files without annotations, in every format

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nas-annotate")
def main() -> None:
    """Compile nni.mutable_layer annotations: extract the search space, expand a choice."""


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("-o", "--output", metavar="FILE", help="Write the document here (atomically) instead of stdout.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "yaml", "nni", "nni-flat"]), default="json", show_default=True,
    help="json or yaml: our search space; nni: NNI's annotation search space; nni-flat: the same flattened for NNI 3's tuners.",
)
def extract(paths: tuple[str, ...], output: str | None, fmt: str) -> None:
    """Print the search space of the annotated files and directories PATH..."""
    from .diagnostics import CompileError
    from .files import nothing_to_compile, python_files

    try:
        sources = tuple(python_files(paths))
    except CompileError as exc:
        fail(exc)
    if nothing_to_compile(sources):  # the empty space, without loading the compiler
        emit(EMPTY_SPACE, output, sources)
        return
    from .api import extract as extract_space

    produce(lambda: extract_space(paths, fmt).encode("utf-8"), output, sources)


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
def check(paths: tuple[str, ...]) -> None:
    """Report every problem in the annotations and the Python syntax of PATH... (exit 1 if
    there is one). Every file is parsed, annotated or not."""
    from .api import analyse_paths
    from .diagnostics import CompileError
    from .files import python_files
    from .lint import lint_files

    try:
        analyses, diagnostics = analyse_paths(paths, parse_all=True)
    except CompileError as exc:
        fail(exc)
    found = lint_files(python_files(paths))
    if diagnostics:
        fail(CompileError(diagnostics + found))
    warn(found)
    layers = sum(len(a.layers) for a in analyses)
    params = sum(len(a.params) for a in analyses)
    files = sum(1 for a in analyses if a.annotations)
    noted = f", {len(found)} warning(s)" if found else ""
    click.echo(f"ok: {layers} mutable layer(s) and {params} hyperparameter(s) in {files} annotated file(s){noted}")


@main.command()
@click.argument("file", metavar="FILE")
@click.option("-c", "--choice", metavar="CHOICE", help="A choice document (JSON or YAML file, or inline JSON).")
@click.option("-o", "--output", metavar="OUT", help="Write the expanded file here (atomically) instead of stdout.")
def expand(file: str, choice: str | None, output: str | None) -> None:
    """Print FILE with every annotation replaced by the layers CHOICE selects.

    Without --choice, print the choice-independent form: each layer asks nas_annotate.runtime
    at run time (choice from NAS_ANNOTATE_CHOICE, set_choice() or NNI).
    """
    from .files import nothing_to_compile

    if nothing_to_compile([file]):  # the file itself (a choice has nothing to choose), without the compiler
        pass_through(file, output)
        return
    from .api import expand as expand_file

    produce(lambda: expand_file(file, choice), output, (file,))


@main.command("freeze")
@click.argument("path", metavar="PATH")
@click.option("-c", "--choice", metavar="CHOICE", required=True, help="A choice document (JSON or YAML file, or inline JSON).")
@click.option("-o", "--output", metavar="OUT", help="Write the frozen file here (atomically) instead of stdout; for a directory PATH, the directory to write its modules into (required).")
@click.option("--keep-reports", is_flag=True, help="Turn report annotations into calls of nas_annotate.reporting instead of dropping them.")
@click.option("--keep-unused", is_flag=True, help="Keep the definitions that only lost candidates used.")
def freeze_command(path: str, choice: str, output: str | None, keep_reports: bool, keep_unused: bool) -> None:
    """Print PATH as the plain Python a person would write for CHOICE: each layer its chosen
    statement, each hyperparameter its value, reports dropped, and what only lost candidates
    used pruned; every other statement kept as it is. A directory needs -o DIR."""
    import os

    from .diagnostics import CompileError
    from .files import nothing_to_compile, python_files

    if os.path.isdir(path):
        if output is None or output == "-":
            raise click.UsageError("freeze of a directory writes a directory: give -o DIR")
        from .freeze import Options, freeze_tree, write_tree
        from .lint import lint_files

        try:
            found = lint_files(python_files([path]))
            written = write_tree(freeze_tree(path, choice, Options(keep_reports, keep_unused)), output, path)
        except CompileError as exc:
            fail(exc)
        warn(found)
        click.echo(f"wrote {len(written)} file(s) into {output}", err=True)
        return
    if nothing_to_compile([path]):  # nothing to freeze: the file itself, without the compiler or libcst
        pass_through(path, output)
        return
    from .freeze import Options, freeze

    produce(lambda: freeze(path, choice, Options(keep_reports, keep_unused)), output, (path,))


@main.command("draw")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("-o", "--output", required=True, metavar="FILE", help="The picture: .svg, .png or .dot (written atomically); - for stdout.")
@click.option("-c", "--choice", metavar="CHOICE", help="Draw this architecture: the chosen ops and inputs, the rest faded.")
@click.option("--only-chosen", is_flag=True, help="With --choice: leave out what the choice does not use.")
@click.option("--format", "fmt", type=click.Choice(["svg", "png", "dot"]), help="The file's format (default: from FILE's extension).")
def draw_command(paths: tuple[str, ...], output: str, choice: str | None, only_chosen: bool, fmt: str | None) -> None:
    """Draw the search space of PATH... as a graph: each layer with its candidate ops, the
    variables it reads, fixed inputs solid, input candidates dashed."""
    from .draw.command import main as draw_main

    draw_main(paths, output, choice, only_chosen, fmt)


@main.command("dashboard")
@click.argument("out_dir", required=False, metavar="[OUT_DIR]")
@click.option("--storage", metavar="URL", help="The study storage (an Optuna RDB URL) instead of a search's output directory.")
@click.option("--artifacts", metavar="DIR", help="Where the trials' pictures are (default: OUT_DIR/artifacts).")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADDR", help="The address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, metavar="N",
              help="The port to listen on (0: any free one).")
def dashboard_command(out_dir: str | None, storage: str | None, artifacts: str | None, host: str, port: int) -> None:
    """Watch a running or finished search in the browser: optuna-dashboard on its study, with
    each trial's architecture (its choice, and its picture) shown. Ctrl-C stops it."""
    import importlib.util

    missing = [name for name in ("optuna", "optuna_dashboard") if importlib.util.find_spec(name) is None]
    if missing:
        names = ", ".join(name.replace("_", "-") for name in missing)
        raise click.ClickException(f"dashboard needs {names}: pip install 'nas-annotate[search]'")
    from .dashboard import main as dashboard_main

    sys.exit(dashboard_main(out_dir, storage, host, port, artifacts))


@main.command("run", cls=_ScriptCommand)
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


@main.command("strategies")
@click.argument("path", required=False, metavar="[PATH.py | MODULE]")
def strategies_command(path: str | None) -> None:
    """List the search strategies --sampler can name: the built-ins and those installed packages
    publish (entry point group nas_annotate.strategies), each with its kind and options; or the
    strategies one file or module defines."""
    from .strategies.listing import listing
    from .strategies.registry import StrategyProblem

    try:
        click.echo(listing(path), nl=False)
    except StrategyProblem as exc:
        click.echo(f"nas-annotate: error: {exc}", err=True)
        sys.exit(2)


@main.command("search", cls=_ScriptCommand)
@click.argument("script", metavar="SCRIPT")
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[-- ARGS...]")
@click.option("-n", "--trials", type=click.IntRange(min=0), help="Trials to run now (default 20; grid: what is left of the grid).")
@click.option(
    "-s", "--sampler", metavar="NAME", default="tpe", show_default=True,
    help="The strategy: tpe, random, evolution, morphism, grid, reinforce; darts or enas (one-shot: one supernet); an installed "
    "one; or your own as MODULE:NAME or PATH.py:NAME (`nas-annotate strategies` lists them).",
)
@click.option("--sampler-option", "sampler_options", multiple=True, metavar="KEY=VALUE",
              help="An option of the strategy (repeatable); VALUE is JSON where it parses as JSON, else a string.")
@click.option("--seed", type=int, help="Seed for the sampler.")
@click.option("--direction", type=click.Choice(["maximize", "minimize"]),
              help="Whether a larger or smaller reported value is better (default: maximize).")
@click.option("--objective", "objectives", multiple=True, metavar="NAME:max|min",
              help="An entry of the reports to optimize (repeatable; 'params' is counted from a Keras model); two or more: a Pareto front.")
@click.option("--pick", metavar="RULE", help='Which member of the Pareto front is the best choice, e.g. "accuracy>=0.97 min params".')
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="K",
              help="Trials run at once (default: one per GPU slot, GPUs x --trials-per-gpu / --gpus-per-trial; 1 without GPUs).")
@_gpu_options
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS", help="Stop a trial after this long (it fails).")
@click.option("--budget", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Start no trial after SECONDS of searching (those running finish); --trials still bounds the count.")
@click.option("--prune", type=click.Choice(["median", "hyperband"]), is_flag=False, flag_value="median", default=None,
              help="Stop unpromising trials early, from their intermediate reports: the median rule (a bare --prune) or Hyperband.")
@click.option("--storage", metavar="URL", help="An Optuna RDB URL; default: sqlite in the output directory.")
@click.option("--db-retry", type=click.FloatRange(min=0), default=60, show_default=True, metavar="SECONDS",
              help="How long a search waits, retrying, for its database when it fails (a restart, a network blip) before it stops.")
@click.option("--study", metavar="NAME", help="The study's name (default: the script's stem); rerunning resumes it.")
@click.option("-o", "--out", metavar="DIR", help="The output directory (default: search-STEM).")
@click.option("--space", "space", multiple=True, metavar="PATH",
              help="Files or directories whose layers form the space (default: the script and the modules it imports from its directory).")
@click.option("--preload", multiple=True, metavar="MODULE", help="Also import MODULE once in the worker (repeatable).")
@click.option("--no-preload", is_flag=True, help="Do not import the script's modules in the worker ahead of the trials.")
@click.option("--fresh", is_flag=True, help="Run each trial in a new interpreter instead of a fork (slower; for code that cannot fork).")
@click.option("--population", type=click.IntRange(min=2), default=10, show_default=True, help="evolution: the population size.")
@click.option("--inherit", is_flag=True,
              help="Each child trial starts from its parent's trained weights where they correspond (evolution, morphism, "
              "a strategy that names parents); the trial sees NAS_ANNOTATE_INHERITED=1.")
@click.option("--retrain", type=click.IntRange(min=0), default=1, show_default=True,
              help="darts, enas: train the K best architectures found standalone, as trials of the study.")
@click.option("--paths", type=click.IntRange(min=1), default=20, show_default=True,
              help="enas: architectures ranked with the shared weights after training.")
@click.option("--policy", type=click.Choice(["learned", "uniform"]), default="learned", show_default=True,
              help="enas: paths from a learned policy (ENAS's controller) or uniformly (random search with weight sharing).")
@click.option("--darts", type=click.Choice(["one-level", "bilevel"]), default="one-level", show_default=True,
              help="darts: architecture weights trained with the others (one-level), or on validation batches (first-order bilevel).")
@click.option("--progress/--no-progress", default=None, help="A progress bar (default: when stderr is a terminal).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def search_command(script: str, args: tuple[str, ...], **settings: object) -> None:
    """Search the architectures of SCRIPT: run it once per trial with a choice from the
    sampler, read what it reports (nas_annotate.report or @nni.report_final_result), and
    write a leaderboard, the best choice, the best script and a plot to the output directory.
    With two or more --objective, the leaderboard is the Pareto front, and pareto/ holds its members.

    Options for the script itself go after `--`.
    """
    _search_extras_missing("search")
    from .diagnostics import CompileError
    from .search import Options, SearchProblem, search

    from .strategies.registry import StrategyProblem, parse_options

    if tuple(args[:1]) == ("--",):
        args = args[1:]
    try:
        settings["sampler_options"] = parse_options(settings["sampler_options"])  # type: ignore[arg-type]
        options = Options(script=script, args=args, **settings)  # type: ignore[arg-type]
        outcome = search(options)
    except StrategyProblem as exc:
        click.echo(f"{script}: error: {exc}", err=True)
        sys.exit(2)
    except CompileError as exc:
        fail(exc)
    except SearchProblem as exc:
        click.echo(f"{script}: error: {exc}", err=True)
        sys.exit(1)
    sys.exit(130 if outcome.interrupted else 0)


def _search_extras_missing(command: str) -> None:
    """A usage error naming what `command` needs when the search extra is not installed."""
    import importlib.util

    missing = [name for name in ("optuna", "matplotlib", "tqdm") if importlib.util.find_spec(name) is None]
    if missing:
        raise click.ClickException(f"{command} needs {', '.join(missing)}: pip install 'nas-annotate[search]'")


def _seeds(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a list of whole numbers such as 0,1,2", param_hint="'--seeds'") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise click.BadParameter(f"{text!r}: give distinct seeds, such as 0,1,2", param_hint="'--seeds'")
    return seeds


@main.command("table", cls=_ScriptCommand)
@click.argument("script", required=False, metavar="SCRIPT")
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[-- ARGS...]")
@click.option("--seeds", default="0,1,2", show_default=True, metavar="LIST", help="The seeds each architecture is trained with.")
@click.option("--seed-arg", default="--seed {seed}", show_default=True, metavar="TEMPLATE",
              help="How the script is given its seed: arguments appended to ARGS, {seed} replaced.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="K", help="Trainings run at once (default: one per GPU slot; 1 without GPUs).")
@_gpu_options
@click.option("--storage", metavar="URL", help="An Optuna RDB URL shared by every machine; default: SQLite beside the table.")
@click.option("--study", metavar="NAME", help="The studies' name: NAME-seedS (default: the script's stem).")
@click.option("-o", "--output", metavar="TABLE.csv", help="The table (default: STEM-table.csv).")
@click.option("--max", "max_size", type=click.IntRange(min=1), default=10_000, show_default=True, metavar="N",
              help="Refuse a space of more architectures than this.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS", help="Stop a training after this long (it fails).")
@click.option("--info", "info", metavar="TABLE.csv", help="Print a table's size, best, quartiles and noise floor, and exit.")
@click.option("--lookup", nargs=2, metavar="TABLE.csv CHOICE", help="Print an architecture's mean and percentile in a table, and exit.")
@click.option("--progress/--no-progress", default=None, help="A progress bar (default: when stderr is a terminal).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def table_command(
    script: str | None, args: tuple[str, ...], seeds: str, seed_arg: str, jobs: int | None, gpus: str, gpus_per_trial: int,
    trials_per_gpu: int, storage: str | None, study: str | None,
    output: str | None, max_size: int, timeout: float | None, info: str | None, lookup: tuple[str, str] | None,
    progress: bool | None, quiet: bool,
) -> None:
    """Train every architecture of SCRIPT's space once per seed (a grid search per seed, which
    resumes and shares its work through --storage) and write TABLE.csv: one row per
    architecture, its value, time and reports per seed, and their mean.

    Options for the script itself go after `--`.
    """
    from .diagnostics import CompileError
    from .tabular.table import Table, TableProblem

    try:
        if info is not None:
            click.echo(Table.read(info).info(info))
            return
        if lookup is not None:
            from .choice import load_choice

            table = Table.read(lookup[0])
            choice = load_choice(lookup[1]).data
            entry = table.lookup(choice)
            if entry is None:
                click.echo(f"{lookup[1]}: error: the architecture is not in {lookup[0]}", err=True)
                sys.exit(1)
            click.echo(table.describe(entry))
            return
    except TableProblem as exc:
        click.echo(f"nas-annotate table: error: {exc}", err=True)
        sys.exit(2)
    except CompileError as exc:
        fail(exc)
    if script is None:
        raise click.UsageError("give SCRIPT (or --info TABLE.csv, or --lookup TABLE.csv CHOICE)")
    _search_extras_missing("table")
    from .search import SearchProblem
    from .tabular.build import TableOptions, build

    if tuple(args[:1]) == ("--",):
        args = args[1:]
    options = TableOptions(
        script, args, _seeds(seeds), seed_arg, jobs, storage, study, output, max_size, timeout, progress=progress, quiet=quiet,
        search={"gpus": gpus, "gpus_per_trial": gpus_per_trial, "trials_per_gpu": trials_per_gpu},
    )
    try:
        table, interrupted = build(options)
    except CompileError as exc:
        fail(exc)
    except SearchProblem as exc:
        click.echo(f"{script}: error: {exc}", err=True)
        sys.exit(1)
    if not quiet:
        click.echo(table.info(options.path))
    sys.exit(130 if interrupted else 0)


@main.command("compare", cls=_ScriptCommand)
@click.argument("script", metavar="SCRIPT")
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[-- ARGS...]")
@click.option("-s", "--sampler", "samplers", multiple=True, required=True, metavar="NAME",
              help="A strategy to compare (repeatable): a built-in, an installed one, MODULE:NAME or PATH.py:NAME.")
@click.option("--sampler-option", "sampler_options", multiple=True, metavar="NAME.KEY=VALUE",
              help="An option of one strategy, by its name in the results (evolution, gdas, enas#2 for the second enas); repeatable.")
@click.option("--seeds", type=click.IntRange(min=1), default=10, show_default=True, metavar="N", help="Runs per strategy, seeded 0..N-1.")
@click.option("-n", "--trials", type=click.IntRange(min=1), help="Trials per run (default 20).")
@click.option("--budget", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Instead of --trials: the trials that end within SECONDS (simulated with a table, of wall time without).")
@click.option("--table", metavar="TABLE.csv", help="A table of the space (nas-annotate table): black-box runs look their trials up instead of training.")
@click.option("-o", "--out", metavar="DIR", help="The output directory (default: compare-STEM).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True, metavar="K",
              help="Trials at once in each run (with a table: simulated workers).")
@_gpu_options
@click.option("--direction", type=click.Choice(["maximize", "minimize"]), default="maximize", show_default=True,
              help="Whether a larger or smaller value is better.")
@click.option("--space", "space", multiple=True, metavar="PATH", help="Files or directories whose layers form the space (as for search).")
@click.option("--progress/--no-progress", default=None, help="A progress bar (default: when stderr is a terminal).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def compare_command(
    script: str, args: tuple[str, ...], samplers: tuple[str, ...], sampler_options: tuple[str, ...], seeds: int,
    trials: int | None, budget: float | None,
    table: str | None, out: str | None, jobs: int, gpus: str, gpus_per_trial: int, trials_per_gpu: int, direction: str,
    space: tuple[str, ...], progress: bool | None, quiet: bool,
) -> None:
    """Run every --sampler on SCRIPT with N seeds and compare them: DIR/runs.csv (every
    trial), DIR/summary.csv and a markdown summary (best found, its percentile in the table,
    time to the table's top 5% and top quarter, τ of a strategy's own ranking) and
    DIR/anytime.png (best found against time).

    Options for the script itself go after `--`.
    """
    if trials is not None and budget is not None:
        raise click.UsageError("give --trials or --budget, not both")
    _search_extras_missing("compare")
    from .compare.driver import compare
    from .compare.runs import CompareOptions, CompareProblem
    from .diagnostics import CompileError
    from .search import SearchProblem
    from .strategies.registry import StrategyProblem
    from .tabular.table import TableProblem

    if tuple(args[:1]) == ("--",):
        args = args[1:]
    options = CompareOptions(
        script, samplers, args, sampler_options, seeds, trials, budget, table, out, jobs, direction, space, progress, quiet,
        gpus=gpus, gpus_per_trial=gpus_per_trial, trials_per_gpu=trials_per_gpu,
    )
    try:
        result = compare(options)
    except (StrategyProblem, TableProblem) as exc:
        click.echo(f"{script}: error: {exc}", err=True)
        sys.exit(2)
    except CompileError as exc:
        fail(exc)
    except (CompareProblem, SearchProblem) as exc:
        click.echo(f"{script}: error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(f"{script}: interrupted", err=True)
        sys.exit(130)
    if not quiet:
        click.echo(result.markdown, nl=False)
        for name, path in result.files.items():
            click.echo(f"{name}: {path}")


def run(prog_name: str = "nas-annotate") -> None:
    """Run the click command line (the entry point is `nas_annotate.entry.main`)."""
    main.main(prog_name=prog_name)

"""`nas-annotate compare`: every strategy, N seeds each, on one script; then runs.csv,
summary.csv, the summary as markdown, and anytime.png in the output directory.

With a table (`nas-annotate table`), black-box strategies search the table (`simulate.py`) and
one-shot strategies train their supernet for real, their architecture looked up in it
(`live.py`); without one, every run trains for real.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..files import atomic_write
from ..strategies.registry import ONESHOT, Strategy
from ..tabular.table import Table, TableProblem
from .runs import CompareOptions, CompareProblem, Run, runs_csv
from .summary import Line, markdown, summarise, summary_csv


@dataclass
class Comparison:
    """What a comparison found, and where it wrote it."""

    runs: list[Run]
    lines: list[Line]
    files: dict[str, str] = field(default_factory=dict)
    markdown: str = ""


def strategies(options: CompareOptions) -> list[tuple[str, Strategy, dict[str, Any], str]]:
    """Each `--sampler` as (spec, strategy, its options, its name in the results: `evolution`,
    `gdas` for `.../gdas.py:Gdas`, `enas#2` for the second enas); a StrategyProblem for one that
    cannot be found or made, or an option for no strategy of the comparison."""
    from ..search.options import Options
    from ..search.samplers import resolve
    from ..search.supernet_search import label
    from ..strategies.registry import StrategyProblem, parse_options

    named: list[tuple[str, Strategy, str]] = []
    for spec in options.samplers:
        strategy = resolve(Options(script=options.script, sampler=spec))[0]
        name = label(strategy)
        same = sum(1 for _, _, other in named if other.partition("#")[0] == name)
        named.append((spec, strategy, f"{name}#{same + 1}" if same else name))
    given: dict[str, list[str]] = {}
    for item in options.sampler_options:
        name, dot, rest = item.partition(".")
        if not dot or "=" not in rest or name not in [n for _, _, n in named]:
            names = ", ".join(n for _, _, n in named)
            raise StrategyProblem(f"--sampler-option {item!r}: write NAME.KEY=VALUE, NAME one of the strategies compared ({names})")
        given.setdefault(name, []).append(rest)
    found = []
    for spec, _, name in named:
        strategy, settings = resolve(Options(script=options.script, sampler=spec, sampler_options=parse_options(given.get(name, []))))
        found.append((spec, strategy, settings, name))
    return found


def load_table(options: CompareOptions, fingerprint: str) -> Table | None:
    """The table, checked against the script's space; TableProblem when it does not fit."""
    if options.table is None:
        return None
    table = Table.read(options.table)
    if table.space != fingerprint:
        raise TableProblem(
            f"{options.table} is a table of another space (fingerprint {table.space or 'none'}, and {options.script}'s "
            f"space is {fingerprint}): build one with nas-annotate table {options.script}"
        )
    if not table.scored():
        raise TableProblem(f"{options.table} has no architecture with a value")
    return table


def compare(options: CompareOptions, echo: Callable[[str], None] | None = None) -> Comparison:
    """Run every strategy with every seed; write and return the results."""
    from ..search.optuna_space import load_space
    from .live import live
    from .simulate import simulate

    say = echo or ((lambda text: None) if options.quiet else (lambda text: print(text, file=sys.stderr)))
    if not options.samplers:
        raise CompareProblem("give at least one --sampler")
    if options.seeds < 1 or options.jobs < 1:
        raise CompareProblem("--seeds and --jobs must be at least 1")
    chosen = strategies(options)
    space = load_space(options.script, options.space)
    table = load_table(options, space.fingerprint())
    os.makedirs(options.out_dir, exist_ok=True)
    plan = f"{options.trial_count} trial(s)" if options.trial_count is not None else f"a budget of {options.budget:g} s"
    mode = f"on the table {options.table} (black-box runs simulated)" if table is not None else "training for real"
    say(f"nas-annotate compare: {len(chosen)} strateg{'y' if len(chosen) == 1 else 'ies'} × {options.seeds} seed(s), {plan} each, {mode}")
    size = space.size()
    if table is not None and size is not None and len(table.scored()) < size:
        say(f"nas-annotate compare: note: the table has values for {len(table.scored()):,} of the space's {size:,} architectures; "
            "a trial of another one fails")
    bar = _bar(options, len(chosen) * options.seeds)
    runs: list[Run] = []
    try:
        for spec, strategy, settings, name in chosen:
            for seed in range(options.seeds):
                if bar is not None:
                    bar.set_postfix_str(f"{name} seed {seed}")
                if table is not None and strategy.kind != ONESHOT:
                    run = simulate(strategy, settings, name, space, table, seed, options.trial_count, options.budget,
                                   options.jobs, options.direction)
                else:
                    run = live(options, spec, strategy, settings, name, seed, table)
                runs.append(run)
                if bar is not None:
                    bar.update(1)
                elif not options.quiet and not (table is not None and strategy.kind != ONESHOT):
                    say(f"nas-annotate compare: {name}, seed {seed}: {len(run.points)} trial(s)")
    finally:
        if bar is not None:
            bar.close()
    return write(options, runs, table)


def write(options: CompareOptions, runs: list[Run], table: Table | None) -> Comparison:
    from .anytime import draw

    lines = summarise(runs, table, options.sign)
    result = Comparison(runs, lines, markdown=markdown(lines))
    out = options.out_dir
    result.files = {name: os.path.join(out, name) for name in ("runs.csv", "summary.csv", "summary.md", "anytime.png")}
    atomic_write(result.files["runs.csv"], runs_csv(runs, options.sign))
    atomic_write(result.files["summary.csv"], summary_csv(lines))
    atomic_write(result.files["summary.md"], result.markdown.encode())
    title = f"{os.path.basename(options.script)}: {options.seeds} seed(s) per strategy"
    draw(runs, table, options.sign, result.files["anytime.png"], title)
    return result


def _bar(options: CompareOptions, total: int) -> Any:
    interactive = sys.stderr.isatty() if options.progress is None else options.progress
    if not interactive or options.quiet:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="run", file=sys.stderr, dynamic_ncols=True)

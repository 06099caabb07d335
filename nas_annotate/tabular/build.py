"""`nas-annotate table`: train every architecture of a script's space once per seed, and
write the table.

Each seed is one grid search (`nas-annotate search --sampler grid`) with the seed given to the
script: the study `STUDY-seedS` in one storage (default: SQLite beside the table), so the
grid's claims share the work among `--jobs` and among machines, and a rerun resumes. The
table is written from the studies at the end of every run, so any machine can write it.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..search.options import Options, SearchProblem
from .table import Entry, Table

DEFAULT_MAX = 10_000
DEFAULT_SEED_ARG = "--seed {seed}"


@dataclass
class TableOptions:
    """Everything `nas-annotate table` is told."""

    script: str
    args: tuple[str, ...] = ()
    seeds: tuple[int, ...] = (0, 1, 2)
    seed_arg: str = DEFAULT_SEED_ARG
    jobs: int | None = None  # None: as search decides (one per GPU slot, 1 without GPUs)
    storage: str | None = None
    study: str | None = None
    output: str | None = None
    max: int = DEFAULT_MAX
    timeout: float | None = None
    space: tuple[str, ...] = ()
    search: dict[str, Any] = field(default_factory=dict)  # further Options of each seed's search
    progress: bool | None = None
    quiet: bool = False

    @property
    def stem(self) -> str:
        return os.path.splitext(os.path.basename(self.script))[0]

    @property
    def path(self) -> str:
        """The table's file (default: STEM-table.csv here)."""
        return self.output or f"{self.stem}-table.csv"

    @property
    def url(self) -> str:
        """The studies' storage (default: SQLite beside the table, TABLE.db)."""
        return self.storage or "sqlite:///" + os.path.abspath(os.path.splitext(self.path)[0] + ".db")

    def study_name(self, seed: int) -> str:
        return f"{self.study or self.stem}-seed{seed}"

    def seed_args(self, seed: int) -> tuple[str, ...]:
        """The script's arguments for a seed: ARGS then the seed as `--seed-arg` writes it."""
        return (*self.args, *shlex.split(self.seed_arg.format(seed=seed)))


def check_seed_arg(template: str) -> None:
    """`--seed-arg` must name `{seed}` and nothing else; SearchProblem otherwise."""
    try:
        shown = template.format(seed=0)
    except (KeyError, IndexError, ValueError) as exc:
        raise SearchProblem(f"--seed-arg {template!r} does not read: write the seed as {{seed}} ({exc})") from None
    if shown == template:
        raise SearchProblem(f"--seed-arg {template!r} has no {{seed}}: e.g. \"--random-state {{seed}}\"")
    try:
        shlex.split(shown)
    except ValueError as exc:
        raise SearchProblem(f"--seed-arg {template!r} does not split into arguments: {exc}") from None


def build(options: TableOptions, echo: Callable[[str], None] | None = None) -> tuple[Table, bool]:
    """Train what is left of the table and write it; return it, and whether the run was
    interrupted (the table then holds what had finished)."""
    from ..search.driver import search
    from ..search.optuna_space import load_space

    say = echo or ((lambda text: None) if options.quiet else (lambda text: print(text, file=sys.stderr)))
    if not options.seeds:
        raise SearchProblem("--seeds names no seed")
    check_seed_arg(options.seed_arg)
    space = load_space(options.script, options.space)
    size = space.size()
    if size is None:
        raise SearchProblem("the space is continuous (a hyperparameter takes infinitely many values): a table needs a finite one")
    if size > options.max:
        raise SearchProblem(f"the space holds {size:,} architectures, more than --max {options.max:,}: a table trains every one of them")
    base = os.path.splitext(options.path)[0] + "-runs"
    interrupted = False
    for number, seed in enumerate(options.seeds, 1):
        say(f"nas-annotate table: seed {seed} ({number} of {len(options.seeds)}): {shlex.join(options.seed_args(seed))}")
        search_options = Options(
            script=options.script, args=options.seed_args(seed), sampler="grid", seed=0, jobs=options.jobs,
            storage=options.url, study=options.study_name(seed), out=os.path.join(base, f"seed{seed}"), space=options.space,
            timeout=options.timeout, progress=options.progress, quiet=options.quiet, summary=False, **options.search,
        )
        _check_args(search_options, space)
        outcome = search(search_options, echo=say)
        if outcome.interrupted:
            interrupted = True
            break
    table, elsewhere = export(options, space.fingerprint())
    table.write(options.path)
    if elsewhere:
        say(f"nas-annotate table: {elsewhere} training(s) still run elsewhere (another machine or process on this storage); "
            "the table lacks them: rerun this command when they end (it trains nothing more) to complete it")
    return table, interrupted


def _check_args(search_options: Options, space: Any) -> None:
    """A seed's study holds trials of one command line: ARGS and the seed as first given."""
    import optuna

    from ..search.study import open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage, shown = open_storage(search_options, search_options.out_dir)
    name = search_options.study
    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:  # load_if_exists: another machine may create it at the same moment
        study = optuna.create_study(study_name=name, storage=storage, direction="maximize", load_if_exists=True)
    wanted = list(search_options.args)
    given = study.user_attrs.get("table_args")
    if given is None:
        study.set_user_attr("table_args", wanted)
    elif given != wanted:
        raise SearchProblem(
            f"the study {name!r} in {shown} was trained with the script's arguments {shlex.join(given)}, not "
            f"{shlex.join(wanted)}: give another --study NAME (or --output) for another recipe"
        )


def export(options: TableOptions, fingerprint: str) -> tuple[Table, int]:
    """The table of every seed's study as it stands (architectures without any trial yet are
    left out), and how many trainings are running still."""
    import optuna
    from optuna.trial import TrialState

    from ..search.optuna_space import load_space
    from ..search.rows import summary
    from ..strategies.base import canonical
    from ..search.study import open_storage

    space = load_space(options.script, options.space)
    entries: dict[str, Entry] = {}
    running = 0
    for seed in options.seeds:
        search_options = Options(script=options.script, storage=options.url, out=os.path.dirname(os.path.abspath(options.path)))
        storage, _ = open_storage(search_options, search_options.out_dir)
        try:
            study = optuna.load_study(study_name=options.study_name(seed), storage=storage)
        except KeyError:
            continue
        running += len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
        for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            choice = space.choice(trial.params)
            key = canonical(choice)
            entry = entries.setdefault(key, Entry(summary(choice), choice))
            entry.values[seed] = trial.values[0]
            if trial.user_attrs.get("duration") is not None:
                entry.times[seed] = float(trial.user_attrs["duration"])
            entry.steps[seed] = {int(step): value for step, value in trial.intermediate_values.items()}
            reported = (trial.user_attrs.get("report") or {}).get("params")
            if isinstance(reported, (int, float)):
                entry.params = float(reported)
    ordered = sorted(entries.values(), key=lambda entry: entry.architecture)
    return Table(fingerprint, list(options.seeds), ordered), running

"""The digits table: every architecture of examples/digits/train.py trained once per seed.

A tabular benchmark, as NAS-Bench-201 is for its cell, built by `nas-annotate table`:

    python benchmarks/digits_table.py build [--jobs 2]     # train what is left (resumes)
    python benchmarks/digits_table.py snapshot [DATABASE]  # a running build's database, to commit
    python benchmarks/digits_table.py info [--table PATH]  # size, quartiles, noise floor
    python benchmarks/digits_table.py lookup CHOICE.json [--table PATH]
    python benchmarks/digits_table.py summary [--table PATH]  # markdown, for benchmarks/README.md

`build` runs, from the repository's root, with one TensorFlow thread per training (its results
depend on the thread settings):

    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 nas-annotate table examples/digits/train.py \\
        --seeds 0,1,2 --storage sqlite:///benchmarks/data/digits.db -o benchmarks/data/digits.csv \\
        --jobs 2 -- ARGS

that is one grid search per seed (studies `train-seed0`, `-seed1`, `-seed2`), the script given
ARGS and `--seed S`. A build writes its database as it goes, so commit a `snapshot` of it: by
default of this checkout's benchmarks/data/digits.db, which is then staged in git (the file
stays the build's); of another checkout's, which replaces this one's. Either way with the CSV
of what has finished so far; a later `build` resumes from the committed database.

Other benchmarks read the table through `read`, `load_table` and `curves`; each takes `--table
PATH` (default benchmarks/data/digits.csv), a table of this space in `nas-annotate table`'s format.
"""

from __future__ import annotations

import argparse
import functools
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from nas_annotate.tabular.table import Table

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
TABLE = DATA / "digits.csv"
DATABASE = DATA / "digits.db"
SCRIPT = ROOT / "examples" / "digits" / "train.py"
ARGS: tuple[str, ...] = ("--epochs", "12")  # the training recipe: the script's arguments besides --seed
SEEDS = (0, 1, 2)
KEYS = ("train/build_model.cell1", "train/build_model.cell2", "train/build_model.cell3")
GOAL_TAU, GOAL_GAP = 0.7, 0.03  # issue 23: two seeds agree to τ ≥ 0.7, median |difference| ≤ 0.03
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")


def signature(choice: dict[str, Any]) -> str:
    """An architecture as one string: `cell1 | cell2[inputs] | cell3[inputs]`."""
    parts = []
    for key in KEYS:
        entry = choice[key]
        inputs = entry.get("inputs") or []
        parts.append(entry["layer"] + (f"[{','.join(inputs)}]" if inputs else ""))
    return " | ".join(parts)


def recipe(epochs: int | str | None = None) -> list[str]:
    """The script's arguments besides `--seed`: ARGS, then `--epochs EPOCHS` when given (the
    script reads the last `--epochs`)."""
    return [*ARGS, *(["--epochs", str(epochs)] if epochs else [])]


def command(jobs: int) -> list[str]:
    """The `nas-annotate table` command line of `build`, paths relative to the repository's root."""
    return [
        "nas-annotate", "table", str(SCRIPT.relative_to(ROOT)), "--seeds", ",".join(map(str, SEEDS)),
        "--storage", f"sqlite:///{DATABASE.relative_to(ROOT)}", "-o", str(TABLE.relative_to(ROOT)), "--jobs", str(jobs),
        "--", *ARGS,
    ]


def build(jobs: int) -> NoReturn:
    """Become the `nas-annotate table` process (so that an interrupt reaches it as it is)."""
    env = {**os.environ, "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
    line = command(jobs)
    print(f"TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 {shlex.join(line)}", file=sys.stderr, flush=True)
    os.chdir(ROOT)
    os.execve(NAS, [NAS, *line[1:]], env)


def snapshot(source: str) -> int:
    """A consistent copy of a build's database (one being written too) without its unfinished
    and failed (interrupted) trials, so that resuming the grid trains their architectures again,
    as benchmarks/data/digits.db; and the table of what it holds as benchmarks/data/digits.csv.
    When the build runs in this checkout (`source` is that file), the copy is staged in git
    instead, and the build's own file is left to it."""
    from nas_annotate.tabular.build import TableOptions, export

    live = DATABASE.exists() and os.path.samefile(source, DATABASE)
    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".snapshot-", dir=DATA) as work:
        copy, scratch = Path(work) / "digits.db", Path(work) / "export.db"
        dropped = _clean_copy(source, copy)
        shutil.copyfile(copy, scratch)  # optuna leaves a database it opens in WAL mode: the table is read from another copy
        options = TableOptions(str(SCRIPT), ARGS, SEEDS, storage=f"sqlite:///{scratch}", output=str(TABLE))
        table, _ = export(options, _space().fingerprint())  # no training runs in the copy
        table.write(str(TABLE))
        if live:
            git = ["git", "-C", str(ROOT)]
            blob = subprocess.run([*git, "hash-object", "-w", str(copy)], capture_output=True, text=True, check=True).stdout.strip()
            subprocess.run([*git, "update-index", "--add", "--cacheinfo", f"100644,{blob},{DATABASE.relative_to(ROOT)}"], check=True)
            print(f"{DATABASE}: staged in git, a copy without its {dropped} unfinished or failed trial(s) (the running "
                  f"build's file stays as it is): commit it with {TABLE.relative_to(ROOT)}")
        else:
            os.replace(copy, DATABASE)
            print(f"{DATABASE}: a copy of {source} without its {dropped} unfinished or failed trial(s)")
    print(f"{TABLE}: {len(table.entries)} architectures; " + ", ".join(
        f"seed {seed}: {sum(seed in e.values for e in table.entries)}" for seed in table.seeds))
    return 0


def _clean_copy(source: str, target: Path) -> int:
    """Back `source` up to `target` (SQLite's online backup: consistent while it is written), drop
    the trials that did not complete or get pruned, and compact it; how many were dropped."""
    reader, writer = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(target)
    try:
        reader.backup(writer)
        unfinished = [row[0] for row in writer.execute("SELECT trial_id FROM trials WHERE state NOT IN ('COMPLETE', 'PRUNED')")]
        tables = [row[0] for row in writer.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [row[1] for row in writer.execute(f"PRAGMA table_info({table})")]
            if table != "trials" and "trial_id" in columns:
                writer.executemany(f"DELETE FROM {table} WHERE trial_id = ?", [(t,) for t in unfinished])
        writer.executemany("DELETE FROM trials WHERE trial_id = ?", [(t,) for t in unfinished])
        writer.commit()
        writer.execute("PRAGMA journal_mode=DELETE")
        writer.execute("VACUUM")
    finally:
        reader.close()
        writer.close()
    return len(unfinished)


@functools.cache
def _space() -> Any:
    from nas_annotate.search.optuna_space import load_space

    return load_space(str(SCRIPT))


def missing(table: Table) -> int:
    """Trainings the table lacks: the space's architectures × the table's seeds, less its values."""
    return _space().size() * len(table.seeds) - sum(len(entry.values) for entry in table.entries)


def _lacking(table: Table) -> str:
    size = _space().size()
    return f"{missing(table):,} of {size * len(table.seeds):,} trainings ({size} architectures × {len(table.seeds)} seeds)"


def read(path: Path | str = TABLE, complete: bool = True) -> Table:
    """The table at `path`, of the digits space; SystemExit with one line when it is missing, does
    not read, is of another space or, with `complete`, lacks a training."""
    from nas_annotate.tabular.table import Table, TableProblem

    if not os.path.exists(path):
        raise SystemExit(f"{path}: no table (python benchmarks/digits_table.py build)")
    try:
        table = Table.read(str(path))
    except TableProblem as exc:
        raise SystemExit(str(exc)) from None
    fingerprint = _space().fingerprint()
    if table.entries and table.space != fingerprint:
        raise SystemExit(f"{path}: a table of another space ({table.space}; {SCRIPT.relative_to(ROOT)}'s is {fingerprint})")
    if complete and missing(table):
        raise SystemExit(f"{path}: incomplete: {_lacking(table)} missing (python benchmarks/digits_table.py build resumes it)")
    return table


def load_table(path: Path | str = TABLE, complete: bool = True) -> dict[str, float]:
    """Each architecture's mean value over the table's seeds (`complete`: SystemExit unless every
    architecture has every seed; else the architectures with at least one)."""
    return {signature(entry.choice): entry.mean for entry in read(path, complete).scored()}  # type: ignore[misc]


def curves(path: Path | str = TABLE) -> dict[str, dict[int, list[float]]]:
    """Each architecture's values step by step (after each epoch), per seed, of a complete table."""
    return {
        signature(entry.choice): {seed: [steps[n] for n in sorted(steps)] for seed, steps in entry.steps.items()}
        for entry in read(path).entries
    }


def _shown(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def summary(path: Path | str = TABLE) -> str:
    """The table in figures, as markdown: how it was built, how full it is, its spread, and its
    noise floor (seed against seed) against issue 23's goal."""
    from nas_annotate.tabular.stats import median, quantile

    shown = os.path.relpath(path, ROOT) if Path(path).resolve().is_relative_to(ROOT) else str(path)
    lines = ["## The digits table", ""]
    if not os.path.exists(path):
        return "\n".join([*lines, f"`{shown}`: not built yet (`python benchmarks/digits_table.py build`).", ""])
    table = read(path, complete=False)
    size = _space().size()
    build_line = shlex.join(command(2))
    lines += [
        f"`{shown}`: the architectures of `examples/digits/train.py` trained standalone once per seed by `python "
        f"benchmarks/digits_table.py build`, that is `TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 {build_line}` "
        f"(a grid search per seed; each training single-threaded, given `{shlex.join(ARGS)} --seed S`).",
        "",
        "| | value |",
        "|---|---|",
        f"| architectures in the space | {size} |",
    ]
    lines += [f"| trained with seed {seed} | {sum(seed in e.values for e in table.entries)} |" for seed in table.seeds]
    means = [entry.mean for entry in table.entries if len(entry.values) == len(table.seeds)]
    lines.append(f"| trained on every seed | {len(means)} |")
    if means:
        cuts = " / ".join(f"{quantile(means, q):.4f}" for q in (1, 0.75, 0.5, 0.25, 0))  # type: ignore[arg-type]
        lines.append(f"| mean over the seeds: best / 75% / median / 25% / worst | {cuts} |")
    times = [t for entry in table.entries for t in entry.times.values()]
    if times:
        lines.append(f"| training time: median, in all | {median(times):.2f} s, {sum(times) / 3600:.2f} h |")
    pairs = [pair for pair in table.noise() if pair[5] >= 2]
    if pairs:
        lines += [
            "",
            f"Its noise floor, seed against seed over the architectures trained on both (issue 23's goal: Kendall τ ≥ "
            f"{GOAL_TAU}, median \\|difference\\| ≤ {GOAL_GAP}):",
            "",
            "| seeds | architectures | Kendall τ | Pearson r | median \\|difference\\| | met? |",
            "|---|---|---|---|---|---|",
        ]
        for a, b, tau, r, gap, count in pairs:
            met = tau is not None and gap is not None and tau >= GOAL_TAU and gap <= GOAL_GAP
            lines.append(f"| {a} and {b} | {count} | {_shown(tau)} | {_shown(r)} | {_shown(gap)} | {'yes' if met else '**no**'} |")
    if missing(table):
        lines += ["", f"The table is not complete: {_lacking(table)} missing; `build` resumes where the committed "
                      "database stopped."]
    return "\n".join(lines) + "\n"


def delegate(*arguments: str) -> int:
    """`nas-annotate table ARGUMENTS`."""
    return subprocess.call([NAS, "table", *arguments], cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("build", help="train what is left of the table (resumes)")
    run.add_argument("--jobs", type=int, default=2, help="trainings at once (default 2)")
    copy = commands.add_parser("snapshot", help="a running build's database to commit, and its table so far")
    copy.add_argument("database", nargs="?", default=str(DATABASE), help="the build's database (default: %(default)s)")
    shown = {name: commands.add_parser(name, help=text) for name, text in (
        ("info", "nas-annotate table --info"), ("lookup", "nas-annotate table --lookup"),
        ("summary", "the table in figures, markdown"))}
    shown["lookup"].add_argument("choice", help="a choice document (JSON)")
    for sub in shown.values():
        sub.add_argument("--table", default=str(TABLE), metavar="PATH", help="default: benchmarks/data/digits.csv")
    args = parser.parse_args()
    if args.command == "build":
        build(args.jobs)
    if args.command == "snapshot":
        return snapshot(args.database)
    if args.command == "info":
        return delegate("--info", os.path.abspath(args.table))
    if args.command == "lookup":
        return delegate("--lookup", os.path.abspath(args.table), os.path.abspath(args.choice))
    print(summary(args.table), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What a comparison is told (`CompareOptions`), and what it records: every strategy's runs,
one per seed, each a list of trials on a clock (`Run`, `Point`), written as runs.csv."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from ..search.options import DEFAULT_TRIALS

DEFAULT_SEEDS = 10


class CompareProblem(Exception):
    """The comparison cannot run as asked (one line for the user)."""


@dataclass
class CompareOptions:
    """Everything `nas-annotate compare` is told."""

    script: str
    samplers: tuple[str, ...]
    args: tuple[str, ...] = ()
    sampler_options: tuple[str, ...] = ()  # NAME.KEY=VALUE: an option of the strategy named NAME in the results
    seeds: int = DEFAULT_SEEDS
    trials: int | None = None
    budget: float | None = None  # seconds: simulated with a table, of wall time without
    table: str | None = None
    out: str | None = None
    jobs: int = 1
    direction: str = "maximize"
    space: tuple[str, ...] = ()
    progress: bool | None = None
    quiet: bool = False
    gpus: str = "all"  # of real runs, as for search (gpus.py)
    gpus_per_trial: int = 1
    trials_per_gpu: int = 1

    @property
    def out_dir(self) -> str:
        stem = self.script.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        return self.out or f"compare-{stem}"

    @property
    def trial_count(self) -> int | None:
        """Trials per run: --trials, or the default unless a budget bounds the runs."""
        if self.trials is not None:
            return self.trials
        return None if self.budget is not None else DEFAULT_TRIALS

    @property
    def sign(self) -> float:
        """+1 where larger values are better, -1 where smaller are."""
        return 1.0 if self.direction == "maximize" else -1.0


@dataclass
class Point:
    """One trial of a run: when it ended on the run's clock, its value and architecture, and
    the table's mean for that architecture (None without a table)."""

    trial: int
    time: float
    value: float | None
    choice: dict[str, Any]
    mean: float | None = None


@dataclass
class Run:
    """One strategy, one seed: its trials in the order they ended; `ranking`: the
    architectures the strategy ranked itself (one-shot), with its scores."""

    strategy: str
    seed: int
    points: list[Point] = field(default_factory=list)
    ranking: list[tuple[dict[str, Any], float]] = field(default_factory=list)
    simulated: bool = False

    def bests(self, sign: float) -> list[float | None]:
        """The best value so far after each trial."""
        best: float | None = None
        found = []
        for point in self.points:
            if point.value is not None and (best is None or sign * point.value > sign * best):
                best = point.value
            found.append(best)
        return found

    def incumbent(self, sign: float) -> Point | None:
        """The trial with the best value (the first of equals)."""
        best = None
        for point in self.points:
            if point.value is not None and (best is None or sign * point.value > sign * best.value):  # type: ignore[operator]
                best = point
        return best


def runs_csv(runs: list[Run], sign: float) -> bytes:
    """runs.csv: one row per trial: strategy, seed, trial, time, value, best, choice; with a
    table, also the architecture's mean in it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["strategy", "seed", "trial", "time", "value", "best", "choice", "table_mean"])
    for run in runs:
        for point, best in zip(run.points, run.bests(sign)):
            writer.writerow([
                run.strategy, run.seed, point.trial, f"{point.time:.6g}", _cell(point.value), _cell(best),
                json.dumps(point.choice, sort_keys=True), _cell(point.mean),
            ])
    return buffer.getvalue().encode()


def _cell(value: float | None) -> str:
    return "" if value is None else repr(float(value))

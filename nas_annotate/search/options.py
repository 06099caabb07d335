"""What `nas-annotate search` is told (`Options`), what it did (`Outcome`), and its problems."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .storage import DEFAULT_RETRY

DEFAULT_TRIALS = 20


class SearchProblem(Exception):
    """The search cannot start as asked (a clean error for the user, exit status 1)."""


class StrategyStopped(SearchProblem):
    """The strategy raised during the search (or proposed no choice of the space): the search
    stopped there, its study as it was."""


class NothingCompleted(SearchProblem):
    """The search ended, its results written, and no trial of the study has completed."""

    def __init__(self, message: str, outcome: Outcome) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass
class Options:
    """Everything `nas-annotate search` is told."""

    script: str
    args: tuple[str, ...] = ()
    trials: int | None = None
    sampler: str = "tpe"  # a built-in, an installed strategy, MODULE:NAME or PATH.py:NAME
    sampler_options: dict[str, Any] = field(default_factory=dict)  # --sampler-option KEY=VALUE
    seed: int | None = None
    direction: str | None = None  # of the reported value, without `objectives` (None: maximize)
    objectives: tuple[str, ...] = ()  # NAME:max|min, the entries of the reports to optimize
    pick: str | None = None  # which member of a Pareto front is best_choice.json (pareto.Pick)
    jobs: int | None = None  # None: one per GPU slot where there are GPUs, else 1
    gpus: str = "all"  # all, none, or a list such as 0,2,3 (gpus.py)
    gpus_per_trial: int = 1
    trials_per_gpu: int = 1
    timeout: float | None = None
    budget: float | None = None  # seconds of wall time from the first trial: no trial starts after
    prune: str | bool | None = None  # "median" or "hyperband" (True: median)
    storage: str | None = None
    study: str | None = None
    out: str | None = None
    space: tuple[str, ...] = ()
    preload: tuple[str, ...] = ()
    no_preload: bool = False
    fresh: bool = False
    population: int = 10
    retrain: int = 1
    paths: int = 20
    policy: str = "learned"
    darts: str = "one-level"
    inherit: bool = False  # children start from their parent's trained weights (always with morphism)
    db_retry: float = DEFAULT_RETRY
    progress: bool | None = None
    quiet: bool = False
    summary: bool = True  # print the leaderboard and where the results are, at the end

    @property
    def pruner(self) -> str | None:
        """The pruning rule: None, "median" or "hyperband"."""
        if self.prune is True:
            return "median"
        return self.prune or None

    @property
    def out_dir(self) -> str:
        stem = os.path.splitext(os.path.basename(self.script))[0]
        return self.out or f"search-{stem}"


@dataclass
class Outcome:
    """What a search did in this run, and where its results are."""

    out_dir: str
    study_name: str
    storage: str
    finished: int = 0
    interrupted: bool = False
    results: dict[str, str] = field(default_factory=dict)

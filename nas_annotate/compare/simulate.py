"""A black-box strategy searching a table instead of training: each trial's value and time
are the table's, and the clock is simulated.

The strategy is the one `search` makes (the same sampler, the same seed), on an in-memory
Optuna study. `jobs` simulated workers take trials as an asynchronous search does: a worker
that finishes tells its trial and asks for the next one while the others run, so a strategy
sees running trials exactly as it would. The clock advances by each trial's training time
from the table, and by the strategy's own time, measured, for every ask and tell.

A trial's value is one of the table's seeds for its architecture, drawn uniformly among the
seeds that have a value; the draws come from the run's seed alone, so every strategy of a
comparison meets the same sequence of draws.
"""

from __future__ import annotations

import heapq
import random
import time
from contextlib import nullcontext
from typing import Any

from ..search.optuna_space import SearchSpace
from ..search.samplers import GridClaims, make_sampler
from ..strategies.adapter import StrategyDone, StrategyFailed
from ..strategies.registry import Strategy
from ..tabular.table import Table
from .runs import CompareProblem, Point, Run

MAX_TRIALS = 100_000  # a budget of simulated time with trials that take none would not end


def simulate(
    strategy: Strategy, settings: dict[str, Any], name: str, space: SearchSpace, table: Table, seed: int,
    trials: int | None, budget: float | None, jobs: int = 1, direction: str = "maximize",
) -> Run:
    """One run of `strategy` on `table`: `trials` trials, or as many as end within `budget`
    simulated seconds."""
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    grid = space.grid() if strategy.name == "grid" else {}
    sampler = make_sampler(strategy, grid, seed, settings=settings, space=space)
    study = optuna.create_study(direction=direction, sampler=sampler)
    claims = GridClaims(grid, seed, lambda: nullcontext(lambda: None)) if grid else None
    distributions = space.distributions()
    draws = random.Random(f"nas-annotate compare draws {seed}")
    limit = trials if trials is not None else MAX_TRIALS
    run = Run(name, seed, simulated=True)
    clock = 0.0
    running: list[tuple[float, int, Any, float | None, dict[str, Any], float | None]] = []
    started, exhausted = 0, False

    def charged(call: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal clock
        begun = time.perf_counter()
        try:
            return call(*args, **kwargs)
        except StrategyFailed as exc:
            raise CompareProblem(f"{name}, seed {seed}: {exc}") from None
        finally:
            clock += time.perf_counter() - begun

    while True:
        if not exhausted and started < limit and (budget is None or clock < budget) and len(running) < jobs:
            try:
                trial = charged(claims.claim, study, distributions) if claims else charged(study.ask, distributions)
            except StrategyDone:
                trial = None
            if trial is None:
                exhausted = True
                continue
            choice = space.choice(trial.params)
            trial.set_user_attr("choice", choice)
            entry = table.lookup(choice)
            value, seconds = None, 0.0
            if entry is not None and entry.values:
                drawn = draws.choice(sorted(entry.values))
                value, seconds = entry.values[drawn], entry.times.get(drawn, 0.0)
            heapq.heappush(running, (clock + seconds, trial.number, trial, value, choice, entry.mean if entry else None))
            started += 1
            continue
        if not running:
            break
        ends, _, trial, value, choice, mean = heapq.heappop(running)
        clock = max(clock, ends)
        if budget is not None and clock > budget:
            break  # this trial and those still running end after the budget
        try:
            if value is None:
                charged(study.tell, trial, state=TrialState.FAIL)
            else:
                charged(study.tell, trial, value)
        except StrategyDone:
            exhausted = True
        run.points.append(Point(trial.number, clock, value, choice, mean))
    return run

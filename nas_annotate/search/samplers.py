"""The search algorithms: Optuna's random, TPE and grid samplers, and an evolutionary one.

`evolution` is regularized ("aging") evolution, the sampler of Real et al., *Regularized
Evolution for Image Classifier Architecture Search* (AAAI 2019), as an Optuna sampler.  Until `population` trials have completed it samples at random.  Then each new trial is a
mutation of a tournament winner: take `tournament` trials at random from the `population`
most recent completed ones, copy the best of them, and change one parameter to another of
its values.  The oldest trials leave the population as new ones complete, whatever their
score, which keeps the search from settling on one lucky early architecture.
"""

from __future__ import annotations

import itertools
import random
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.exceptions import ExperimentalWarning
from optuna.samplers import BaseSampler, GridSampler, NSGAIISampler, RandomSampler, TPESampler
from optuna.search_space import IntersectionSearchSpace
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, Trial, TrialState

SAMPLERS = ("random", "tpe", "evolution", "grid", "darts", "enas")
ONESHOT = ("darts", "enas")  # one supernet training, then the architectures it found as trials


def make_sampler(
    name: str, grid: dict[str, list[Any]], seed: int | None = None, population: int = 10, multi: bool = False,
) -> BaseSampler:
    """The sampler `name` for a space whose parameters take the values in `grid`; `multi`: for
    a study of several objectives (TPE is then multi-objective TPE, evolution NSGA-II)."""
    if multi and name == "evolution":
        return NSGAIISampler(population_size=population, seed=seed)
    if name == "random" or name in ONESHOT:  # one-shot searches enqueue their trials' parameters
        return RandomSampler(seed=seed)
    if name == "tpe":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            return TPESampler(seed=seed, multivariate=True, group=True, n_startup_trials=8)
    if name == "evolution":
        return EvolutionSampler(population=population, tournament=max(2, population // 2), seed=seed)
    if name == "grid":
        return ExhaustiveGridSampler(grid, seed=seed)
    raise ValueError(f"unknown sampler {name!r}: use one of {', '.join(SAMPLERS)}")


class ExhaustiveGridSampler(GridSampler):
    """Optuna's grid without its `study.stop()` once the grid is done, which only works inside
    `study.optimize`. The driver's trials come from `GridClaims`, with every parameter fixed."""

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Any) -> None:
        return None


class GridClaims:
    """The grid's points, each given to exactly one trial of the study, however many searches
    share it: under the study's lock, a search queues the first point (in its order) that no
    trial has, and takes it. `lock()` holds the study's lock and yields a check that it still
    does (`storage.claim_lock`). (Optuna's grid sampler lets searches that ask at once pick the
    same point, and maps a point's number to a different point under each seed.)"""

    def __init__(self, grid: dict[str, list[Any]], seed: int | None,
                 lock: Callable[[], AbstractContextManager[Callable[[], None]]]) -> None:
        names = sorted(grid)
        points = [dict(zip(names, values)) for values in itertools.product(*(grid[name] for name in names))]
        random.Random(seed).shuffle(points)
        self.points = points
        self.lock = lock
        self.next = 0  # points before it have a trial already: trials are never removed

    def claim(self, study: Study, distributions: dict[str, BaseDistribution]) -> Trial | None:
        """A new running trial of a point that no trial has had, or None when the grid is done.
        Trials left queued (a search stopped between queueing and taking) are taken first."""
        with self.lock() as still_held:
            if not study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
                taken = {_signature(t.system_attrs.get("fixed_params") or t.params) for t in study.get_trials(deepcopy=False)}
                while self.next < len(self.points) and _signature(self.points[self.next]) in taken:
                    self.next += 1
                if self.next == len(self.points):
                    return None
                still_held()
                study.enqueue_trial(self.points[self.next])
            return study.ask(fixed_distributions=distributions)


class EvolutionSampler(BaseSampler):
    """Aging evolution over categorical parameters (others are sampled at random)."""

    def __init__(self, population: int = 10, tournament: int = 5, seed: int | None = None) -> None:
        if population < 2 or not 1 <= tournament <= population:
            raise ValueError("evolution needs population >= 2 and 1 <= tournament <= population")
        self.population = population
        self.tournament = tournament
        self._rng = random.Random(seed)
        self._random = RandomSampler(seed=seed)
        self._space = IntersectionSearchSpace()

    def reseed_rng(self) -> None:
        self._rng.seed()
        self._random.reseed_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {
            name: distribution
            for name, distribution in self._space.calculate(study).items()
            if isinstance(distribution, CategoricalDistribution)
        }

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if len(completed) < self.population:
            return {}
        population = sorted(completed, key=lambda t: t.number)[-self.population :]
        contenders = self._rng.sample(population, self.tournament)
        pick = max if study.direction == StudyDirection.MAXIMIZE else min
        parent = pick(contenders, key=lambda t: t.value)
        seen = {_signature(t.params) for t in study.get_trials(deepcopy=False) if t.params}
        child = self._mutate(parent.params, search_space)
        for _ in range(20):
            if _signature(child) not in seen:
                break
            child = self._mutate(parent.params, search_space)
        return child

    def _mutate(self, params: dict[str, Any], search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        child = {name: params[name] for name in search_space if name in params}
        mutable = [
            name for name, d in search_space.items() if isinstance(d, CategoricalDistribution) and len(d.choices) > 1
        ]
        if mutable:
            name = self._rng.choice(mutable)
            choices = search_space[name].choices  # type: ignore[attr-defined]
            child[name] = self._rng.choice([c for c in choices if c != child.get(name)])
        return child

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        return self._random.sample_independent(study, trial, param_name, param_distribution)


def _signature(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(params.items()))

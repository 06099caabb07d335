"""`evolution`: regularized ("aging") evolution, the sampler of Real et al., *Regularized
Evolution for Image Classifier Architecture Search* (AAAI 2019), as an Optuna sampler.

Until `population` trials have completed it samples at random.  Then each new trial is a
mutation of a tournament winner: take `tournament` trials at random from the `population` most
recent completed ones, copy the best of them, and change one parameter to another of its
values.  The oldest trials leave the population as new ones complete, whatever their score,
which keeps the search from settling on one lucky early architecture.
"""

from __future__ import annotations

import random
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.search_space import IntersectionSearchSpace
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState


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

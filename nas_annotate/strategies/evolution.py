"""`evolution`: regularized ("aging") evolution, the sampler of Real et al., *Regularized
Evolution for Image Classifier Architecture Search* (AAAI 2019), as an Optuna sampler.

Until `population` trials have completed it samples at random.  Then each new trial is a
mutation of a tournament winner: take `tournament` trials at random from the `population` most
recent completed ones, copy the best of them, and change one parameter to another of its
values.  The oldest trials leave the population as new ones complete, whatever their score,
which keeps the search from settling on one lucky early architecture.

Each child names its parent (the trial's user attribute `parent`), so that under
`search --inherit` it starts from the parent's trained weights; only the population can still
be a parent (`parents`).  With `preserving` (`--sampler morphism`) a mutation is, where the
parent allows one, a change from which the child can start as the parent's function: a layer's
identity (`identity`, `skip`, `skip_connect`) replaced by another candidate, or a candidate
replaced by the same call with a larger `kernel` or `kernel_size` (docs/search.md, "Children
that inherit").
"""

from __future__ import annotations

import ast
import random
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.search_space import IntersectionSearchSpace
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from .adapter import name_parent
from ..inherit.match import is_identity


class EvolutionSampler(BaseSampler):
    """Aging evolution over categorical parameters (others are sampled at random)."""

    def __init__(self, population: int = 10, tournament: int = 5, seed: int | None = None, preserving: bool = False) -> None:
        if population < 2 or not 1 <= tournament <= population:
            raise ValueError("evolution needs population >= 2 and 1 <= tournament <= population")
        self.population = population
        self.tournament = tournament
        self.preserving = preserving
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
        child = self._mutate(parent.params, search_space, seen)
        for _ in range(20):
            if _signature(child) not in seen:
                break
            child = self._mutate(parent.params, search_space, seen)
        name_parent(study, trial, parent.number)
        return child

    def _mutate(self, params: dict[str, Any], search_space: dict[str, BaseDistribution], seen: set[Any]) -> dict[str, Any]:
        moves = self._moves(params, search_space)
        if self.preserving:  # a function-preserving change not tried yet, else any preserving one, else any
            kept = [move for move in moves if _preserving(*move, params)]
            fresh = [move for move in kept if _signature(_moved(params, search_space, move)) not in seen]
            moves = fresh or kept or moves
        return _moved(params, search_space, self._rng.choice(moves)) if moves else _moved(params, search_space, None)

    def parents(self, study: Study) -> set[int]:
        """The trials that may still be parents: the population (the most recent completed)."""
        completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        return {t.number for t in sorted(completed, key=lambda t: t.number)[-self.population :]}

    def _moves(self, params: dict[str, Any], search_space: dict[str, BaseDistribution]) -> list[tuple[str, Any]]:
        """Every mutation of `params`: one parameter changed to another of its values; a
        parameter drawn first, then its value, as aging evolution draws them."""
        mutable = [name for name, d in search_space.items() if isinstance(d, CategoricalDistribution) and len(d.choices) > 1]
        if not mutable:
            return []
        if not self.preserving:
            name = self._rng.choice(mutable)
            return [(name, c) for c in search_space[name].choices if c != params.get(name)]  # type: ignore[attr-defined]
        return [(name, c) for name in mutable for c in search_space[name].choices if c != params.get(name)]  # type: ignore[attr-defined]

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        return self._random.sample_independent(study, trial, param_name, param_distribution)


def _signature(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(params.items()))


def _moved(params: dict[str, Any], search_space: dict[str, BaseDistribution], move: tuple[str, Any] | None) -> dict[str, Any]:
    child = {name: params[name] for name in search_space if name in params}
    if move is not None:
        child[move[0]] = move[1]
    return child


def _preserving(name: str, value: Any, params: dict[str, Any]) -> bool:
    """Whether changing a layer's candidate to `value` allows a function-preserving start: from
    an identity, or to the same call with a larger kernel."""
    before = params.get(name)
    if not name.endswith(":layer") or not isinstance(before, str) or not isinstance(value, str):
        return False
    if is_identity(before):
        return not is_identity(value)
    old, new = _call(before), _call(value)
    if old is None or new is None or old[0] != new[0] or set(old[1]) != set(new[1]):
        return False
    grown = [k for k in ("kernel", "kernel_size") if k in old[1] and old[1][k] != new[1][k]]
    same = all(old[1][k] == new[1][k] for k in old[1] if k not in grown)
    return bool(grown) and same and all(isinstance(new[1][k], int) and isinstance(old[1][k], int) and new[1][k] > old[1][k] for k in grown)


def _call(label: str) -> tuple[str, dict[str, Any]] | None:
    """A candidate's label as (callee, keyword arguments), None where it is not such a call."""
    try:
        node = ast.parse(label, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Name):
        return node.id, {}
    if not isinstance(node, ast.Call) or node.args or not isinstance(node.func, (ast.Name, ast.Attribute)):
        return None
    try:
        arguments = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
    except ValueError:
        return None
    return ast.unparse(node.func), arguments

"""The search's strategy as an Optuna sampler, whatever it is: a built-in (Optuna's random, TPE
and grid samplers, aging evolution, reinforce), an Optuna sampler named by module or file, or a
strategy of our black-box protocol (nas_annotate/strategies); and the grid's claims.

`resolve(options)` finds the strategy and checks its options before anything runs;
`make_sampler` makes it for a study.  One-shot strategies train a supernet, and their
retrained trials are enqueued: their study's sampler is random search.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study
from optuna.trial import Trial, TrialState

from ..strategies import registry
from ..strategies.adapter import Guarded, ProtocolSampler
from ..strategies.builtin import KINDS, Context
from ..strategies.registry import BLACKBOX, ONESHOT, OPTUNA, Strategy, StrategyProblem

SAMPLERS = tuple(KINDS)  # the built-ins
ONESHOT_BUILTINS = tuple(name for name, kind in KINDS.items() if kind == ONESHOT)
MULTI_OBJECTIVE = ("tpe", "random", "evolution", "grid")  # the built-ins that search several objectives


def resolve(options: Any) -> tuple[Strategy, dict[str, Any]]:
    """The strategy `--sampler` names and the options it is made with (`--sampler-option`, and
    the older flags of the built-ins: --population, --darts, --paths, --policy, which
    `--sampler-option` overrides); StrategyProblem when either is wrong."""
    strategy = registry.find(options.sampler)
    settings = dict(options.sampler_options or {})
    legacy = {
        "evolution": {"population": options.population},
        "morphism": {"population": options.population},
        "darts": {"bilevel": options.darts == "bilevel"},
        "enas": {"paths": options.paths, "policy": options.policy},
    }.get(options.sampler, {})
    for key, value in legacy.items():
        settings.setdefault(key, value)
    strategy.check_options(settings)
    return strategy, settings


def make_sampler(
    strategy: Strategy | str, grid: dict[str, list[Any]], seed: int | None = None, population: int = 10,
    multi: bool = False, settings: dict[str, Any] | None = None, space: Any = None,
) -> BaseSampler:
    """The Optuna sampler of `strategy` (a built-in's name, or what `resolve` found) for a space
    whose parameters take the values in `grid` (`space`: the SearchSpace, for our protocol);
    `multi`: for a study of several objectives."""
    if isinstance(strategy, str):
        strategy = registry.find(strategy)
        settings = {"population": population} if strategy.name in ("evolution", "morphism") else {}
    settings = dict(settings or {})
    if strategy.kind == ONESHOT:
        return RandomSampler(seed=seed)
    if strategy.kind == OPTUNA and strategy.builtin:
        return strategy.make(settings, seed, Context(grid, multi))
    if strategy.kind == OPTUNA:
        sampler = strategy.make(settings, seed)
        if not isinstance(sampler, BaseSampler):
            raise StrategyProblem(f"strategy {strategy.name!r} gave a {type(sampler).__name__}, not an Optuna sampler")
        return Guarded(sampler, strategy.name)
    from ..strategies.base import Space

    assert strategy.kind == BLACKBOX and space is not None
    ours = Space(space, space.document)
    return ProtocolSampler(strategy.make(settings, seed, ours), strategy.name, ours, space, seed)


class GridClaims:
    """The grid's points, each given to exactly one trial of the study, however many searches
    share it: under the study's lock, a search queues the first point (in its order) that no
    trial holds (`holds_point`: a trial its search stopped gives its point back), and takes
    it. `lock()` holds the study's lock and yields a check that it still does
    (`storage.claim_lock`). (Optuna's grid sampler lets searches that ask at once pick the same
    point, and maps a point's number to a different point under each seed.)"""

    def __init__(self, grid: dict[str, list[Any]], seed: int | None,
                 lock: Callable[[], AbstractContextManager[Callable[[], None]]]) -> None:
        names = sorted(grid)
        points = [dict(zip(names, values)) for values in itertools.product(*(grid[name] for name in names))]
        random.Random(seed).shuffle(points)
        self.points = points
        self.lock = lock
        self.next = 0  # points before it have a trial that holds them

    def claim(self, study: Study, distributions: dict[str, BaseDistribution]) -> Trial | None:
        """A new running trial of a point that no trial has had, or None when the grid is done.
        Trials left queued (a search stopped between queueing and taking) are taken first."""
        with self.lock() as still_held:
            if not study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
                taken = {
                    _signature(t.system_attrs.get("fixed_params") or t.params)
                    for t in study.get_trials(deepcopy=False) if holds_point(t)
                }
                while self.next < len(self.points) and _signature(self.points[self.next]) in taken:
                    self.next += 1
                if self.next == len(self.points):
                    return None
                still_held()
                study.enqueue_trial(self.points[self.next])
            return study.ask(fixed_distributions=distributions)


INTERRUPTED, DIED, LOST = "interrupted", "its search process died", "the trial worker stopped unexpectedly"


def holds_point(trial: Any) -> bool:
    """Whether a trial keeps its grid point: every trial but one that failed because its search
    stopped (Ctrl-C, SIGTERM, a search or worker that died), whose point a later run trains."""
    return not (trial.state == TrialState.FAIL and trial.user_attrs.get("error") in (INTERRUPTED, DIED, LOST))


def _signature(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(params.items()))

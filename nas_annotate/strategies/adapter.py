"""Strategies as Optuna samplers: our black-box protocol through `ProtocolSampler`, and any
sampler that is not built in through `Guarded`, so that an exception of the strategy's own stops
the search with one line (`StrategyFailed`) and leaves the study as it was."""

from __future__ import annotations

from typing import Any, Sequence

from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from .base import PARENTS_KEPT, Child, History, Result, Space
from .kinds import one_line

STATES = {
    TrialState.COMPLETE: "complete", TrialState.RUNNING: "running", TrialState.PRUNED: "pruned",
    TrialState.FAIL: "failed", TrialState.WAITING: "waiting",
}


class StrategyFailed(Exception):
    """The strategy raised, or proposed what is not a choice of the space, while asked for the
    trial `trial_id` (None: when told how a trial ended)."""

    def __init__(self, message: str, trial_id: int | None = None) -> None:
        super().__init__(message)
        self.trial_id = trial_id


PARENT = "parent"  # the user attribute of a trial whose architecture was made from another's


def name_parent(study: Study, trial: FrozenTrial, parent: int) -> None:
    """Record that `trial` was made from trial number `parent` (asked for, not yet running)."""
    study._storage.set_trial_user_attr(trial._trial_id, PARENT, int(parent))


def parents_of(sampler: Any, study: Study) -> set[int] | None:
    """The trials the search's strategy may still name as parents; None for a strategy that
    names none (its trials inherit nothing)."""
    inner = sampler.sampler if isinstance(sampler, Guarded) else sampler
    parents = getattr(inner, "parents", None)
    return None if parents is None else parents(study)


class StrategyDone(Exception):
    """The strategy has nothing left to propose (an Optuna sampler called `study.stop()`)."""


FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def history(
    study: Study, search_space: Any, exclude: int | None = None, names: set[str] | None = None,
    finished: dict[int, Result] | None = None,
) -> History:
    """Every trial of `study` but `exclude`, as results in our language; a trial another search
    has just asked for is there by its parameters until its choice is set.  `finished` keeps the
    results of ended trials (which never change) from one call to the next."""
    results = []
    multi = len(study.directions) > 1
    names = names if names is not None else set(search_space.distributions())
    finished = finished if finished is not None else {}
    for trial in study.get_trials(deepcopy=False):
        if trial.number == exclude:
            continue
        known = finished.get(trial.number)
        if known is not None:
            results.append(known)
            continue
        choice = trial.user_attrs.get("choice")
        if choice is None and names <= set(trial.params):
            choice = search_space.choice(trial.params)
        if choice is None:
            continue  # still being asked for
        value: Any = None
        if trial.state == TrialState.COMPLETE and trial.values is not None:
            value = tuple(trial.values) if multi else trial.values[0]
        result = Result(trial.number, choice, STATES.get(trial.state, "failed"), value, dict(trial.intermediate_values))
        if trial.state in FINISHED:
            finished[trial.number] = result
        results.append(result)
    directions = ["maximize" if d == StudyDirection.MAXIMIZE else "minimize" for d in study.directions]
    return History(results, directions)


class ProtocolSampler(BaseSampler):
    """An Optuna sampler that asks a strategy of our protocol for whole choices."""

    def __init__(self, strategy: Any, name: str, space: Space, search_space: Any, seed: int | None = None) -> None:
        self.strategy = strategy
        self.name = name
        self.space = space
        self.search_space = search_space
        self._distributions = search_space.distributions()
        self._random = RandomSampler(seed=seed)
        self._asked: dict[int, dict[str, Any]] = {}  # trial number -> the choice, for tell()
        self._names = set(self._distributions)
        self._finished: dict[int, Result] = {}  # the study's ended trials, read once

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    def sample_relative(self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        if not search_space or trial.system_attrs.get("fixed_params"):  # an enqueued trial is given its choice
            return {}
        found = history(study, self.search_space, trial.number, self._names, self._finished)
        try:
            choice = self.strategy.ask(found)
        except Exception as exc:  # noqa: BLE001  (the strategy's own error, reported on one line)
            raise StrategyFailed(f"strategy {self.name!r} failed in ask(): {one_line(exc)}", trial._trial_id) from None
        if isinstance(choice, Child):
            if not any(result.number == choice.parent and result.state == "complete" for result in found):
                raise StrategyFailed(
                    f"strategy {self.name!r} named trial {choice.parent!r} as a parent, and it is no completed trial of the study",
                    trial._trial_id,
                )
            name_parent(study, trial, choice.parent)
            choice = choice.choice
        problem = self.space.check(choice)
        if problem is not None:
            raise StrategyFailed(f"strategy {self.name!r} asked for what is not a choice of the space: {problem}", trial._trial_id)
        self._asked[trial.number] = choice
        return self.search_space.params_of(choice)

    def parents(self, study: Study) -> set[int]:
        """The trials the strategy may still name as parents (its `parents(history)`)."""
        found = history(study, self.search_space, None, self._names, self._finished)
        parents = getattr(self.strategy, "parents", None)
        if parents is None:
            completed = sorted(found.completed(), key=lambda result: result.number)
            return {result.number for result in found.best(PARENTS_KEPT) + completed[-PARENTS_KEPT:]}
        try:
            return {int(number) for number in parents(found)}
        except Exception as exc:  # noqa: BLE001
            raise StrategyFailed(f"strategy {self.name!r} failed in parents(): {one_line(exc)}") from None

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution) -> Any:
        return self._random.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        tell = getattr(self.strategy, "tell", None)
        choice = self._asked.pop(trial.number, None) or trial.user_attrs.get("choice")
        if tell is None or choice is None:
            return
        value: Any = None
        if state == TrialState.COMPLETE and values is not None:
            value = tuple(values) if len(values) > 1 else values[0]
        result = Result(trial.number, choice, STATES.get(state, "failed"), value, dict(trial.intermediate_values))
        try:
            tell(result)
        except Exception as exc:  # noqa: BLE001
            raise StrategyFailed(f"strategy {self.name!r} failed in tell(): {one_line(exc)}") from None

    def reseed_rng(self) -> None:
        self._random.reseed_rng()


class Guarded(BaseSampler):
    """A sampler that is not ours, its exceptions turned into `StrategyFailed`."""

    def __init__(self, sampler: BaseSampler, name: str) -> None:
        self.sampler = sampler
        self.name = name

    def _failed(self, where: str, exc: Exception, trial: FrozenTrial | None) -> StrategyFailed:
        return StrategyFailed(
            f"strategy {self.name!r} failed in {where}(): {one_line(exc)}", trial._trial_id if trial is not None else None
        )

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        try:
            return self.sampler.infer_relative_search_space(study, trial)
        except Exception as exc:  # noqa: BLE001
            raise self._failed("infer_relative_search_space", exc, trial) from None

    def sample_relative(self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        try:
            return self.sampler.sample_relative(study, trial, search_space)
        except Exception as exc:  # noqa: BLE001
            raise self._failed("sample_relative", exc, trial) from None

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution) -> Any:
        try:
            return self.sampler.sample_independent(study, trial, param_name, param_distribution)
        except Exception as exc:  # noqa: BLE001
            raise self._failed("sample_independent", exc, trial) from None

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        try:
            self.sampler.before_trial(study, trial)
        except Exception as exc:  # noqa: BLE001
            raise self._failed("before_trial", exc, trial) from None

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        try:
            self.sampler.after_trial(study, trial, state, values)
        except RuntimeError as exc:
            if "Study.stop" in str(exc):  # it is done (BruteForceSampler): outside optimize() stop() cannot run
                raise StrategyDone() from None
            raise self._failed("after_trial", exc, None) from None
        except Exception as exc:  # noqa: BLE001
            raise self._failed("after_trial", exc, None) from None

    def reseed_rng(self) -> None:
        self.sampler.reseed_rng()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sampler, name)

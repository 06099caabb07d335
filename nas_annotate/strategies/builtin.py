"""The built-in strategies, on the same interfaces as a plug-in's.

Optuna's samplers (random, tpe, grid) and aging evolution are made by functions of
`(context, seed, **options)`, where the context says whether the study has several objectives
and gives the grid; reinforce is a black-box strategy of our protocol; darts and enas are
one-shot strategies.  Importing this module imports none of them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

from .kinds import BLACKBOX, ONESHOT, OPTUNA, Option, Strategy, describe


@dataclass
class Context:
    """What a built-in Optuna sampler needs of the search: the grid, and several objectives."""

    grid: dict[str, list[Any]] = field(default_factory=dict)
    multi: bool = False


def _random(context: Context, seed: int | None = None) -> Any:
    from optuna.samplers import RandomSampler

    return RandomSampler(seed=seed)


def _tpe(context: Context, seed: int | None = None, n_startup_trials: int = 8) -> Any:
    from optuna.exceptions import ExperimentalWarning
    from optuna.samplers import TPESampler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        return TPESampler(seed=seed, multivariate=True, group=True, n_startup_trials=int(n_startup_trials))


def _evolution(context: Context, seed: int | None = None, population: int = 10, tournament: int | None = None) -> Any:
    from optuna.samplers import NSGAIISampler

    from .evolution import EvolutionSampler

    if context.multi:
        return NSGAIISampler(population_size=int(population), seed=seed)
    size = int(population)
    return EvolutionSampler(population=size, tournament=int(tournament) if tournament else max(2, size // 2), seed=seed)


def _morphism(context: Context, seed: int | None = None, population: int = 10, tournament: int | None = None) -> Any:
    from .evolution import EvolutionSampler

    size = int(population)
    return EvolutionSampler(population=size, tournament=int(tournament) if tournament else max(2, size // 2), seed=seed, preserving=True)


def _grid(context: Context, seed: int | None = None) -> Any:
    from .grid import ExhaustiveGridSampler

    return ExhaustiveGridSampler(context.grid, seed=seed)


def _optuna(name: str, make: Callable[..., Any], summary: str, *options: Option) -> Callable[[], Strategy]:
    return lambda: Strategy(name, name, OPTUNA, make, list(options), takes_seed=True, summary=summary, builtin=True)


def _ours(name: str, module: str, attribute: str) -> Callable[[], Strategy]:
    def make() -> Strategy:
        import importlib

        strategy = describe(name, getattr(importlib.import_module(module, __package__), attribute))
        strategy.builtin = True
        return strategy

    return make


STRATEGIES: dict[str, Callable[[], Strategy]] = {
    "tpe": _optuna(
        "tpe", _tpe, "Optuna's multivariate TPE (multi-objective TPE with several objectives).",
        Option("n_startup_trials", 8, "random trials before the model takes over"),
    ),
    "random": _optuna("random", _random, "Each decision drawn uniformly at random."),
    "evolution": _optuna(
        "evolution", _evolution,
        "Aging evolution (Real et al. 2019): mutate a tournament winner; NSGA-II with several objectives.",
        Option("population", 10, "the population size (--population)"),
        Option("tournament", None, "trials per tournament (default: half the population)"),
    ),
    "morphism": _optuna(
        "morphism", _morphism,
        "Aging evolution whose mutations prefer function-preserving changes; its children always inherit (network morphism, Wei et al. 2016).",
        Option("population", 10, "the population size (--population)"),
        Option("tournament", None, "trials per tournament (default: half the population)"),
    ),
    "grid": _optuna("grid", _grid, "Every architecture once, in a seeded order; shared by the searches of a study."),
    "reinforce": _ours("reinforce", ".reinforce", "Reinforce"),
    "darts": _ours("darts", ".darts", "Darts"),
    "enas": _ours("enas", ".enas", "Enas"),
}

KINDS = {"tpe": BLACKBOX, "random": BLACKBOX, "evolution": BLACKBOX, "morphism": BLACKBOX, "grid": BLACKBOX, "reinforce": BLACKBOX,
         "darts": ONESHOT, "enas": ONESHOT}  # without importing them

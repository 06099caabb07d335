"""`grid`: every architecture once, in a seeded order (the driver's `GridClaims` hands each
point of the grid to exactly one trial, however many searches share the study)."""

from __future__ import annotations

from typing import Any

from optuna.samplers import GridSampler
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState


class ExhaustiveGridSampler(GridSampler):
    """Optuna's grid without its `study.stop()` once the grid is done, which only works inside
    `study.optimize`. The driver's trials come from `GridClaims`, with every parameter fixed."""

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Any) -> None:
        return None

"""What a search optimizes: the reported value, or the objectives `--objective NAME:max|min`
names (entries of the trials' reports; `params` may be counted by the runtime).

One objective is a single-objective study, as without `--objective`; two or more make a
multi-objective one, whose result is a Pareto front (`pareto.py`).  The objectives are a
study's for good: a study remembers them (its `objectives` attribute and Optuna's
directions), and a rerun that names others is refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ..reporting import COUNTED, PRIMARY, objective_values

NAME = re.compile(r"[A-Za-z_][\w.\-]*")
DIRECTIONS = {"max": True, "maximize": True, "min": False, "minimize": False}


@dataclass(frozen=True)
class Objective:
    """An entry of the trials' reports to maximize or minimize."""

    name: str
    maximize: bool

    @property
    def direction(self) -> str:
        return "maximize" if self.maximize else "minimize"

    @property
    def label(self) -> str:
        """The name in tables and plots ("value" for the primary value)."""
        return "value" if self.name == PRIMARY else self.name

    def __str__(self) -> str:
        return f"{self.name}:{'max' if self.maximize else 'min'}"


def parse(text: str) -> Objective:
    """`NAME:max` or `NAME:min` (or `:maximize`, `:minimize`)."""
    name, _, direction = text.rpartition(":")
    if not NAME.fullmatch(name) or direction not in DIRECTIONS:
        raise ValueError(f"--objective {text!r}: give NAME:max or NAME:min, NAME an entry of the reports (or '{COUNTED}', counted)")
    return Objective(name, DIRECTIONS[direction])


def resolve(options: Any) -> list[Objective]:
    """The search's objectives from its options; ValueError for a combination that cannot work."""
    if not options.objectives:
        return [Objective(PRIMARY, (options.direction or "maximize") == "maximize")]
    if options.direction is not None:
        raise ValueError("--direction is the reported value's direction; with --objective, give each objective's (NAME:max or NAME:min)")
    objectives = [parse(text) for text in options.objectives]
    names = [objective.name for objective in objectives]
    if len(set(names)) < len(names):
        raise ValueError(f"an objective is named twice: {', '.join(options.objectives)}")
    if len(objectives) > 1:
        if options.prune:
            raise ValueError(
                "--prune stops trials on one value, and a trial poor on one objective may be on the front by another "
                "(the small models of accuracy against params): it works with one objective only"
            )
    return objectives


def check_study(study: Any, objectives: list[Objective], name: str, url: str) -> None:
    """Refuse a study started on other objectives; remember them in a new one."""
    recorded = study.user_attrs.get("objectives")
    if recorded is None:  # a study created just now, or one of before --objective (it searched the primary value)
        new = not study.get_trials(deepcopy=False) and len(study.directions) == len(objectives)
        recorded = [objective.name for objective in objectives] if new else [PRIMARY]
    had = [Objective(n, d.name == "MAXIMIZE") for n, d in zip(recorded, study.directions)]
    if had == objectives:
        if "objectives" not in study.user_attrs:
            study.set_user_attr("objectives", [objective.name for objective in objectives])
        return
    if len(had) == len(objectives) == 1 and had[0].name == objectives[0].name:
        raise ValueError(f"the study {name!r} in {url} is a {had[0].direction} study, not {objectives[0].direction}")
    raise ValueError(
        f"the study {name!r} in {url} searches {', '.join(map(str, had))}, not {', '.join(map(str, objectives))}; "
        "give the same --objective options, or a new --study NAME or --out DIR"
    )


def study_objectives(study: Any) -> list[Objective]:
    """A study's objectives (a study of before `--objective` searched the primary value)."""
    names = study.user_attrs.get("objectives", [PRIMARY])
    return [Objective(name, direction.name == "MAXIMIZE") for name, direction in zip(names, study.directions)]


def decoded(value: Any) -> Any:
    """A reported value as read from its JSON line: floats (non-finite ones were strings)."""
    if isinstance(value, dict):
        return {str(key): decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decoded(item) for item in value]
    return None if value is None else float(value)


def final_values(entry: dict[str, Any], names: list[str]) -> list[float | None]:
    """Each objective's value in a final report's line (the trial's runtime resolved them)."""
    if "objectives" in entry:
        return decoded(entry["objectives"])
    return objective_values(decoded(entry["value"]), names)


def intermediate_value(entry: dict[str, Any], names: list[str]) -> float | None:
    """The first objective's value in an intermediate report, else its "default" (the primary
    value, as NNI's assessors read it); None when it has neither, or NaN."""
    reported = decoded(entry["value"])
    value = objective_values(reported, names[:1])[0]
    if value is None and isinstance(reported, dict):
        value = reported.get(PRIMARY)
    return None if value is None or math.isnan(value) else value


def shown(values: list[float], objectives: list[Objective]) -> str:
    """A trial's values on one line: `0.9531` alone, or `accuracy 0.9531, params 12,345`."""
    if len(objectives) == 1:
        return f"{values[0]:.6g}"
    return ", ".join(f"{objective.label} {number(value)}" for objective, value in zip(objectives, values))


def number(value: float | None) -> str:
    """A value for people: whole numbers with thousands separators, others to 4 significant digits."""
    if value is None:
        return "-"
    if math.isfinite(value) and value == int(value) and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:.4g}"


"""A strategy searching for real: one `nas-annotate search` per run, whose trials train.

Black-box runs are searches of `--trials` trials (or as many as start within `--budget`
seconds); each trial's time is when it ended, counted from the search's start. A one-shot run
trains its supernet; with a table its architecture is looked up (the table's draw, as for
simulated trials), without one it is trained standalone (`--retrain 1`); its time is the
search's, from its start (the worker's start included, as for black-box runs). A run that
finished in an earlier comparison into the same directory is read, not run again; one that
was stopped part way runs again from its start.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from datetime import datetime
from typing import Any

from ..search.options import Options, SearchProblem
from ..strategies.registry import ONESHOT, Strategy
from ..tabular.table import Table
from .runs import CompareOptions, CompareProblem, Point, Run


def live(
    options: CompareOptions, spec: str, strategy: Strategy, settings: dict[str, Any], name: str, seed: int,
    table: Table | None,
) -> Run:
    """One run of the strategy `spec` names, for real, in OUT/runs/NAME-seedS."""
    import optuna
    from optuna.trial import TrialState

    from ..search.driver import search

    folder = os.path.join(options.out_dir, "runs", f"{name}-seed{seed}")
    url = "sqlite:///" + os.path.abspath(os.path.join(folder, "study.db"))
    oneshot = strategy.kind == ONESHOT
    done = _finished(folder)
    if done is None:
        shutil.rmtree(folder, ignore_errors=True)  # a run stopped part way runs again from its start
        os.makedirs(folder, exist_ok=True)
        search_options = Options(
            script=options.script, args=options.args, sampler=spec, sampler_options=settings, seed=seed, jobs=options.jobs,
            storage=url, study="compare", out=folder, space=options.space, direction=options.direction, quiet=True,
            summary=False, retrain=0 if oneshot and table is not None else 1,
            trials=options.trial_count if options.trial_count is not None else 1_000_000, budget=options.budget,
            gpus=options.gpus, gpus_per_trial=options.gpus_per_trial, trials_per_gpu=options.trials_per_gpu,
        )
        begun, started = time.monotonic(), datetime.now()
        try:
            outcome = search(search_options)
        except SearchProblem as exc:
            raise CompareProblem(f"{name}, seed {seed}: {exc}") from None
        if outcome.interrupted:
            raise KeyboardInterrupt
        done = {"seconds": time.monotonic() - begun, "started": started.isoformat(), "oneshot": outcome.results.get("oneshot")}
        with open(os.path.join(folder, "finished.json"), "w", encoding="utf-8") as handle:
            json.dump(done, handle)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name="compare", storage=url)
    trials = [t for t in study.get_trials(deepcopy=False) if t.state in (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)]
    run = Run(name, seed)
    if oneshot:
        with open(done["oneshot"], encoding="utf-8") as handle:
            state = json.load(handle)
        extra = state.get("hyperparameters", {})
        run.ranking = [({**entry["choice"], **extra}, entry["score"]) for entry in state["ranked"] if entry.get("score") is not None]
        if table is not None:
            choice = {**state["ranked"][0]["choice"], **extra}
            entry = table.lookup(choice)
            draws = random.Random(f"nas-annotate compare draws {seed}")
            value = entry.values[draws.choice(sorted(entry.values))] if entry is not None and entry.values else None
            run.points.append(Point(0, done["seconds"], value, choice, entry.mean if entry else None))
            return run
        trials = trials[-1:]  # the retrained architecture, at the search's end
        for trial in trials:
            run.points.append(_point(trial, done["seconds"], table))
        return run
    start = datetime.fromisoformat(done["started"])
    for trial in sorted(trials, key=lambda t: t.datetime_complete or t.datetime_start):
        ended = (trial.datetime_complete - start).total_seconds() if trial.datetime_complete else 0.0
        run.points.append(_point(trial, ended, table))
    return run


def _point(trial: Any, seconds: float, table: Table | None) -> Point:
    choice = trial.user_attrs.get("choice", {})
    value = trial.values[0] if trial.values else None
    entry = table.lookup(choice) if table is not None else None
    return Point(trial.number, seconds, value, choice, entry.mean if entry else None)


def _finished(folder: str) -> dict[str, Any] | None:
    """What a finished run of an earlier comparison left in `folder`, or None."""
    try:
        with open(os.path.join(folder, "finished.json"), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None

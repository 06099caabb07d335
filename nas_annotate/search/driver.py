"""`nas-annotate search`: an Optuna study whose trials are runs of the user's script.

The driver opens the study (`study.py`), starts the worker (`process.py`, `worker.py`: it forks
each trial from a process that has the script's heavy modules imported already) and runs the
trial loop (`trials.py`): Optuna's parameters become a choice, each trial's reports are
followed, and Optuna is told how it ended at once, so a killed search keeps every finished
trial. One-shot strategies train a supernet first (`supernet_search.py`). Ctrl-C stops the running
trials, records them as failed and writes results.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import sys
from typing import Any, Callable

from ..diagnostics import CompileError, Diagnostic
from . import objectives as objectives_module
from .objectives import Objective
from ..strategies.registry import ONESHOT, Strategy, StrategyProblem
from .options import NothingCompleted, Options, Outcome, SearchProblem, StrategyStopped
from .gpus import GpuProblem, Slots, discover, environment, shown as shown_gpus
from .process import Worker
from .progress import Progress
from .samplers import INTERRUPTED, LOST, MULTI_OBJECTIVE, SAMPLERS, GridClaims, resolve
from .optuna_space import SearchSpace, load_space
from .storage import Retry, StorageLost, claim_lock
from .study import fail_orphans, machine, open_study, trial_count
from .trials import TrialLoop

__all__ = ["SAMPLERS", "NothingCompleted", "Options", "Outcome", "SearchProblem", "StrategyProblem", "search"]


class _Stop(Exception):
    """SIGTERM, turned into the same orderly stop as Ctrl-C."""


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop()


def search(options: Options, echo: Callable[[str], None] | None = None) -> Outcome:
    """Run the search `options` describe; return where its results are. A strategy that cannot
    be found or made as asked is a StrategyProblem, raised before any trial runs."""
    say = echo or ((lambda text: None) if options.quiet else (lambda text: print(text, file=sys.stderr)))
    try:
        found, origin = discover(options.gpus)
        slots = Slots(found, options.gpus_per_trial, options.trials_per_gpu)
    except GpuProblem as exc:
        raise SearchProblem(str(exc)) from None
    if options.jobs is None:  # one trial per GPU slot: what the GPUs can run at once
        options = dataclasses.replace(options, jobs=max(slots.capacity, 1))
    if options.jobs < 1:
        raise SearchProblem("--jobs must be at least 1")
    if options.pruner not in (None, "median", "hyperband"):
        raise SearchProblem(f"--prune takes median or hyperband, not {options.prune!r}")
    strategy, settings = resolve(options)
    try:
        objectives = objectives_module.resolve(options)
        if options.pick is not None:
            from .pareto import Pick

            Pick.parse(options.pick, objectives)
    except ValueError as exc:
        raise SearchProblem(str(exc)) from None
    if len(objectives) > 1 and (strategy.kind == ONESHOT or (strategy.builtin and options.sampler not in MULTI_OBJECTIVE)):
        raise SearchProblem(
            f"--sampler {options.sampler} searches one objective; with several, use {', '.join(MULTI_OBJECTIVE)} "
            "or a black-box strategy of your own"
        )
    if options.sampler == "morphism":
        options = dataclasses.replace(options, inherit=True)
    if options.inherit:
        _check_inherit(options, strategy, len(objectives))
    if strategy.kind != ONESHOT and options.retrain != 1:
        raise SearchProblem(f"--retrain applies to one-shot search (a one-shot strategy such as darts or enas), not to {options.sampler}")
    if not os.path.isfile(options.script):
        what = "is a directory, not a script" if os.path.isdir(options.script) else "no such file"
        raise CompileError([Diagnostic(options.script, 0, 0, what)])
    space = load_space(options.script, options.space)
    out_dir = options.out_dir
    try:
        os.makedirs(os.path.join(out_dir, "trials"), exist_ok=True)
    except OSError as exc:
        message = f"cannot create the output directory: {exc.strerror or exc}"
        raise CompileError([Diagnostic(out_dir, 0, 0, message)]) from None
    worker = Worker(options, out_dir)  # its imports overlap the study's set-up
    try:
        return _search(options, space, objectives, out_dir, worker, say, strategy, settings, slots, origin)
    except StorageLost as exc:  # the worker's end (below) stops the running trials; the study is as told
        raise SearchProblem(str(exc)) from None
    finally:
        worker.close()


def _check_inherit(options: Options, strategy: Strategy, objectives: int) -> None:
    """A SearchProblem where `--inherit` cannot apply: the strategy names no parents."""
    if strategy.kind == ONESHOT:
        raise SearchProblem(
            f"--inherit gives each child its parent's trained weights; one-shot search ({options.sampler}) trains one "
            "supernet whose candidates share their weights already"
        )
    if strategy.builtin and options.sampler not in INHERITING:
        raise SearchProblem(
            f"--inherit: {options.sampler} makes no architecture from another's, so its trials have no parent to inherit "
            f"from; use --sampler {' or '.join(INHERITING)}, or a strategy whose ask returns Child(choice, parent)"
        )
    if objectives > 1 and strategy.builtin:
        raise SearchProblem("--inherit: with several objectives evolution is NSGA-II, whose children name no parent; search one objective")


INHERITING = ("evolution", "morphism")  # the built-ins whose children name their parent


def _search(
    options: Options, space: SearchSpace, objectives: list[Objective], out_dir: str, worker: Worker, say: Callable[[str], None],
    strategy: Strategy, settings: dict[str, Any], slots: Slots, origin: str,
) -> Outcome:
    import optuna

    from .results import write_results

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    retry = Retry(options.db_retry, say)
    owner = {"worker": f"{socket.gethostname()}:{os.getpid()}", "machine": machine()}
    study, name, url, engine = open_study(options, space, objectives, out_dir, retry, owner, strategy, settings)
    claims = None
    if options.sampler == "grid":
        claims = GridClaims(space.grid(), options.seed, lambda: claim_lock(engine, study._study_id))
    driver = TrialLoop(options, space, study, out_dir, say, retry, owner, objectives, claims, slots)
    orphans = fail_orphans(study, owner["machine"])
    if orphans:
        say(f"nas-annotate: {orphans} trial(s) left running by a search that died were marked failed")
    total = trial_count(options, study, space)
    previous = len(study.get_trials(deepcopy=False))
    size = space.size()
    on = shown_gpus(slots.gpus, origin, slots)
    plan = f"{total} trial(s), {options.jobs} at a time" + (f" ({on})" if on else "")
    if strategy.kind == ONESHOT:
        plan = f"one supernet, then {options.retrain} standalone trial(s)"
    say(
        f"nas-annotate: searching {f'{size:,} choices' if size is not None else 'a continuous space'} of {options.script} with {options.sampler}"
        + (" (NSGA-II)" if len(objectives) > 1 and options.sampler == "evolution" else "")
        + (f" for {', '.join(map(str, objectives))}" if options.objectives else "") + ": "
        f"{plan}; study {name!r} in {url}" + (f" ({previous} trial(s) already there)" if previous else "")
    )
    outcome = Outcome(out_dir, name, url)
    found: list[dict[str, Any]] = []
    old_term = signal.signal(signal.SIGTERM, _raise_stop)
    progress = None
    try:
        for module, error in worker.ready().items():
            say(f"nas-annotate: note: could not preload {module} ({error}); each trial imports it")
        if strategy.kind == ONESHOT:
            found, total = _one_shot(options, space, study, out_dir, worker, say, outcome, strategy, settings, slots)
        progress = Progress(total, options, say)
        driver.run(total, worker, progress)
    except (KeyboardInterrupt, _Stop):
        outcome.interrupted = True
        driver.abandon(INTERRUPTED)
        say("nas-annotate: interrupted; running trials were stopped and recorded as failed")
    except StrategyStopped as exc:
        driver.abandon(str(exc))
        write_results(study, space, options, out_dir, final=True, echo=None)
        raise
    except SearchProblem:
        driver.abandon(LOST)
        raise
    finally:
        signal.signal(signal.SIGTERM, old_term)
        if progress is not None:
            progress.close()
        worker.stop()  # the worker ends while the results are written
        outcome.finished = driver.finished
    pick = found[0] if found and not options.retrain else None
    outcome.results.update(
        write_results(
            study, space, options, out_dir, final=True, echo=print if options.summary and not options.quiet else None, pick=pick,
        )
    )
    if not outcome.interrupted and pick is None:
        _check_completed(study, driver.first_failure, outcome)
    return outcome


def _check_completed(study: Any, first_failure: tuple[int, str] | None, outcome: Outcome) -> None:
    """Raise NothingCompleted when no trial of the study (this run's or earlier) has completed."""
    from optuna.trial import TrialState

    counts: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.COMPLETE:
            return
        name = "failed" if trial.state == TrialState.FAIL else trial.state.name.lower()
        counts[name] = counts.get(name, 0) + 1
    ended = ", ".join(f"{count} {name}" for name, count in sorted(counts.items())) or "no trial ran"
    first = f"; the first failure, trial {first_failure[0]}: {first_failure[1]}" if first_failure else ""
    raise NothingCompleted(f"no trial completed ({ended}){first}", outcome)


def _one_shot(
    options: Options, space: SearchSpace, study: Any, out_dir: str, worker: Worker, say: Callable[[str], None],
    outcome: Outcome, strategy: Strategy, settings: dict[str, Any], slots: Slots,
) -> tuple[list[dict[str, Any]], int]:
    """Train the supernet; print what it found; queue the best `--retrain` of it as trials."""
    from .supernet_search import OneShotFailed, candidates, label, leaderboard, plot, run_supernet

    name = label(strategy)
    try:
        state, state_path = run_supernet(options, out_dir, worker, say, strategy, settings, environment(tuple(slots.gpus)))
    except OneShotFailed as exc:
        raise SearchProblem(str(exc)) from None
    found = candidates(state, max(options.retrain, 1))
    outcome.results["oneshot"] = state_path
    outcome.results["oneshot_plot"] = os.path.join(out_dir, f"{name}.png")
    plot(state, outcome.results["oneshot_plot"])
    if not options.quiet:
        print(leaderboard(state))
        print(f"{name} state: {state_path}\n{name} plot: {outcome.results['oneshot_plot']}")
    for rank, choice in enumerate(found[: options.retrain], 1):
        study.enqueue_trial(space.params_of(choice), user_attrs={"source": f"{name} #{rank}"})
    if options.retrain:
        say(f"nas-annotate: retraining the {min(options.retrain, len(found))} best architecture(s) found, standalone")
    return found, min(options.retrain, len(found))

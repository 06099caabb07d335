"""The driver's loop: launch trials on the worker, follow their reports (pruning them when
Optuna says so), stop them at their timeout, and tell Optuna how each ended, at once."""

from __future__ import annotations

import json
import math
import os
import signal
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .objectives import Objective, decoded, final_values, intermediate_value
from ..inherit.store import SUFFIX
from ..strategies.adapter import PARENT, StrategyDone, StrategyFailed, parents_of
from .options import Options, StrategyStopped
from .pictures import Pictures
from .process import GRACE, Worker, kill, tail
from .progress import Progress
from .gpus import Slots, environment
from .samplers import GridClaims
from .optuna_space import SearchSpace
from .storage import Retry

RESULTS_EVERY = 5.0  # seconds between rewrites of results.json/csv while a search runs


@dataclass
class Running:
    """A trial the worker is running: where its output goes and what it has reported."""

    trial: Any
    log: str
    report: str
    started: float
    pid: int | None = None
    offset: int = 0
    final: list[float | None] | None = None  # each objective's value in the last final report
    entries: dict[str, float] | None = None  # that report, when it is a mapping
    curve: dict[int, float] = field(default_factory=dict)  # the first objective's intermediate values
    gpus: tuple[str, ...] = ()  # its GPUs (gpus.Slots)
    ended: str | None = None  # why the driver stopped it: "pruned" or "timeout"
    stopped: float | None = None  # when it was sent SIGTERM
    buffer: bytes = b""
    steps: set[int] = field(default_factory=set)
    inheritance: dict[str, Any] = field(default_factory=dict)  # what it inherited and saved (--inherit)
    parent: int | None = None  # the trial its architecture was made from (--inherit)


class TrialLoop:
    """One run of the driver's loop: launch trials, follow them, tell Optuna how they ended."""

    def __init__(
        self, options: Options, space: SearchSpace, study: Any, out_dir: str, say: Callable[[str], None], retry: Retry,
        owner: dict[str, str], objectives: list[Objective], claims: GridClaims | None = None, slots: Slots | None = None,
    ) -> None:
        self.options = options
        self.objectives = objectives
        self.names = [objective.name for objective in objectives]
        self.space = space
        self.study = study
        self.out_dir = out_dir
        self.say = say
        self.retry = retry
        self.claims = claims
        self.distributions = space.distributions()
        self.owner = owner  # "worker" (host:pid) and "machine"
        self.running: dict[int, Running] = {}
        self.finished = 0
        self.first_failure: tuple[int, str] | None = None  # the run's first failed trial: why, and its log
        self.written = time.monotonic()
        self.pictures = Pictures(options, out_dir)  # each trial's, for optuna-dashboard
        self.exhausted = False  # the strategy has nothing left to propose
        self.slots = slots or Slots([])

    def run(self, total: int, worker: Worker, progress: Progress) -> None:
        """Run `total` trials, `jobs` at a time, until they have all ended."""
        self.progress = progress
        launched = 0
        deadline = None if self.options.budget is None else time.monotonic() + self.options.budget
        while launched < total or self.running:
            if deadline is not None and time.monotonic() >= deadline and launched < total:
                total = launched  # the budget is spent: no trial starts after it
                progress.end(total)
            while launched < total and len(self.running) < self.options.jobs:
                gpus = self.slots.take()
                if gpus is None:
                    break  # every GPU holds its --trials-per-gpu: wait for one
                if self.exhausted or not self.launch(worker, gpus):
                    self.slots.give(gpus)
                    total = launched  # the grid is done: other searches ran the rest
                    progress.end(total)
                    break
                launched += 1
            for message in worker.receive(0.05):
                self.on_message(message)
            self.watch()

    def launch(self, worker: Worker, gpus: tuple[str, ...] = ()) -> bool:
        """Start a trial on `gpus`; False when there is none to run (the grid is done)."""
        if self.claims is not None:  # retried whole: an outage may have taken the lock with it
            trial = self.retry(self.claims.claim, self.study, self.distributions)
            if trial is None:
                return False
        else:
            try:
                trial = self.study.ask(fixed_distributions=self.distributions)
            except StrategyFailed as exc:
                self._fail_asked(exc)
                raise StrategyStopped(str(exc)) from None
        choice = self.space.choice(trial.params)
        stem = os.path.join(os.path.abspath(self.out_dir), "trials", f"{trial.number:05d}")
        run = Running(trial, stem + ".log", stem + ".jsonl", time.monotonic(), gpus=gpus)
        trial.set_user_attr("choice", choice)
        if self.slots.gpus:
            trial.set_user_attr("gpu", ",".join(gpus))
        for key, value in self.owner.items():  # a queued trial carries whoever queued it
            trial.set_user_attr(key, value)
        trial.set_user_attr("log", os.path.relpath(run.log, self.out_dir))
        self.pictures.attach(trial, choice)
        open(run.report, "w").close()
        self.running[trial.number] = run
        request = {
            "trial": trial.number, "script": os.path.abspath(self.options.script), "args": list(self.options.args),
            "choice": choice, "log": run.log, "report": run.report, "objectives": self.names, "env": environment(gpus),
        }
        if self.options.inherit:
            request["inherit"] = self.inheritance(trial, stem + SUFFIX)
            run.parent = request["inherit"]["parent"]
        worker.send(request)
        return True

    def inheritance(self, trial: Any, save_to: str) -> dict[str, Any]:
        """What a trial of an inheriting search is told: where to save its weights, and its
        parent's number and weights (the parent trial's `weights` attribute: a path)."""
        storage = self.study._storage
        parent = storage.get_trial_user_attrs(trial._trial_id).get(PARENT)
        weights = None
        if parent is not None:
            found = [t for t in self.study.get_trials(deepcopy=False) if t.number == parent]
            weights = found[0].user_attrs.get("weights") if found else None
        return {"save": save_to, "parent": parent, "parent_weights": weights}

    def on_message(self, message: dict[str, Any]) -> None:
        from optuna.trial import TrialState

        run = self.running.get(message["trial"])
        if run is None:
            return
        if "pid" in message:
            run.pid = message["pid"]
            return
        read_reports(run, self.names)
        del self.running[message["trial"]]
        status = message["status"]
        if run.ended == "pruned":
            self.finish(run, TrialState.PRUNED)
        elif run.ended == "timeout":
            self.finish(run, TrialState.FAIL, error=f"timed out after {self.options.timeout:g} s")
        elif status != 0:
            self.finish(run, TrialState.FAIL, error=f"killed by signal {-status}" if status < 0 else f"exited with status {status}")
        elif run.final is None:
            self.finish(run, TrialState.FAIL, error="exited without reporting a final result")
        elif None in run.final:
            missing = self.names[run.final.index(None)]
            self.finish(run, TrialState.FAIL, error=f"its final report has no {missing!r}, an objective of this search")
        elif any(math.isnan(value) for value in run.final):  # type: ignore[arg-type]
            self.finish(run, TrialState.FAIL, error="reported NaN")
        else:
            self.finish(run, TrialState.COMPLETE, run.final)  # type: ignore[arg-type]

    def watch(self) -> None:
        """Follow the running trials' reports; stop those pruned or past their timeout."""
        now = time.monotonic()
        for run in self.running.values():
            if run.pid is None:
                continue
            if run.stopped is not None:
                if now - run.stopped > GRACE:
                    kill(run.pid, signal.SIGKILL)
                continue
            if read_reports(run, self.names) and self.options.prune and run.trial.should_prune():
                run.ended = "pruned"
            elif self.options.timeout is not None and now - run.started > self.options.timeout:
                run.ended = "timeout"
            if run.ended:
                run.stopped = now
                kill(run.pid, signal.SIGTERM)

    def finish(self, run: Running, state: Any, values: list[float] | None = None, error: str | None = None) -> None:
        from optuna.trial import TrialState

        from .results import write_results

        duration = time.monotonic() - run.started
        self.slots.give(run.gpus)
        run.trial.set_user_attr("duration", round(duration, 3))
        if error:
            run.trial.set_user_attr("error", error)
            run.trial.set_user_attr("stderr_tail", tail(run.log))
        if run.entries is not None:
            run.trial.set_user_attr("report", run.entries)
        if run.curve:
            run.trial.set_user_attr("intermediate", {str(step): value for step, value in sorted(run.curve.items())})
        if "text" in run.inheritance:
            run.trial.set_user_attr("inherited", run.inheritance["text"])
        saved = run.inheritance.get("weights")
        if saved and state == TrialState.COMPLETE:
            run.trial.set_user_attr("weights", saved)
            run.trial.set_user_attr("weights_seconds", run.inheritance.get("seconds"))
        told = values if values is None or len(values) > 1 else values[0]
        stopped = None
        try:
            self.study.tell(run.trial, told, state=state)
        except StrategyDone:
            self.exhausted = True
        except StrategyFailed as exc:  # the trial's end is recorded all the same
            stopped = StrategyStopped(str(exc))
        self.finished += 1
        if self.options.inherit:
            self.keep_parents()
        self.progress.done(run.trial.number, state, values, duration, error, self.study, self.objectives)
        if error and self.first_failure is None:
            log = os.path.join(self.out_dir, "trials", os.path.basename(run.log))
            self.first_failure = run.trial.number, f"{failure(run.log, error)}; its output: {log}"
            self.progress.note(f"nas-annotate: trial {run.trial.number} failed: {self.first_failure[1]}")
        if stopped is not None:
            raise stopped
        if time.monotonic() - self.written > RESULTS_EVERY:
            write_results(self.study, self.space, self.options, self.out_dir, final=False)
            self.written = time.monotonic()

    def keep_parents(self) -> None:
        """Remove the saved weights of this search's trials that can no longer be parents: those
        that did not complete, and those the strategy says it will not name again (but a
        running trial's parent), so the disk holds a bounded number of them."""
        from optuna.trial import TrialState

        keep = parents_of(self.study.sampler, self.study)
        if keep is None:
            return
        keep |= {run.parent for run in self.running.values() if run.parent is not None}
        directory = os.path.join(os.path.abspath(self.out_dir), "trials")
        numbers = {int(name[: -len(SUFFIX)]) for name in os.listdir(directory) if name.endswith(SUFFIX) and name[: -len(SUFFIX)].isdigit()}
        if not numbers:
            return
        states = {t.number: t.state for t in self.study.get_trials(deepcopy=False) if t.number in numbers}
        for number in numbers:
            if number in self.running or number in keep or states.get(number) in (TrialState.RUNNING, TrialState.WAITING):
                continue
            try:
                os.remove(os.path.join(directory, f"{number:05d}{SUFFIX}"))
            except OSError:
                pass

    def _fail_asked(self, exc: StrategyFailed) -> None:
        """The trial the strategy was being asked for, recorded as failed with why."""
        from optuna.trial import TrialState

        if exc.trial_id is None:
            return
        storage = self.study._storage
        storage.set_trial_user_attr(exc.trial_id, "error", str(exc))
        for key, value in self.owner.items():
            storage.set_trial_user_attr(exc.trial_id, key, value)
        storage.set_trial_state_values(exc.trial_id, TrialState.FAIL)

    def abandon(self, why: str) -> None:
        """Stop every running trial and record it as failed (Ctrl-C, SIGTERM, a lost worker)."""
        from optuna.trial import TrialState

        for run in list(self.running.values()):
            if run.pid is not None:
                kill(run.pid, signal.SIGKILL)
            self.slots.give(run.gpus)
            run.trial.set_user_attr("duration", round(time.monotonic() - run.started, 3))
            run.trial.set_user_attr("error", why)
            self.study.tell(run.trial, state=TrialState.FAIL)
        self.running.clear()


def read_reports(run: Running, names: list[str]) -> bool:
    """Take the trial's new reports; True when an intermediate value went to the study (with
    one objective: its entry, for pruning; with several, the first's are kept in `run.curve`)."""
    try:
        with open(run.report, "rb") as handle:
            handle.seek(run.offset)
            chunk = handle.read()
    except OSError:
        return False
    run.offset += len(chunk)
    run.buffer += chunk
    *lines, run.buffer = run.buffer.split(b"\n")
    intermediate = False
    for line in lines:
        try:
            entry = json.loads(line)
            if "inheritance" in entry:  # what an inheriting trial took from its parent, and saved
                run.inheritance.update(entry["inheritance"])
                continue
            step = entry["step"]
            if step is None:
                run.final, value = final_values(entry, names), decoded(entry["value"])
                run.entries = value if isinstance(value, dict) else None
                continue
            value, step = intermediate_value(entry, names), int(step)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if value is not None and step not in run.steps:
            run.steps.add(step)
            if len(names) > 1:
                run.curve[step] = value
            else:
                run.trial.report(value, step)
                intermediate = True
    return intermediate


def failure(log: str, error: str) -> str:
    """Why a trial failed, on one line: the last line of the last traceback in its log (the
    exception), else its last `FILE:LINE: error: ...` (a bad report, a bad choice), else
    `error` (exited with status 3, timed out after 60 s, ...)."""
    lines = tail(log, 200).splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
    if starts:
        for line in lines[starts[-1] + 1 :]:
            if line.strip() and not line[0].isspace():
                return line.strip()
    errors = [line.strip() for line in lines if ": error: " in line]
    return errors[-1] if errors else error

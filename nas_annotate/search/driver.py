"""`nas-annotate search`: an Optuna study whose trials are runs of the user's script.

The driver asks Optuna for parameters, turns them into a choice, and hands the trial to the
worker (`worker.py`), which forks it from a process that has the script's heavy modules
imported already.  It follows each trial's reports (pruning it when Optuna says so), kills it
at its timeout, and tells Optuna how it ended — at once, so a killed search keeps every
finished trial.  Ctrl-C stops the running trials, records them as failed and writes results.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..diagnostics import CompileError, Diagnostic
from . import objectives as objectives_module
from .objectives import Objective, decoded, final_values, intermediate_value
from .pictures import Pictures
from .samplers import ONESHOT, SAMPLERS, GridClaims, make_sampler
from .space import NotFinite, SearchSpace, load_space, space_files
from .storage import DEFAULT_RETRY, Retry, SearchStorage, StorageLost, claim_lock, database_error

DEFAULT_TRIALS = 20
RESULTS_EVERY = 5.0  # seconds between rewrites of results.json/csv while a search runs
SETUP_ATTEMPTS = 5  # tries at opening a storage whose tables another search is creating


class SearchProblem(Exception):
    """The search cannot start as asked (a clean error for the user, exit status 1)."""


class NothingCompleted(SearchProblem):
    """The search ended, its results written, and no trial of the study has completed."""

    def __init__(self, message: str, outcome: Outcome) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass
class Options:
    """Everything `nas-annotate search` is told."""

    script: str
    args: tuple[str, ...] = ()
    trials: int | None = None
    sampler: str = "tpe"
    seed: int | None = None
    direction: str | None = None  # of the reported value, without `objectives` (None: maximize)
    objectives: tuple[str, ...] = ()  # NAME:max|min, the entries of the reports to optimize
    pick: str | None = None  # which member of a Pareto front is best_choice.json (pareto.Pick)
    jobs: int = 1
    timeout: float | None = None
    prune: bool = False
    storage: str | None = None
    study: str | None = None
    out: str | None = None
    space: tuple[str, ...] = ()
    preload: tuple[str, ...] = ()
    no_preload: bool = False
    fresh: bool = False
    population: int = 10
    retrain: int = 1
    paths: int = 20
    policy: str = "learned"
    darts: str = "one-level"
    db_retry: float = DEFAULT_RETRY
    progress: bool | None = None
    quiet: bool = False

    @property
    def out_dir(self) -> str:
        stem = os.path.splitext(os.path.basename(self.script))[0]
        return self.out or f"search-{stem}"


@dataclass
class _Running:
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
    ended: str | None = None  # why the driver stopped it: "pruned" or "timeout"
    stopped: float | None = None  # when it was sent SIGTERM
    buffer: bytes = b""
    steps: set[int] = field(default_factory=set)


@dataclass
class Outcome:
    """What a search did in this run, and where its results are."""

    out_dir: str
    study_name: str
    storage: str
    finished: int = 0
    interrupted: bool = False
    results: dict[str, str] = field(default_factory=dict)


def _storage(options: Options, out_dir: str) -> tuple[Any, str]:
    """The study's storage, and its URL as shown to the user (without its password).

    Searches that open a new database at once race to create its tables: the losers' SQL
    fails (a table or type that now exists) and is retried, so every one of them joins."""
    import optuna

    url = options.storage or "sqlite:///" + os.path.abspath(os.path.join(out_dir, "study.db"))
    shown = _shown_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}  # a connection that died while idle is replaced, not used
    if url.startswith("sqlite:"):
        kwargs = {"connect_args": {"timeout": 60}}
    for attempt in range(1, SETUP_ATTEMPTS + 1):
        try:
            storage = optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
            break
        except Exception as exc:  # noqa: BLE001  (a bad URL, a missing driver, an unreachable server)
            failed = database_error(exc)
            if failed is not None and failed.statement is not None and attempt < SETUP_ATTEMPTS:
                time.sleep(random.uniform(0.05, 0.3) * attempt)
                continue
            raise SearchProblem(f"cannot open the study storage {shown!r}: {_reason(exc, url)}") from None
    if url.startswith("sqlite:"):
        _write_ahead(storage.engine)
    return storage, shown


def _shown_url(url: str) -> str:
    """`url` as given, with its password, if any, replaced by `***` (parsed as SQLAlchemy does)."""
    shown = re.sub(r"^([\w+]+://[^:/]*:)[^@]*@", r"\1***@", url)
    return re.sub(r"([?&]password=)[^&]*", r"\1***", shown)


def _reason(exc: Exception, url: str) -> str:
    """Why the storage would not open, on one line: the database's own words where it spoke."""
    database = database_error(exc)
    cause = exc.__cause__
    if database is not None:
        text = str(database.orig)
    elif isinstance(exc, ImportError) and cause is not None:
        backend = url.partition(":")[0].partition("+")[0]
        text = f"{cause}: install the database's Python driver, or name an installed one in the URL ({backend}+DRIVER://...)"
    else:
        text = str(exc)
    return " ".join(text.split())


def _write_ahead(engine: Any) -> None:
    """SQLite in write-ahead mode: readers never wait for the writer, and a commit is durable
    against a crash of any process without an fsync each time (synchronous=NORMAL)."""
    from sqlalchemy import event

    def pragmas(connection: Any, record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(engine, "connect", pragmas)
    engine.dispose()


def _preload_modules(options: Options) -> list[str]:
    """Modules the worker imports once: the script's top-level imports that are not its own
    files (those may carry annotations and are compiled per trial), plus --preload."""
    import ast

    if options.no_preload:
        return list(options.preload)
    own = {os.path.dirname(path) for path in space_files(options.script)}
    try:
        with open(options.script, "rb") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return list(options.preload)
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    modules = []
    for name in names:
        top = name.partition(".")[0]
        if any(os.path.exists(os.path.join(d, top + ".py")) or os.path.isdir(os.path.join(d, top)) for d in own):
            continue
        if name not in modules:
            modules.append(name)
    return modules + [m for m in options.preload if m not in modules]


class _Worker:
    """The driver's end of the worker process."""

    def __init__(self, options: Options, out_dir: str) -> None:
        self.log = open(os.path.join(out_dir, "worker.log"), "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nas_annotate.search.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, start_new_session=True,
        )
        self.buffer = b""
        self.send({"preload": _preload_modules(options), "fresh": options.fresh})

    def ready(self) -> dict[str, str]:
        """Wait for the worker's preloads; the modules it could not import, with why."""
        while True:
            for message in self.receive(1.0):
                if message.get("ready"):
                    return message["failed"]

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()

    def receive(self, timeout: float) -> list[dict[str, Any]]:
        import select

        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return []
        chunk = os.read(fd, 65536)
        if not chunk:
            raise SearchProblem("the trial worker stopped unexpectedly; see worker.log in the output directory")
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def stop(self) -> None:
        """Tell the worker to end (it stops any trial still running)."""
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()

    def close(self) -> None:
        """Stop the worker and wait for it."""
        self.stop()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _kill(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except OSError:
        pass


def _tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(handle.tell() - 8192, 0))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _machine() -> str:
    """Where a PID names one process: the host, and on Linux its PID namespace, since
    containers may share a hostname (host networking) but not their processes."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}/pidns:{namespace}"


def _fail_orphans(study: Any, machine: str) -> int:
    """Trials left RUNNING by a search on this machine that died without a word: failed now."""
    from optuna.trial import TrialState

    failed = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner_pid = str(trial.user_attrs.get("worker", "")).rpartition(":")[2]
        if trial.user_attrs.get("machine") == machine and owner_pid.isdigit() and not _alive(int(owner_pid)):
            study._storage.set_trial_user_attr(trial._trial_id, "error", "its search process died")
            study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            failed += 1
    return failed


def _open_study(
    options: Options, space: SearchSpace, objectives: list[Objective], out_dir: str, retry: Retry, owner: dict[str, str],
) -> tuple[Any, str, str, Any]:
    """The study, its name, its storage's URL as shown, and the database engine. Once the
    storage is open, its every call goes through `retry`; the trials it creates carry `owner`."""
    import optuna

    try:
        grid = space.grid() if options.sampler == "grid" else {}
    except NotFinite as exc:
        raise SearchProblem(f"the grid sampler needs a finite space: {exc}") from None
    database, url = _storage(options, out_dir)
    storage = SearchStorage(optuna.storages.get_storage(database), retry, owner)
    name = options.study or os.path.splitext(os.path.basename(options.script))[0]
    pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1) if options.prune else optuna.pruners.NopPruner()
    multi = len(objectives) > 1
    try:
        study = optuna.create_study(
            storage=storage, study_name=name, directions=[objective.direction for objective in objectives], load_if_exists=True,
            sampler=make_sampler(options.sampler, grid, options.seed, options.population, multi), pruner=pruner,
        )
    except Exception as exc:  # noqa: BLE001  (whatever the storage says is the user's to read)
        raise SearchProblem(f"cannot open the study {name!r} in {url}: {_reason(exc, url)}") from None
    attrs = study.user_attrs
    if "space" in attrs and attrs["space"] != space.fingerprint():
        raise SearchProblem(
            f"the study {name!r} in {url} was started on another search space (the annotations changed); "
            "give a new --study NAME or --out DIR to start a new one"
        )
    try:
        objectives_module.check_study(study, objectives, name, url)
    except ValueError as exc:
        raise SearchProblem(str(exc)) from None
    if "space" not in attrs:
        study.set_user_attr("space", space.fingerprint())
        study.set_user_attr("script", os.path.abspath(options.script))
    previous = len(study.get_trials(deepcopy=False))
    if options.seed is not None and previous:  # seeded as before, it would draw the earlier trials again
        study.sampler = make_sampler(options.sampler, grid, _resumed_seed(options.seed, previous), options.population, multi)
    return study, name, url, database.engine


def _resumed_seed(seed: int, previous: int) -> int:
    """The sampler's seed for a study that has `previous` trials: repeatable, and not `seed`."""
    return random.Random(f"{seed}/{previous}").randrange(2**32)


def _trial_count(options: Options, study: Any, space: SearchSpace) -> int:
    """Trials to run now; for the grid, at most what is left of it (searches sharing the study
    may take some of that: the run then ends when the grid does)."""
    if options.sampler != "grid":
        return options.trials if options.trials is not None else DEFAULT_TRIALS
    from optuna.trial import TrialState

    taken = {
        tuple(sorted(t.params.items()))
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING))
    }
    grid = space.grid()
    total = 1
    for values in grid.values():
        total *= len(values)
    left = max(total - len(taken), 0)
    return min(left, options.trials) if options.trials is not None else left


class _Stop(Exception):
    """SIGTERM, turned into the same orderly stop as Ctrl-C."""


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop()


GRACE = 5.0  # seconds a stopped trial gets between SIGTERM and SIGKILL


class _Search:
    """One run of the driver's loop: launch trials, follow them, tell Optuna how they ended."""

    def __init__(
        self, options: Options, space: SearchSpace, study: Any, out_dir: str, say: Callable[[str], None], retry: Retry,
        owner: dict[str, str], objectives: list[Objective], claims: GridClaims | None = None,
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
        self.running: dict[int, _Running] = {}
        self.finished = 0
        self.first_failure: tuple[int, str] | None = None  # the run's first failed trial: why, and its log
        self.written = time.monotonic()
        self.pictures = Pictures(options, out_dir)  # each trial's, for optuna-dashboard

    def run(self, total: int, worker: _Worker, progress: _Progress) -> None:
        """Run `total` trials, `jobs` at a time, until they have all ended."""
        self.progress = progress
        launched = 0
        while launched < total or self.running:
            while launched < total and len(self.running) < self.options.jobs:
                if not self.launch(worker):
                    total = launched  # the grid is done: other searches ran the rest
                    progress.end(total)
                    break
                launched += 1
            for message in worker.receive(0.05):
                self.on_message(message)
            self.watch()

    def launch(self, worker: _Worker) -> bool:
        """Start a trial; False when there is none to run (the grid is done)."""
        if self.claims is not None:  # retried whole: an outage may have taken the lock with it
            trial = self.retry(self.claims.claim, self.study, self.distributions)
            if trial is None:
                return False
        else:
            trial = self.study.ask(fixed_distributions=self.distributions)
        choice = self.space.choice(trial.params)
        stem = os.path.join(os.path.abspath(self.out_dir), "trials", f"{trial.number:05d}")
        run = _Running(trial, stem + ".log", stem + ".jsonl", time.monotonic())
        trial.set_user_attr("choice", choice)
        for key, value in self.owner.items():  # a queued trial carries whoever queued it
            trial.set_user_attr(key, value)
        trial.set_user_attr("log", os.path.relpath(run.log, self.out_dir))
        self.pictures.attach(trial, choice)
        open(run.report, "w").close()
        self.running[trial.number] = run
        worker.send({
            "trial": trial.number, "script": os.path.abspath(self.options.script), "args": list(self.options.args),
            "choice": choice, "log": run.log, "report": run.report, "objectives": self.names,
        })
        return True

    def on_message(self, message: dict[str, Any]) -> None:
        from optuna.trial import TrialState

        run = self.running.get(message["trial"])
        if run is None:
            return
        if "pid" in message:
            run.pid = message["pid"]
            return
        _read_reports(run, self.names)
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
                    _kill(run.pid, signal.SIGKILL)
                continue
            if _read_reports(run, self.names) and self.options.prune and run.trial.should_prune():
                run.ended = "pruned"
            elif self.options.timeout is not None and now - run.started > self.options.timeout:
                run.ended = "timeout"
            if run.ended:
                run.stopped = now
                _kill(run.pid, signal.SIGTERM)

    def finish(self, run: _Running, state: Any, values: list[float] | None = None, error: str | None = None) -> None:
        from .results import write_results

        duration = time.monotonic() - run.started
        run.trial.set_user_attr("duration", round(duration, 3))
        if error:
            run.trial.set_user_attr("error", error)
            run.trial.set_user_attr("stderr_tail", _tail(run.log))
        if run.entries is not None:
            run.trial.set_user_attr("report", run.entries)
        if run.curve:
            run.trial.set_user_attr("intermediate", {str(step): value for step, value in sorted(run.curve.items())})
        told = values if values is None or len(values) > 1 else values[0]
        self.study.tell(run.trial, told, state=state)
        self.finished += 1
        self.progress.done(run.trial.number, state, values, duration, error, self.study, self.objectives)
        if error and self.first_failure is None:
            log = os.path.join(self.out_dir, "trials", os.path.basename(run.log))
            self.first_failure = run.trial.number, f"{_failure(run.log, error)}; its output: {log}"
            self.progress.note(f"nas-annotate: trial {run.trial.number} failed: {self.first_failure[1]}")
        if time.monotonic() - self.written > RESULTS_EVERY:
            write_results(self.study, self.space, self.options, self.out_dir, final=False)
            self.written = time.monotonic()

    def abandon(self, why: str) -> None:
        """Stop every running trial and record it as failed (Ctrl-C, SIGTERM, a lost worker)."""
        from optuna.trial import TrialState

        for run in list(self.running.values()):
            if run.pid is not None:
                _kill(run.pid, signal.SIGKILL)
            run.trial.set_user_attr("duration", round(time.monotonic() - run.started, 3))
            run.trial.set_user_attr("error", why)
            self.study.tell(run.trial, state=TrialState.FAIL)
        self.running.clear()


def search(options: Options, echo: Callable[[str], None] | None = None) -> Outcome:
    """Run the search `options` describe; return where its results are."""
    say = echo or ((lambda text: None) if options.quiet else (lambda text: print(text, file=sys.stderr)))
    if options.sampler not in SAMPLERS:
        raise SearchProblem(f"unknown sampler {options.sampler!r}: use one of {', '.join(SAMPLERS)}")
    if options.jobs < 1:
        raise SearchProblem("--jobs must be at least 1")
    try:
        objectives = objectives_module.resolve(options)
        if options.pick is not None:
            from .pareto import Pick

            Pick.parse(options.pick, objectives)
    except ValueError as exc:
        raise SearchProblem(str(exc)) from None
    if options.sampler not in ONESHOT and options.retrain != 1:
        raise SearchProblem(f"--retrain applies to one-shot search (--sampler {' or '.join(ONESHOT)}), not to {options.sampler}")
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
    worker = _Worker(options, out_dir)  # its imports overlap the study's set-up
    try:
        return _search(options, space, objectives, out_dir, worker, say)
    except StorageLost as exc:  # the worker's end (below) stops the running trials; the study is as told
        raise SearchProblem(str(exc)) from None
    finally:
        worker.close()


def _search(
    options: Options, space: SearchSpace, objectives: list[Objective], out_dir: str, worker: _Worker, say: Callable[[str], None],
) -> Outcome:
    import optuna

    from .results import write_results

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    retry = Retry(options.db_retry, say)
    owner = {"worker": f"{socket.gethostname()}:{os.getpid()}", "machine": _machine()}
    study, name, url, engine = _open_study(options, space, objectives, out_dir, retry, owner)
    claims = None
    if options.sampler == "grid":
        claims = GridClaims(space.grid(), options.seed, lambda: claim_lock(engine, study._study_id))
    driver = _Search(options, space, study, out_dir, say, retry, owner, objectives, claims)
    orphans = _fail_orphans(study, owner["machine"])
    if orphans:
        say(f"nas-annotate: {orphans} trial(s) left running by a search that died were marked failed")
    total = _trial_count(options, study, space)
    previous = len(study.get_trials(deepcopy=False))
    size = space.size()
    plan = f"{total} trial(s), {options.jobs} at a time"
    if options.sampler in ONESHOT:
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
        if options.sampler in ONESHOT:
            found, total = _one_shot(options, space, study, out_dir, worker, say, outcome)
        progress = _Progress(total, options, say)
        driver.run(total, worker, progress)
    except (KeyboardInterrupt, _Stop):
        outcome.interrupted = True
        driver.abandon("interrupted")
        say("nas-annotate: interrupted; running trials were stopped and recorded as failed")
    except SearchProblem:
        driver.abandon("the trial worker stopped unexpectedly")
        raise
    finally:
        signal.signal(signal.SIGTERM, old_term)
        if progress is not None:
            progress.close()
        worker.stop()  # the worker ends while the results are written
        outcome.finished = driver.finished
    pick = found[0] if found and not options.retrain else None
    outcome.results.update(
        write_results(study, space, options, out_dir, final=True, echo=None if options.quiet else print, pick=pick)
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


def _failure(log: str, error: str) -> str:
    """Why a trial failed, on one line: the last line of the last traceback in its log (the
    exception), else its last `FILE:LINE: error: ...` (a bad report, a bad choice), else
    `error` (exited with status 3, timed out after 60 s, ...)."""
    lines = _tail(log, 200).splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
    if starts:
        for line in lines[starts[-1] + 1 :]:
            if line.strip() and not line[0].isspace():
                return line.strip()
    errors = [line.strip() for line in lines if ": error: " in line]
    return errors[-1] if errors else error


def _one_shot(
    options: Options, space: SearchSpace, study: Any, out_dir: str, worker: _Worker, say: Callable[[str], None],
    outcome: Outcome,
) -> tuple[list[dict[str, Any]], int]:
    """Train the supernet; print what it found; queue the best `--retrain` of it as trials."""
    from .oneshot import OneShotFailed, candidates, leaderboard, plot, run_supernet

    settings: dict[str, Any] = (
        {"paths": options.paths, "policy": options.policy} if options.sampler == "enas" else {"bilevel": options.darts == "bilevel"}
    )
    try:
        state, state_path = run_supernet(options, out_dir, worker, say, settings)
    except OneShotFailed as exc:
        raise SearchProblem(str(exc)) from None
    found = candidates(state, max(options.retrain, 1))
    outcome.results["oneshot"] = state_path
    outcome.results["oneshot_plot"] = os.path.join(out_dir, f"{options.sampler}.png")
    plot(state, outcome.results["oneshot_plot"])
    if not options.quiet:
        print(leaderboard(state))
        print(f"{options.sampler} state: {state_path}\n{options.sampler} plot: {outcome.results['oneshot_plot']}")
    for rank, choice in enumerate(found[: options.retrain], 1):
        study.enqueue_trial(space.params_of(choice), user_attrs={"source": f"{options.sampler} #{rank}"})
    if options.retrain:
        say(f"nas-annotate: retraining the {min(options.retrain, len(found))} best architecture(s) found, standalone")
    return found, min(options.retrain, len(found))


def _read_reports(run: _Running, names: list[str]) -> bool:
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


class _Progress:
    """A progress bar on a terminal, a line per trial elsewhere."""

    def __init__(self, total: int, options: Options, say: Callable[[str], None]) -> None:
        self.say = say
        self.quiet = options.quiet
        self.bar = None
        interactive = sys.stderr.isatty() if options.progress is None else options.progress
        if interactive and not options.quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="trial", file=sys.stderr, dynamic_ncols=True)

    def done(
        self, number: int, state: Any, values: list[float] | None, duration: float, error: str | None, study: Any,
        objectives: list[Objective],
    ) -> None:
        from optuna.trial import TrialState

        shown = objectives_module.shown(values, objectives) if values is not None else state.name.lower()
        line = f"trial {number}: {shown} in {duration:.1f} s" + (f" ({error})" if error else "")
        if len(objectives) > 1:
            front = len(study.best_trials)
            standing = {"front": front} if front else {}
            text = f"; front: {front} trial(s)"
        else:
            try:
                standing = {"best": f"{study.best_value:.6g}"}
            except ValueError:
                standing = {}
            text = f"; best so far {standing.get('best')}"
        if self.bar is not None:
            self.bar.update(1)
            if standing:
                self.bar.set_postfix(standing)
            if state != TrialState.COMPLETE:
                self.bar.write(line, file=sys.stderr)
        elif not self.quiet:
            self.say(line + (text if standing else ""))

    def end(self, total: int) -> None:
        """Fewer trials than planned will run (the grid ended early)."""
        if self.bar is not None:
            self.bar.total = total
            self.bar.refresh()

    def note(self, text: str) -> None:
        """A line on stderr, above the bar if there is one (none with --quiet)."""
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        elif not self.quiet:
            self.say(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

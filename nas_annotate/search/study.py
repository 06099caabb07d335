"""The study a search runs: its storage opened (retrying the race of searches that create its
tables), checked against the space and objectives, resumed, and cleared of trials that a dead
search left running."""

from __future__ import annotations

import os
import random
import re
import socket
import time
from typing import Any

from . import objectives as objectives_module
from .objectives import Objective
from .options import DEFAULT_TRIALS, Options, SearchProblem
from .samplers import DIED, holds_point, make_sampler
from ..strategies.registry import Strategy
from .optuna_space import NotFinite, SearchSpace
from .storage import Retry, SearchStorage, database_error

SETUP_ATTEMPTS = 5  # tries at opening a storage whose tables another search is creating


def open_storage(options: Options, out_dir: str) -> tuple[Any, str]:
    """The study's storage, and its URL as shown to the user (without its password).

    Searches that open a new database at once race to create its tables: the losers' SQL
    fails (a table or type that now exists) and is retried, so every one of them joins."""
    import optuna

    url = options.storage or "sqlite:///" + os.path.abspath(os.path.join(out_dir, "study.db"))
    shown = shown_url(url)
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
            raise SearchProblem(f"cannot open the study storage {shown!r}: {reason(exc, url)}") from None
    if url.startswith("sqlite:"):
        _write_ahead(storage.engine)
    return storage, shown


def shown_url(url: str) -> str:
    """`url` as given, with its password, if any, replaced by `***` (parsed as SQLAlchemy does)."""
    shown = re.sub(r"^([\w+]+://[^:/]*:)[^@]*@", r"\1***@", url)
    return re.sub(r"([?&]password=)[^&]*", r"\1***", shown)


def reason(exc: Exception, url: str) -> str:
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def machine() -> str:
    """Where a PID names one process: the host, and on Linux its PID namespace, since
    containers may share a hostname (host networking) but not their processes."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}/pidns:{namespace}"


def fail_orphans(study: Any, machine: str) -> int:
    """Trials left RUNNING by a search on this machine that died without a word: failed now."""
    from optuna.trial import TrialState

    failed = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner_pid = str(trial.user_attrs.get("worker", "")).rpartition(":")[2]
        if trial.user_attrs.get("machine") == machine and owner_pid.isdigit() and not _alive(int(owner_pid)):
            study._storage.set_trial_user_attr(trial._trial_id, "error", DIED)
            study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            failed += 1
    return failed


def grid_of(options: Options, space: SearchSpace) -> dict[str, list[Any]]:
    """The grid of the space when the strategy is the grid, else nothing."""
    try:
        return space.grid() if options.sampler == "grid" else {}
    except NotFinite as exc:
        raise SearchProblem(f"the grid sampler needs a finite space: {exc}") from None


def make_pruner(options: Options) -> Any:
    """The pruning rule of `--prune`: the median rule, Hyperband (the step of the intermediate
    reports as its resource, the largest step of the first completed trials as its maximum), or none.

    Hyperband keeps the better half at each rung (reduction factor 2, not Optuna's 3): on the
    digits table's curves (`benchmarks/bench_strategies.py simulate --sim-first-seed 100
    --sim-seeds 400`: tpe, 24 trials of 5 epochs), a factor of 3 found as good a best as no
    pruning on 259 of 400 seeds in 0.83x the modelled time, 2 on 334 in 0.90x (4: 284, 0.85x;
    a first rung of 2: 315, 0.87x).  None reaches issue 22's 0.6x the time there: five reports
    make two or three brackets, and a trial's fixed cost (its start, the first epoch's tracing)
    is paid however early it stops."""
    import optuna

    if options.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)
    if options.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource="auto", reduction_factor=2)
    return optuna.pruners.NopPruner()


def open_study(
    options: Options, space: SearchSpace, objectives: list[Objective], out_dir: str, retry: Retry, owner: dict[str, str],
    strategy: Strategy, settings: dict[str, Any],
) -> tuple[Any, str, str, Any]:
    """The study, its name, its storage's URL as shown, and the database engine. Once the
    storage is open, its every call goes through `retry`; the trials it creates carry `owner`."""
    import optuna

    grid = grid_of(options, space)
    multi = len(objectives) > 1
    sampler = make_sampler(strategy, grid, options.seed, multi=multi, settings=settings, space=space)
    database, url = open_storage(options, out_dir)
    storage = SearchStorage(optuna.storages.get_storage(database), retry, owner)
    name = options.study or os.path.splitext(os.path.basename(options.script))[0]
    try:
        study = optuna.create_study(
            storage=storage, study_name=name, directions=[objective.direction for objective in objectives], load_if_exists=True,
            sampler=sampler, pruner=make_pruner(options),
        )
    except Exception as exc:  # noqa: BLE001  (whatever the storage says is the user's to read)
        raise SearchProblem(f"cannot open the study {name!r} in {url}: {reason(exc, url)}") from None
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
        study.sampler = make_sampler(strategy, grid, _resumed_seed(options.seed, previous), multi=multi, settings=settings, space=space)
    return study, name, url, database.engine


def _resumed_seed(seed: int, previous: int) -> int:
    """The sampler's seed for a study that has `previous` trials: repeatable, and not `seed`."""
    return random.Random(f"{seed}/{previous}").randrange(2**32)


def trial_count(options: Options, study: Any, space: SearchSpace) -> int:
    """Trials to run now; for the grid, at most what is left of it (searches sharing the study
    may take some of that: the run then ends when the grid does)."""
    if options.sampler != "grid":
        return options.trials if options.trials is not None else DEFAULT_TRIALS
    from optuna.trial import TrialState

    taken = {
        tuple(sorted(t.params.items()))
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING))
        if holds_point(t)
    }
    grid = space.grid()
    total = 1
    for values in grid.values():
        total *= len(values)
    left = max(total - len(taken), 0)
    return min(left, options.trials) if options.trials is not None else left

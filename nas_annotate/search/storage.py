"""The study's database, beyond what Optuna's RDBStorage does: riding out an outage (a server
restart, a network blip) by retrying every call with backoff for a bounded time, and a lock
that serializes the grid's claims between the searches that share a study."""

from __future__ import annotations

import abc
import contextlib
import copy
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState, create_trial

DEFAULT_RETRY = 60.0  # seconds a search waits for its database (--db-retry)
FIRST_WAIT, LONGEST_WAIT = 0.25, 8.0  # seconds between attempts: doubling from the first, capped
CLAIMS = 0x6E617367  # the first key of the grid's PostgreSQL advisory lock ("nasg"); the study's id is the second


class StorageLost(Exception):
    """The study's database failed for longer than the search waits for it."""


def database_error(exc: BaseException) -> Any:
    """The database's own error behind `exc` (SQLAlchemy's DBAPIError, Optuna wraps it), or None."""
    from sqlalchemy.exc import DBAPIError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DBAPIError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _transient(exc: BaseException) -> bool:
    """Whether `exc` is the connection's failure (worth retrying) rather than the statement's."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    error = database_error(exc)
    return error is not None and (isinstance(error, (OperationalError, InterfaceError)) or error.connection_invalidated)


def _words(exc: BaseException) -> str:
    """What went wrong, on one line: the database's own words where it spoke."""
    error = database_error(exc)
    return " ".join(str(error.orig if error is not None else exc).split())


class Retry:
    """Runs calls into the database; while they fail for want of a connection, says so once and
    tries again, waiting longer each time, until `bound` seconds after the first failure."""

    def __init__(self, bound: float, say: Callable[[str], None]) -> None:
        self.bound = bound
        self.say = say
        self.failing_since: float | None = None  # the outage under way, shared by every call

    def __call__(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        wait = FIRST_WAIT
        while True:
            try:
                result = function(*args, **kwargs)
            except Exception as exc:
                if not _transient(exc):
                    raise
                now = time.monotonic()
                if self.failing_since is None:
                    self.failing_since = now
                    if self.bound > 0:
                        self.say(f"nas-annotate: the study storage failed ({_words(exc)}); retrying for up to {self.bound:g} s")
                left = self.failing_since + self.bound - now
                if left <= 0:
                    raise StorageLost(
                        f"the study storage failed for {self.bound:g} s ({_words(exc)}); the study keeps every trial told so "
                        "far: rerun the same command to resume (--db-retry SECONDS waits longer)"
                    ) from None
                time.sleep(min(wait, left))
                wait = min(wait * 2, LONGEST_WAIT)
                continue
            if self.failing_since is not None:
                self.say(f"nas-annotate: the study storage answers again after {time.monotonic() - self.failing_since:.1f} s")
                self.failing_since = None
            return result


def _retried(name: str) -> Callable[..., Any]:
    def method(self: SearchStorage, *args: Any, **kwargs: Any) -> Any:
        return self.retry(getattr(self.inner, name), *args, **kwargs)

    method.__name__ = name
    return method


class SearchStorage(BaseStorage):
    """The search's Optuna storage: every call goes through `retry` (asking, telling, reporting,
    attributes, queueing and reading trials alike), and every trial it creates carries `owner`
    (the search's `worker` and `machine`) from its first commit, so that whenever the search
    stops, the trials it leaves running are known to be its own."""

    def __init__(self, inner: BaseStorage, retry: Retry, owner: dict[str, str]) -> None:
        self.inner = inner
        self.retry = retry
        self.owner = owner

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        template = copy.deepcopy(template_trial) if template_trial is not None else create_trial(state=TrialState.RUNNING)
        template.user_attrs = {**self.owner, **template.user_attrs}
        return self.retry(self.inner.create_new_trial, study_id, template)

    def set_trial_state_values(self, trial_id: int, state: TrialState, values: Sequence[float] | None = None) -> bool:
        """Finish (or start) a trial. A retry after a failure reads the trial first: if the failed
        attempt finished it after all (its commit went through, its answer was lost), it is done."""
        attempts = 0

        def attempt() -> bool:
            nonlocal attempts
            attempts += 1
            if attempts > 1 and state.is_finished() and self.inner.get_trial(trial_id).state == state:
                return True
            return self.inner.set_trial_state_values(trial_id, state, values)

        return self.retry(attempt)


for _name in sorted(BaseStorage.__abstractmethods__ - {"create_new_trial", "set_trial_state_values"}) + [
    "get_best_trial", "get_n_trials", "get_trial_id_from_study_id_trial_number", "get_trial_number_from_id",
    "get_trial_param", "get_trial_params", "get_trial_system_attrs", "get_trial_user_attrs",
]:
    setattr(SearchStorage, _name, _retried(_name))
abc.update_abstractmethods(SearchStorage)


@contextlib.contextmanager
def claim_lock(engine: Any, study_id: int) -> Iterator[Callable[[], None]]:
    """Hold the study's grid lock: one search at a time claims a grid point, across processes
    and machines. Yields a check that raises when the lock has been lost since (its connection
    to the server dropped), to be called before a write that must happen under the lock.

    PostgreSQL: a transaction-level advisory lock, which ends with its connection, so a search
    that dies holds nothing. SQLite: a file lock in the temporary directory, named after the
    database's path (an SQLite study's searches all run on one machine). Other databases: none."""
    backend = engine.dialect.name
    if backend == "postgresql":
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        connection = engine.connect()
        try:
            connection.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": CLAIMS, "b": study_id})
            yield lambda: connection.execute(text("SELECT 1")).close()
        finally:
            with contextlib.suppress(DBAPIError):  # a connection that died took the lock with it
                connection.close()  # rolls back, which releases the lock
    elif backend == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        import fcntl

        database = os.path.realpath(engine.url.database)
        key = hashlib.sha256(f"{database}\0{study_id}".encode()).hexdigest()[:24]
        with open(os.path.join(tempfile.gettempdir(), f"nas-annotate-grid-{key}.lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, or the process dies
            yield lambda: None
    else:
        yield lambda: None

"""The search's storage without a server: retrying with backoff within the bound, telling a trial
once when a tell's answer was lost, and trials created with their owner. (A real server stopped
and restarted under a search: test_search_postgres.py.)"""

from __future__ import annotations

import pytest
from conftest import SEARCH, require

require(*SEARCH)
import optuna  # noqa: E402
from optuna.exceptions import StorageInternalError  # noqa: E402
from optuna.storages import InMemoryStorage  # noqa: E402
from optuna.trial import TrialState  # noqa: E402
from sqlalchemy.exc import IntegrityError, OperationalError  # noqa: E402

from nas_annotate.search import storage as storage_module  # noqa: E402
from nas_annotate.search.storage import Retry, SearchStorage, StorageLost  # noqa: E402

OWNER = {"worker": "host:1", "machine": "host/pidns:1"}


def lost_connection() -> StorageInternalError:
    """What Optuna raises when the server went away: its own error, from SQLAlchemy's."""
    error = StorageInternalError("An exception is raised during the commit.")
    error.__cause__ = OperationalError("COMMIT", {}, Exception("server closed the connection\nunexpectedly"))
    return error


class Clock:
    """time.monotonic and time.sleep for the retry, without waiting."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 0.0
        self.waits: list[float] = []
        monkeypatch.setattr(storage_module.time, "monotonic", lambda: self.now)
        monkeypatch.setattr(storage_module.time, "sleep", self.sleep)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def failing(times: int, error: Exception | None = None):
    """A call that fails `times` times, then answers 'ok'."""
    calls = []

    def call() -> str:
        calls.append(None)
        if len(calls) <= times:
            raise error or lost_connection()
        return "ok"

    return call


def test_a_lost_connection_is_retried_with_growing_waits_and_said_once(monkeypatch):
    clock = Clock(monkeypatch)
    said: list[str] = []
    assert Retry(60, said.append)(failing(5)) == "ok"
    assert clock.waits == [0.25, 0.5, 1.0, 2.0, 4.0]
    assert said == [
        "nas-annotate: the study storage failed (server closed the connection unexpectedly); retrying for up to 60 s",
        "nas-annotate: the study storage answers again after 7.8 s",
    ]


def test_waits_are_capped_and_the_bound_ends_the_retries(monkeypatch):
    clock = Clock(monkeypatch)
    retry = Retry(30, lambda text: None)
    with pytest.raises(StorageLost, match=r"^the study storage failed for 30 s \(server closed the connection unexpectedly\); "):
        retry(failing(1000))
    assert max(clock.waits) == storage_module.LONGEST_WAIT and clock.now == 30
    assert Retry(0, lambda text: None)(failing(0)) == "ok"
    with pytest.raises(StorageLost):
        Retry(0, lambda text: None)(failing(1))


def test_a_call_retried_whole_shares_the_bound_of_the_calls_inside_it(monkeypatch):
    clock = Clock(monkeypatch)
    retry = Retry(10, lambda text: None)
    with pytest.raises(StorageLost):
        retry(lambda: retry(failing(1000)))  # a grid claim, retried whole, around the storage's calls
    assert clock.now == 10


def test_other_errors_are_not_retried(monkeypatch):
    clock = Clock(monkeypatch)
    with pytest.raises(ValueError):
        Retry(60, lambda text: None)(failing(1, ValueError("a bad value")))
    duplicate = StorageInternalError("commit")
    duplicate.__cause__ = IntegrityError("INSERT", {}, Exception("duplicate key"))
    with pytest.raises(StorageInternalError):
        Retry(60, lambda text: None)(failing(1, duplicate))
    assert clock.waits == []


class AnswerLost(InMemoryStorage):
    """A storage whose first tell goes through but whose answer is lost, as when the server
    restarts between the commit and the reply."""

    lost = False

    def set_trial_state_values(self, trial_id, state, values=None):
        done = super().set_trial_state_values(trial_id, state, values)
        if state.is_finished() and not self.lost:
            self.lost = True
            raise lost_connection()
        return done


def test_a_tell_whose_answer_was_lost_is_not_told_twice(monkeypatch):
    Clock(monkeypatch)
    inner = AnswerLost()
    study = optuna.create_study(storage=SearchStorage(inner, Retry(60, lambda text: None), OWNER), direction="maximize")
    trial = study.ask()
    study.tell(trial, 3.0)  # without the check, the retry fails: the trial is finished already
    assert inner.lost
    assert [(t.state, t.value) for t in study.get_trials()] == [(TrialState.COMPLETE, 3.0)]


def test_every_trial_is_created_with_its_owner(monkeypatch):
    study = optuna.create_study(storage=SearchStorage(InMemoryStorage(), Retry(60, lambda text: None), OWNER))
    study.enqueue_trial({"x": 1}, user_attrs={"source": "darts #1"})
    queued = study.ask()
    fresh = study.ask()
    assert queued.user_attrs == {**OWNER, "source": "darts #1"} and queued.params == {}
    assert fresh.user_attrs == OWNER and fresh.number == 1
    assert all(t.state == TrialState.RUNNING for t in study.get_trials())

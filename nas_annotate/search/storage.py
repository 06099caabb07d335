"""The study's database, beyond what Optuna's RDBStorage does: a lock that serializes the grid's
claims between the searches that share a study."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

CLAIMS = 0x6E617367  # the first key of the grid's PostgreSQL advisory lock ("nasg"); the study's id is the second


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

        with engine.connect() as connection:  # closing it rolls back, which releases the lock
            connection.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": CLAIMS, "b": study_id})
            yield lambda: connection.execute(text("SELECT 1")).close()
    elif backend == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        import fcntl

        database = os.path.realpath(engine.url.database)
        key = hashlib.sha256(f"{database}\0{study_id}".encode()).hexdigest()[:24]
        with open(os.path.join(tempfile.gettempdir(), f"nas-annotate-grid-{key}.lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, or the process dies
            yield lambda: None
    else:
        yield lambda: None

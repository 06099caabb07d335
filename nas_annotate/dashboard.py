"""`nas-annotate dashboard [OUT_DIR | --storage URL]`: optuna-dashboard on a search's study,
served until Ctrl-C, with the pictures each trial was given (the search's artifact store)."""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class DashboardProblem(Exception):
    """Why the dashboard cannot start, on one line."""


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base class's name)
        """Requests are not logged."""


@dataclass
class Dashboard:
    """A dashboard ready to serve: its server bound, its studies found."""

    server: Any
    url: str
    studies: list[tuple[int, str, int]]  # (id, name, trials)
    storage_url: str
    artifacts: str | None

    def serve(self) -> None:
        """Serve until Ctrl-C (SIGINT, even where a shell started it in the background) or
        SIGTERM, then close the socket."""
        stops = (signal.SIGINT, signal.SIGTERM) if threading.current_thread() is threading.main_thread() else ()
        previous = {number: signal.signal(number, _interrupt) for number in stops}
        try:
            self.server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.server.server_close()
            for number, handler in previous.items():
                signal.signal(number, handler)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def open_dashboard(out_dir: str | None, storage_url: str | None, host: str = "127.0.0.1", port: int = 8080,
                   artifacts: str | None = None) -> Dashboard:
    """Open the study storage of a search (its output directory, or `storage_url`), check it
    holds a study, and bind the server. Raises DashboardProblem."""
    import optuna
    from optuna.artifacts import FileSystemArtifactStore
    from optuna_dashboard import wsgi

    from .search.study import reason, shown_url
    from .search.pictures import ARTIFACTS

    if (out_dir is None) == (storage_url is None):
        raise DashboardProblem("give a search's output directory or --storage URL (one of them)")
    if artifacts is not None and not os.path.isdir(artifacts):
        raise DashboardProblem(f"--artifacts {artifacts}: no such directory")
    if out_dir is not None:
        if not os.path.isdir(out_dir):
            raise DashboardProblem("no such directory")
        database = os.path.join(out_dir, "study.db")
        if not os.path.isfile(database):
            raise DashboardProblem("no study here (no study.db); for a search whose study is in a database: --storage URL")
        storage_url = "sqlite:///" + os.path.abspath(database)
        artifacts = artifacts or os.path.join(out_dir, ARTIFACTS)
    assert storage_url is not None
    shown = shown_url(storage_url)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        storage = optuna.storages.RDBStorage(storage_url, skip_table_creation=True)
        summaries = optuna.get_all_study_summaries(storage, include_best_trial=False)
    except Exception as exc:  # noqa: BLE001  (a bad URL, a missing driver, an unreachable server, no tables)
        raise DashboardProblem(f"cannot open the study storage {shown!r}: {reason(exc, storage_url)}") from None
    if not summaries:
        raise DashboardProblem(f"no study in {shown}")
    store = FileSystemArtifactStore(artifacts) if artifacts is not None else None  # a search's own may come with its first trial
    app = wsgi(storage, artifact_store=store)
    try:
        server = make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
    except OSError as exc:
        hint = " (another program uses it: choose another --port)" if exc.errno == errno.EADDRINUSE else ""
        raise DashboardProblem(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from None
    bound = server.server_address[1]
    studies = [(s._study_id, s.study_name, s.n_trials) for s in summaries]
    shown_host = f"[{host}]" if ":" in host else host
    return Dashboard(server, f"http://{shown_host}:{bound}/dashboard/", studies, shown, artifacts)


def main(out_dir: str | None, storage_url: str | None, host: str, port: int, artifacts: str | None) -> int:
    """Serve, saying where; one line and exit status 1 when it cannot."""
    try:
        dashboard = open_dashboard(out_dir, storage_url, host, port, artifacts)
    except DashboardProblem as exc:
        print(f"{out_dir if out_dir is not None and storage_url is None else 'nas-annotate'}: error: {exc}", file=sys.stderr)
        return 1
    for study_id, name, trials in dashboard.studies:
        print(f"study {name!r}: {trials} trial(s): {dashboard.url}studies/{study_id}", file=sys.stderr)
    pictures = f"pictures from {dashboard.artifacts}" if dashboard.artifacts else "no pictures: --artifacts DIR serves them"
    print(f"nas-annotate: dashboard of {dashboard.storage_url} at {dashboard.url} ({pictures}); Ctrl-C stops it",
          file=sys.stderr, flush=True)
    dashboard.serve()
    print("nas-annotate: dashboard stopped", file=sys.stderr)
    return 0

"""`nas-annotate search --storage postgresql://...`: searches on many machines, one study.

A session-scoped fixture starts a throwaway PostgreSQL cluster (initdb, pg_ctl; as the
`postgres` user when the tests run as root) on a unix socket in a temporary directory, and
stops and removes it at the end; each test gets a new database in it.  The searches are
those of test_search.py: its pure-Python trial, its command line and its environment.
The tests skip, saying why, where the server's programs, the `postgres` user or the
psycopg2 driver are missing.
"""

from __future__ import annotations

import glob
import itertools
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import test_search as base

optuna = pytest.importorskip("optuna")

from nas_annotate.search import Options
from nas_annotate.search import study as search_study
from nas_annotate.search.optuna_space import load_space

trial = base.trial  # the fixture: a copy of the toy trial in the test's directory


def _program(name: str) -> str | None:
    """A PostgreSQL server program: on PATH, else in Debian's versioned directory."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else None


@dataclass
class Server:
    """The session's PostgreSQL server: the directory of its unix socket, and pg_ctl to stop and
    start it (a test that stops it starts it again)."""

    home: str
    pg_ctl: Callable[..., subprocess.CompletedProcess]

    def start(self) -> None:
        started = self.pg_ctl("start")
        assert started.returncode == 0, started.stderr

    def stop(self) -> None:
        stopped = self.pg_ctl("-m", "fast", "stop")
        assert stopped.returncode == 0, stopped.stderr


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """A running PostgreSQL cluster for this session."""
    pytest.importorskip("psycopg2", reason="the PostgreSQL driver psycopg2 is not installed (pip install psycopg2-binary)")
    initdb, pg_ctl = _program("initdb"), _program("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("the PostgreSQL server programs initdb and pg_ctl are not installed")
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the PostgreSQL server as")
        runuser = shutil.which("runuser")
        if not runuser:
            pytest.skip("running as root and there is no runuser to run the PostgreSQL server as 'postgres'")
        as_user = [runuser, "-u", "postgres", "--"]
    home = tempfile.mkdtemp(prefix="nas-pg-")  # short: a socket's path must fit in 107 bytes
    if as_user:
        os.chown(home, owner.pw_uid, owner.pw_gid)
    data, log = os.path.join(home, "data"), os.path.join(home, "server.log")
    settings = f"-k {home} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"

    def pg_ctl_(*args: str) -> subprocess.CompletedProcess:
        options = ["-l", log, "-o", settings, "-t", "60"] if args[-1] == "start" else []
        return subprocess.run([*as_user, pg_ctl, "-D", data, *options, "-w", *args], capture_output=True, text=True, cwd=home, check=False)

    try:
        made = subprocess.run([*as_user, initdb, "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"],
                              capture_output=True, text=True, cwd=home, check=False)
        if made.returncode != 0:
            pytest.fail(f"initdb failed:\n{made.stdout}{made.stderr}")
        started = pg_ctl_("start")
        if started.returncode != 0:
            pytest.fail(f"the PostgreSQL server did not start:\n{started.stderr}\n{Path(log).read_text() if os.path.exists(log) else ''}")
        yield Server(home, pg_ctl_)
    finally:
        if os.path.exists(os.path.join(data, "postmaster.pid")):  # started, or half started: stop it
            if pg_ctl_("-m", "fast", "stop").returncode != 0:
                pg_ctl_("-m", "immediate", "stop")
        shutil.rmtree(home, ignore_errors=True)


_databases = itertools.count()


@pytest.fixture
def database(postgres: Server) -> str:
    """The URL of a new, empty database (no tables yet: the searches create them)."""
    import psycopg2

    name = f"nas_{os.getpid()}_{next(_databases)}"
    connection = psycopg2.connect(host=postgres.home, user="postgres", dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    connection.close()
    return f"postgresql+psycopg2://postgres@/{name}?host={postgres.home}"


def _command(trial: Path, out: Path, url: str, *args: str) -> list[str]:
    return [base.NAS, "search", str(trial), "-o", str(out), "--storage", url, "--study", "shared", "--no-progress", *args]


def _valid(trial: optuna.trial.FrozenTrial, space) -> bool:
    """The trial's parameters are values of the space's distributions, and its choice theirs."""
    distributions = space.distributions()
    return (
        set(trial.params) == set(distributions)
        and all(distributions[name]._contains(distributions[name].to_internal_repr(value)) for name, value in trial.params.items())
        and space.choice(trial.params) == trial.user_attrs["choice"]
    )


def test_two_machines_share_one_study(trial, tmp_path, database):
    machines = [tmp_path / "machine-a", tmp_path / "machine-b"]
    workers = [
        subprocess.Popen(_command(trial, out, database, "-n", "6", "-s", "random", "--seed", str(seed), "-q", "--", "--sleep", "0.3"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=base.environment())
        for seed, out in enumerate(machines)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr
        assert "Traceback" not in stderr
    study = optuna.load_study(study_name="shared", storage=database)
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == list(range(12)), "none lost, none numbered twice"
    assert len({t._trial_id for t in trials}) == 12
    space = load_space(str(trial))
    for t in trials:
        assert t.state.name == "COMPLETE" and t.value == pytest.approx(base.score(t.user_attrs["choice"]))
        assert _valid(t, space), t.params
    owners = {t.user_attrs["worker"] for t in trials}
    assert len(owners) == 2 and all(sum(t.user_attrs["worker"] == w for t in trials) == 6 for w in owners)
    final = {t.number: t for t in trials}
    documents = [json.loads((out / "results.json").read_text()) for out in machines]
    for document in documents:  # the study as it was when that search ended
        workers = {row["worker"] for row in document["trials"]} - {None}  # None: just asked for, no attributes yet
        assert workers <= owners
        if sum(row["state"] == "complete" for row in document["trials"]) == 12:
            assert workers == owners, "the last to end lists both machines' trials"
        for row in document["trials"]:
            choice = final[row["number"]].user_attrs["choice"]
            if row["state"] == "complete":
                assert (row["choice"], row["value"]) == (choice, final[row["number"]].value)
            else:
                assert row["state"] == "running" and row["choice"] in ({}, choice)
    assert max(sum(row["state"] == "complete" for row in d["trials"]) for d in documents) == 12, "the last to end saw all"
    best = max(trials, key=lambda t: t.value)
    assert documents[0]["best"]["value"] == best.value or documents[1]["best"]["value"] == best.value


def test_searches_opening_a_new_database_at_once_all_join(database):
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def open_storage() -> None:
        barrier.wait()
        try:
            search_study.open_storage(Options(script="unused.py", storage=database), ".")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=open_storage) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_rerunning_the_command_resumes_the_study(trial, tmp_path, database):
    command = _command(trial, tmp_path / "out", database, "-n", "3", "-s", "tpe", "--seed", "0")
    first = subprocess.run(command, check=False, capture_output=True, text=True, env=base.environment())
    assert first.returncode == 0, first.stderr
    assert "already there" not in first.stderr
    second = subprocess.run(command, check=False, capture_output=True, text=True, env=base.environment())
    assert second.returncode == 0, second.stderr
    assert "3 trial(s), 1 at a time; study 'shared' in postgresql+psycopg2://postgres@/" in second.stderr
    assert "(3 trial(s) already there)" in second.stderr
    study = optuna.load_study(study_name="shared", storage=database)
    assert [(t.number, t.state.name) for t in study.trials] == [(n, "COMPLETE") for n in range(6)]
    choices = [t.user_attrs["choice"] for t in study.trials]
    assert choices[3:] != choices[:3], "the rerun added new trials, not a replay of the first run's"
    rows = json.loads((tmp_path / "out" / "results.json").read_text())["trials"]
    assert [row["number"] for row in rows] == list(range(6))
    assert "trials: 6 complete" in second.stdout


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_server_that_is_not_there_is_a_clean_error(trial, tmp_path):
    pytest.importorskip("psycopg2", reason="the PostgreSQL driver psycopg2 is not installed (pip install psycopg2-binary)")
    port = _closed_port()
    url = f"postgresql+psycopg2://nas:secret@127.0.0.1:{port}/nas"
    result = subprocess.run(_command(trial, tmp_path / "out", url, "-n", "1"), check=False, capture_output=True, text=True,
                            env=base.environment(), timeout=60)
    assert result.returncode == 1
    assert f"error: cannot open the study storage 'postgresql+psycopg2://nas:***@127.0.0.1:{port}/nas': " in result.stderr
    assert f'connection to server at "127.0.0.1", port {port} failed: Connection refused' in result.stderr
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1



def test_three_grid_searches_run_every_point_exactly_once(tmp_path, database):
    base.run_at_once([_command(base.GRID, tmp_path / f"machine-{n}", database, "-s", "grid", "-q", "--", "0.05") for n in range(3)])
    base.assert_each_point_ran_once(optuna.load_study(study_name="shared", storage=database), points=24, searches=3)



def _wait_for_trial(out: Path, number: int, process: subprocess.Popen) -> None:
    """Wait until trial `number` runs (its log exists): the search is then waiting for it, not
    in a call to its database."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if (out / "trials" / f"{number:05d}.log").exists():
            return
        time.sleep(0.02)
    pytest.fail(f"trial {number} never started: {process.communicate()[1] if process.poll() is not None else ''}")


def test_a_search_rides_out_a_server_restart(trial, tmp_path, database, postgres):
    trace = tmp_path / "trace.txt"
    command = _command(trial, tmp_path / "out", database, "-n", "8", "-s", "random", "--seed", "0", "--", "--sleep", "1",
                       "--trace", str(trace))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=base.environment())
    _wait_for_trial(tmp_path / "out", 2, process)
    postgres.stop()
    try:
        assert process.poll() is None, "the search was still running when its server stopped"
        time.sleep(3)  # trial 2 ends meanwhile: its result waits for the server
    finally:
        postgres.start()
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "nas-annotate: the study storage failed (" in stderr and "); retrying for up to 60 s" in stderr, stderr
    assert "nas-annotate: the study storage answers again after " in stderr, stderr
    study = optuna.load_study(study_name="shared", storage=database)
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(8)), "none lost, none twice"
    assert all(t.state.name == "COMPLETE" and t.value == pytest.approx(base.score(t.user_attrs["choice"])) for t in trials)
    assert "trials: 8 complete" in stdout


def test_a_grid_search_rides_out_a_server_restart(tmp_path, database, postgres):
    process = subprocess.Popen(_command(base.GRID, tmp_path / "out", database, "-s", "grid", "--", "0.5"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=base.environment())
    _wait_for_trial(tmp_path / "out", 2, process)
    postgres.stop()
    try:
        assert process.poll() is None, "the search was still running when its server stopped"
        time.sleep(3)
    finally:
        postgres.start()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "nas-annotate: the study storage answers again after " in stderr and "Traceback" not in stderr, stderr
    base.assert_each_point_ran_once(optuna.load_study(study_name="shared", storage=database), points=24, searches=1)


def test_a_server_gone_past_the_bound_stops_the_search_and_the_rerun_resumes(trial, tmp_path, database, postgres):
    trace = tmp_path / "trace.txt"

    def command(trials: str) -> list[str]:
        return _command(trial, tmp_path / "out", database, "-n", trials, "-s", "random", "--db-retry", "2", "--", "--sleep", "0.5",
                        "--trace", str(trace))

    process = subprocess.Popen(command("20"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=base.environment())
    _wait_for_trial(tmp_path / "out", 2, process)
    postgres.stop()
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        postgres.start()
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"{trial}: error: the study storage failed for 2 s (") and last.endswith(
        "); the study keeps every trial told so far: rerun the same command to resume (--db-retry SECONDS waits longer)"
    ), stderr
    assert all(base._gone(pid) for pid in base._pids(trace)), "its running trials were stopped"
    study = optuna.load_study(study_name="shared", storage=database)
    assert [t.state.name for t in study.get_trials()] == ["COMPLETE", "COMPLETE", "RUNNING"], "trial 2's result was never told"
    rerun = subprocess.run(command("1"), check=False, capture_output=True, text=True, env=base.environment())
    assert rerun.returncode == 0, rerun.stderr
    assert "1 trial(s) left running by a search that died were marked failed" in rerun.stderr
    trials = study.get_trials()
    assert [(t.state.name, t.user_attrs.get("error")) for t in trials] == [
        ("COMPLETE", None), ("COMPLETE", None), ("FAIL", "its search process died"), ("COMPLETE", None)
    ]


def test_two_objective_searches_share_a_study_and_a_rerun_resumes_it(tmp_path, database):
    costly = base.HERE / "fixtures" / "search" / "costly.py"
    objectives = ["--objective", "accuracy:max", "--objective", "cost:min"]
    machines = [tmp_path / "machine-a", tmp_path / "machine-b"]
    searches = [
        subprocess.Popen(_command(costly, out, database, "-n", "4", "-s", "tpe", "--seed", str(seed), "-q", *objectives),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=base.environment())
        for seed, out in enumerate(machines)
    ]
    for search in searches:
        _, stderr = search.communicate(timeout=120)
        assert search.returncode == 0, stderr
    rerun = subprocess.run(_command(costly, machines[0], database, "-n", "2", *objectives),
                           check=False, capture_output=True, text=True, env=base.environment())
    assert rerun.returncode == 0, rerun.stderr
    assert "(8 trial(s) already there)" in rerun.stderr
    study = optuna.load_study(study_name="shared", storage=database)
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"] and study.user_attrs["objectives"] == ["accuracy", "cost"]
    assert sorted((t.number, t.state.name) for t in study.trials) == [(n, "COMPLETE") for n in range(10)]
    document = json.loads((machines[0] / "results.json").read_text())
    assert set(document["front"]) == {t.number for t in study.best_trials}, "Optuna's own front"


@pytest.mark.parametrize("sampler", ["reinforce", str(base.HERE.parent / "examples" / "strategies" / "local_search.py") + ":LocalSearch"])
def test_plug_in_strategies_share_a_study_on_two_machines_and_resume(trial, tmp_path, database, sampler):
    """Our protocol rebuilds its state from the study: two searches at once never propose an
    architecture the other has tried, and a rerun goes on from both."""
    machines = [tmp_path / "machine-a", tmp_path / "machine-b"]
    workers = [
        subprocess.Popen(_command(trial, out, database, "-n", "5", "-s", sampler, "--seed", str(seed), "-q", "--", "--sleep", "0.2"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=base.environment())
        for seed, out in enumerate(machines)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr
    rerun = subprocess.run(_command(trial, machines[0], database, "-n", "2", "-s", sampler, "-q"), capture_output=True, text=True,
                           env=base.environment())
    assert rerun.returncode == 0, rerun.stderr
    trials = optuna.load_study(study_name="shared", storage=database).get_trials()
    assert sorted(t.number for t in trials) == list(range(12))
    assert all(t.state.name == "COMPLETE" for t in trials)
    assert len({json.dumps(t.user_attrs["choice"], sort_keys=True) for t in trials}) == 12
    space = load_space(str(trial))
    assert all(_valid(t, space) for t in trials)

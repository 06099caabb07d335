"""`nas-annotate search`: encoding, samplers, trial isolation, storage, results.

The trial is tests/fixtures/search/trial.py, pure Python, whose score is a known function of
the choice (11.0 at best), with options to sleep, crash, exit or report step by step.  Most
searches run in-process through the library API; those that need signals or two workers run
the command in subprocesses.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SEARCH, require

require(*SEARCH)
import optuna  # noqa: E402

from nas_annotate.choice import Entry, Param, Shape, decide
from nas_annotate.search import Options, SearchProblem, search
from nas_annotate.search.driver import NothingCompleted
from nas_annotate.search import optuna_space as space_module
from nas_annotate.search.rows import summary
from nas_annotate.search.samplers import make_sampler
from nas_annotate.search.optuna_space import SearchSpace, load_space, space_files

HERE = Path(__file__).parent
TRIAL = HERE / "fixtures" / "search" / "trial.py"
GRID = HERE / "fixtures" / "search" / "grid.py"  # 24 architectures, each reporting at once
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
BEST = 11.0
GAIN = {"worst": 0.0, "poor": 0.6, "fair": 1.2, "good": 1.8, "best": 2.5}
SKIP = {"good_skip": 0.5, "bad_skip": -0.5}


def score(choice: dict) -> float:
    return sum(GAIN[entry["layer"]] + sum(SKIP[i] for i in entry["inputs"]) for entry in choice.values())


@pytest.fixture
def trial(tmp_path: Path) -> Path:
    """A copy of the trial in its own directory (tests may edit it)."""
    path = tmp_path / "trial.py"
    shutil.copy(TRIAL, path)
    return path


def run_search(trial: Path, tmp_path: Path, *args: str, **settings) -> tuple:
    options = Options(script=str(trial), args=args, out=str(tmp_path / "out"), quiet=True, progress=False, **settings)
    outcome = search(options, echo=lambda text: None)
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    return outcome, results


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAS_ANNOTATE_", "NNI_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


# --- the encoding: whatever a sampler proposes is a valid choice ---------------------------

SHAPES = [
    Shape("m/a", ("x", "y"), (), (0, 0)),
    Shape("m/b", ("x",), ("i", "j", "k"), (0, 2)),
    Shape("m/c", ("x", "y", "z"), ("i", "j", "k", "l"), (2, 3)),
    Shape("m/d", ("x",), ("i", "j"), (2, 2)),
]


@pytest.mark.parametrize("max_subsets", [space_module.MAX_SUBSETS, 0])
def test_every_parameter_combination_is_a_valid_choice(monkeypatch, max_subsets):
    monkeypatch.setattr(space_module, "MAX_SUBSETS", max_subsets)
    space = SearchSpace(SHAPES)
    grid = space.grid()
    seen = set()
    for values in itertools.product(*grid.values()):
        choice = space.choice(dict(zip(grid, values)))
        for shape in SHAPES:
            entry = choice[shape.key]
            made = decide(shape, Entry(entry["layer"], entry["inputs"]))
            assert not isinstance(made, str), (shape, entry, made)
            assert list(made.inputs) == sorted(made.inputs), "inputs are fed in the annotation's order"
        seen.add(json.dumps(choice, sort_keys=True))
    assert len(seen) == space.size()  # every architecture is reachable


def test_subsets_are_one_categorical_and_flags_beyond_the_limit(monkeypatch):
    space = SearchSpace(SHAPES)
    assert space.grid()["m/c:inputs"][:2] == ['["i", "j"]', '["i", "k"]']
    assert len(space.grid()["m/c:inputs"]) == 6 + 4
    assert "m/a:inputs" not in space.grid()
    monkeypatch.setattr(space_module, "MAX_SUBSETS", 3)
    flagged = SearchSpace(SHAPES).grid()
    assert flagged["m/c:input:l"] == [False, True]
    assert SearchSpace(SHAPES).choice({**{k: v[0] for k, v in flagged.items()}})["m/c"]["inputs"] == ["i", "j"]


def test_fingerprint_follows_the_space_not_the_file():
    assert SearchSpace(SHAPES).fingerprint() == SearchSpace(list(SHAPES)).fingerprint()
    changed = [*SHAPES[:-1], Shape("m/d", ("x", "w"), ("i", "j"), (2, 2))]
    assert SearchSpace(changed).fingerprint() != SearchSpace(SHAPES).fingerprint()


def test_the_space_includes_annotated_modules_the_script_imports(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "cells.py").write_text('def cell(x):\n    """@nni.mutable_layer {layer_choice: [a, b], layer_output: y}"""\n    return y\n')
    (tmp_path / "helpers.py").write_text("from pkg.cells import cell\n")
    (tmp_path / "unrelated.py").write_text('"""@nni.mutable_layer {layer_choice: [a], layer_output: z}"""\n')
    (tmp_path / "main.py").write_text('import os\nfrom helpers import cell\n"""@nni.mutable_layer {layer_choice: [c, d], layer_output: w}"""\n')
    files = space_files(str(tmp_path / "main.py"))
    assert [os.path.relpath(f, tmp_path) for f in files] == ["main.py", "helpers.py", os.path.join("pkg", "cells.py")]
    space = load_space(str(tmp_path / "main.py"))
    assert [layer.shape.key for layer in space.layers] == ["main/w", "pkg.cells/cell.y"]


# --- the samplers: better than random on a known landscape -------------------------------

BUDGET, SEEDS = 60, 6


def _hits(sampler: str) -> int:
    """In how many of SEEDS seeded searches of BUDGET trials the sampler reaches the optimum.

    The objective is the trial's own score function, applied to the choice the encoding
    decodes, so this runs in-process in a second (the same sampler, the same encoding as
    `search`); the end-to-end searches below run the script itself."""
    space = load_space(str(TRIAL))
    distributions = space.distributions()
    hits = 0
    for seed in range(SEEDS):
        study = optuna.create_study(direction="maximize", sampler=make_sampler(sampler, space.grid(), seed))
        for _ in range(BUDGET):
            asked = study.ask(fixed_distributions=distributions)
            value = score(space.choice(asked.params))
            study.tell(asked, value)
            if value >= BEST - 1e-9:
                hits += 1
                break
    return hits


def test_tpe_and_evolution_find_the_optimum_more_often_than_random():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    random_hits = _hits("random")
    assert _hits("tpe") > random_hits
    assert _hits("evolution") > random_hits


# --- end to end ---------------------------------------------------------------------------

def test_a_search_writes_results_the_best_script_and_a_plot(trial, tmp_path):
    outcome, results = run_search(trial, tmp_path, trials=8, sampler="tpe", seed=0)
    assert outcome.finished == 8 and not outcome.interrupted
    trials = results["trials"]
    assert [t["number"] for t in trials] == list(range(8))
    assert all(t["state"] == "complete" and t["value"] == pytest.approx(score(t["choice"])) for t in trials)
    best = max(trials, key=lambda t: t["value"])
    assert results["best"]["value"] == best["value"]
    out = tmp_path / "out"
    assert json.loads((out / "best_choice.json").read_text()) == best["choice"]
    printed = subprocess.run([sys.executable, str(out / "best_trial.py")], check=False, capture_output=True, text=True, env=environment(), cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == f"score: {best['value']:.2f}\n"
    assert (out / "trials.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = (out / "results.csv").read_text().splitlines()
    assert lines[0] == "number,state,value,duration_s,trial/main.cell1,trial/main.cell2,trial/main.cell3,trial/main.cell4,error"
    assert len(lines) == 9
    assert (out / "trials" / "00000.log").read_text().startswith("score: ")


def test_the_leaderboard_ranks_completed_trials(trial, tmp_path, capsys):
    options = Options(script=str(trial), out=str(tmp_path / "out"), trials=5, sampler="random", seed=1, progress=False)
    search(options, echo=lambda text: None)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split() == ["rank", "trial", "value", "time", "choice"]
    values = [float(line.split()[2]) for line in printed[1:6]]
    assert values == sorted(values, reverse=True)
    assert printed[6] == "trials: 5 complete"
    assert any(line.startswith("best script: ") for line in printed)


def test_minimize_ranks_the_other_way(trial, tmp_path):
    _, results = run_search(trial, tmp_path, trials=6, sampler="random", seed=2, direction="minimize")
    assert results["direction"] == "minimize"
    assert results["best"]["value"] == min(t["value"] for t in results["trials"])


SMALL = (
    'def a(x): return 1\ndef b(x): return 2\nu, v = 10, 20\n'
    '"""@nni.mutable_layer {layer_choice: [a, b], layer_output: p}\n'
    '{layer_choice: [a, b], input_candidates: [u, v], input_num: [0, 1], layer_output: q}"""\n'
    '"""@nni.report_final_result(p + q)"""\n'
)


def test_grid_runs_each_architecture_once_then_has_nothing_left(tmp_path):
    script = tmp_path / "small.py"
    script.write_text(SMALL)
    _, results = run_search(script, tmp_path, sampler="grid")
    choices = [json.dumps(t["choice"], sort_keys=True) for t in results["trials"]]
    assert len(choices) == 2 * 2 * 3 == len(set(choices))
    outcome, results = run_search(script, tmp_path, sampler="grid")
    assert outcome.finished == 0 and len(results["trials"]) == 12


def test_a_grid_point_whose_search_stopped_its_trial_is_trained_by_the_next_run(tmp_path):
    """A trial failed by its search stopping (Ctrl-C, SIGTERM, a search that died) gives its
    point back; a trial that failed on its own keeps it."""
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import TrialState, create_trial

    script = tmp_path / "small.py"
    script.write_text(SMALL)
    grid = load_space(str(script)).grid()
    names = sorted(grid)
    points = [dict(zip(names, values)) for values in itertools.product(*(grid[name] for name in names))]
    (tmp_path / "out").mkdir()
    study = optuna.create_study(study_name="small", storage=f"sqlite:///{tmp_path / 'out' / 'study.db'}", direction="maximize")
    errors = ("interrupted", "its search process died", "exited with status 1")
    for point, error in zip(points, errors):
        study.add_trial(create_trial(state=TrialState.FAIL, params=point, user_attrs={"error": error},
                                     distributions={name: CategoricalDistribution(grid[name]) for name in names}))
    outcome, results = run_search(script, tmp_path, sampler="grid")
    assert outcome.finished == 11
    complete = [t.params for t in study.get_trials(states=(TrialState.COMPLETE,))]
    assert points[0] in complete and points[1] in complete and points[2] not in complete
    assert len(complete) == 11 and all(complete.count(p) == 1 for p in complete)


def run_failing_search(trial: Path, tmp_path: Path, *args: str, **settings) -> tuple:
    """A search in which no trial completes: it writes its results, then raises NothingCompleted."""
    with pytest.raises(NothingCompleted) as failed:
        run_search(trial, tmp_path, *args, **settings)
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    return failed.value.outcome, results, str(failed.value)


def test_a_crash_fails_the_trial_with_its_stderr_and_the_search_goes_on(trial, tmp_path):
    outcome, results, _ = run_failing_search(trial, tmp_path, "--crash", trials=3, sampler="random", seed=0)
    assert outcome.finished == 3
    for row in results["trials"]:
        assert row["state"] == "fail"
        assert row["error"] == "exited with status 1"
        assert "RuntimeError: this trial crashes on purpose" in row["stderr_tail"]
        assert "nas_annotate" not in row["stderr_tail"]  # the user's traceback, not ours
    assert results["best"] is None
    assert not (tmp_path / "out" / "best_choice.json").exists()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--exit", "3"), "exited with status 3"),
        (("--exit", "0"), "exited without reporting a final result"),
    ],
)
def test_sys_exit_fails_the_trial_not_the_search(trial, tmp_path, args, error):
    _, results, message = run_failing_search(trial, tmp_path, *args, trials=2, sampler="random", seed=0)
    assert [row["error"] for row in results["trials"]] == [error, error]
    log = tmp_path / "out" / "trials" / "00000.log"
    assert message == f"no trial completed (2 failed); the first failure, trial 0: {error}; its output: {log}"


def test_a_search_in_which_every_trial_fails_says_why_once_and_exits_1(trial, tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([NAS, "search", str(trial), "-o", str(out), "-n", "3", "-s", "random", "--no-progress", "--", "--crash"],
                            check=False, capture_output=True, text=True, env=environment())
    assert result.returncode == 1, result.stderr
    why = f"RuntimeError: this trial crashes on purpose; its output: {out}/trials/00000.log"
    lines = result.stderr.splitlines()
    assert lines[1:] == [
        "trial 0: fail in " + lines[1].partition(" in ")[2],
        f"nas-annotate: trial 0 failed: {why}",  # once, for the first failure
        "trial 1: fail in " + lines[3].partition(" in ")[2],
        "trial 2: fail in " + lines[4].partition(" in ")[2],
        f"{trial}: error: no trial completed (3 failed); the first failure, trial 0: {why}",
    ]
    assert "trials: 3 fail" in result.stdout and (out / "results.json").exists()
    quiet = subprocess.run([NAS, "search", str(trial), "-o", str(out), "-n", "1", "-s", "random", "-q", "--", "--exit", "0"],
                           check=False, capture_output=True, text=True, env=environment())
    assert quiet.returncode == 1
    assert quiet.stderr.splitlines() == [
        f"{trial}: error: no trial completed (4 failed); the first failure, trial 3: exited without reporting a final result; "
        f"its output: {out}/trials/00003.log"
    ]


def test_a_resumed_study_with_a_completed_trial_does_not_fail(trial, tmp_path):
    run_search(trial, tmp_path, trials=1, sampler="random", seed=0)
    outcome, results = run_search(trial, tmp_path, "--crash", trials=2, sampler="random", seed=0)
    assert outcome.finished == 2 and [row["state"] for row in results["trials"]] == ["complete", "fail", "fail"]


def test_a_trial_past_its_timeout_is_stopped(trial, tmp_path):
    started = time.monotonic()
    _, results, _ = run_failing_search(trial, tmp_path, "--sleep", "60", trials=2, timeout=0.5, sampler="random", seed=0)
    assert time.monotonic() - started < 20
    assert [row["error"] for row in results["trials"]] == ["timed out after 0.5 s"] * 2


def test_jobs_run_trials_side_by_side(trial, tmp_path):
    trace = tmp_path / "trace.txt"
    run_search(trial, tmp_path, "--sleep", "0.6", "--trace", str(trace), trials=4, jobs=2, sampler="random", seed=0)
    events = sorted((float(t), kind) for _, t, kind in (line.split() for line in trace.read_text().splitlines()))
    running = peak = 0
    for _, kind in events:
        running += 1 if kind == "start" else -1
        peak = max(peak, running)
    assert peak == 2


def test_pruning_stops_trials_below_the_median(trial, tmp_path):
    _, results = run_search(trial, tmp_path, "--steps", "4", "--sleep", "0.4", trials=14, prune=True, sampler="random", seed=3)
    states = [row["state"] for row in results["trials"]]
    assert "pruned" in states and "complete" in states
    for row in results["trials"]:
        assert row["intermediate"], "intermediate results reach the study"
        if row["state"] == "pruned":
            assert len(row["intermediate"]) < 4


def test_rerunning_resumes_the_study(trial, tmp_path):
    run_search(trial, tmp_path, trials=3, sampler="tpe", seed=0)
    outcome, results = run_search(trial, tmp_path, trials=2, sampler="tpe", seed=0)
    assert outcome.finished == 2
    assert [row["number"] for row in results["trials"]] == [0, 1, 2, 3, 4]


def test_a_seeded_rerun_draws_new_architectures_and_a_seeded_start_repeats(trial, tmp_path):
    run_search(trial, tmp_path, trials=3, sampler="random", seed=0)
    _, results = run_search(trial, tmp_path, trials=3, sampler="random", seed=0)
    choices = [row["choice"] for row in results["trials"]]
    assert choices[3:] != choices[:3], "the resumed run is not a replay of the first"
    again = search(Options(script=str(trial), out=str(tmp_path / "again"), trials=3, sampler="random", seed=0, quiet=True,
                           progress=False), echo=lambda text: None)
    assert [row["choice"] for row in json.loads(Path(again.results["json"]).read_text())["trials"]] == choices[:3]


def test_a_changed_space_does_not_resume(trial, tmp_path):
    run_search(trial, tmp_path, trials=1, sampler="random")
    trial.write_text(trial.read_text().replace("layer_choice: [worst, poor, fair, good, best], layer_output: cell4",
                                               "layer_choice: [poor, fair, good, best], layer_output: cell4"))
    with pytest.raises(SearchProblem, match="another search space"):
        run_search(trial, tmp_path, trials=1, sampler="random")


def test_an_empty_space_is_an_error(tmp_path):
    script = tmp_path / "plain.py"
    script.write_text("print('no layers')\n")
    result = subprocess.run([NAS, "search", str(script), "-o", str(tmp_path / "out")], check=False, capture_output=True, text=True, env=environment())
    assert result.returncode == 1
    assert "error: nothing to search: no mutable layer or hyperparameter annotation" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_storage_url_is_an_error(trial, tmp_path):
    result = subprocess.run([NAS, "search", str(trial), "--storage", "nosuchdb://x"], check=False, capture_output=True, text=True, env=environment(), cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot open the study storage 'nosuchdb://x'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_database_driver_is_named_and_passwords_are_not_shown(trial, tmp_path, monkeypatch):
    from nas_annotate.search.study import open_storage

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    with pytest.raises(SearchProblem) as raised:
        open_storage(Options(script=str(trial), storage="postgresql+psycopg://nas:secret@db.example/nas"), str(tmp_path))
    message = str(raised.value)
    assert message.startswith("cannot open the study storage 'postgresql+psycopg://nas:***@db.example/nas': ")
    assert "psycopg" in message.partition("': ")[2]
    assert message.endswith("install the database's Python driver, or name an installed one in the URL (postgresql+DRIVER://...)")
    assert "secret" not in message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg2://nas:s3cr%40t@db.example:5432/nas", "postgresql+psycopg2://nas:***@db.example:5432/nas"),
        ("postgresql://nas@/nas?host=/run/pg&password=secret", "postgresql://nas@/nas?host=/run/pg&password=***"),
        ("postgresql://db.example:5432/nas", "postgresql://db.example:5432/nas"),
        ("sqlite:////tmp/study.db", "sqlite:////tmp/study.db"),
        ("not a url", "not a url"),
    ],
)
def test_storage_urls_are_shown_without_their_password(url, shown):
    from nas_annotate.search.study import shown_url

    assert shown_url(url) == shown


def _search_process(trial: Path, out: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [NAS, "search", str(trial), "-o", str(out), "--no-progress", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(),
        preexec_fn=_default_sigint,  # a suite started in the background ignores SIGINT; the search must not
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _pids(trace: Path) -> list[int]:
    return [int(line.split()[0]) for line in trace.read_text().splitlines() if line.endswith("start")]


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_ctrl_c_stops_running_trials_and_leaves_the_study_consistent(trial, tmp_path):
    trace = tmp_path / "trace.txt"
    out = tmp_path / "out"
    process = _search_process(trial, out, "-n", "3", "-s", "random", "--", "--sleep", "60", "--trace", str(trace))
    _wait_for(trace)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert all(_gone(pid) for pid in _pids(trace))
    study = optuna.load_study(study_name="trial", storage=f"sqlite:///{out}/study.db")
    assert [(t.state.name, t.user_attrs["error"]) for t in study.trials] == [("FAIL", "interrupted")]
    assert json.loads((out / "results.json").read_text())["trials"][0]["error"] == "interrupted"
    assert "trials: 1 fail" in stdout


def test_a_killed_search_keeps_its_trials_and_the_next_run_clears_its_leftovers(trial, tmp_path):
    trace = tmp_path / "trace.txt"
    out = tmp_path / "out"
    run_search(trial, tmp_path, trials=2, sampler="random", seed=0)
    process = _search_process(trial, out, "-n", "3", "-s", "random", "--", "--sleep", "60", "--trace", str(trace))
    _wait_for(trace)
    process.kill()
    process.communicate(timeout=30)
    assert all(_gone(pid) for pid in _pids(trace)), "the worker takes its trials down with it"
    study = optuna.load_study(study_name="trial", storage=f"sqlite:///{out}/study.db")
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE", "RUNNING"]
    result = subprocess.run([NAS, "search", str(trial), "-o", str(out), "-n", "1", "-s", "random"], check=False, capture_output=True, text=True, env=environment())
    assert result.returncode == 0, result.stderr
    assert "1 trial(s) left running by a search that died were marked failed" in result.stderr
    study = optuna.load_study(study_name="trial", storage=f"sqlite:///{out}/study.db")
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE"]


def test_only_trials_of_a_dead_search_on_this_machine_are_failed(trial, tmp_path):
    from nas_annotate.search.study import machine as this_machine

    run_search(trial, tmp_path, trials=1, sampler="random", seed=0)
    ended = subprocess.Popen(["true"])
    ended.wait()
    study = optuna.load_study(study_name="trial", storage=f"sqlite:///{tmp_path}/out/study.db")
    host = socket.gethostname()
    for machine in (this_machine(), f"{host}/pidns:1"):  # ours; a container with our hostname but its own PIDs
        left = study.ask()
        left.set_user_attr("worker", f"{host}:{ended.pid}")
        left.set_user_attr("machine", machine)
    run_search(trial, tmp_path, trials=1, sampler="random", seed=0)
    states = [(t.state.name, t.user_attrs.get("error")) for t in study.get_trials()]
    assert states == [("COMPLETE", None), ("FAIL", "its search process died"), ("RUNNING", None), ("COMPLETE", None)]


def test_two_workers_share_one_sqlite_study(trial, tmp_path):
    out = tmp_path / "out"
    run_search(trial, tmp_path, trials=1, sampler="random", seed=0)  # the study exists before both join
    workers = [_search_process(trial, out, "-n", "12", "-s", "random", "--seed", str(seed), "-q") for seed in (1, 2)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr
    study = optuna.load_study(study_name="trial", storage=f"sqlite:///{out}/study.db")
    assert sorted(t.number for t in study.trials) == list(range(25))
    assert all(t.state.name == "COMPLETE" and t.value == pytest.approx(score(t.user_attrs["choice"])) for t in study.trials)
    assert len({t.user_attrs["worker"] for t in study.trials}) == 3


def run_at_once(commands: list[list[str]]) -> None:
    """Start every command, then wait for each to succeed."""
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment())
                 for command in commands]
    for process in processes:
        _, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr


def assert_each_point_ran_once(study, points: int, searches: int) -> None:
    """Every architecture of the grid has exactly one trial, complete, and every search ran some."""
    runs = [json.dumps(t.user_attrs["choice"], sort_keys=True) for t in study.trials]
    assert len(set(runs)) == points, f"{points - len(set(runs))} grid point(s) missed"
    assert len(runs) == points, f"{len(runs) - points} duplicate run(s)"
    assert all(t.state.name == "COMPLETE" for t in study.trials)
    assert len({t.user_attrs["worker"] for t in study.trials}) == searches, "every search took part"


def test_three_grid_searches_on_one_sqlite_study_run_every_point_once(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    optuna.create_study(study_name="grid", storage=f"sqlite:///{out}/study.db", direction="maximize")  # before they join
    run_at_once([[NAS, "search", str(GRID), "-o", str(out), "-s", "grid", "--no-progress", "-q", "--", "0.05"]] * 3)
    assert_each_point_ran_once(optuna.load_study(study_name="grid", storage=f"sqlite:///{out}/study.db"), points=24, searches=3)


def test_summary_names_each_layer_and_its_inputs():
    choice = {"m/Net.cell": {"layer": "conv(k=3)", "inputs": ["a", "b"]}, "m/out": {"layer": "pool", "inputs": []}}
    assert summary(choice) == "cell=conv(k=3)[a,b] out=pool"
    clash = {"m/A.cell": {"layer": "x", "inputs": []}, "m/B.cell": {"layer": "y", "inputs": []}, "n/c": {"layer": "z"}}
    assert summary(clash) == "A.cell=x B.cell=y c=z"


def test_layers_of_imported_modules_are_searched_and_wired_in(tmp_path):
    (tmp_path / "cells.py").write_text(
        "def small(x): return 1\ndef large(x): return 5\n\n"
        "def cell():\n"
        '    """@nni.mutable_layer {layer_choice: [small, large], layer_output: out}"""\n'
        "    return out\n"
    )
    (tmp_path / "main.py").write_text(
        "from cells import cell\n\ndef one(x): return 10\ndef two(x): return 20\n\n"
        '"""@nni.mutable_layer {layer_choice: [one, two], layer_output: head}"""\n'
        "value = head + cell()\n"
        '"""@nni.report_final_result(value)"""\n'
    )
    _, results = run_search(tmp_path / "main.py", tmp_path, sampler="grid")
    values = {
        (row["choice"]["main/head"]["layer"], row["choice"]["cells/cell.out"]["layer"]): row["value"] for row in results["trials"]
    }
    assert values == {("one", "small"): 11, ("one", "large"): 15, ("two", "small"): 21, ("two", "large"): 25}


def test_fresh_interpreters_and_an_explicit_storage_url(trial, tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    _, results = run_search(trial, tmp_path, trials=2, sampler="random", seed=0, fresh=True, storage=url)
    assert [row["state"] for row in results["trials"]] == ["complete", "complete"]
    assert len(optuna.load_study(study_name="trial", storage=url).trials) == 2
    assert not (tmp_path / "out" / "study.db").exists()


def test_the_command_line_passes_every_option_through(trial, tmp_path):
    out = tmp_path / "out"
    result = subprocess.run(
        [NAS, "search", str(trial), "-o", str(out), "-n", "6", "-s", "evolution", "--population", "3", "--seed", "1",
         "-j", "2", "--timeout", "60", "--study", "named", "--direction", "minimize", "--no-progress", "--", "--steps", "1"],
        check=False, capture_output=True, text=True, env=environment(),
    )
    assert result.returncode == 0, result.stderr
    assert "with evolution: 6 trial(s), 2 at a time; study 'named'" in result.stderr
    assert result.stderr.count("best so far") == 6
    document = json.loads((out / "results.json").read_text())
    assert (document["study"], document["direction"], len(document["trials"])) == ("named", "minimize", 6)
    assert all(row["intermediate"] == {"0": row["value"]} for row in document["trials"])


def test_a_progress_bar_on_request(trial, tmp_path, capsys):
    search(Options(script=str(trial), out=str(tmp_path / "out"), trials=2, sampler="random", progress=True), echo=lambda text: None)
    assert "2/2" in capsys.readouterr().err


# --- hyperparameters ---------------------------------------------------------------------

HYPER = HERE / "fixtures" / "search" / "hyper.py"


def test_hyperparameters_get_the_matching_optuna_distributions():
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    found = load_space(str(HYPER)).distributions()
    assert found["hyper/lr"] == CategoricalDistribution([0.1, 0.01, 0.001])
    assert found["hyper/depth"] == IntDistribution(1, 4)
    assert found["hyper/dropout"] == FloatDistribution(0, 1)
    assert found["hyper/width"] == FloatDistribution(0, 10)
    assert found["hyper/decay"] == FloatDistribution(0.0001, 0.1, log=True)
    assert found["hyper/batch"] == FloatDistribution(1, 100, log=True)
    assert found["hyper/power"] == CategoricalDistribution(["square(depth)", "cube(depth)"])
    for name in ("shift", "center", "spread", "ratio"):
        assert found[f"hyper/{name}:quantile"] == FloatDistribution(1e-6, 1 - 1e-6)
    assert found["hyper/base:layer"] == CategoricalDistribution(["small", "large"])


def test_normals_are_drawn_through_their_quantiles():
    import random
    import statistics

    space = load_space(str(HYPER))
    rng = random.Random(0)
    base = {name: d.choices[0] if hasattr(d, "choices") else d.low for name, d in space.distributions().items()}
    draws = [space.choice({**base, "hyper/shift:quantile": rng.random(), "hyper/center:quantile": rng.random()}) for _ in range(4000)]
    shifts = [d["hyper/shift"] for d in draws]
    assert statistics.mean(shifts) == pytest.approx(0, abs=0.06)
    assert statistics.stdev(shifts) == pytest.approx(1, abs=0.06)
    centers = [d["hyper/center"] for d in draws]
    assert statistics.mean(centers) == pytest.approx(10, abs=0.12)
    assert all(c * 2 == int(c * 2) for c in centers), "qnormal(10, 2, 0.5) lies on the 0.5 grid"


def test_a_search_over_hyperparameters_gives_each_trial_valid_values(tmp_path):
    from nas_annotate.choice import decide_param

    params = {p.key: p for p in (Param.of(h) for h in api_analysis(HYPER).params)}
    _, results = run_search(HYPER, tmp_path, trials=10, sampler="tpe", seed=4)
    for row in results["trials"]:
        assert row["state"] == "complete", row["stderr_tail"]
        choice = row["choice"]
        given = json.loads((tmp_path / "out" / row["log"]).read_text().splitlines()[0])
        for key, param in params.items():
            assert not isinstance(decide_param(param, choice[key]), str), (key, choice[key])
            name = key.partition("/")[2]
            if name == "power":
                expected = given["depth"] ** (2 if choice[key] == "square(depth)" else 3)
                assert given["power"] == expected
            else:
                assert given[name] == pytest.approx(choice[key], rel=1e-12)
        assert given["base"] == {"small": 1, "large": 100}[choice["hyper/base"]["layer"]]
        assert row["value"] == pytest.approx(sum(given.values()))
    assert '"hyper/width"' in (tmp_path / "out" / "best_choice.json").read_text()


def test_grid_needs_a_finite_space(tmp_path):
    with pytest.raises(SearchProblem, match="'hyper/dropout' \\(uniform\\) takes infinitely many values"):
        run_search(HYPER, tmp_path, sampler="grid")


def test_grid_lists_randint_and_quniform_values():
    space = SearchSpace([], [Param("m/a", "randint", (1, 4)), Param("m/b", "quniform", (0.2, 1.0, 0.25))])
    assert space.grid() == {"m/a": [1, 2, 3], "m/b": [0.25, 0.5, 0.75, 1.0]}
    assert space.size() == 12


def api_analysis(path: Path):
    from nas_annotate import api

    return api.analyse_file(str(path))


def test_a_missing_search_dependency_is_named(trial, monkeypatch):
    import importlib.util

    from click.testing import CliRunner

    from nas_annotate.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("matplotlib", "tqdm") else real(name, *a))
    result = CliRunner().invoke(main, ["search", str(trial)])
    assert result.exit_code == 1
    assert result.stderr == "Error: search needs matplotlib, tqdm: pip install 'nas-annotate[search]'\n"

"""Searches of several objectives (`--objective NAME:max|min`): the Pareto front, `--pick`,
resuming, and the errors; and `--objective` alone, which names the one value to optimize.

The trial is tests/fixtures/search/costly.py: two layers, each trading accuracy against cost,
reporting a mapping (NNI's convention), so the front of any set of trials can be worked out
here from their choices.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEARCH, require

require(*SEARCH)

from nas_annotate.search import Options, SearchProblem, search  # noqa: E402
from nas_annotate.search.driver import NothingCompleted  # noqa: E402
from nas_annotate.search.objectives import Objective, parse  # noqa: E402
from nas_annotate.search.pareto import Pick, front  # noqa: E402

HERE = Path(__file__).parent
COSTLY = HERE / "fixtures" / "search" / "costly.py"
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
OPS = {"tiny": (0.10, 1), "small": (0.25, 2), "medium": (0.30, 4), "large": (0.45, 8), "bloated": (0.20, 9)}
TWO = ("accuracy:max", "cost:min")


def measured(choice: dict) -> tuple[float, float]:
    """The fixture's (accuracy, cost) for a choice."""
    first, second = (OPS[entry["layer"]] for entry in choice.values())
    return first[0] + second[0], first[1] + second[1]


def run(tmp_path: Path, *args: str, **settings) -> tuple:
    options = Options(script=str(COSTLY), args=args, out=str(tmp_path / "out"), quiet=True, progress=False, **settings)
    outcome = search(options, echo=lambda text: None)
    return outcome, json.loads((tmp_path / "out" / "results.json").read_text())


def dominated(a: tuple, b: tuple) -> bool:
    """Whether (accuracy, cost) `a` is dominated by `b`."""
    return b[0] >= a[0] and b[1] <= a[1] and b != a


# --- the front, by brute force --------------------------------------------------------------

@pytest.mark.parametrize("maximize", [(True, False), (False, False), (True, True, False)])
def test_the_front_is_every_point_no_other_dominates(maximize):
    rng = random.Random(7)
    for _ in range(30):
        points = [[rng.choice([0, 1, 2, 3, 2.5]) for _ in maximize] for _ in range(rng.randint(0, 25))]
        on_front, counts = front(points, maximize)

        def beats(a, b):
            better = [x > y if up else x < y for x, y, up in zip(a, b, maximize)]
            worse = [x < y if up else x > y for x, y, up in zip(a, b, maximize)]
            return any(better) and not any(worse)

        assert on_front == [not any(beats(q, p) for q in points) for p in points]
        assert counts == [sum(beats(p, q) for q in points) for p in points]


# --- objectives and --pick --------------------------------------------------------------------

def test_objectives_are_read_from_name_and_direction():
    assert parse("accuracy:max") == Objective("accuracy", True)
    assert parse("val.loss:minimize") == Objective("val.loss", False)
    for bad in ("accuracy", "accuracy:up", ":max", "a b:min"):
        with pytest.raises(ValueError, match="give NAME:max or NAME:min"):
            parse(bad)


OBJECTIVES = [Objective("accuracy", True), Objective("params", False)]
MEMBERS = [
    {"number": 1, "values": {"accuracy": 0.99, "params": 9000.0}},
    {"number": 2, "values": {"accuracy": 0.975, "params": 5000.0}},
    {"number": 3, "values": {"accuracy": 0.97, "params": 2000.0}},
    {"number": 4, "values": {"accuracy": 0.90, "params": 800.0}},
]


@pytest.mark.parametrize(("rule", "picked"), [
    (None, 1),                                  # the front's best on the first objective
    ("accuracy>=0.97 min params", 3),
    ("accuracy > 0.97, min params", 2),
    ("params<=5000", 2),                        # the best accuracy among those
    ("min params", 4),
    ("params < 100", None),
])
def test_pick_selects_one_member_of_the_front(rule, picked):
    chosen = Pick.parse(rule, OBJECTIVES).choose(MEMBERS, OBJECTIVES)
    assert (chosen and chosen["number"]) == picked


@pytest.mark.parametrize(("rule", "message"), [
    ("acuracy>=0.97", "'acuracy' is not an objective of this search (accuracy, params)"),
    ("accuracy>=high", "cannot read 'accuracy>=high'"),
    ("smallest params", "cannot read 'smallest params'"),
])
def test_a_pick_that_cannot_be_read_is_an_error(rule, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Pick.parse(rule, OBJECTIVES)


@pytest.mark.parametrize(("settings", "message"), [
    (dict(objectives=TWO, prune=True), "--prune stops trials on one value"),
    (dict(objectives=TWO, sampler="darts"), "--sampler darts searches one objective; with several, use tpe, random, evolution, grid"),
    (dict(objectives=("accuracy:max",), direction="minimize"), "with --objective, give each objective's"),
    (dict(objectives=("cost:min", "cost:max")), "an objective is named twice"),
    (dict(objectives=("cost",)), "--objective 'cost': give NAME:max or NAME:min"),
    (dict(objectives=TWO, pick="latency<3"), "'latency' is not an objective of this search (accuracy, cost)"),
])
def test_options_that_cannot_work_are_refused_before_any_trial(tmp_path, settings, message):
    with pytest.raises(SearchProblem, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(tmp_path, **settings)
    assert not (tmp_path / "out").exists()


# --- searches --------------------------------------------------------------------------------

def check_front(results: dict) -> list[dict]:
    """Every pareto trial is dominated by no completed trial, every other completed trial by
    one; `dominates` counts right; the front is listed best first by the first objective. Returns it."""
    complete = [row for row in results["trials"] if row["state"] == "complete"]
    points = {row["number"]: (row["values"]["accuracy"], row["values"]["cost"]) for row in complete}
    for row in complete:
        assert (row["values"]["accuracy"], row["values"]["cost"]) == pytest.approx(measured(row["choice"]))
        mine = points[row["number"]]
        assert row["pareto"] == (not any(dominated(mine, other) for other in points.values())), row
        assert row["dominates"] == sum(dominated(other, mine) for other in points.values())
    signs = {entry["name"]: -1 if entry["direction"] == "maximize" else 1 for entry in results["objectives"]}
    members = sorted((row for row in complete if row["pareto"]),
                     key=lambda row: (*(sign * row["values"][name] for name, sign in signs.items()), row["number"]))
    assert results["front"] == [row["number"] for row in members]
    return members


def test_a_two_objective_search_marks_its_front_and_writes_its_members(tmp_path):
    outcome, results = run(tmp_path, "--steps", "2", objectives=TWO, trials=14, sampler="random", seed=0)
    assert outcome.finished == 14
    assert results["objectives"] == [{"name": "accuracy", "direction": "maximize"}, {"name": "cost", "direction": "minimize"}]
    members = check_front(results)
    assert 1 <= len(members) < 14
    row = results["trials"][0]
    accuracy, cost = measured(row["choice"])
    assert row["report"] == {"default": accuracy, "accuracy": accuracy, "cost": cost, "steps": 2.0}
    assert row["intermediate"] == {"0": pytest.approx(accuracy / 2), "1": pytest.approx(accuracy)}
    assert row["value"] == row["values"]["accuracy"]
    out = tmp_path / "out"
    assert results["best"]["number"] == members[0]["number"], "by default, the front's best on the first objective"
    assert json.loads((out / "best_choice.json").read_text()) == members[0]["choice"]
    assert sorted(os.listdir(out / "pareto")) == sorted(
        name for member in members for name in (f"{member['number']:05d}.json", f"{member['number']:05d}_costly.py")
    )
    for member in members:
        assert json.loads((out / "pareto" / f"{member['number']:05d}.json").read_text()) == member["choice"]
        frozen = (out / "pareto" / f"{member['number']:05d}_costly.py").read_text()
        assert "@nni" not in frozen and "nas_annotate" not in frozen
    assert (out / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "trials.png").exists()
    with open(out / "results.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0])[:8] == ["number", "state", "accuracy", "cost", "pareto", "dominates", "steps", "duration_s"]
    assert [row["pareto"] == "True" for row in table] == [row["pareto"] for row in results["trials"]]


def test_the_grid_s_front_is_the_true_front(tmp_path):
    """Every architecture once: the front must be exactly the front of the whole space."""
    _, results = run(tmp_path, objectives=("cost:min", "accuracy:max"), sampler="grid")
    assert len(results["trials"]) == 25
    everything = {measured({"a": {"layer": a}, "b": {"layer": b}}) for a, b in itertools.product(OPS, OPS)}
    true_front = {p for p in everything if not any(dominated(p, q) for q in everything)}
    found = {measured(row["choice"]) for row in results["trials"] if row["pareto"]}
    assert found == true_front
    check_front(results)
    assert results["best"]["values"]["cost"] == 2, "the first objective, here cost, decides the default pick"


def test_pick_chooses_the_best_choice_and_a_rerun_resumes_and_repicks(tmp_path, capsys):
    _, results = run(tmp_path, objectives=TWO, trials=8, sampler="tpe", seed=1, pick="accuracy>=0.5 min cost")
    members = check_front(results)
    meeting = [row for row in members if row["values"]["accuracy"] >= 0.5]
    if meeting:
        assert results["best"]["number"] == min(meeting, key=lambda row: row["values"]["cost"])["number"]
    outcome, results = run(tmp_path, objectives=TWO, trials=4, sampler="tpe", seed=1)
    assert outcome.finished == 4 and [row["number"] for row in results["trials"]] == list(range(12))
    check_front(results)
    assert results["pick"] is None and results["best"]["number"] == results["front"][0]
    options = Options(script=str(COSTLY), out=str(tmp_path / "out"), trials=0, objectives=TWO, pick="cost<1", progress=False)
    search(options, echo=lambda text: None)
    captured = capsys.readouterr()
    assert "nas-annotate: note: no trial of the front meets --pick \"cost<1\"; best_choice.json is the front's best accuracy" in captured.err
    assert captured.out.startswith(f"Pareto front: {len(results['front'])} of 12 completed trial(s); accuracy:max, cost:min\n")
    assert "* best choice: trial" in captured.out and "pareto: " in captured.out


def test_a_study_keeps_its_objectives(tmp_path):
    run(tmp_path, objectives=TWO, trials=1, sampler="random")
    with pytest.raises(SearchProblem, match="searches accuracy:max, cost:min, not accuracy:max; give the same --objective"):
        run(tmp_path, objectives=("accuracy:max",), trials=1, sampler="random")
    with pytest.raises(SearchProblem, match="searches accuracy:max, cost:min, not default:max"):
        run(tmp_path, trials=1, sampler="random")


def test_evolution_is_nsga2_with_several_objectives_and_jobs_run_side_by_side(tmp_path):
    outcome, results = run(tmp_path, objectives=TWO, trials=8, sampler="evolution", population=4, jobs=2, seed=0)
    assert outcome.finished == 8
    check_front(results)


@pytest.mark.parametrize(("args", "objectives", "message"), [
    (("--bad", "nan"), TWO, "the report's 'cost' is NaN, and it is an objective of this search (accuracy, cost)"),
    (("--bad", "string"), TWO, "the report's 'cost' is str ('cheap'), not a real number"),
    (("--bad", "plain"), TWO, "the report has no 'cost', an objective of this search (accuracy, cost); it reports only a number"),
    (("--bad", "nodefault"), (), "the report has no 'default', the primary value that this single-objective search optimizes"),
])
def test_a_bad_report_fails_its_trial_with_the_report_s_line(tmp_path, args, objectives, message):
    with pytest.raises(NothingCompleted) as failed:
        run(tmp_path, *args, objectives=objectives, trials=1, sampler="random")
    line = next(i for i, text in enumerate(COSTLY.read_text().splitlines(), 1) if "report_final_result" in text)
    assert f"the first failure, trial 0: {COSTLY}:{line}: error: {message}" in str(failed.value)


def test_one_objective_names_the_entry_a_single_objective_search_optimizes(tmp_path):
    """The intermediate reports have no 'accuracy': their "default" is the value pruning sees."""
    _, results = run(tmp_path, "--steps", "2", objectives=("accuracy:max",), trials=4, sampler="random", seed=0, prune=True)
    assert results["direction"] == "maximize" and "objectives" not in results
    for row in results["trials"]:
        accuracy, cost = measured(row["choice"])
        assert row["value"] == pytest.approx(accuracy) and row["report"]["cost"] == cost
        assert row["intermediate"] == {"0": pytest.approx(accuracy / 2), "1": pytest.approx(accuracy)}
    assert results["best"]["value"] == max(row["value"] for row in results["trials"])


def test_the_command_line_prints_the_front(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run(
        [NAS, "search", str(COSTLY), "-o", str(out), "-n", "5", "-s", "random", "--seed", "2", "--objective", "accuracy:max",
         "--objective", "cost:min", "--pick", "min cost", "--no-progress"],
        check=False, capture_output=True, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert "with random for accuracy:max, cost:min: 5 trial(s)" in result.stderr
    assert result.stderr.count("; front: ") == 5
    results = json.loads((out / "results.json").read_text())
    lines = result.stdout.splitlines()
    assert lines[0] == f"Pareto front: {len(results['front'])} of 5 completed trial(s); accuracy:max, cost:min"
    assert lines[1].split() == ["trial", "accuracy", "cost", "dominates", "time", "choice"]
    assert f"* best choice: trial {results['best']['number']} (--pick \"min cost\")" in lines

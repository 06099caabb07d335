"""`nas-annotate compare`: the simulated clock (one worker and several), the exactness of the
simulation (random search's mean best-of-T against its expectation from the table), a budget
of simulated time, the files it writes, a table of another space, real runs without a table,
and the summary's figures on runs whose answers are known.

Tables here are made from the space directly (known values and times), except where a test
builds one with `nas-annotate table`."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEARCH, require

require(*SEARCH)

from nas_annotate.compare.driver import compare  # noqa: E402
from nas_annotate.compare.runs import CompareOptions, Point, Run  # noqa: E402
from nas_annotate.compare.simulate import simulate  # noqa: E402
from nas_annotate.compare.summary import summarise  # noqa: E402
from nas_annotate.search.optuna_space import load_space  # noqa: E402
from nas_annotate.search.rows import summary  # noqa: E402
from nas_annotate.search.samplers import resolve  # noqa: E402
from nas_annotate.search.options import Options  # noqa: E402
from nas_annotate.tabular.table import Entry, Table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOISY = ROOT / "tests" / "fixtures" / "table" / "noisy.py"
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")

WIDE = '''
def op(name):
    return lambda inputs: name


a, b, c, d, e = (op(n) for n in "abcde")


def main():
    """@nni.mutable_layer
    {layer_choice: [a, b, c, d, e], layer_output: x}
    {layer_choice: [a, b, c, d, e], layer_output: y}
    {layer_choice: [a, b, c, d, e], layer_output: z}"""
    """@nni.report_final_result(0.0)"""


main()
'''


def synthetic(script: Path, seeds: tuple[int, ...], value, seconds) -> Table:
    """The table of `script`'s space with `value(choice, seed)` and `seconds(choice, seed)`."""
    space = load_space(str(script))
    import itertools

    grid = space.grid()
    names = sorted(grid)
    entries = []
    for values in itertools.product(*(grid[name] for name in names)):
        choice = space.choice(dict(zip(names, values)))
        entries.append(Entry(summary(choice), choice, {s: value(choice, s) for s in seeds}, {s: seconds(choice, s) for s in seeds}))
    return Table(space.fingerprint(), list(seeds), entries)


@pytest.fixture
def wide(tmp_path) -> tuple[Path, Table]:
    """A 125-architecture space, and a table of it with noisy values on three seeds."""
    script = tmp_path / "wide.py"
    script.write_text(WIDE)
    rng = random.Random(7)
    values = {}

    def value(choice, seed):
        key = json.dumps(choice, sort_keys=True)
        base = values.setdefault(key, rng.random())
        return round(base + random.Random(f"{key}/{seed}").gauss(0, 0.05), 6)

    table = synthetic(script, (0, 1, 2), value, lambda choice, seed: 10.0 + seed)
    table.write(str(tmp_path / "wide-table.csv"))
    return script, table


def strategy(name: str):
    return resolve(Options(script="x.py", sampler=name))


def test_the_simulated_clock_is_the_table_time_plus_the_strategy_time(tmp_path, wide):
    script, table = wide
    space = load_space(str(script))
    found, settings = strategy("random")
    run = simulate(found, settings, "random", space, table, seed=0, trials=6, budget=None, jobs=1)
    assert len(run.points) == 6
    gaps = [b.time - a.time for a, b in zip([Point(0, 0.0, None, {})] + run.points, run.points)]
    for gap, point in zip(gaps, run.points):
        entry = table.lookup(point.choice)
        drawn = [s for s, v in entry.values.items() if v == point.value]
        assert drawn, "a trial's value is one of its architecture's seeds"
        assert 10.0 + drawn[0] <= gap < 10.0 + drawn[0] + 0.05  # its training time, and the strategy's own
        assert point.mean == pytest.approx(entry.mean)
    two = simulate(found, settings, "random", space, table, seed=0, trials=6, budget=None, jobs=2)
    ends = [point.time for point in two.points]
    assert ends == sorted(ends) and ends[-1] < run.points[-1].time * 0.75  # two workers at once
    assert ends[1] - ends[0] < 2.1  # both first trials ran side by side


def test_a_budget_of_simulated_time(wide):
    script, table = wide
    found, settings = strategy("tpe")
    run = simulate(found, settings, "tpe", load_space(str(script)), table, seed=1, trials=None, budget=55.0, jobs=1)
    assert 4 <= len(run.points) <= 5 and all(point.time <= 55.0 for point in run.points)


def test_common_draws_and_the_grid(wide):
    script, table = wide
    space = load_space(str(script))
    found, settings = strategy("grid")
    grid = simulate(found, settings, "grid", space, table, seed=0, trials=None, budget=None)
    assert len(grid.points) == 125 and len({json.dumps(p.choice, sort_keys=True) for p in grid.points}) == 125
    again = simulate(found, settings, "grid", space, table, seed=0, trials=None, budget=None)
    assert [(p.choice, p.value) for p in again.points] == [(p.choice, p.value) for p in grid.points]


def expected_best_of(table: Table, trials: int) -> float:
    """E[max of `trials` values], each of a uniformly random architecture at a uniformly random seed."""
    weights: dict[float, float] = {}
    for entry in table.entries:
        for value in entry.values.values():
            weights[value] = weights.get(value, 0.0) + 1 / len(table.entries) / len(entry.values)
    expectation, below = 0.0, 0.0
    for value in sorted(weights):
        above = below + weights[value]
        expectation += value * (above**trials - below**trials)
        below = above
    return expectation


def test_random_search_on_a_table_matches_its_expectation(wide, tmp_path):
    """The simulation is exact: 300 seeds of random search, best of 5, within 2 standard errors."""
    script, table = wide
    options = CompareOptions(str(script), ("random",), seeds=300, trials=5, table=str(tmp_path / "wide-table.csv"),
                             out=str(tmp_path / "out"), quiet=True)
    result = compare(options)
    line = result.lines[0]
    assert line.seeds == 300 and line.trials == 5
    assert abs(line.best_mean - expected_best_of(table, 5)) <= 2 * line.best_se


def test_the_files_and_the_summary(wide, tmp_path):
    script, _ = wide
    out = tmp_path / "out"
    done = subprocess.run(
        [NAS, "compare", str(script), "--table", str(tmp_path / "wide-table.csv"), "-s", "random", "-s", "evolution",
         "-s", "reinforce", "--seeds", "3", "-n", "8", "-o", str(out), "--progress"],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("| strategy | seeds | trials | best (mean ± SE) |")
    assert "9/9 [" in done.stderr and "run/s" in done.stderr  # the progress bar, over the 3 × 3 runs
    assert done.stdout.count("\n| random | 3 | 8 |") == 1 and "| reinforce | 3 | 8 |" in done.stdout
    with open(out / "runs.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:7] == ["strategy", "seed", "trial", "time", "value", "best", "choice"]
    assert len(rows) == 3 * 3 * 8
    for strategy_name in ("random", "evolution", "reinforce"):
        for seed in range(3):
            mine = [r for r in rows if r["strategy"] == strategy_name and r["seed"] == str(seed)]
            bests = [float(r["best"]) for r in mine]
            assert bests == sorted(bests) and bests[-1] == max(float(r["value"]) for r in mine)
    assert (out / "summary.csv").read_text().startswith("strategy,seeds,trials,best_mean,best_se,best_median,percentile,")
    assert (out / "summary.md").read_text() in done.stdout
    assert (out / "anytime.png").read_bytes().startswith(b"\x89PNG")


def test_a_table_of_another_space_is_refused(wide, tmp_path):
    _, _ = wide
    done = subprocess.run([NAS, "compare", str(NOISY), "--table", str(tmp_path / "wide-table.csv"), "-s", "random"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "is a table of another space" in done.stderr


@pytest.mark.parametrize(("args", "message", "status"), [
    (["-s", "nonesuch"], "nonesuch", 2),
    (["-s", "random", "-n", "3", "--budget", "5"], "give --trials or --budget, not both", 2),
    (["-s", "random", "--table", "nowhere.csv"], "nowhere.csv: cannot read", 2),
])
def test_compare_errors_are_one_line(tmp_path, args, message, status):
    done = subprocess.run([NAS, "compare", str(NOISY), *args], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == status
    assert message in done.stderr and "Traceback" not in done.stderr


def test_real_runs_without_a_table(tmp_path):
    out = tmp_path / "out"
    options = CompareOptions(str(NOISY), ("random", "tpe"), seeds=2, trials=3, out=str(out), quiet=True)
    result = compare(options)
    assert [(run.strategy, run.seed, len(run.points)) for run in result.runs] == [
        ("random", 0, 3), ("random", 1, 3), ("tpe", 0, 3), ("tpe", 1, 3)]
    for run in result.runs:
        times = [point.time for point in run.points]
        assert times == sorted(times) and times[0] > 0
        assert all(point.mean is None for point in run.points)
    assert result.lines[0].percentile is None and result.lines[0].reach == {}
    again = compare(options)  # finished runs are read back, not run again
    assert [[p.value for p in run.points] for run in again.runs] == [[p.value for p in run.points] for run in result.runs]


def test_the_summary_of_known_runs():
    entries = [Entry(f"x={i}", {"k/x": {"layer": str(i), "inputs": []}}, {0: float(i)}) for i in range(20)]
    table = Table("f", [0], entries)

    def point(trial: int, time: float, i: int) -> Point:
        return Point(trial, time, float(i), entries[i].choice, float(i))

    runs = [
        Run("a", 0, [point(0, 1.0, 3), point(1, 2.0, 19), point(2, 3.0, 5)]),
        Run("a", 1, [point(0, 1.5, 15), point(1, 4.0, 10)]),
        Run("b", 0, [point(0, 9.0, 19)], ranking=[(entries[i].choice, float(i)) for i in (19, 18, 2, 1)]),
        Run("b", 1, [point(0, 8.0, 0)], ranking=[(entries[i].choice, -float(i)) for i in (19, 18, 2, 1)]),
    ]
    a, b = summarise(runs, table, 1.0)
    assert (a.best_mean, a.best_median, a.seeds, a.trials) == (17.0, 17.0, 2, 2.5)
    assert a.percentile == pytest.approx((97.5 + 77.5) / 2)
    assert a.reach[0.05] == (None, 1)  # one seed of two reached the best 5% (x=19): the median is never
    assert a.reach[0.25] == (pytest.approx(1.75), 2)  # x=15 at 1.5 s, x=19 at 2 s
    assert b.tau == pytest.approx(0.0)  # one seed ranked perfectly (1), the other backwards (-1)


def test_search_budget_starts_no_trial_after_it(tmp_path):
    """`search --budget` (what compare's real runs use): trials of 0.4 s, a budget of 1 s."""
    from nas_annotate.search import search

    trial = ROOT / "tests" / "fixtures" / "search" / "trial.py"
    outcome = search(Options(script=str(trial), args=("--sleep", "0.4"), sampler="random", trials=50, budget=1.0,
                             out=str(tmp_path / "out"), quiet=True))
    assert 2 <= outcome.finished <= 4


def test_options_of_one_strategy_by_its_name():
    from nas_annotate.compare.driver import strategies
    from nas_annotate.strategies.registry import StrategyProblem

    options = CompareOptions(str(NOISY), ("evolution", "evolution", "enas"),
                             sampler_options=("evolution#2.population=4", "enas.policy=uniform"))
    found = [(name, settings) for _, _, settings, name in strategies(options)]
    assert found == [("evolution", {"population": 10}), ("evolution#2", {"population": 4}),
                     ("enas", {"paths": 20, "policy": "uniform"})]
    for bad in ("population=4", "tpe.x=1", "evolution.population"):
        with pytest.raises(StrategyProblem, match="write NAME.KEY=VALUE, NAME one of the strategies compared"):
            strategies(CompareOptions(str(NOISY), ("evolution",), sampler_options=(bad,)))
    with pytest.raises(StrategyProblem, match="popsize"):
        strategies(CompareOptions(str(NOISY), ("evolution",), sampler_options=("evolution.popsize=4",)))


def test_minimize_a_partial_table_and_a_strategy_that_raises(wide, tmp_path):
    script, table = wide
    table.entries = table.entries[:100]
    table.write(str(tmp_path / "partial.csv"))
    notes: list[str] = []
    options = CompareOptions(str(script), ("random",), seeds=2, trials=30, table=str(tmp_path / "partial.csv"),
                             out=str(tmp_path / "out"), direction="minimize")
    result = compare(options, echo=notes.append)
    assert any("the table has values for 100 of the space's 125 architectures" in note for note in notes)
    for run in result.runs:
        values = [p.value for p in run.points if p.value is not None]
        assert run.bests(-1.0)[-1] == min(values) and any(p.value is None for p in run.points)
    plugin = tmp_path / "broken.py"
    plugin.write_text(
        "from nas_annotate.strategies import BlackBoxStrategy\n\n\n"
        "class Broken(BlackBoxStrategy):\n"
        "    def ask(self, history):\n"
        "        if len(history) == 3:\n"
        "            raise RuntimeError('no idea')\n"
        "        return self.space.random(self.rng)\n"
    )
    done = subprocess.run([NAS, "compare", str(script), "--table", str(tmp_path / "wide-table.csv"), "-s", f"{plugin}:Broken",
                           "--seeds", "1", "-o", str(tmp_path / "b")], capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "broken, seed 0:" in done.stderr and "no idea" in done.stderr

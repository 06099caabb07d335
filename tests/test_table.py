"""`nas-annotate table`: the statistics (against brute force), the table's columns, the seed
as the script is given it, resume, a recipe that changed, the size limit, `--info`,
`--lookup`, and the errors (one line each).

The trial is tests/fixtures/table/noisy.py: pure Python, 9 architectures, a + 10 b plus a
seeded noise under 0.5."""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEARCH, require

from nas_annotate.tabular.stats import Ranks, kendall_tau, mean_se, pearson, quantile
from nas_annotate.tabular.table import Entry, Table, TableProblem

ROOT = Path(__file__).resolve().parent.parent
NOISY = ROOT / "tests" / "fixtures" / "table" / "noisy.py"
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")


def brute_tau_b(xs: list[float], ys: list[float]) -> float:
    concordant = discordant = tied_x = tied_y = 0
    for i, j in itertools.combinations(range(len(xs)), 2):
        dx, dy = xs[i] - xs[j], ys[i] - ys[j]
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            tied_x += 1
        elif dy == 0:
            tied_y += 1
        elif dx * dy > 0:
            concordant += 1
        else:
            discordant += 1
    return (concordant - discordant) / math.sqrt((concordant + discordant + tied_x) * (concordant + discordant + tied_y))


@pytest.mark.parametrize("seed", range(6))
def test_kendall_tau_b_equals_the_pairwise_count(seed):
    rng = random.Random(seed)
    n = rng.randrange(2, 60)
    xs = [rng.choice([0.1, 0.2, 0.3, 0.4, 0.5]) if seed % 2 else rng.random() for _ in range(n)]
    ys = [x + rng.gauss(0, 0.2) if seed % 3 else rng.choice([1, 2, 3]) for x in xs]
    assert kendall_tau(xs, ys) == pytest.approx(brute_tau_b(xs, ys))


def test_statistics_at_their_edges():
    assert kendall_tau([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert kendall_tau([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert kendall_tau([1, 1, 1], [1, 2, 3]) is None and kendall_tau([1], [1]) is None
    assert pearson([1, 2, 3], [2, 4, 6.5]) == pytest.approx(0.9979487, abs=1e-6)  # scipy.stats.pearsonr
    assert quantile([4, 1, 3, 2], 0.5) == 2.5 and quantile([4, 1, 3, 2], 0.25) == 1.75
    inf = math.inf  # "never", for a time to reach: the median of 3 reached and 2 never is the third time
    assert quantile([5, inf, 1, inf, 3], 0.5) == 5 and quantile([1, inf], 0.5) == inf and quantile([inf, inf], 0.5) == inf
    mean, se = mean_se([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and se == pytest.approx(math.sqrt(5 / 3 / 4))
    ranks = Ranks([1, 2, 3, 4])
    assert ranks.percentile(4) == 87.5 and ranks.percentile(1) == 12.5 and ranks.percentile(1, sign=-1) == 87.5
    assert ranks.threshold(0.25) == 4 and ranks.threshold(0.5) == 3 and ranks.threshold(0.25, sign=-1) == 1


def test_a_table_reads_back_what_it_wrote():
    entries = [Entry("a=x", {"k/a": {"layer": "x", "inputs": ["p", "o"]}}, {0: 0.5, 2: 0.7}, {0: 1.5, 2: 2.0}, {0: {1: 0.1}}, 12.0),
               Entry("a=y", {"k/a": {"layer": "y", "inputs": []}}, {0: 0.25}, {0: 1.0}, {}, None)]
    text = Table("f00", [0, 2], entries).csv_text()
    back = Table.parse(text)
    assert back.seeds == [0, 2] and back.space == "f00"
    assert [(e.values, e.times, e.steps, e.params) for e in back.entries] == [(e.values, e.times, e.steps, e.params) for e in entries]
    assert back.lookup({"k/a": {"layer": "x", "inputs": ["o", "p"]}}).mean == pytest.approx(0.6)  # inputs in any order
    assert back.lookup({"k/a": {"layer": "y"}}).architecture == "a=y"  # no inputs: none
    with pytest.raises(TableProblem, match="no column space"):
        Table.parse("architecture,choice\n")
    with pytest.raises(TableProblem, match=r"<table>:2: a row that does not read"):
        Table.parse("architecture,choice,space,seed0\na,{},f,zero\n")


require(*SEARCH)

from nas_annotate.search import SearchProblem  # noqa: E402
from nas_annotate.search.optuna_space import load_space  # noqa: E402
from nas_annotate.tabular.build import TableOptions, build  # noqa: E402


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def expected(a: str, b: str, seed: int) -> float:
    score = {"low": 1.0, "mid": 2.0, "high": 3.0}
    return score[a] + 10 * score[b] + random.Random(f"{seed}/{score[a]}/{score[b]}").random() * 0.5


def test_the_table_has_a_row_per_architecture_with_each_seed(tmp_path):
    options = TableOptions(str(NOISY), seeds=(0, 1), jobs=2, output=str(tmp_path / "t.csv"), quiet=True)
    table, interrupted = build(options)
    assert not interrupted
    columns, rows = read_rows(tmp_path / "t.csv")
    assert columns == ["architecture", "choice", "space", "mean", "params",
                       "seed0", "seed0_time", "seed0_step0", "seed0_step1", "seed0_step2",
                       "seed1", "seed1_time", "seed1_step0", "seed1_step1", "seed1_step2"]
    assert len(rows) == 9 and {row["space"] for row in rows} == {load_space(str(NOISY)).fingerprint()}
    for row in rows:
        choice = json.loads(row["choice"])
        a, b = choice["noisy/main.a"]["layer"], choice["noisy/main.b"]["layer"]
        assert row["architecture"] == f"a={a} b={b}"
        for seed in (0, 1):
            assert float(row[f"seed{seed}"]) == pytest.approx(expected(a, b, seed))
            assert float(row[f"seed{seed}_step2"]) == pytest.approx(expected(a, b, seed))
            assert float(row[f"seed{seed}_step0"]) == pytest.approx(expected(a, b, seed) / 3)
            assert float(row[f"seed{seed}_time"]) > 0
        assert float(row["mean"]) == pytest.approx((expected(a, b, 0) + expected(a, b, 1)) / 2)
        assert row["params"] == ""
    assert (tmp_path / "t.db").exists()  # the studies, beside the table


def test_seed_arg_resume_and_a_changed_recipe(tmp_path):
    output = str(tmp_path / "t.csv")
    options = TableOptions(str(NOISY), seeds=(3,), seed_arg="--random-state {seed}", output=output, quiet=True)
    build(options)
    first = Path(output).read_text()
    _, rows = read_rows(Path(output))
    row = next(r for r in rows if r["architecture"] == "a=mid b=high")
    assert float(row["seed3"]) == pytest.approx(expected("mid", "high", 1003))
    import optuna

    def trials() -> int:
        return len(optuna.load_study(study_name="noisy-seed3", storage=options.url).trials)

    assert trials() == 9
    build(options)  # resumes: nothing left to train
    assert trials() == 9 and Path(output).read_text() == first
    changed = TableOptions(str(NOISY), ("--fail-low",), seeds=(3,), seed_arg="--random-state {seed}", output=output, quiet=True)
    with pytest.raises(SearchProblem, match="was trained with the script's arguments --random-state 3, not --fail-low --random-state 3"):
        build(changed)


def test_failed_trainings_leave_their_cells_empty(tmp_path):
    output = tmp_path / "t.csv"
    build(TableOptions(str(NOISY), ("--fail-low",), seeds=(0,), output=str(output), quiet=True))
    _, rows = read_rows(output)
    assert len(rows) == 8 and "a=low b=low" not in {row["architecture"] for row in rows}


@pytest.mark.parametrize(("options", "message"), [
    ({"max": 8}, "the space holds 9 architectures, more than --max 8"),
    ({"seed_arg": "--seed"}, "has no {seed}"),
    ({"seed_arg": "--seed {sed}"}, "does not read"),
])
def test_what_the_table_refuses(tmp_path, options, message):
    with pytest.raises(SearchProblem, match=message):
        build(TableOptions(str(NOISY), output=str(tmp_path / "t.csv"), quiet=True, **options))
    assert not (tmp_path / "t.csv").exists()


def test_the_command_line_info_and_lookup(tmp_path):
    table = tmp_path / "t.csv"
    done = subprocess.run([NAS, "table", str(NOISY), "--seeds", "0,1", "-o", str(table), "-q"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    info = subprocess.run([NAS, "table", "--info", str(table)], capture_output=True, text=True)
    assert info.returncode == 0, info.stderr
    assert f"{table}: 9 architectures, seeds 0, 1" in info.stdout
    assert "best: a=high b=high: mean 33." in info.stdout
    assert "mean over seeds: min 11." in info.stdout and "median 22." in info.stdout
    assert "seeds 0 and 1: Kendall τ 1.000, Pearson 1.000, median |difference| 0." in info.stdout
    choice = tmp_path / "c.json"
    choice.write_text(json.dumps({"noisy/main.a": {"layer": "mid"}, "noisy/main.b": {"layer": "high"}}))
    lookup = subprocess.run([NAS, "table", "--lookup", str(table), str(choice)], capture_output=True, text=True)
    assert lookup.returncode == 0, lookup.stderr
    mean = (expected("mid", "high", 0) + expected("mid", "high", 1)) / 2
    assert lookup.stdout.startswith(f"a=mid b=high: mean {mean:.4f} (seed 0 ")
    assert "percentile 83.3 (rank 2 of 9)" in lookup.stdout
    unknown = json.dumps({"noisy/main.a": {"layer": "nope"}, "noisy/main.b": {"layer": "high"}})
    missing = subprocess.run([NAS, "table", "--lookup", str(table), unknown], capture_output=True, text=True)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "is not in" in missing.stderr


@pytest.mark.parametrize(("args", "message", "status"), [
    (["--info", "nowhere.csv"], "nowhere.csv: cannot read", 2),
    (["table.py", "--seeds", "0,x"], "is not a list of whole numbers", 2),
    (["missing.py"], "missing.py", 1),
])
def test_table_errors_are_one_line(tmp_path, args, message, status):
    done = subprocess.run([NAS, "table", *args], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == status
    assert message in done.stderr and "Traceback" not in done.stderr


def test_two_machines_share_one_storage(tmp_path):
    """Two tables at once on one storage: every architecture trains once per seed, and a rerun
    (which trains nothing) writes the whole table."""
    import optuna

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    command = [NAS, "table", str(NOISY), "--seeds", "0,1", "--storage", url, "-q"]
    first = subprocess.Popen([*command, "-o", str(tmp_path / "a.csv")], stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen([*command, "-o", str(tmp_path / "b.csv")], stderr=subprocess.PIPE, text=True)
    assert first.wait() == 0 and second.wait() == 0, first.stderr.read() + second.stderr.read()
    for seed in (0, 1):
        trials = optuna.load_study(study_name=f"noisy-seed{seed}", storage=url).trials
        assert len(trials) == 9 and len({json.dumps(t.params, sort_keys=True) for t in trials}) == 9
    done = subprocess.run([*command, "-o", str(tmp_path / "c.csv")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    _, rows = read_rows(tmp_path / "c.csv")
    assert len(rows) == 9 and all(row["seed0"] and row["seed1"] for row in rows)


def test_info_with_three_seeds_gives_each_pair_and_their_mean():
    entries = [Entry(f"x={i}", {"k/x": {"layer": str(i), "inputs": []}}, {0: i, 1: i + (0.5 if i == 3 else 0), 2: 10 - i}, {0: 1.0})
               for i in range(6)]
    text = Table("f", [0, 1, 2], entries).info("t.csv")
    assert "seeds 0 and 1: Kendall τ 1.000, Pearson 0.994, median |difference| 0.000 (6 architectures)" in text
    assert "seeds 0 and 2: Kendall τ -1.000, Pearson -1.000, median |difference| 5.000" in text
    assert "mean of the 3 pairs: Kendall τ -0.333, Pearson -0.333, median |difference| 3.250" in text

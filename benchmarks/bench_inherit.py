"""Weight inheritance on the digits space (issue 27): `evolution` trained from scratch against
`evolution --inherit` (and `morphism`) at equal wall time, each judged by the digits table.

    python benchmarks/bench_inherit.py [--seeds 0 1 2] [--trials 24] [--population 10] [--epochs 5] [--inherited-epochs 2]
        [--methods evolution evolution-inherit morphism] [--parallel 1] [--table PATH] [--json PATH]
    python benchmarks/bench_inherit.py --trial-cost

Per seed, `evolution` runs first: `--trials` trials of `--epochs` epochs (digits' recipe), and its
wall time is the budget.  `evolution-inherit` (`--inherit`) and `morphism` then search with that
`--budget`, their children (trials that start from a parent's weights) trained for
`--inherited-epochs`; a search is judged on what it had completed within the budget.  The
architecture a search returns is its best by its own measure (the trial's validation accuracy);
the table gives its accuracy (the mean of three standalone trainings of 12 epochs) and its
percentile among the table's 800 architectures.  Printed: per method the median over seeds of
the table accuracy and percentile of what it returned, with each seed's, the trials it ran and
its children; the cost of inheritance per trial (loading, matching and saving weights, from the
trials' `weights_seconds`) as a share of the trial's duration; and the table's noise floor
(the median |difference| between two seeds of one architecture), against which differences
between methods are read.  Each trial runs on one thread (TF_NUM_INTRAOP_THREADS=1) and the
searches one at a time (`--parallel N` runs N at once: faster, but a search that shares the
machine runs slower than its baseline did, and the budgets are then unfair).
`--trial-cost` measures instead what bounds inheritance's gain (half a minute): a digits trial
of `--epochs` against a child's of `--inherited-epochs` (the example run in one process on one
thread, alternately, median of 3), and how much of it is Keras's tracing of the training step
(`fit`'s first epoch against its second).
A benchmark, not a test: about 6 minutes a seed on two cores (17 with the defaults).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import digits_table  # noqa: E402  (beside this file)

ROOT = HERE.parent
SCRIPT = ROOT / "examples" / "digits" / "train.py"
METHODS = {
    "evolution": ["--sampler", "evolution"],
    "evolution-inherit": ["--sampler", "evolution", "--inherit"],
    "morphism": ["--sampler", "morphism"],
}
ONE_THREAD = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}


def run(method: str, seed: int, budget: float | None, args: argparse.Namespace) -> dict[str, Any]:
    """One search; what it returned within `budget` seconds and what inheritance cost its trials."""
    nas = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
    with tempfile.TemporaryDirectory(prefix=f"bench-inherit-{method}-") as out:
        command = [nas, "search", str(SCRIPT), *METHODS[method], "--population", str(args.population), "--seed", str(seed), "--out", out, "--quiet",
                   "--trials", str(args.trials if budget is None else 10 * args.trials)]
        if budget is not None:
            command += ["--budget", f"{budget:.1f}"]
        command += ["--", "--epochs", str(args.epochs), "--seed", str(seed)]
        if method != "evolution":
            command += ["--inherited-epochs", str(args.inherited_epochs)]
        began, clock = time.time(), time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **ONE_THREAD})
        wall = time.perf_counter() - clock
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
        return _record(method, seed, out, began, wall, budget)


def _record(method: str, seed: int, out: str, began: float, wall: float, budget: float | None) -> dict[str, Any]:
    import optuna

    with open(os.path.join(out, "results.json")) as handle:
        trials = json.load(handle)["trials"]
    within = []
    for trial in trials:
        if trial["state"] != "complete" or trial["value"] is None:
            continue
        ended = datetime.fromisoformat(trial["started"]).timestamp() + float(trial["duration_s"]) - began
        if budget is None or ended <= budget + 1.0:
            within.append(trial)
    best = max(within, key=lambda trial: trial["value"])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    (summary,) = optuna.get_all_study_summaries(f"sqlite:///{os.path.join(out, 'study.db')}")
    study = optuna.load_study(study_name=summary.study_name, storage=f"sqlite:///{os.path.join(out, 'study.db')}")
    costs = [t.user_attrs["weights_seconds"] / t.user_attrs["duration"] for t in study.get_trials()
             if t.user_attrs.get("weights_seconds") is not None and t.user_attrs.get("duration")]
    return {
        "method": method, "seed": seed, "wall_s": round(wall, 1), "trials": len(within),
        "children": sum(1 for trial in within if trial.get("inherited")),
        "returned": digits_table.signature(best["choice"]), "own_value": best["value"],
        "inheritance_cost": {"median": statistics.median(costs), "max": max(costs)} if costs else None,
    }


TRIAL_COST = """
import json, statistics, sys, time
import tensorflow as tf
from nas_annotate import runtime
from nas_annotate.importhook import install_import_hook
from nas_annotate.runner import run_script

script, epochs, inherited = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runtime.set_choice(json.load(open(sys.argv[4])))
times = {epochs: [], inherited: []}
for _ in range(3):
    for n in times:
        began = time.perf_counter()
        run_script(script, ["--epochs", str(n)])
        times[n].append(time.perf_counter() - began)
install_import_hook(roots=[sys.argv[5]])
sys.path.insert(0, sys.argv[5])
import train
(x, y), _ = train.load_data()
epoch = []
for _ in range(3):
    model = train.build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    first = time.perf_counter()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    second = time.perf_counter()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    epoch.append((second - first, time.perf_counter() - second))
print(json.dumps({"trial": statistics.median(times[epochs]), "child": statistics.median(times[inherited]),
                  "first_epoch": statistics.median(e[0] for e in epoch), "epoch": statistics.median(e[1] for e in epoch)}))
"""


def trial_cost(args: argparse.Namespace) -> None:
    """Print what a trial and a child cost, and Keras's tracing's share of it."""
    done = subprocess.run(
        [sys.executable, "-c", TRIAL_COST, str(SCRIPT), str(args.epochs), str(args.inherited_epochs), str(SCRIPT.parent / "choice.json"), str(SCRIPT.parent)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, **ONE_THREAD},
    )
    if done.returncode:
        raise SystemExit(f"the trial-cost run failed:\n{done.stderr[-3000:]}")
    cost = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, {platform.platform()}; digits, one thread, median of 3")
    print(f"  a trial of {args.epochs} epochs {cost['trial']:.2f} s; a child of {args.inherited_epochs} {cost['child']:.2f} s: "
          f"{cost['child'] / cost['trial']:.2f}x (its epochs: {args.inherited_epochs / args.epochs:.2f}x)")
    print(f"  fit's first epoch {cost['first_epoch']:.2f} s, the next {cost['epoch']:.2f} s: tracing the training step about "
          f"{cost['first_epoch'] - cost['epoch']:.2f} s ({(cost['first_epoch'] - cost['epoch']) / cost['trial']:.0%} of the trial)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--trials", type=int, default=24, help="evolution's trials (its wall time is the others' budget)")
    parser.add_argument("--population", type=int, default=10, help="evolution's and morphism's population")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--inherited-epochs", type=int, default=2)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--parallel", type=int, default=1, help="searches at a time (default 1: budgets are fair only alone)")
    parser.add_argument("--table", default=str(digits_table.TABLE))
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--trial-cost", action="store_true", help="measure a trial's and a child's cost instead (half a minute)")
    args = parser.parse_args()
    if args.trial_cost:
        trial_cost(args)
        return
    table = digits_table.load_table(args.table)
    ordered = sorted(table.values())
    noise = _noise(args.table)
    with ThreadPoolExecutor(args.parallel) as pool:
        baselines = {r["seed"]: r for r in pool.map(lambda seed: run("evolution", seed, None, args), args.seeds)}
        others = [(method, seed) for method in args.methods if method != "evolution" for seed in args.seeds]
        records = list(baselines.values()) + list(pool.map(lambda ms: run(ms[0], ms[1], baselines[ms[1]]["wall_s"], args), others))
    for record in records:
        record["table"] = table[record["returned"]]
        record["percentile"] = round(100.0 * sum(1 for v in ordered if v < record["table"]) / len(ordered), 1)
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, {platform.platform()}; digits, {args.epochs} epochs a trial, "
          f"children {args.inherited_epochs}; evolution: {args.trials} trials, its wall time the others' budget; seeds {args.seeds}")
    print(f"the table's noise floor: median |difference| between two seeds of one architecture {noise:.4f}")
    summary = {}
    for method in args.methods:
        mine = sorted((r for r in records if r["method"] == method), key=lambda r: r["seed"])
        costs = [r["inheritance_cost"]["median"] for r in mine if r["inheritance_cost"]]
        summary[method] = {
            "table_median": statistics.median(r["table"] for r in mine),
            "percentile_median": statistics.median(r["percentile"] for r in mine),
            "seeds": [{k: r[k] for k in ("seed", "table", "percentile", "trials", "children", "wall_s", "returned")} for r in mine],
            "inheritance_cost_median": statistics.median(costs) if costs else None,
            "inheritance_cost_max": max(r["inheritance_cost"]["max"] for r in mine if r["inheritance_cost"]) if costs else None,
        }
        s = summary[method]
        seeds = ", ".join(f"{r['table']:.4f} ({r['trials']} trials, {r['children']} children, {r['wall_s']:.0f} s)" for r in mine)
        cost = f"; inheritance {100 * s['inheritance_cost_median']:.2f}% of a trial (max {100 * s['inheritance_cost_max']:.2f}%)" if costs else ""
        print(f"  {method:18s} table accuracy median {s['table_median']:.4f}, percentile {s['percentile_median']:.1f}: {seeds}{cost}")
    if args.json:
        document = {
            "command": "python benchmarks/bench_inherit.py " + " ".join(sys.argv[1:]),
            "machine": f"{platform.platform()}, {os.cpu_count()} cpus, python {platform.python_version()}",
            "epochs": args.epochs, "inherited_epochs": args.inherited_epochs, "trials": args.trials, "seeds": args.seeds,
            "noise_floor": noise, "summary": summary, "records": records,
        }
        Path(args.json).write_text(json.dumps(document, indent=2))


def _noise(path: str) -> float:
    """The median |difference| between two seeds of one architecture, over every pair of seeds."""
    gaps = []
    for entry in digits_table.read(path).scored():
        values = list(entry.values.values())
        gaps += [abs(a - b) for i, a in enumerate(values) for b in values[i + 1 :]]
    return statistics.median(gaps)


if __name__ == "__main__":
    main()

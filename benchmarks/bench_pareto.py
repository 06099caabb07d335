"""Accuracy against size on the digits space: how much of the best possible Pareto front a
two-objective search finds in 40 trials, with each multi-objective sampler and with random.

    python benchmarks/bench_pareto.py [--trials 40] [--seeds 20] [--table PATH] [--json PATH]
    python benchmarks/bench_pareto.py params   # rewrite benchmarks/data/digits_params.csv

The objectives are accuracy (max) and params (min), as `nas-annotate search
examples/digits/train.py --objective accuracy:max --objective params:min` searches them.  No
network is trained here: the table is the lookup.  An architecture's accuracy is its mean
final validation accuracy over the digits table's seeds (`--table`, default
benchmarks/data/digits.csv: every architecture trained on every seed), its size its parameter count
(benchmarks/data/digits_params.csv: `build_model().count_params()` of every architecture,
built through the runtime by `params`).  Each sampler (the very samplers `search` makes for
several objectives: `tpe` is Optuna's multi-objective TPE, `evolution` NSGA-II) runs ask/tell
in this process on the encoding `search` uses; a proposal outside the table is told as failed
and does not count against the budget.

The measure is the hypervolume of the front found as a fraction of the table's own front's (all
architectures), and against random sampling's front on the same seeds, with both objectives
scaled to [0, 1] between the reference point and the best values, for two reference points:

- `table`: the table's worst accuracy and largest model, the usual choice (the goal, 0.9, is of
  this one). It is lenient here: a 394-parameter model reaches 0.76 and a 2,714-parameter one
  0.97, so nearly the whole square is dominated by a few cheap, good models.
- `front`: 10% of the table front's range beyond its worst accuracy and largest model, so that
  only the region of the front counts: it tells the samplers apart.
"""

from __future__ import annotations

import argparse
import csv
import functools
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import digits_table  # noqa: E402  (beside this file)

PARAMS = HERE / "data" / "digits_params.csv"
SAMPLERS = {"random": "random", "tpe": "multi-objective TPE", "evolution": "NSGA-II"}
GOAL = 0.9  # of the table measure, for the default sampler (tpe)
MARGIN = 0.1  # the front measure's reference: this much of the front's range beyond its worst


@functools.cache
def digits_space() -> Any:
    from nas_annotate.search.optuna_space import load_space

    return load_space(str(digits_table.SCRIPT))


def architectures() -> list[dict]:
    """Every choice of the digits space, in the grid's order."""
    space = digits_space()
    grid = space.grid()
    return [space.choice(dict(zip(grid, values))) for values in itertools.product(*grid.values())]


def count_params() -> int:
    """Build every architecture's model through the runtime and write its parameter count."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import importlib

    from nas_annotate import runtime
    from nas_annotate.importhook import install_import_hook

    directory = str(digits_table.SCRIPT.parent)
    sys.path.insert(0, directory)
    install_import_hook(roots=[directory])
    train = importlib.import_module(digits_table.SCRIPT.stem)
    import keras

    rows = []
    for choice in architectures():
        runtime.set_choice(choice)
        rows.append((digits_table.signature(choice), train.build_model().count_params()))
        keras.backend.clear_session()
    PARAMS.parent.mkdir(parents=True, exist_ok=True)
    temporary = PARAMS.with_suffix(".tmp")
    with open(temporary, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["architecture", "params"])
        writer.writerows(sorted(rows))
    os.replace(temporary, PARAMS)
    print(f"{PARAMS}: {len(rows)} architectures, {min(n for _, n in rows):,} to {max(n for _, n in rows):,} parameters")
    return 0


def load_params() -> dict[str, int]:
    with open(PARAMS, newline="") as handle:
        return {row["architecture"]: int(row["params"]) for row in csv.DictReader(handle)}


def hypervolume(points: list[tuple[float, float]], bounds: tuple[float, float, float, float]) -> float:
    """The area that (accuracy, params) `points` dominate, both scaled to [0, 1] by `bounds`
    (worst and best accuracy, largest and smallest size), from the reference (worst, largest);
    points beyond the reference add nothing."""
    worst, best, largest, smallest = bounds
    scaled = sorted((((a - worst) / (best - worst), (largest - p) / (largest - smallest)) for a, p in points), reverse=True)
    area = height = 0.0
    for width, up in scaled:  # widest first: each point adds the strip above what is covered
        if width > 0 and up > height:
            area += width * (up - height)
            height = up
    return area


def search(sampler: str, seed: int, trials: int, lookup: dict[str, tuple[float, int]]) -> list[tuple[float, float]]:
    """The (accuracy, params) of the `trials` architectures `sampler` proposes, told as it goes."""
    import optuna
    from optuna.trial import TrialState

    from nas_annotate.search.samplers import make_sampler

    space = digits_space()
    distributions = space.distributions()
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=make_sampler(sampler, space.grid(), seed, 10, multi=True))
    found: list[tuple[float, float]] = []
    misses = 0
    while len(found) < trials and misses < 10 * trials:
        trial = study.ask(fixed_distributions=distributions)
        name = digits_table.signature(space.choice(trial.params))
        if name not in lookup:
            study.tell(trial, state=TrialState.FAIL)
            misses += 1
            continue
        study.tell(trial, list(lookup[name]))
        found.append(lookup[name])
    return found


def references(points: list[tuple[float, float]]) -> dict[str, tuple[float, float, float, float]]:
    """The bounds of the two measures: the whole table's (the reference at its worst accuracy and
    largest model), and the table's front's, the reference 10% of its range beyond its worst."""
    front = [p for p in points if not any(q[0] >= p[0] and q[1] <= p[1] and q != p for q in points)]
    worst, best = min(a for a, _ in front), max(a for a, _ in front)
    largest, smallest = max(p for _, p in front), min(p for _, p in front)
    return {
        "table": (min(a for a, _ in points), best, max(p for _, p in points), smallest),
        "front": (worst - MARGIN * (best - worst), best, largest + MARGIN * (largest - smallest), smallest),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["params"], help="params: rewrite the parameter counts")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--table", default=str(digits_table.TABLE), metavar="PATH", help="the digits table (default: benchmarks/data/digits.csv)")
    parser.add_argument("--json", metavar="PATH", help="also write the key numbers here")
    args = parser.parse_args()
    if args.command == "params":
        return count_params()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    accuracy, params = digits_table.load_table(args.table), load_params()
    lookup = {name: (value, params[name]) for name, value in accuracy.items()}
    points = list(lookup.values())
    bounds = references(points)
    ideal = {measure: hypervolume(points, bound) for measure, bound in bounds.items()}
    front = [p for p in points if not any(q[0] >= p[0] and q[1] <= p[1] and q != p for q in points)]
    print(f"digits table: {len(points)} architectures (mean accuracy of its seeds), {bounds['table'][3]:,} to "
          f"{bounds['table'][2]:,} parameters; its front: {len(front)} architectures")
    print(f"{args.trials} trials, {args.seeds} seeds: hypervolume of the front found / the table's front's, the reference at")
    print("  the table's worst accuracy and largest model (table), or 10% beyond its front's worst ones (front)")
    print(f"{'sampler':<30}{'table: mean':>12}{'min':>7}{'vs random':>11}{'front: mean':>13}{'min':>7}{'vs random':>11}{'time':>7}")
    results: dict[str, dict] = {}
    for sampler, algorithm in SAMPLERS.items():
        started = time.perf_counter()
        fronts = [search(sampler, seed, args.trials, lookup) for seed in range(args.seeds)]
        entry: dict[str, Any] = {"algorithm": algorithm, "seconds": round(time.perf_counter() - started, 1)}
        for measure, bound in bounds.items():
            ratios = [hypervolume(found, bound) / ideal[measure] for found in fronts]
            entry[measure] = {"mean": statistics.mean(ratios), "min": min(ratios), "max": max(ratios), "ratios": ratios}
        results[sampler] = entry
    for sampler, entry in results.items():
        cells = ""
        for measure in bounds:
            entry[measure]["vs_random"] = entry[measure]["mean"] / results["random"][measure]["mean"]
            cells += f"{entry[measure]['mean']:>12.3f}{entry[measure]['min']:>7.3f}{entry[measure]['vs_random']:>10.2f}×"
        label = f"{sampler} ({entry['algorithm']})" if sampler != "random" else sampler
        print(f"{label:<30}{cells}{entry['seconds']:>6.1f}s")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"trials": args.trials, "seeds": args.seeds, "architectures": len(points), "table_front": len(front),
                       "goal": GOAL, "samplers": results}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

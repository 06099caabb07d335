"""How often each sampler finds the best architecture of the toy trial within a budget.

The toy trial (tests/fixtures/search/trial.py, 3,750 architectures, best score 11.0) has a
known score function, so this runs the samplers in-process on the very encoding `search`
uses, with no script runs: a measure of the algorithms, not of the machinery.

    python benchmarks/bench_samplers.py [--seeds 20] [--budgets 40 60 100] [--json PATH]

`--json PATH` also writes, per sampler, how many seeds found the optimum within each budget.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import optuna

from nas_annotate.search.samplers import ONESHOT_BUILTINS, SAMPLERS, make_sampler
from nas_annotate.search.optuna_space import load_space

TRIAL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "search", "trial.py")
GAIN = {"worst": 0.0, "poor": 0.6, "fair": 1.2, "good": 1.8, "best": 2.5}
SKIP = {"good_skip": 0.5, "bad_skip": -0.5}
BEST = 11.0


def score(choice: dict) -> float:
    return sum(GAIN[entry["layer"]] + sum(SKIP[i] for i in entry["inputs"]) for entry in choice.values())


def first_hit(sampler: str, seed: int, budget: int) -> int | None:
    """The 1-based trial at which `sampler` first reaches the optimum, or None."""
    space = load_space(TRIAL)
    distributions = space.distributions()
    study = optuna.create_study(direction="maximize", sampler=make_sampler(sampler, space.grid(), seed, space=space))
    for number in range(1, budget + 1):
        trial = study.ask(fixed_distributions=distributions)
        value = score(space.choice(trial.params))
        study.tell(trial, value)
        if value >= BEST - 1e-9:
            return number
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budgets", type=int, nargs="+", default=[40, 60, 100])
    parser.add_argument("--json", metavar="PATH", help="also write the counts here")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    budget = max(args.budgets)
    print(f"toy trial: 3,750 architectures; {args.seeds} seeds; optimum found within N trials")
    print(f"{'sampler':<10}" + "".join(f"{'N=' + str(b):>8}" for b in args.budgets) + f"{'median':>9}{'time':>8}")
    results: dict[str, dict[str, int]] = {}
    for sampler in SAMPLERS:
        if sampler == "grid" or sampler in ONESHOT_BUILTINS:  # grid is exhaustive; one-shot samplers train a supernet, not trials
            continue
        started = time.perf_counter()
        hits = [first_hit(sampler, seed, budget) for seed in range(args.seeds)]
        results[sampler] = {str(b): sum(h is not None and h <= b for h in hits) for b in args.budgets}
        counts = "".join(f"{results[sampler][str(b)]:>5}/{args.seeds:<2}" for b in args.budgets)
        found = [h for h in hits if h is not None]
        median = f"{statistics.median(found):g}" if len(found) * 2 > len(hits) else f">{budget}"
        print(f"{sampler:<10}{counts}{median:>9}{time.perf_counter() - started:>7.1f}s")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"seeds": args.seeds, "found_within": results}, handle, indent=2)


if __name__ == "__main__":
    main()

"""Search strategies as plug-ins (issue 22): what our black-box protocol costs, how reinforce
searches, and what `--prune hyperband` saves.

    python benchmarks/bench_strategies.py overhead [--trials 300] [--search-trials 40] [--runs 5]
    python benchmarks/bench_strategies.py digits [--seeds 20] [--first-seed 0] [--budget 40] [--option KEY=VALUE ...]
    python benchmarks/bench_strategies.py prune [--prune-seeds 0 1 2] [--prune-trials 24] [--epochs N]
    python benchmarks/bench_strategies.py simulate [--sim-seeds 100] [--sim-first-seed 0]
    (sections combine: `... overhead digits simulate --json PATH`; `--json` adds them to PATH;
    `--table PATH`: the digits table, default benchmarks/data/digits.csv)

- `overhead`: a plug-in's cost per trial against the built-in it mirrors. `RandomChoice` (below)
  is the built-in `random` written in our protocol, found by the registry as `PATH.py:NAME`.
  In process: ask, set the trial's choice, tell, through `make_sampler` on a SQLite study opened
  as `search` opens it, the two studies' trials interleaved; per-trial milliseconds (median of
  all trials, and of the last tenth, where the history the protocol reads is longest).  End to
  end: `nas-annotate search examples/toy/score.py --trials 40 --seed 0` with `--sampler random`
  and with `--sampler THIS_FILE:RandomChoice`, interleaved runs, wall time per trial.
- `digits`: reinforce, random, tpe and evolution searching the digits table (every architecture
  of examples/digits/train.py trained on each of the table's seeds; no training here): ask/tell
  in process, the table's accuracy (mean over its seeds) as the value and the judge, the best of
  `--budget` trials per seed; median, mean and worst over the seeds, beside the table's noise
  floor (|seed a - seed b| of an architecture for every pair of the table's seeds, median over
  the table and over its top quarter by mean).
  `--option` sets reinforce's options: its defaults were weighed against others on seeds
  100-199 (`--first-seed 100 --seeds 100 --samplers random reinforce --option lr=0.25`), not 0-19.
- `prune`: `nas-annotate search examples/digits/train.py --trials 24 --seed S --sampler tpe
  [--prune hyperband|median] -- ARGS [--epochs N]` (ARGS: the table's recipe,
  digits_table.ARGS), for real: per seed, each search's best value, the table accuracy of its
  best architecture, its trials pruned, epochs trained and wall time against the search without
  pruning; and the cost of a trial fitted as `fixed + per_epoch * epochs` from its trials'
  durations.  About 16 minutes on two cores at 5 epochs.
- `simulate`: the same searches on the table's epoch-by-epoch accuracy (its first seed's curves),
  many seeds, several pruner settings: best table accuracy (and on how many seeds it is at least the
  best without pruning), epochs trained, and wall time modelled with `prune`'s fitted trial cost
  (`--fixed-s`, `--epoch-s`).  `make_pruner`'s Hyperband settings were chosen so on seeds
  100-499; report others (default 0-99).

A benchmark, not a test: it prints numbers against a baseline run in the same process.
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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from nas_annotate.strategies import BlackBoxStrategy, History

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOY = ROOT / "examples" / "toy" / "score.py"
DIGITS = ROOT / "examples" / "digits" / "train.py"
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
GAIN = {"worst": 0.0, "poor": 0.6, "fair": 1.2, "good": 1.8, "best": 2.5}
SKIP = {"good_skip": 0.5, "bad_skip": -0.5}
DIGITS_SAMPLERS = ("reinforce", "random", "tpe", "evolution")
OVERHEAD_GOAL_MS = 5.0
PRUNE_GOAL = 0.6  # hyperband's wall time / no pruning's, at least as good a best
FIXED_S, EPOCH_S = 1.48, 0.58  # a digits trial's seconds, and per epoch: `prune`'s fit on the 2-core VM


class RandomChoice(BlackBoxStrategy):
    """Each decision drawn uniformly at random: the built-in `random`, in our protocol."""

    def ask(self, history: History) -> dict[str, Any]:
        return self.space.random(self.rng)


def toy_score(choice: dict[str, Any]) -> float:
    return sum(GAIN[entry["layer"]] + sum(SKIP[i] for i in entry["inputs"]) for entry in choice.values())


def _table() -> Any:
    sys.path.insert(0, str(HERE))
    import digits_table

    return digits_table


# --- overhead ---------------------------------------------------------------------------------


def inprocess(trials: int) -> dict[str, Any]:
    """Per-trial ask/tell milliseconds of `random` and of RandomChoice on SQLite studies."""
    import optuna

    from nas_annotate.search.optuna_space import load_space
    from nas_annotate.search.options import Options
    from nas_annotate.search.samplers import make_sampler
    from nas_annotate.search.storage import DEFAULT_RETRY, Retry, SearchStorage
    from nas_annotate.search.study import open_storage
    from nas_annotate.strategies import registry

    space = load_space(str(TOY))
    distributions = space.distributions()
    names = {"random": "random", "plug-in": f"{Path(__file__).resolve()}:RandomChoice"}
    times: dict[str, list[float]] = {label: [] for label in names}
    with tempfile.TemporaryDirectory(prefix="bench-strategies-") as work:
        studies = {}
        for label, name in names.items():
            out = os.path.join(work, label)
            os.makedirs(out)
            database, _ = open_storage(Options(script=str(TOY), out=out), out)
            storage = SearchStorage(optuna.storages.get_storage(database), Retry(DEFAULT_RETRY, print), {})  # as `search` has it
            sampler = make_sampler(registry.find(name), space.grid(), 0, space=space)
            studies[label] = optuna.create_study(storage=storage, study_name="score", direction="maximize", sampler=sampler)
        for number in range(trials):
            for label in (names if number % 2 else reversed(list(names))):  # each goes first every other trial
                study = studies[label]
                started = time.perf_counter()
                trial = study.ask(fixed_distributions=distributions)
                choice = space.choice(trial.params)
                trial.set_user_attr("choice", choice)
                study.tell(trial, toy_score(choice))
                times[label].append(1000 * (time.perf_counter() - started))
    tail = max(1, trials // 10)
    found: dict[str, Any] = {"trials": trials}
    for label, values in times.items():
        found[label] = {"median_ms": statistics.median(values), "last_tenth_median_ms": statistics.median(values[-tail:])}
    differences = [p - r for p, r in zip(times["plug-in"], times["random"])]
    found["difference_ms"] = statistics.median(differences)
    found["last_tenth_difference_ms"] = statistics.median(differences[-tail:])
    return found


def end_to_end(trials: int, runs: int) -> dict[str, Any]:
    """Wall time per trial of `search` on the toy with `random` and with RandomChoice, interleaved."""
    samplers = {"random": "random", "plug-in": f"{Path(__file__).resolve()}:RandomChoice"}
    walls: dict[str, list[float]] = {label: [] for label in samplers}
    commands = {}
    with tempfile.TemporaryDirectory(prefix="bench-strategies-") as work:
        for run in range(runs):
            for label in (samplers if run % 2 == 0 else reversed(list(samplers))):
                out = os.path.join(work, f"{label}-{run}")
                command = [NAS, "search", str(TOY), "--sampler", samplers[label], "--trials", str(trials), "--seed", "0",
                           "-o", out, "--quiet"]
                commands[label] = " ".join(["nas-annotate", *command[1:-3], "-o", "TMP"])
                started = time.perf_counter()
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
                walls[label].append(time.perf_counter() - started)
                if done.returncode:
                    raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    per_trial = {label: [1000 * wall / trials for wall in values] for label, values in walls.items()}
    return {
        "trials": trials, "runs": runs, "commands": commands,
        **{label: {"per_trial_ms": statistics.median(values), "runs_ms": [round(v, 1) for v in values]}
           for label, values in per_trial.items()},
        "difference_ms": statistics.median(p - r for p, r in zip(per_trial["plug-in"], per_trial["random"])),
    }


def overhead(args: argparse.Namespace) -> dict[str, Any]:
    print(f"plug-in overhead: RandomChoice (our protocol, {Path(__file__).name}:RandomChoice) against the built-in random")
    inside = inprocess(args.trials)
    plugin, random = inside["plug-in"], inside["random"]
    print(f"  in process, {inside['trials']} trials on SQLite (ask + choice + tell), median ms per trial:")
    print(f"    random {random['median_ms']:.2f}   plug-in {plugin['median_ms']:.2f}   difference {inside['difference_ms']:+.2f} "
          f"(goal ≤ +{OVERHEAD_GOAL_MS:g})")
    print(f"    last tenth: random {random['last_tenth_median_ms']:.2f}   plug-in {plugin['last_tenth_median_ms']:.2f}   "
          f"difference {inside['last_tenth_difference_ms']:+.2f}")
    outside = end_to_end(args.search_trials, args.runs)
    print(f"  end to end, `search` of examples/toy, {outside['trials']} trials, {outside['runs']} runs each, interleaved: "
          "wall ms per trial (median)")
    print(f"    random {outside['random']['per_trial_ms']:.1f}   plug-in {outside['plug-in']['per_trial_ms']:.1f}   "
          f"difference {outside['difference_ms']:+.1f} (goal ≤ +{OVERHEAD_GOAL_MS:g})")
    return {"in_process": inside, "end_to_end": outside, "goal_ms": OVERHEAD_GOAL_MS}


# --- digits: reinforce against the others on the table ---------------------------------------


def noise_floor(path: str) -> dict[str, float]:
    """|seed a - seed b| of the digits table's architectures, for every pair of its seeds: the
    median over all, and over the top quarter by mean."""
    table = _table().read(path)
    gaps = []
    for entry in table.entries:
        values = [entry.values[seed] for seed in table.seeds]
        gaps.append((entry.mean, [abs(a - b) for i, a in enumerate(values) for b in values[i + 1:]]))
    gaps.sort(key=lambda pair: pair[0])
    top = gaps[int(0.75 * (len(gaps) - 1)):]
    return {"median": statistics.median(d for _, ds in gaps for d in ds),
            "top_quarter_median": statistics.median(d for _, ds in top for d in ds)}


def table_search(name: str, seed: int, budget: int, settings: dict[str, Any], table: dict[str, float]) -> float:
    """The best table accuracy among the `budget` architectures `name` proposes on the digits space."""
    import optuna

    from nas_annotate.search.optuna_space import load_space
    from nas_annotate.search.samplers import make_sampler
    from nas_annotate.strategies import registry

    digits_table = _table()
    space = load_space(str(DIGITS))
    distributions = space.distributions()
    sampler = make_sampler(registry.find(name), space.grid(), seed, settings=settings, space=space)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    best = float("-inf")
    for _ in range(budget):
        trial = study.ask(fixed_distributions=distributions)
        choice = space.choice(trial.params)
        trial.set_user_attr("choice", choice)  # as `search` sets it: our protocol's history reads it
        value = table[digits_table.signature(choice)]
        study.tell(trial, value)
        best = max(best, value)
    return best


def digits(args: argparse.Namespace) -> dict[str, Any]:
    from nas_annotate.strategies.registry import parse_options

    table = _table().load_table(args.table)
    options = parse_options(args.option or [])
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    floor = noise_floor(args.table)
    print(f"digits table ({len(table)} architectures, best {max(table.values()):.4f}): best table accuracy of {args.budget} "
          f"trials, seeds {seeds[0]}-{seeds[-1]}" + (f"; reinforce with {options}" if options else ""))
    print(f"  noise floor: |seed a - seed b| median {floor['median']:.4f} (top quarter {floor['top_quarter_median']:.4f})")
    print(f"  {'sampler':<11}{'median':>8}{'mean':>8}{'worst':>8}{'table best':>12}{'vs random':>11}{'time':>7}")
    results: dict[str, Any] = {}
    for name in args.samplers:
        started = time.perf_counter()
        bests = [table_search(name, seed, args.budget, options if name == "reinforce" else {}, table) for seed in seeds]
        results[name] = {
            "median": statistics.median(bests), "mean": statistics.mean(bests), "worst": min(bests),
            "table_best": sum(b >= max(table.values()) for b in bests), "bests": bests,
            "seconds": round(time.perf_counter() - started, 1),
        }
    for name, entry in results.items():
        versus = entry["median"] - results["random"]["median"] if "random" in results else float("nan")
        print(f"  {name:<11}{entry['median']:>8.4f}{entry['mean']:>8.4f}{entry['worst']:>8.4f}"
              f"{entry['table_best']:>6}/{len(seeds):<5}{versus:>+11.4f}{entry['seconds']:>6.1f}s")
    return {"budget": args.budget, "seeds": seeds, "options": options, "table_size": len(table),
            "table_best": max(table.values()), "noise_floor": floor, "samplers": results}


# --- prune: real searches of digits ----------------------------------------------------------


def real_search(seed: int, pruner: str, args: argparse.Namespace, table: dict[str, float], work: str) -> dict[str, Any]:
    """One `search` of digits with `pruner` ("none", "hyperband", "median"): what it found and cost."""
    digits_table = _table()
    out = os.path.join(work, f"{pruner}-{seed}")
    command = [NAS, "search", str(DIGITS), "--trials", str(args.prune_trials), "--seed", str(seed), "--sampler", "tpe"]
    command += [] if pruner == "none" else ["--prune", pruner]
    command += ["-o", out, "--quiet", "--", *digits_table.recipe(args.epochs)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    with open(os.path.join(out, "results.json")) as handle:
        trials = json.load(handle)["trials"]
    complete = [t for t in trials if t["state"] == "complete" and t["value"] is not None]
    best = max(complete, key=lambda t: t["value"])
    name = digits_table.signature(best["choice"])
    return {
        "seed": seed, "pruner": pruner, "wall_s": round(wall, 1), "best_value": best["value"], "best": name,
        "best_table": table.get(name), "complete": len(complete), "pruned": sum(t["state"] == "pruned" for t in trials),
        "epochs": sum(len(t["intermediate"]) for t in trials),
        "durations": [[len(t["intermediate"]), t["duration_s"]] for t in trials if t["duration_s"] is not None],
        "command": " ".join(["nas-annotate", *command[1:]]).replace(out, "TMP").replace(str(ROOT) + "/", ""),
    }


def fit_cost(records: list[dict[str, Any]]) -> tuple[float, float] | None:
    """Least squares `duration = fixed + per_epoch * epochs` over every trial of `records`
    (None when every trial trained as many epochs)."""
    points = [(epochs, seconds) for record in records for epochs, seconds in record["durations"]]
    if len({epochs for epochs, _ in points}) < 2:
        return None
    slope, intercept = statistics.linear_regression([e for e, _ in points], [s for _, s in points])
    return intercept, slope


def prune(args: argparse.Namespace) -> dict[str, Any]:
    table, script_args = _table().load_table(args.table), _table().recipe(args.epochs)
    records = []
    print(f"--prune on digits: tpe, {args.prune_trials} trials of `-- {' '.join(script_args)}`, seeds {args.prune_seeds}, "
          f"pruners {args.pruners} (each search against the same seed's without pruning)")
    with tempfile.TemporaryDirectory(prefix="bench-strategies-") as work:
        for seed in args.prune_seeds:
            for pruner in args.pruners:
                record = real_search(seed, pruner, args, table, work)
                records.append(record)
                print(f"  seed {seed} {pruner:<10} best {record['best_value']:.4f} (table {record['best_table']:.4f}) "
                      f"{record['pruned']:>2} pruned, {record['epochs']:>3} epochs, {record['wall_s']:>6.1f} s", flush=True)
    cost = fit_cost(records)
    base = {r["seed"]: r for r in records if r["pruner"] == "none"}
    summary: dict[str, Any] = {}
    if cost:
        print(f"  a trial costs {cost[0]:.2f} s + {cost[1]:.2f} s per epoch (fitted over every trial)")
    for pruner in args.pruners:
        mine = [r for r in records if r["pruner"] == pruner and r["seed"] in base]
        ratios = [r["wall_s"] / base[r["seed"]]["wall_s"] for r in mine]
        epochs = [r["epochs"] / base[r["seed"]]["epochs"] for r in mine]
        as_good = sum(r["best_table"] >= base[r["seed"]]["best_table"] for r in mine)
        summary[pruner] = {"wall_ratio": statistics.median(ratios), "epochs_ratio": statistics.median(epochs),
                           "best_table": statistics.median(r["best_table"] for r in mine),
                           "best_value": statistics.median(r["best_value"] for r in mine), "as_good": as_good, "seeds": len(mine)}
        entry = summary[pruner]
        print(f"  {pruner:<10} best table accuracy (median) {entry['best_table']:.4f}, as good as without on "
              f"{as_good}/{len(mine)} seeds; time {entry['wall_ratio']:.2f}×, epochs {entry['epochs_ratio']:.2f}× (medians of per-seed ratios)")
    return {"trials": args.prune_trials, "epochs": args.epochs, "script_args": script_args, "seeds": args.prune_seeds, "goal_ratio": PRUNE_GOAL,
            "trial_cost": {"fixed_s": cost[0], "per_epoch_s": cost[1]} if cost else None, "summary": summary, "records": records,
            "load_after": " ".join(Path("/proc/loadavg").read_text().split()[:3])}


# --- simulate: the same on the table's curves --------------------------------------------------


def pruners() -> dict[str, Callable[[], Any]]:
    """The pruner settings `simulate` compares: `median` and `hyperband` as `make_pruner` makes
    them (Hyperband's reduction factor η 2), and Hyperband otherwise."""
    from optuna import pruners as p

    from nas_annotate.search.options import Options
    from nas_annotate.search.study import make_pruner

    return {
        "none": p.NopPruner,
        "median": lambda: make_pruner(Options(script="", prune="median")),
        "hyperband": lambda: make_pruner(Options(script="", prune="hyperband")),
        "hyperband η 3 (Optuna's)": lambda: p.HyperbandPruner(min_resource=1, max_resource="auto", reduction_factor=3),
        "hyperband η 4": lambda: p.HyperbandPruner(min_resource=1, max_resource="auto", reduction_factor=4),
        "hyperband η 3, first rung 2": lambda: p.HyperbandPruner(min_resource=2, max_resource="auto", reduction_factor=3),
    }


def curves(path: str) -> tuple[int, dict[str, list[float]]]:
    """The table's first seed, and each architecture's validation accuracy after each epoch with it."""
    by_seed = _table().curves(path)
    seed = min(next(iter(by_seed.values())))
    return seed, {name: values[seed] for name, values in by_seed.items()}


def simulated_search(seed: int, pruner: Any, trials: int, lookup: dict[str, list[float]], table: dict[str, float],
                     cost: tuple[float, float]) -> tuple[float, int, float]:
    """tpe with `pruner` for `trials` trials, each reporting its table curve: the table accuracy
    of its best completed architecture, the epochs trained and the modelled seconds."""
    import optuna
    from optuna.trial import TrialState

    from nas_annotate.search.optuna_space import load_space
    from nas_annotate.search.samplers import make_sampler

    digits_table = _table()
    space = load_space(str(DIGITS))
    distributions = space.distributions()
    sampler = make_sampler("tpe", space.grid(), seed)
    # named as `search` names it: Hyperband puts a trial in a bracket by the study's name and its number
    study = optuna.create_study(study_name="train", direction="maximize", sampler=sampler, pruner=pruner)
    best, epochs, seconds = (float("-inf"), ""), 0, 0.0
    for _ in range(trials):
        trial = study.ask(fixed_distributions=distributions)
        choice = space.choice(trial.params)
        trial.set_user_attr("choice", choice)
        name = digits_table.signature(choice)
        curve = lookup[name]
        pruned = False
        for step, value in enumerate(curve):
            trial.report(value, step)
            if trial.should_prune():  # the last report too: `search` stops the trial before its final one
                pruned = True
                break
        epochs += step + 1
        seconds += cost[0] + cost[1] * (step + 1)
        if pruned:
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, curve[-1])
            best = max(best, (curve[-1], name))
    return table[best[1]] if best[1] else float("nan"), epochs, seconds


def simulate(args: argparse.Namespace) -> dict[str, Any]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    table, (curve_seed, lookup) = _table().load_table(args.table), curves(args.table)
    epochs = max(len(curve) for curve in lookup.values())
    seeds = list(range(args.sim_first_seed, args.sim_first_seed + args.sim_seeds))
    cost = (args.fixed_s, args.epoch_s)
    print(f"--prune simulated on the digits table's curves (seed {curve_seed}): tpe, {args.prune_trials} trials × {epochs} "
          f"epochs, seeds {seeds[0]}-{seeds[-1]}; a trial modelled as {cost[0]:g} s + {cost[1]:g} s per epoch")
    print(f"  {'pruner':<30}{'best: median':>13}{'mean':>8}{'as good':>9}{'epochs':>8}{'time':>7}")
    results: dict[str, Any] = {}
    base: list[tuple[float, int, float]] = []
    for name, make in pruners().items():
        found = [simulated_search(seed, make(), args.prune_trials, lookup, table, cost) for seed in seeds]
        base = base or found
        entry = {
            "best_median": statistics.median(f[0] for f in found), "best_mean": statistics.mean(f[0] for f in found),
            "as_good": sum(f[0] >= b[0] for f, b in zip(found, base)),
            "epochs_ratio": statistics.median(f[1] / b[1] for f, b in zip(found, base)),
            "wall_ratio": statistics.median(f[2] / b[2] for f, b in zip(found, base)),
        }
        results[name] = entry
        print(f"  {name:<30}{entry['best_median']:>13.4f}{entry['best_mean']:>8.4f}{entry['as_good']:>5}/{len(seeds):<3}"
              f"{entry['epochs_ratio']:>7.2f}×{entry['wall_ratio']:>6.2f}×", flush=True)
    return {"trials": args.prune_trials, "epochs": epochs, "curve_seed": curve_seed, "seeds": [seeds[0], seeds[-1]],
            "trial_cost": {"fixed_s": cost[0], "per_epoch_s": cost[1]}, "pruners": results}


SECTIONS = {"overhead": overhead, "digits": digits, "prune": prune, "simulate": simulate}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="+", choices=list(SECTIONS))
    parser.add_argument("--trials", type=int, default=300, help="overhead: in-process trials per sampler")
    parser.add_argument("--search-trials", type=int, default=40, help="overhead: trials of each toy search")
    parser.add_argument("--runs", type=int, default=5, help="overhead: toy searches per sampler")
    parser.add_argument("--seeds", type=int, default=20, help="digits: how many seeds")
    parser.add_argument("--first-seed", type=int, default=0, help="digits: the first seed")
    parser.add_argument("--budget", type=int, default=40, help="digits: trials per search")
    parser.add_argument("--samplers", nargs="+", default=list(DIGITS_SAMPLERS), help="digits: the samplers (random among them)")
    parser.add_argument("--option", action="append", metavar="KEY=VALUE", help="digits: an option of reinforce")
    parser.add_argument("--prune-seeds", type=int, nargs="+", default=[0, 1, 2], help="prune: the searches' seeds")
    parser.add_argument("--prune-trials", type=int, default=24, help="prune, simulate: trials per search")
    parser.add_argument("--epochs", type=int, help="prune: the script's --epochs (default: the table's recipe)")
    parser.add_argument("--pruners", nargs="+", default=["none", "hyperband", "median"], help="prune: none first")
    parser.add_argument("--sim-seeds", type=int, default=100, help="simulate: how many seeds")
    parser.add_argument("--sim-first-seed", type=int, default=0, help="simulate: the first seed")
    parser.add_argument("--fixed-s", type=float, default=FIXED_S, help="simulate: seconds per trial besides its epochs")
    parser.add_argument("--epoch-s", type=float, default=EPOCH_S, help="simulate: seconds per epoch")
    parser.add_argument("--table", metavar="PATH", help="digits, prune, simulate: the digits table (default: "
                        "benchmarks/data/digits.csv)")
    parser.add_argument("--json", metavar="PATH", help="add the sections' numbers to this file")
    args = parser.parse_args()
    args.table = args.table or str(_table().TABLE)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    found = {}
    run = {
        "command": " ".join(["python benchmarks/bench_strategies.py", *sys.argv[1:]]),
        "machine": f"python {platform.python_version()}, {os.cpu_count()} cpus, {platform.platform()}",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    for section in dict.fromkeys(args.sections):
        found[section] = {**SECTIONS[section](args), **run}
        print()
    if args.json:
        path = Path(args.json)
        recorded = json.loads(path.read_text()) if path.exists() else {}
        recorded.update(found)
        path.write_text(json.dumps(recorded, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

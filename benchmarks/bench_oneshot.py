"""The note's "compare NAS algorithms side by side" on the digits space: darts, enas, tpe,
evolution and random, each searching examples/digits/train.py for real, judged by the digits
table (`--table`, default benchmarks/data/digits.csv: every architecture trained standalone on
each of the table's seeds).

    python benchmarks/bench_oneshot.py [--seeds 3] [--trials 8] [--epochs N] [--table PATH]
        [--methods tpe evolution random darts enas@15 ...] [--backend jax|torch|tensorflow] [--script PATH]
        [--json PATH] [--plot PATH] [--judge JSON]

Every search gives the script the table's recipe (digits_table.ARGS) and its seed; `--epochs`
overrides the recipe's epochs.  Per seed, tpe runs first (`--trials` trials, as the README's
search): its wall time is the budget.  random and evolution run as many trials and are judged
on what they had found within that budget.  darts and enas train one supernet and derive or
rank (`--retrain 0`: the architecture they return is the one judged); `enas@15` gives the
script `--epochs 15` for its supernet, as a user would (default: as the trials).  Variants are
methods too: `darts-bilevel` (`--darts bilevel`), `enas-uniform` (`--policy uniform`).  `gdas` and `spos` are
the example plug-ins (`--sampler examples/strategies/gdas.py:Gdas`, `spos.py:Spos`), and any
other one-shot `PATH.py:NAME` is a method as it is.  `--backend NAME` searches
examples/keras3/train.py (the same space, written with `import keras` alone) with
KERAS_BACKEND=NAME instead: the table judges what JAX or PyTorch finds as it judges TensorFlow.
`--script PATH` searches another script of the same space (examples/custom_loop/train.py: the
digits trial trained by a loop of its own).

For each search: its wall time, the table accuracy (mean over the table's seeds) and percentile
of the architecture it returns, whether that is in the table's top quarter, and for enas
Kendall's τ between its shared-weight scores and the table over the architectures it scored.  `--plot`
draws the best-found table accuracy against wall time for every search; `--judge` judges a
recorded run again (by the table as it is now).  A benchmark, not a test: about 7 minutes per
seed on two cores with every method, at 5 epochs a training.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import digits_table  # noqa: E402  (beside this file)

ROOT = HERE.parent
SCRIPT = ROOT / "examples" / "digits" / "train.py"
KERAS3 = ROOT / "examples" / "keras3" / "train.py"  # the same space, `import keras` alone: any backend
METHODS = ("darts", "enas", "tpe", "evolution", "random", "darts-bilevel", "enas-uniform", "gdas", "spos")
ONESHOT = ("darts", "enas", "darts-bilevel", "enas-uniform", "gdas", "spos")
VARIANTS = {
    "darts-bilevel": ["--sampler", "darts", "--darts", "bilevel"], "enas-uniform": ["--sampler", "enas", "--policy", "uniform"],
    "gdas": ["--sampler", "examples/strategies/gdas.py:Gdas"], "spos": ["--sampler", "examples/strategies/spos.py:Spos"],
}


class Table:
    """The digits table: each architecture's mean accuracy, its percentile and top-quarter line."""

    def __init__(self, path: str, complete: bool = True) -> None:
        self.accuracy = digits_table.load_table(path, complete)
        ordered = sorted(self.accuracy.values())
        self.size = len(ordered)
        self.ordered = ordered
        self.quarter = ordered[int(0.75 * (len(ordered) - 1))] if ordered else float("nan")
        self.median = ordered[len(ordered) // 2] if ordered else float("nan")

    def percentile(self, value: float) -> float:
        return 100.0 * sum(1 for v in self.ordered if v < value) / self.size


def one_shot(method: str) -> bool:
    """Whether a method (without `@EPOCHS`) trains a supernet: ours, or a one-shot `PATH.py:NAME`."""
    return method in ONESHOT or ":" in method


def method_name(text: str) -> str:
    """A method of METHODS or a one-shot `PATH.py:NAME`, a one-shot one optionally with `@EPOCHS`."""
    base, at, epochs = text.partition("@")
    if ":" in base:
        from nas_annotate.strategies.registry import ONESHOT as KIND, StrategyProblem, find

        try:
            if find(base).kind != KIND:
                raise argparse.ArgumentTypeError(f"{text!r}: not a one-shot strategy (black-box ones: bench_search.py)")
        except StrategyProblem as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    elif base not in METHODS or (at and (base not in ONESHOT or not epochs.isdigit())):
        raise argparse.ArgumentTypeError(
            f"{text!r}: a method of {', '.join(METHODS)} or a one-shot PATH.py:NAME; a one-shot one may end in @EPOCHS"
        )
    return text


def _search(method: str, seed: int, out: str, args: argparse.Namespace) -> tuple[float, float]:
    """Run one search; its start (epoch seconds) and wall time."""
    nas = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
    base, _, supernet_epochs = method.partition("@")
    script = chosen_script(args)
    command = [nas, "search", str(script), *VARIANTS.get(base, ["--sampler", base]), "--seed", str(seed), "--out", out, "--quiet"]
    if one_shot(base):
        command += ["--retrain", "0"]
    else:
        command += ["--trials", str(args.trials)]
    command += ["--", *digits_table.recipe(supernet_epochs or args.epochs), "--seed", str(seed)]
    began, clock = time.time(), time.perf_counter()
    env = {**os.environ, **({"KERAS_BACKEND": args.backend} if args.backend else {})}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - clock
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return began, wall


def chosen_script(args: argparse.Namespace) -> Path:
    """The script searched: --script, else examples/keras3 under --backend, else examples/digits."""
    return Path(args.script).resolve() if args.script else KERAS3 if args.backend else SCRIPT


def _black_box(out: str, began: float) -> list[tuple[float, float, str]]:
    """Each completed trial as (time since the search began, its own value, its architecture)."""
    with open(os.path.join(out, "results.json")) as handle:
        results = json.load(handle)
    found = []
    for trial in results["trials"]:
        if trial["state"] != "complete" or trial["value"] is None:
            continue
        done = datetime.fromisoformat(trial["started"]).timestamp() + float(trial["duration_s"]) - began
        found.append((round(done, 2), trial["value"], digits_table.signature(trial["choice"])))
    return sorted(found)


def _kendall(scores: list[float], truth: list[float]) -> float | None:
    from scipy.stats import kendalltau

    if len(scores) < 3:
        return None
    tau = kendalltau(scores, truth).statistic
    return None if tau != tau else float(tau)


def run_one(method: str, seed: int, budget: float | None, args: argparse.Namespace) -> dict[str, Any]:
    """One search: what it returned (within `budget` seconds, for the black-box samplers) and
    what it saw on the way, as architectures; `judge` looks them up in the table."""
    with tempfile.TemporaryDirectory(prefix=f"bench-oneshot-{method}-") as out:
        began, wall = _search(method, seed, out, args)
        record: dict[str, Any] = {"method": method, "seed": seed, "wall_s": round(wall, 2)}
        if one_shot(method.partition("@")[0]):
            (state_path,) = glob.glob(os.path.join(out, "oneshot", "*.json"))
            with open(state_path) as handle:
                state = json.load(handle)
            with open(os.path.join(out, "best_choice.json")) as handle:
                record["returned"] = digits_table.signature(json.load(handle))
            record["fit_s"] = state["fit_seconds"]
            record["path"] = [[round(wall, 2), record["returned"]]]
            if state.get("scored"):
                record["ranked"] = [[round(e["score"], 4), digits_table.signature(e["choice"])] for e in state["ranked"]]
        else:
            trials = _black_box(out, began)
            within = [entry for entry in trials if budget is None or entry[0] <= budget + 1.0]
            record["trials"], record["trials_within_budget"] = len(trials), len(within)
            record["returned"] = max(within, key=lambda entry: entry[1])[2] if within else None
            path, top = [], None
            for done, value, name in trials:  # the best so far by the search's own measure
                if top is None or value > top[0]:
                    top = (value, name)
                path.append([done, top[1]])
            record["path"] = path
    return record


def judge(record: dict[str, Any], table: Table) -> dict[str, Any]:
    """The record with the table's verdict: accuracy, percentile, top quarter, Kendall's τ."""
    judged = dict(record)
    accuracy = table.accuracy.get(record["returned"]) if record["returned"] else None
    judged["accuracy"] = accuracy
    if accuracy is not None:
        judged["percentile"] = round(table.percentile(accuracy), 1)
        judged["top_quarter"] = accuracy >= table.quarter
    judged["curve"] = [[t, table.accuracy.get(name)] for t, name in record["path"]]
    if "ranked" in record:
        known = [(score, table.accuracy[name]) for score, name in record["ranked"] if name in table.accuracy]
        judged["ranked_in_table"] = len(known)
        judged["tau"] = _kendall([s for s, _ in known], [t for _, t in known])
    return judged


def summarise(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per method, medians over the seeds of judged records; wall time also as a ratio to the
    same seed's tpe."""
    tpe_wall = {r["seed"]: r["wall_s"] for r in records if r["method"] == "tpe"}
    summary: dict[str, dict[str, Any]] = {}
    for method in dict.fromkeys(r["method"] for r in records):
        mine = [r for r in records if r["method"] == method]
        judged = [r for r in mine if r.get("accuracy") is not None]
        entry: dict[str, Any] = {
            "seeds": len(mine),
            "judged": len(judged),
            "wall_s": statistics.median(r["wall_s"] for r in mine),
            "accuracy": statistics.median(r["accuracy"] for r in judged) if judged else None,
            "percentile": statistics.median(r["percentile"] for r in judged) if judged else None,
            "top_quarter": sum(1 for r in judged if r["top_quarter"]),
        }
        ratios = [r["wall_s"] / tpe_wall[r["seed"]] for r in mine if r["seed"] in tpe_wall]
        entry["wall_vs_tpe"] = statistics.median(ratios) if ratios else None
        taus = [r["tau"] for r in mine if r.get("tau") is not None]
        if taus:
            entry["tau"] = statistics.median(taus)
        summary[method] = entry
    return summary


def plot(records: list[dict[str, Any]], table: Table, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    palette = ("tab:red", "tab:purple", "tab:blue", "tab:green", "tab:grey", "tab:orange", "tab:pink", "tab:brown", "tab:olive",
               "tab:cyan", "black", "gold")
    methods = dict.fromkeys(r["method"] for r in records)
    colours = {method: palette[i % len(palette)] for i, method in enumerate(methods)}
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    labelled: set[str] = set()
    for record in records:
        method = record["method"]
        points = [(t, a) for t, a in record["curve"] if a is not None]
        if not points:
            continue
        label = None if method in labelled else method
        labelled.add(method)
        if one_shot(method.partition("@")[0]):
            axes.scatter(*zip(*points), s=60, marker="*", color=colours[method], label=label, zorder=3)
        else:
            times, values = zip(*points)
            axes.step(times, values, where="post", color=colours[method], alpha=0.7, label=label)
            axes.scatter(times, values, s=8, color=colours[method], alpha=0.7)
    axes.axhline(table.quarter, color="black", linestyle=":", linewidth=1, label="table's top quarter")
    axes.axhline(table.median, color="black", linestyle="--", linewidth=1, label="table's median")
    axes.set_xlabel("wall time of the search (s)")
    axes.set_ylabel("table accuracy of the best found")
    axes.set_title(f"digits space ({table.size} architectures): best found against wall time, each seed")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def report(document: dict[str, Any], table: Table) -> dict[str, Any]:
    """Judge every record by the table, print the summary, and return the whole document."""
    records = [judge(r, table) for r in document["records"]]
    summary = summarise(records)
    print(f"table: {table.size} architectures; top-quarter line {table.quarter:.4f}, median {table.median:.4f}")
    print(f"{'method':14s}{'wall s':>8}{'vs tpe':>8}{'table acc':>11}{'pctile':>8}{'top 1/4':>9}{'tau':>7}")
    for method, entry in summary.items():
        tau = f"{entry['tau']:.3f}" if "tau" in entry else "-"
        accuracy = f"{entry['accuracy']:.4f}" if entry["accuracy"] is not None else "-"
        percentile = f"{entry['percentile']:.1f}" if entry["percentile"] is not None else "-"
        ratio = f"{entry['wall_vs_tpe']:.2f}" if entry["wall_vs_tpe"] is not None else "-"
        print(f"{method:14s}{entry['wall_s']:8.1f}{ratio:>8}{accuracy:>11}{percentile:>8}"
              f"{entry['top_quarter']:>5}/{entry['judged']:<3}{tau:>7}")
    return {**document, "table": {"architectures": table.size, "top_quarter": table.quarter, "median": table.median},
            "summary": summary, "records": records}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=8, help="trials of each black-box search (tpe's set the budget)")
    parser.add_argument("--epochs", type=int, help="epochs of each training (default: the table's recipe)")
    parser.add_argument("--methods", nargs="+", type=method_name, default=list(METHODS[:5]), metavar="METHOD[@EPOCHS]",
                        help=f"of {', '.join(METHODS)}, or a one-shot PATH.py:NAME; a one-shot one may say its "
                             "supernet's epochs: enas@15")
    parser.add_argument("--backend", choices=("tensorflow", "jax", "torch"),
                        help="search examples/keras3/train.py with this KERAS_BACKEND (default: examples/digits on TensorFlow)")
    parser.add_argument("--script", metavar="PATH", help="another script of the digits space to search "
                                                         "(examples/custom_loop/train.py)")
    parser.add_argument("--table", default=str(digits_table.TABLE), metavar="PATH", help="the digits table (default: benchmarks/data/digits.csv)")
    parser.add_argument("--json", metavar="PATH", help="also write every search and the summary here")
    parser.add_argument("--plot", metavar="PATH", help="draw best-found table accuracy against wall time here")
    parser.add_argument("--partial", action="store_true",
                        help="judge by a table still being built (each architecture's mean over the seeds it has; "
                             "architectures with none left out): --judge the --json again once it is complete")
    parser.add_argument("--judge", metavar="JSON", help="run nothing: judge the searches of an earlier --json again "
                                                        "(by the table as it is now)")
    args = parser.parse_args()
    table = Table(args.table, complete=not args.partial)
    if args.judge:
        document = json.loads(Path(args.judge).read_text())
    else:
        methods = ["tpe"] + [m for m in args.methods if m != "tpe"] if "tpe" in args.methods else list(args.methods)
        raw: list[dict[str, Any]] = []
        for seed in range(args.seeds):
            budget = None
            for method in methods:
                record = run_one(method, seed, budget, args)
                if method == "tpe":
                    budget = record["wall_s"]
                raw.append(record)
                shown = judge(record, table)
                verdict = f"{shown['accuracy']:.4f} (percentile {shown['percentile']})" if shown["accuracy"] else "not in table"
                extra = f", tau {shown['tau']:.3f}" if shown.get("tau") is not None else ""
                print(f"seed {seed} {method:13s} {record['wall_s']:7.1f} s  table accuracy {verdict}{extra}  "
                      f"{record['returned']}", flush=True)
        document = {
            "command": " ".join(["python benchmarks/bench_oneshot.py", *sys.argv[1:]]),
            "machine": f"python {platform.python_version()}, {os.cpu_count()} cpus, {platform.platform()}",
            "settings": {"trials": args.trials, "script_args": digits_table.recipe(args.epochs), "methods": methods,
                         "script": str(chosen_script(args).relative_to(ROOT)),
                         "backend": args.backend or "tensorflow"},
            "records": raw,
        }
    print()
    document = report(document, table)
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=1) + "\n")
    if args.plot:
        plot(document["records"], table, args.plot)


if __name__ == "__main__":
    main()

"""`nas-annotate compare` on the digits table: how fast it simulates black-box strategies.

    python benchmarks/bench_compare.py [--table PATH] [--json PATH]

Times, end to end in a subprocess, `nas-annotate compare examples/digits/train.py --table TABLE
-s random -s tpe -s evolution -s reinforce --seeds 10 -n 40 -o DIR` (every trial looked up in the
table, none trained) against the goal of 60 s on 2 cores; and the simulated training time those
runs cover (each run's clock at its last trial, summed over the runs, from DIR/runs.csv) per
second of wall time.  It prints the comparison's summary beside the table's noise floor (seed
against seed: Kendall τ, Pearson r, median |difference|): a judge of strategies is only as sure
as two seeds of one training agree.  The numbers, the command and the machine go to `--json`
(default benchmarks/data/compare.json).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import digits_table  # noqa: E402  (beside this file)

ROOT = HERE.parent
STRATEGIES = ("random", "tpe", "evolution", "reinforce")
SEEDS, TRIALS = 10, 40
GOAL_S = 60.0  # on 2 cores


def command(table: str, out: str) -> list[str]:
    line = ["nas-annotate", "compare", str(digits_table.SCRIPT.relative_to(ROOT)), "--table", table]
    for strategy in STRATEGIES:
        line += ["-s", strategy]
    return [*line, "--seeds", str(SEEDS), "-n", str(TRIALS), "-o", out, "--quiet"]


def simulated_seconds(runs_csv: Path) -> float:
    """The clocks of the runs at their last trials, summed."""
    last: dict[tuple[str, str], float] = {}
    with open(runs_csv, newline="") as handle:
        for row in csv.DictReader(handle):
            run = (row["strategy"], row["seed"])
            last[run] = max(last.get(run, 0.0), float(row["time"]))
    return sum(last.values())


def summary_rows(summary_csv: Path) -> list[dict[str, Any]]:
    """summary.csv's rows, numbers as numbers (an empty cell as None)."""
    def cell(text: str) -> Any:
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text or None

    with open(summary_csv, newline="") as handle:
        return [{key: cell(value) for key, value in row.items()} for row in csv.DictReader(handle)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=str(digits_table.TABLE), metavar="PATH", help="the digits table (default: benchmarks/data/digits.csv)")
    parser.add_argument("--json", default=str(HERE / "data" / "compare.json"), metavar="PATH",
                        help="write the numbers here (default: %(default)s)")
    args = parser.parse_args()
    table = digits_table.read(args.table)
    nas = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as work:
        line = command(os.path.abspath(args.table), work)
        started = time.perf_counter()
        done = subprocess.run([nas, *line[1:]], cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(f"{' '.join(line)} failed:\n{done.stderr}")
        simulated = simulated_seconds(Path(work) / "runs.csv")
        lines = summary_rows(Path(work) / "summary.csv")
        markdown = (Path(work) / "summary.md").read_text()
    shown = " ".join(line).replace(work, "DIR").replace(os.path.abspath(args.table), args.table)
    noise = [{"seeds": [a, b], "tau": tau, "pearson": r, "median_difference": gap, "architectures": count}
             for a, b, tau, r, gap, count in table.noise()]
    print(f"{shown}\n")
    print(f"digits table {args.table}: {len(table.entries)} architectures, seeds {', '.join(map(str, table.seeds))}")
    print(f"  wall time {wall:.1f} s (goal ≤ {GOAL_S:g} s on 2 cores: {'met' if wall <= GOAL_S else 'NOT met'})")
    print(f"  simulated training time covered {simulated / 3600:.1f} h: {simulated / wall:,.0f} s per wall second\n")
    print(markdown.rstrip("\n"))
    print("\nthe table's noise floor, seed against seed:")
    for entry in noise:
        figures = ", ".join(f"{name} {'-' if entry[key] is None else format(entry[key], '.3f')}" for name, key in
                            (("Kendall τ", "tau"), ("Pearson", "pearson"), ("median |difference|", "median_difference")))
        print(f"  seeds {entry['seeds'][0]} and {entry['seeds'][1]}: {figures} ({entry['architectures']} architectures)")
    document = {
        "command": shown,
        "table": {"path": args.table, "space": table.space, "architectures": len(table.entries), "seeds": table.seeds},
        "strategies": list(STRATEGIES), "seeds": SEEDS, "trials": TRIALS,
        "wall_s": round(wall, 2), "goal_s": GOAL_S, "simulated_s": round(simulated, 1),
        "simulated_per_wall_s": round(simulated / wall, 1), "summary": lines, "noise_floor": noise,
        "benchmark": " ".join(["python benchmarks/bench_compare.py", *sys.argv[1:]]),
        "machine": f"python {platform.python_version()}, {os.cpu_count()} cpus, {platform.platform()}",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

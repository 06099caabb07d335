"""Each strategy of a comparison in figures, over its seeds: summary.csv and the same as a
markdown table.

- best: the best value found at the end of a run; mean ± standard error over the seeds, and
  the median;
- percentile: where the architecture of that best trial stands in the table (by its mean
  over the table's seeds); the mean over the seeds;
- time to the table's top 5% and top quarter: when a run first trained an architecture whose
  table mean is in the table's best 5% (25%); the median over the seeds (a seed that never
  did counts as never), and how many seeds did;
- τ: Kendall's τ between the scores a strategy ranked architectures by (one-shot strategies)
  and their table means; the mean over the seeds.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from ..tabular.stats import kendall_tau, mean_se, median
from ..tabular.table import Table
from .runs import Run

TOPS = (0.05, 0.25)


@dataclass
class Line:
    """One strategy's figures."""

    strategy: str
    seeds: int
    best_mean: float | None
    best_se: float | None
    best_median: float | None
    percentile: float | None
    reach: dict[float, tuple[float | None, int]]  # top fraction -> (median time, seeds that reached it)
    tau: float | None
    trials: float


def summarise(runs: list[Run], table: Table | None, sign: float) -> list[Line]:
    """A line per strategy, in the order the strategies were given."""
    strategies = list(dict.fromkeys(run.strategy for run in runs))
    ranks = table.ranks() if table is not None and table.scored() else None
    thresholds = {top: ranks.threshold(top, sign) for top in TOPS} if ranks is not None else {}
    lines = []
    for strategy in strategies:
        mine = [run for run in runs if run.strategy == strategy]
        finals = [b for b in (run.bests(sign)[-1] if run.points else None for run in mine) if b is not None]
        best_mean, best_se = mean_se(finals) if finals else (None, None)
        percentiles = []
        if ranks is not None:
            for run in mine:
                incumbent = run.incumbent(sign)
                if incumbent is not None and incumbent.mean is not None:
                    percentiles.append(ranks.percentile(incumbent.mean, sign))
        reach: dict[float, tuple[float | None, int]] = {}
        for top, threshold in thresholds.items():
            times = [_reached(run, threshold, sign) for run in mine]
            found = [t for t in times if t is not None]
            middle = median([t if t is not None else math.inf for t in times]) if times else math.inf
            reach[top] = (middle if math.isfinite(middle) else None, len(found))
        taus = []
        if table is not None:
            for run in mine:
                pairs = [(score, entry.mean) for choice, score in run.ranking
                         if (entry := table.lookup(choice)) is not None and entry.mean is not None]
                tau = kendall_tau([p[0] for p in pairs], [p[1] for p in pairs]) if len(pairs) > 1 else None
                if tau is not None:
                    taus.append(tau)
        lines.append(Line(
            strategy, len(mine), best_mean, best_se, median(finals) if finals else None,
            sum(percentiles) / len(percentiles) if percentiles else None, reach,
            sum(taus) / len(taus) if taus else None, sum(len(run.points) for run in mine) / max(len(mine), 1),
        ))
    return lines


def _reached(run: Run, threshold: float, sign: float) -> float | None:
    """When the run first trained an architecture whose table mean is at least as good as `threshold`."""
    for point in run.points:
        if point.mean is not None and sign * point.mean >= sign * threshold:
            return point.time
    return None


HEADERS = ["strategy", "seeds", "trials", "best (mean ± SE)", "best (median)", "percentile",
           "time to top 5%", "time to top 25%", "τ (its ranking)"]


def _row(line: Line, digits: int = 4) -> list[str]:
    def number(value: float | None, places: int = digits) -> str:
        return "–" if value is None else f"{value:.{places}f}"

    best = "–" if line.best_mean is None else number(line.best_mean) + (f" ± {line.best_se:.{digits}f}" if line.best_se is not None else "")
    reach = []
    for top in TOPS:
        if top not in line.reach:
            reach.append("–")
            continue
        seconds, count = line.reach[top]
        reach.append(f"{_duration(seconds)} ({count}/{line.seeds})")
    return [line.strategy, str(line.seeds), f"{line.trials:g}", best, number(line.best_median), number(line.percentile, 1),
            *reach, number(line.tau, 3)]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 100:
        return f"{seconds:.1f} s"
    if seconds < 6000:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def markdown(lines: list[Line]) -> str:
    rows = [HEADERS, *(_row(line) for line in lines)]
    aligned = ["| " + " | ".join(row) + " |" for row in rows]
    aligned.insert(1, "|" + "|".join("---" if i == 0 else "---:" for i in range(len(HEADERS))) + "|")
    return "\n".join(aligned) + "\n"


def summary_csv(lines: list[Line]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["strategy", "seeds", "trials", "best_mean", "best_se", "best_median", "percentile",
                     *(f"time_top{round(top * 100)}_median" for top in TOPS), *(f"reached_top{round(top * 100)}" for top in TOPS), "tau"])
    for line in lines:
        writer.writerow([
            line.strategy, line.seeds, f"{line.trials:g}", _cell(line.best_mean), _cell(line.best_se), _cell(line.best_median),
            _cell(line.percentile), *(_cell(line.reach[top][0]) if top in line.reach else "" for top in TOPS),
            *(line.reach[top][1] if top in line.reach else "" for top in TOPS), _cell(line.tau),
        ])
    return buffer.getvalue().encode()


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"

"""anytime.png: the best value found against (simulated) time, one line per strategy: the
mean over its seeds with a band of ± one standard error, on a log time axis, drawn from the
time every seed has a result; a strategy whose runs end in one result (one-shot) is a point
with its error bars. The table's best mean is a dashed line."""

from __future__ import annotations

import math

from ..tabular.stats import mean_se
from ..tabular.table import Table
from .runs import Run

SAMPLES = 200


def best_at(run: Run, moment: float, sign: float) -> float | None:
    """The run's best value among the trials ended by `moment`."""
    best = None
    for point, value in zip(run.points, run.bests(sign)):
        if point.time > moment:
            break
        best = value
    return best


def draw(runs: list[Run], table: Table | None, sign: float, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..files import atomic_write

    figure, axes = plt.subplots(figsize=(8, 4.8), dpi=110)
    ends = [p.time for run in runs for p in run.points if p.value is not None]
    positive = [t for t in ends if t > 0]
    low = min(positive) if positive else 1e-3
    high = max(ends, default=1.0)
    for index, strategy in enumerate(dict.fromkeys(run.strategy for run in runs)):
        color = plt.get_cmap("tab10")(index % 10)
        mine = [run for run in runs if run.strategy == strategy and any(p.value is not None for p in run.points)]
        if not mine:
            continue
        if all(len(run.points) == 1 for run in mine):
            times = [run.points[0].time for run in mine]
            values = [run.points[0].value for run in mine]
            (x, x_se), (y, y_se) = mean_se(times), mean_se(values)  # type: ignore[arg-type]
            axes.errorbar([max(x, low)], [y], xerr=[[0], [x_se or 0]] if x_se else None, yerr=y_se, fmt="o",
                          color=color, capsize=3, label=f"{strategy} (one result per seed)")
            continue
        start = max(min(p.time for p in run.points if p.value is not None) for run in mine)
        start = max(start, low)
        moments = [start * (high / start) ** (i / (SAMPLES - 1)) for i in range(SAMPLES)] if high > start else [start]
        means, lows, highs = [], [], []
        for moment in moments:
            values = [v for v in (best_at(run, moment, sign) for run in mine) if v is not None]
            mean, se = mean_se(values)
            means.append(mean)
            lows.append(mean - (se or 0))
            highs.append(mean + (se or 0))
        axes.plot(moments, means, color=color, label=f"{strategy} ({len(mine)} seeds)")
        axes.fill_between(moments, lows, highs, color=color, alpha=0.2, linewidth=0)
    if table is not None and table.scored():
        best = max(entry.mean * sign for entry in table.scored()) * sign  # type: ignore[operator]
        axes.axhline(best, color="black", linestyle="--", linewidth=1, label=f"table's best {best:.4g}")
    if high > low and math.isfinite(high):
        axes.set_xscale("log")
    axes.set_xlabel("simulated seconds (the table's training time + the strategy's)" if table is not None and any(r.simulated for r in runs)
                    else "seconds")
    axes.set_ylabel("best value found")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    from io import BytesIO

    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    atomic_write(path, buffer.getvalue())

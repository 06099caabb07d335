"""anytime.png: each strategy against (simulated) time, one line per strategy: the mean over
its seeds with a band of ± one standard error, on a log time axis, drawn from the time every
seed has a result; a strategy whose runs end in one result (one-shot) is a point with its
error bars.

The left panel is the best value found, with the table's best mean as a dashed line. With a
table, the right panel is the regret of the pick: the table's best mean minus the table mean
of the architecture a run would pick then (its best trial so far), on a log scale (linear
below 10⁻³, so that finding the best, 0, shows): the late differences the left panel squeezes.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..tabular.stats import mean_se
from ..tabular.table import Table
from .runs import Run

SAMPLES = 200
STYLES = ("-", "--", ":", "-.")


def best_at(run: Run, moment: float, sign: float) -> float | None:
    """The run's best value among the trials ended by `moment`."""
    best = None
    for point, value in zip(run.points, run.bests(sign)):
        if point.time > moment:
            break
        best = value
    return best


def regret_at(run: Run, moment: float, sign: float, top: float) -> float | None:
    """The table's best mean `top` minus the table mean of the run's best trial by `moment`."""
    pick = None
    for point in run.points:
        if point.time > moment:
            break
        if point.value is not None and (pick is None or sign * point.value > sign * pick.value):
            pick = point
    return None if pick is None or pick.mean is None else sign * (top - pick.mean)


def draw(runs: list[Run], table: Table | None, sign: float, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    from io import BytesIO

    from ..files import atomic_write

    scored = table.scored() if table is not None else []
    top = sign * max(sign * entry.mean for entry in scored) if scored else None  # type: ignore[operator]
    panels = 2 if top is not None else 1
    figure, axes = plt.subplots(1, panels, figsize=(7 * panels, 4.6), dpi=110, squeeze=False)
    ends = [p.time for run in runs for p in run.points if p.value is not None]
    positive = [t for t in ends if t > 0]
    low = min(positive) if positive else 1e-3
    high = max(ends, default=1.0)
    measures: list[Callable[[Run, float], float | None]] = [lambda run, moment: best_at(run, moment, sign)]
    if top is not None:
        measures.append(lambda run, moment: regret_at(run, moment, sign, top))
    for panel, measure in zip(axes[0], measures):
        _lines(panel, runs, measure, low, high, plt)
        if high > low and math.isfinite(high):
            panel.set_xscale("log")
            panel.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            panel.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: _seconds(x)))
            panel.xaxis.set_minor_formatter(ticker.NullFormatter())  # 1, 2, 5 a decade labelled: more crowd it
        panel.set_xlabel("simulated seconds (the table's training time + the strategy's)"
                         if any(r.simulated for r in runs) else "seconds")
        panel.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("best value found")
    if top is not None:
        axes[0][0].axhline(top, color="black", linestyle="--", linewidth=1, label=f"table's best {top:.4g}")
        axes[0][1].set_yscale("symlog", linthresh=1e-3)
        axes[0][1].set_ylim(bottom=0)
        axes[0][1].set_ylabel("regret of the pick (table's best − its table mean)")
    axes[0][0].legend(fontsize=8, loc="lower right")
    figure.suptitle(title)
    figure.tight_layout()
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    atomic_write(path, buffer.getvalue())


def _seconds(x: float) -> str:
    """A tick of the log time axis: 0.1 s, 10 s, 1000 s."""
    return f"{x:g} s"


def _lines(axes: object, runs: list[Run], measure: Callable[[Run, float], float | None], low: float, high: float, plt: object) -> None:
    """One line (or point) per strategy of `measure` over its seeds."""
    for index, strategy in enumerate(dict.fromkeys(run.strategy for run in runs)):
        color = plt.get_cmap("tab10")(index % 10)  # type: ignore[attr-defined]
        style = STYLES[index % len(STYLES)]  # strategies whose runs agree (common draws) stay visible
        mine = [run for run in runs if run.strategy == strategy and any(p.value is not None for p in run.points)]
        if not mine:
            continue
        if all(len(run.points) == 1 for run in mine):
            found = [(run.points[0].time, measure(run, run.points[0].time)) for run in mine]
            found = [(t, v) for t, v in found if v is not None]
            if not found:
                continue
            (x, x_se), (y, y_se) = mean_se([t for t, _ in found]), mean_se([v for _, v in found])
            axes.errorbar([max(x, low)], [y], xerr=x_se, yerr=y_se, fmt="o", color=color, capsize=3,  # type: ignore[attr-defined]
                          label=f"{strategy} ({len(found)} seeds, one result each)")
            continue
        start = max(low, max(min(p.time for p in run.points if p.value is not None) for run in mine))
        moments = [start * (high / start) ** (i / (SAMPLES - 1)) for i in range(SAMPLES)] if high > start else [start]
        means, lows, highs, shown = [], [], [], []
        for moment in moments:
            values = [v for v in (measure(run, moment) for run in mine) if v is not None]
            if not values:
                continue
            mean, se = mean_se(values)
            shown.append(moment)
            means.append(mean)
            lows.append(mean - (se or 0))
            highs.append(mean + (se or 0))
        axes.plot(shown, means, color=color, linestyle=style, label=f"{strategy} ({len(mine)} seeds)")  # type: ignore[attr-defined]
        axes.fill_between(shown, lows, highs, color=color, alpha=0.2, linewidth=0)  # type: ignore[attr-defined]

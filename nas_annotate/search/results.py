"""A search's results, in its output directory: every trial as JSON and CSV, the best choice,
the best architecture as a plain script (frozen: `nas-annotate freeze`), a plot, and the
leaderboard printed at the end."""

from __future__ import annotations

import io
import json
import os
from typing import Any, Callable

from ..files import atomic_write
from .objectives import number, study_objectives
from .rows import best_script, csv_bytes, report_entries, summary, trial_rows

LEADERBOARD_SIZE = 10


def _ranked(rows: list[dict[str, Any]], maximize: bool) -> list[dict[str, Any]]:
    complete = [row for row in rows if row["state"] == "complete" and row["value"] is not None]
    return sorted(complete, key=lambda row: (-row["value"] if maximize else row["value"], row["number"]))


def leaderboard(rows: list[dict[str, Any]], maximize: bool, size: int = LEADERBOARD_SIZE) -> str:
    """The best trials as a table, and how many trials ended otherwise."""
    ranked = _ranked(rows, maximize)[:size]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    entries = report_entries(ranked, [])
    lines = []
    if ranked:
        heads = "".join(f"  {name:>10}" for name in entries)
        lines.append(f"{'rank':>4}  {'trial':>5}  {'value':>10}{heads}  {'time':>7}  choice")
        for rank, row in enumerate(ranked, 1):
            duration = f"{row['duration_s']:.1f}s" if row["duration_s"] is not None else "-"
            cells = "".join(f"  {number((row.get('report') or {}).get(name)):>10}" for name in entries)
            lines.append(f"{rank:>4}  {row['number']:>5}  {row['value']:>10.6g}{cells}  {duration:>7}  {summary(row['choice'])}")
    else:
        lines.append("no trial has completed yet")
    lines.append("trials: " + ", ".join(f"{count} {state}" for state, count in sorted(counts.items())))
    return "\n".join(lines)


def _plot(rows: list[dict[str, Any]], maximize: bool, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    complete = [row for row in rows if row["state"] == "complete" and row["value"] is not None]
    figure, axes = plt.subplots(figsize=(7, 4), dpi=100)
    numbers = [row["number"] for row in complete]
    values = [row["value"] for row in complete]
    axes.scatter(numbers, values, s=18, color="tab:blue", label="trial", zorder=3)
    best: list[float] = []
    for value in values:
        best.append(value if not best else (max if maximize else min)(best[-1], value))
    if numbers:
        axes.step(numbers, best, where="post", color="tab:red", label="best so far")
    failed = [row["number"] for row in rows if row["state"] in ("fail", "pruned")]
    if failed and values:
        axes.scatter(failed, [min(values) if maximize else max(values)] * len(failed), marker="x", color="grey",
                     label="failed or pruned", zorder=2)
    axes.set_xlabel("trial")
    axes.set_ylabel("objective")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    atomic_write(path, buffer.getvalue())


def write_results(
    study: Any, space: Any, options: Any, out_dir: str, final: bool, echo: Callable[[str], None] | None = None,
    pick: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Write the result files (all of them when `final`); return their paths by kind. `pick`:
    the choice to write as the best instead of the best trial's (a one-shot search's, untrained)."""
    from ..diagnostics import CompileError

    objectives = study_objectives(study)
    rows = trial_rows(study, objectives)
    if len(objectives) > 1:
        from .pareto import write_front

        return write_front(study, rows, objectives, options, out_dir, final, echo)
    maximize = objectives[0].maximize
    ranked = _ranked(rows, maximize)
    best = ranked[0] if ranked else None
    paths = {"json": os.path.join(out_dir, "results.json"), "csv": os.path.join(out_dir, "results.csv")}
    document = {
        "study": study.study_name,
        "direction": "maximize" if maximize else "minimize",
        "script": os.path.abspath(options.script),
        "best": best and {"number": best["number"], "value": best["value"], "choice": best["choice"]},
        "trials": rows,
    }
    atomic_write(paths["json"], (json.dumps(document, indent=2) + "\n").encode())
    atomic_write(paths["csv"], csv_bytes(rows))
    chosen = pick if pick is not None else best and best["choice"]
    if chosen:
        paths["best_choice"] = os.path.join(out_dir, "best_choice.json")
        atomic_write(paths["best_choice"], (json.dumps(chosen, indent=2) + "\n").encode())
    if not final:
        return paths
    form = ""
    if chosen:
        stem = os.path.splitext(os.path.basename(options.script))[0]
        paths["best_script"] = os.path.join(out_dir, f"best_{stem}.py")
        try:
            data, form = best_script(options.script, chosen, paths.get("best_choice", "best_choice.json"))
            atomic_write(paths["best_script"], data)
        except CompileError:  # the script changed since the search; the choice file still stands
            del paths["best_script"]
    if any(row["state"] == "complete" for row in rows):
        paths["plot"] = os.path.join(out_dir, "trials.png")
        _plot(rows, maximize, paths["plot"], f"{study.study_name}: objective per trial")
    from .pictures import write_pictures

    paths.update(write_pictures(study, options, out_dir, chosen))
    if echo is not None:
        echo(leaderboard(rows, maximize))
        for kind in ("best_choice", "best_script", "best_picture", "plot", "decisions", "csv", "json"):
            if kind in paths:
                echo(f"{kind.replace('_', ' ')}: {paths[kind]}" + (f" ({form})" if kind == "best_script" else ""))
    return paths

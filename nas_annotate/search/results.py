"""A search's results, in its output directory: every trial as JSON and CSV, the best choice,
the best architecture as a plain script (frozen: `nas-annotate freeze`), a plot, and the
leaderboard printed at the end."""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Any, Callable

from ..files import atomic_write
from .objectives import Objective, number, study_objectives

LEADERBOARD_SIZE = 10


def _short_names(keys: list[str]) -> list[str]:
    """Each key's layer name (`train/Net.build.cell2` → `cell2`), or more of it where that is ambiguous."""
    names = [key.partition("/")[2] or key for key in keys]
    short = [name.rpartition(".")[2] for name in names]
    return [s if short.count(s) == 1 else name for s, name in zip(short, names)]


def summary(choice: dict[str, Any]) -> str:
    """A choice on one line: `cell2=max_pool[stem] cell3=...`."""
    parts = []
    for name, entry in zip(_short_names(list(choice)), choice.values()):
        if not isinstance(entry, dict):  # a hyperparameter's value
            parts.append(f"{name}={entry:.4g}" if isinstance(entry, float) else f"{name}={entry}")
            continue
        inputs = entry.get("inputs") or []
        parts.append(f"{name}={entry['layer']}" + (f"[{','.join(inputs)}]" if inputs else ""))
    return " ".join(parts)


def _rows(study: Any, objectives: list[Objective]) -> list[dict[str, Any]]:
    """Every trial as a row; with several objectives, `value` is the first's and `values` has each."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        rows.append({
            "number": trial.number,
            "state": trial.state.name.lower(),
            "value": trial.values[0] if trial.values else None,
            "duration_s": attrs.get("duration"),
            "started": trial.datetime_start.isoformat(timespec="seconds") if trial.datetime_start else None,
            "choice": attrs.get("choice", {}),
            "intermediate": {str(step): value for step, value in sorted(trial.intermediate_values.items())}
            or attrs.get("intermediate", {}),
            "log": attrs.get("log"),
            "error": attrs.get("error"),
            "stderr_tail": attrs.get("stderr_tail"),
            "worker": attrs.get("worker"),
        })
        if "report" in attrs:  # the final report, when it was a mapping
            rows[-1]["report"] = attrs["report"]
        if len(objectives) > 1:
            rows[-1]["values"] = dict(zip([o.name for o in objectives], trial.values)) if trial.values else None
    return rows


def _entries(rows: list[dict[str, Any]], shown: list[str]) -> list[str]:
    """The names of the reports' entries, but "default" (the value) and those in `shown`."""
    return [name for name in dict.fromkeys(k for row in rows for k in row.get("report") or {}) if name != "default" and name not in shown]


def _ranked(rows: list[dict[str, Any]], maximize: bool) -> list[dict[str, Any]]:
    complete = [row for row in rows if row["state"] == "complete" and row["value"] is not None]
    return sorted(complete, key=lambda row: (-row["value"] if maximize else row["value"], row["number"]))


def _csv(rows: list[dict[str, Any]], leading: list[str] | None = None) -> bytes:
    """A row per trial: `leading` (the value, or each objective and the front's marks), the
    reports' other entries, the duration, a column per layer and the error."""
    leading = leading or ["value"]
    keys = list(dict.fromkeys(key for row in rows for key in row["choice"]))
    entries = _entries(rows, leading)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["number", "state", *leading, *entries, "duration_s", *keys, "error"])
    for row in rows:
        cells = []
        for key in keys:
            entry = row["choice"].get(key)
            cells.append("" if entry is None else summary({key: entry}).partition("=")[2])
        values = [row[name] if name in row else (row.get("values") or {}).get(name) for name in leading]
        reported = [(row.get("report") or {}).get(name, "") for name in entries]
        writer.writerow([row["number"], row["state"], *values, *reported, row["duration_s"], *cells, row["error"] or ""])
    return buffer.getvalue().encode()


def leaderboard(rows: list[dict[str, Any]], maximize: bool, size: int = LEADERBOARD_SIZE) -> str:
    """The best trials as a table, and how many trials ended otherwise."""
    ranked = _ranked(rows, maximize)[:size]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    entries = _entries(ranked, [])
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


def best_script(script: str, choice: dict[str, Any], choice_path: str) -> tuple[bytes, str]:
    """The best architecture as a script, and which form it is: frozen (the plain Python one
    would write for the choice, `nas-annotate freeze`), or, when freezing is impossible (syntax
    libcst does not read), the line-preserving form of `expand --choice`."""
    from ..api import expand
    from ..diagnostics import CompileError

    line_for_line = f"nas-annotate expand {script} -c {choice_path}"
    try:
        from ..freeze import freeze

        return freeze(script, choice), f"frozen for the best choice; line for line: {line_for_line}"
    except CompileError as exc:
        data = expand(script, json.dumps(choice))
        reason = exc.diagnostics[0].message if exc.diagnostics else "it cannot be frozen"
        return data, f"line for line, as {line_for_line} writes it: {reason}"


def write_results(
    study: Any, space: Any, options: Any, out_dir: str, final: bool, echo: Callable[[str], None] | None = None,
    pick: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Write the result files (all of them when `final`); return their paths by kind. `pick`:
    the choice to write as the best instead of the best trial's (a one-shot search's, untrained)."""
    from ..diagnostics import CompileError

    objectives = study_objectives(study)
    rows = _rows(study, objectives)
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
    atomic_write(paths["csv"], _csv(rows))
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

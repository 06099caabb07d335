"""The results of a search of several objectives: its Pareto front.

A trial is on the front when no completed trial dominates it (is as good on every objective
and better on one).  Results mark each trial `pareto` with how many trials it dominates; the
leaderboard is the front; `pareto/` holds each member's choice and frozen script;
`pareto.png` plots the front over all trials; `best_choice.json` is the member `--pick`
selects (`Pick`), by default the front's best on the first objective.
"""

from __future__ import annotations

import io
import json
import operator
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..files import atomic_write
from .objectives import NAME, Objective, number

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "=": operator.eq, "==": operator.eq,
}
TERM = re.compile(
    rf"\s*(?:(?P<goal>min|max)\s+(?P<target>{NAME.pattern})"
    rf"|(?P<name>{NAME.pattern})\s*(?P<op>>=|<=|==|=|>|<)\s*(?P<bound>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))\s*,?"
)


def front(points: Sequence[Sequence[float]], maximize: Sequence[bool]) -> tuple[list[bool], list[int]]:
    """For each point, whether no other point dominates it, and how many points it dominates."""
    import numpy as np

    values = np.asarray(points, dtype=float).reshape(len(points), len(maximize)) * np.where(maximize, 1.0, -1.0)
    on_front, dominated = [], []
    for point in values:
        at_least, beyond = values >= point, values > point
        on_front.append(not bool(np.any(np.all(at_least, axis=1) & np.any(beyond, axis=1))))
        dominated.append(int(np.sum(np.all(values <= point, axis=1) & np.any(values < point, axis=1))))
    return on_front, dominated


@dataclass(frozen=True)
class Pick:
    """`--pick`: which member of the front is the best choice. Constraints (`NAME>=X`, `<=`, `>`,
    `<`, `=`) on objectives, and the objective to optimize among the members that meet them
    (`min NAME` or `max NAME`; by default the first objective, in its direction); ties go to the
    other objectives in order, then to the earlier trial."""

    text: str
    constraints: tuple[tuple[str, str, float], ...]
    goal: Objective

    @classmethod
    def parse(cls, text: str | None, objectives: list[Objective]) -> Pick:
        """The rule `text` says (None or "": the default); ValueError for a rule that cannot be read."""
        names = [objective.name for objective in objectives]
        constraints, goal, position = [], objectives[0], 0
        text = (text or "").strip()
        while position < len(text):
            match = TERM.match(text, position)
            if match is None or match.end() == position:
                raise ValueError(
                    f"--pick {text!r}: cannot read {text[position:]!r}; write constraints and a goal, as in "
                    f"--pick \"{names[0]}>=0.97 min {names[-1]}\""
                )
            position = match.end()
            name = match["target"] or match["name"]
            if name not in names:
                raise ValueError(f"--pick {text!r}: {name!r} is not an objective of this search ({', '.join(names)})")
            if match["goal"]:
                goal = Objective(name, match["goal"] == "max")
            else:
                constraints.append((name, match["op"], float(match["bound"])))
        return cls(text, tuple(constraints), goal)

    def choose(self, members: list[dict[str, Any]], objectives: list[Objective]) -> dict[str, Any] | None:
        """The member the rule picks; None when no member meets the constraints."""
        meeting = [row for row in members if all(OPERATORS[op](row["values"][name], bound) for name, op, bound in self.constraints)]
        if not meeting:
            return None
        order = [self.goal, *(objective for objective in objectives if objective.name != self.goal.name)]
        return min(meeting, key=lambda row: (*(-row["values"][o.name] if o.maximize else row["values"][o.name] for o in order), row["number"]))

    def describe(self) -> str:
        return f'--pick "{self.text}"' if self.text else f"the front's {'best' if self.goal.maximize else 'least'} {self.goal.label}"


def mark(rows: list[dict[str, Any]], objectives: list[Objective]) -> list[dict[str, Any]]:
    """Mark every trial `pareto` (and a completed one with how many it `dominates`); return
    the front, best first by the first objective."""
    names = [objective.name for objective in objectives]
    complete = [row for row in rows if row["state"] == "complete" and row.get("values")]
    on_front, dominated = front([[row["values"][name] for name in names] for row in complete], [o.maximize for o in objectives])
    for row in rows:
        row["pareto"], row["dominates"] = False, None
    for row, flag, count in zip(complete, on_front, dominated):
        row["pareto"], row["dominates"] = flag, count
    members = [row for row in complete if row["pareto"]]
    return sorted(members, key=lambda row: [-row["values"][o.name] if o.maximize else row["values"][o.name] for o in objectives])


def leaderboard(rows: list[dict[str, Any]], members: list[dict[str, Any]], objectives: list[Objective], best: dict[str, Any] | None,
                rule: Pick) -> str:
    """The front as a table (each objective a column, and how many trials each member dominates)."""
    from .rows import summary

    complete = sum(row["state"] == "complete" for row in rows)
    lines = []
    if members:
        lines.append(f"Pareto front: {len(members)} of {complete} completed trial(s); {', '.join(map(str, objectives))}")
        widths = [max(10, len(objective.label)) for objective in objectives]
        heads = "  ".join(f"{objective.label:>{width}}" for objective, width in zip(objectives, widths))
        lines.append(f"{'trial':>5}  {heads}  {'dominates':>9}  {'time':>7}  choice")
        for row in members:
            cells = "  ".join(f"{number(row['values'][o.name]):>{width}}" for o, width in zip(objectives, widths))
            duration = f"{row['duration_s']:.1f}s" if row["duration_s"] is not None else "-"
            star = "*" if best is not None and row["number"] == best["number"] else " "
            lines.append(f"{row['number']:>4}{star}  {cells}  {row['dominates']:>9}  {duration:>7}  {summary(row['choice'])}")
        if best is not None:
            lines.append(f"* best choice: trial {best['number']} ({rule.describe()})")
    else:
        lines.append("no trial has completed yet")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    lines.append("trials: " + ", ".join(f"{count} {state}" for state, count in sorted(counts.items())))
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], members: list[dict[str, Any]], objectives: list[Objective], best: dict[str, Any] | None,
         path: str, title: str) -> None:
    """The front over all completed trials: with two objectives one scatter (the first
    objective up, the second across) with the front as a step line; with more, a panel per pair."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    complete = [row for row in rows if row["state"] == "complete" and row.get("values")]
    side = len(objectives) - 1
    pairs = [(1, 0)] if side == 1 else [(x, y) for y in range(1, side + 1) for x in range(y)]  # (across, up)
    figure, grid = plt.subplots(side, side, figsize=(7, 4.5) if side == 1 else (3.4 * side, 3.2 * side), dpi=100, squeeze=False)
    for axes in grid.flat:
        axes.set_visible(False)
    for x, y in pairs:
        axes = grid[0][0] if side == 1 else grid[y - 1][x]
        axes.set_visible(True)
        ox, oy = objectives[x], objectives[y]
        axes.scatter([r["values"][ox.name] for r in complete], [r["values"][oy.name] for r in complete], s=14, color="tab:blue",
                     alpha=0.5, label="trial", zorder=2)
        shown = sorted(members, key=lambda r: r["values"][ox.name])
        xs, ys = [r["values"][ox.name] for r in shown], [r["values"][oy.name] for r in shown]
        axes.scatter(xs, ys, s=26, color="tab:red", label="Pareto front", zorder=3)
        if len(objectives) == 2 and xs:
            axes.step(xs, ys, where="post" if not ox.maximize else "pre", color="tab:red", zorder=3)
            labels: dict[tuple[float, float], list[str]] = {}  # trials of one point share a label
            for row in shown:
                labels.setdefault((row["values"][ox.name], row["values"][oy.name]), []).append(str(row["number"]))
            for point, numbers in labels.items():
                axes.annotate(",".join(numbers), point, fontsize=7, xytext=(3, 3), textcoords="offset points")
        if best is not None:
            axes.scatter([best["values"][ox.name]], [best["values"][oy.name]], s=140, marker="*", color="gold", edgecolor="black",
                         label="best choice", zorder=4)
        positive = [v for v in (r["values"][ox.name] for r in complete) if v > 0]
        if positive and len(positive) == len(complete) and max(positive) / min(positive) > 100:
            axes.set_xscale("log")
        axes.set_xlabel(f"{ox.label} ({ox.direction})")
        axes.set_ylabel(f"{oy.label} ({oy.direction})")
        axes.grid(alpha=0.3)
    first = grid[0][0]
    first.legend(loc="best", fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    atomic_write(path, buffer.getvalue())


def write_members(members: list[dict[str, Any]], script: str, directory: str) -> None:
    """`pareto/NNNNN.json` (the choice) and `pareto/NNNNN_STEM.py` (frozen, or line for line where
    freezing is impossible) for each member; files of trials no longer on the front are removed."""
    from ..diagnostics import CompileError
    from .rows import best_script

    os.makedirs(directory, exist_ok=True)
    stem = os.path.splitext(os.path.basename(script))[0]
    keep = set()
    for row in members:
        choice_path = os.path.join(directory, f"{row['number']:05d}.json")
        script_path = os.path.join(directory, f"{row['number']:05d}_{stem}.py")
        keep.update({os.path.basename(choice_path), os.path.basename(script_path)})
        if not os.path.exists(choice_path):
            atomic_write(choice_path, (json.dumps(row["choice"], indent=2) + "\n").encode())
        if not os.path.exists(script_path):
            try:
                atomic_write(script_path, best_script(script, row["choice"], choice_path)[0])
            except CompileError:  # the script changed since the search; the choice stands
                keep.discard(os.path.basename(script_path))
    for name in os.listdir(directory):
        if re.fullmatch(r"\d{5}(\.json|_.*\.py)", name) and name not in keep:
            os.unlink(os.path.join(directory, name))


def write_front(
    study: Any, rows: list[dict[str, Any]], objectives: list[Objective], options: Any, out_dir: str, final: bool,
    echo: Callable[[str], None] | None,
) -> dict[str, str]:
    """The results of a search of several objectives (as `results.write_results` for one)."""
    from ..diagnostics import CompileError
    from .pictures import write_pictures
    from .rows import best_script, csv_bytes

    members = mark(rows, objectives)
    rule = Pick.parse(options.pick, objectives)
    best = rule.choose(members, objectives)
    note = None
    if best is None and members:
        fallback = Pick.parse(None, objectives)
        best = fallback.choose(members, objectives)
        note = f"nas-annotate: note: no trial of the front meets {rule.describe()}; best_choice.json is {fallback.describe()}"
    names = [objective.name for objective in objectives]
    paths = {"json": os.path.join(out_dir, "results.json"), "csv": os.path.join(out_dir, "results.csv")}
    document = {
        "study": study.study_name,
        "objectives": [{"name": objective.name, "direction": objective.direction} for objective in objectives],
        "script": os.path.abspath(options.script),
        "pick": rule.text or None,
        "best": best and {"number": best["number"], "values": best["values"], "choice": best["choice"]},
        "front": [row["number"] for row in members],
        "trials": rows,
    }
    atomic_write(paths["json"], (json.dumps(document, indent=2) + "\n").encode())
    atomic_write(paths["csv"], csv_bytes(rows, [*names, "pareto", "dominates"]))
    if best is not None:
        paths["best_choice"] = os.path.join(out_dir, "best_choice.json")
        atomic_write(paths["best_choice"], (json.dumps(best["choice"], indent=2) + "\n").encode())
    if not final:
        return paths
    form = ""
    if best is not None:
        stem = os.path.splitext(os.path.basename(options.script))[0]
        try:
            data, form = best_script(options.script, best["choice"], paths["best_choice"])
            paths["best_script"] = os.path.join(out_dir, f"best_{stem}.py")
            atomic_write(paths["best_script"], data)
        except CompileError:  # the script changed since the search; the choice file still stands
            pass
        paths["pareto"] = os.path.join(out_dir, "pareto")
        write_members(members, options.script, paths["pareto"])
        paths["plot"] = os.path.join(out_dir, "pareto.png")
        plot(rows, members, objectives, best, paths["plot"], f"{study.study_name}: Pareto front of {len(members)} trial(s)")
    paths.update(write_pictures(study, options, out_dir, best and best["choice"]))
    if note is not None and not options.quiet:
        print(note, file=sys.stderr)
    if echo is not None:
        echo(leaderboard(rows, members, objectives, best, rule))
        for kind in ("best_choice", "best_script", "best_picture", "pareto", "plot", "decisions", "csv", "json"):
            if kind in paths:
                echo(f"{kind.replace('_', ' ')}: {paths[kind]}" + (f" ({form})" if kind == "best_script" else ""))
    return paths

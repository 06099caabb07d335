"""What every writer of a search's results shares (results.py, pareto.py, pictures.py): the
study's trials as rows, a choice on one line, the CSV of the rows, and the best script."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .objectives import Objective


def short_names(keys: list[str]) -> list[str]:
    """Each key's layer name (`train/Net.build.cell2` → `cell2`), or more of it where that is ambiguous."""
    names = [key.partition("/")[2] or key for key in keys]
    short = [name.rpartition(".")[2] for name in names]
    return [s if short.count(s) == 1 else name for s, name in zip(short, names)]


def summary(choice: dict[str, Any]) -> str:
    """A choice on one line: `cell2=max_pool[stem] cell3=...`."""
    parts = []
    for name, entry in zip(short_names(list(choice)), choice.values()):
        if not isinstance(entry, dict):  # a hyperparameter's value
            parts.append(f"{name}={entry:.4g}" if isinstance(entry, float) else f"{name}={entry}")
            continue
        inputs = entry.get("inputs") or []
        parts.append(f"{name}={entry['layer']}" + (f"[{','.join(inputs)}]" if inputs else ""))
    return " ".join(parts)


def trial_rows(study: Any, objectives: list[Objective]) -> list[dict[str, Any]]:
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
        if "gpu" in attrs:  # the GPUs it ran on (gpus.py), where the search had some
            rows[-1]["gpu"] = attrs["gpu"]
        for name in ("parent", "inherited"):  # the trial it was made from; what it took of its weights
            if name in attrs:
                rows[-1][name] = attrs[name]
        if "report" in attrs:  # the final report, when it was a mapping
            rows[-1]["report"] = attrs["report"]
        if len(objectives) > 1:
            rows[-1]["values"] = dict(zip([o.name for o in objectives], trial.values)) if trial.values else None
    return rows


def report_entries(rows: list[dict[str, Any]], shown: list[str]) -> list[str]:
    """The names of the reports' entries, but "default" (the value) and those in `shown`."""
    return [name for name in dict.fromkeys(k for row in rows for k in row.get("report") or {}) if name != "default" and name not in shown]


def csv_bytes(rows: list[dict[str, Any]], leading: list[str] | None = None) -> bytes:
    """A row per trial: `leading` (the value, or each objective and the front's marks), the
    reports' other entries, the duration, its GPUs (where the search had some), its parent and
    what it inherited (under --inherit), a column per layer and the error."""
    leading = leading or ["value"]
    keys = list(dict.fromkeys(key for row in rows for key in row["choice"]))
    entries = report_entries(rows, leading)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    gpus = ["gpu"] if any("gpu" in row for row in rows) else []
    lineage = [name for name in ("parent", "inherited") if any(name in row for row in rows)]
    writer.writerow(["number", "state", *leading, *entries, "duration_s", *gpus, *lineage, *keys, "error"])
    for row in rows:
        cells = []
        for key in keys:
            entry = row["choice"].get(key)
            cells.append("" if entry is None else summary({key: entry}).partition("=")[2])
        values = [row[name] if name in row else (row.get("values") or {}).get(name) for name in leading]
        reported = [(row.get("report") or {}).get(name, "") for name in entries]
        placed = [row.get("gpu", "")] if gpus else []
        lines = [row.get(name, "") for name in lineage]
        writer.writerow([row["number"], row["state"], *values, *reported, row["duration_s"], *placed, *lines, *cells, row["error"] or ""])
    return buffer.getvalue().encode()


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

"""A search's pictures: each trial's architecture, attached to the trial for optuna-dashboard
(an artifact, and its choice on one line as the user attribute `architecture`); and
at the end the best architecture beside best_choice.json, and the decisions figure: one panel
per layer and hyperparameter with the objective of every finished trial by what it chose, and
Optuna's parameter importances once enough trials have finished."""

from __future__ import annotations

import io
import json
import math
import os
import random
import warnings
from typing import Any

from ..files import atomic_write
from .rows import short_names, summary

IMPORTANCE_AFTER = 8  # completed trials before the importances are drawn
ARTIFACTS = "artifacts"  # the artifact store's directory in the output directory


class Pictures:
    """Draws the architectures of one search's space (the files it was analysed from)."""

    def __init__(self, options: Any, out_dir: str) -> None:
        from ..api import analyse_paths
        from ..files import python_files
        from .optuna_space import space_files

        files = python_files(options.space) if options.space else space_files(options.script)
        self.analyses = analyse_paths(files)[0]
        self.out_dir = out_dir
        self.title = os.path.basename(options.script)

    def render(self, choice: dict[str, Any], fmt: str, title: str, only: bool = False) -> bytes:
        """The picture of `choice` (a search's choice document, hyperparameters included);
        `only`: the chosen architecture alone, as `draw --only-chosen`."""
        from ..draw import decisions_of, only_chosen, render, space_graph

        graph = space_graph(self.analyses, decisions_of(self.analyses, json.dumps(choice)))
        return render(only_chosen(graph) if only else graph, fmt, title)

    def attach(self, trial: Any, choice: dict[str, Any]) -> None:
        """Give a running trial its picture (trials/NNNNN.svg: its architecture alone, compact
        for the dashboard's thumbnail; uploaded as an artifact) and its choice on one line (user
        attribute `architecture`).

        Not a note: optuna-dashboard keeps notes in the study's attributes and, for every trial
        it shows, scans all of them, which took its page of a 1,000-trial study from 0.8 s to 2 s."""
        from optuna.artifacts import FileSystemArtifactStore, upload_artifact
        from optuna.exceptions import ExperimentalWarning

        line = summary(choice)
        trial.set_user_attr("architecture", line)
        path = os.path.join(self.out_dir, "trials", f"{trial.number:05d}.svg")
        atomic_write(path, self.render(choice, "svg", f"{self.title}, trial {trial.number}", only=True))
        store_dir = os.path.join(self.out_dir, ARTIFACTS)
        os.makedirs(store_dir, exist_ok=True)
        with warnings.catch_warnings():  # Optuna calls artifacts experimental, once per search: noise here
            warnings.simplefilter("ignore", ExperimentalWarning)
            upload_artifact(artifact_store=FileSystemArtifactStore(store_dir), file_path=path, study_or_trial=trial)


def write_pictures(study: Any, options: Any, out_dir: str, chosen: dict[str, Any] | None) -> dict[str, str]:
    """The best architecture's picture (when there is a best choice) and the decisions figure
    (when a trial has completed); their paths by kind."""
    paths: dict[str, str] = {}
    pictures = Pictures(options, out_dir)
    if chosen:
        paths["best_picture"] = os.path.join(out_dir, "best_architecture.png")
        title = f"{pictures.title}: the best architecture"
        atomic_write(paths["best_picture"], pictures.render(chosen, "png", title))
    layers = {layer.key: (layer.choice_labels, layer.input_labels) for a in pictures.analyses for layer in a.layers}
    data = decisions_figure(study, layers)
    if data is not None:
        paths["decisions"] = os.path.join(out_dir, "decisions.png")
        atomic_write(paths["decisions"], data)
    return paths


def _finished(study: Any) -> list[Any]:
    from optuna.trial import TrialState

    return [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if t.values and "choice" in t.user_attrs]


def decision_panels(trials: list[Any], layers: dict[str, tuple[list[str], list[str]]]) -> list[tuple[str, str, Any]]:
    """The panels of the decisions figure, as data: (title, kind, data), in the choice's order.

    A layer (`layers`: key -> its ops' and its input candidates' labels) gives a "strips" panel
    of its ops (label -> the values of the trials that chose it, in the annotation's order) and,
    when it has input candidates, an "inputs" panel (label -> (values of the trials that fed it,
    values of those that did not)); a hyperparameter gives "numbers" ([(value, objective)]) or
    "strips" of its options."""
    keys = list(dict.fromkeys(key for trial in trials for key in trial.user_attrs["choice"]))
    names = dict(zip(keys, short_names(keys)))
    panels: list[tuple[str, str, Any]] = []
    for key in keys:
        entries = [(t.user_attrs["choice"][key], t.values[0]) for t in trials if key in t.user_attrs["choice"]]
        if isinstance(entries[0][0], dict):
            ops, inputs = layers.get(key, ([], []))
            strips = _strips([(e["layer"], v) for e, v in entries])
            ordered = {op: strips[op] for op in ops if op in strips}
            panels.append((f"{names[key]}: op", "strips", {**ordered, **strips}))
            if inputs:
                panels.append((f"{names[key]}: inputs", "inputs", _input_strips(inputs, entries)))
        elif all(isinstance(e, (int, float)) and not isinstance(e, bool) for e, _ in entries):
            panels.append((names[key], "numbers", entries))
        else:
            panels.append((names[key], "strips", _strips([(str(e), v) for e, v in entries])))
    return panels


def decisions_figure(study: Any, layers: dict[str, tuple[list[str], list[str]]]) -> bytes | None:
    """The decision panels of every completed trial, and the parameter importances once
    IMPORTANCE_AFTER trials have completed, as a PNG; None before any has."""
    trials = _finished(study)
    if not trials:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    panels = decision_panels(trials, layers)
    keys = list(dict.fromkeys(key for trial in trials for key in trial.user_attrs["choice"]))
    importances = _importances(study, len(trials), dict(zip(keys, short_names(keys))))
    if importances:
        panels.append(("parameter importance", "importance", importances))
    columns = min(3, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure = Figure(figsize=(4.6 * columns, 3.4 * rows), dpi=100)
    target = "objective" if len(trials[0].values) == 1 else "first objective"
    for index, (title, kind, data) in enumerate(panels):
        axes = figure.add_subplot(rows, columns, index + 1)
        axes.set_title(title, fontsize=10)
        _draw_panel(axes, kind, data, target)
    figure.suptitle(f"{study.study_name}: {len(trials)} completed trial(s), the {target} by decision", fontsize=12)
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _strips(pairs: list[tuple[str, float]]) -> dict[str, list[float]]:
    """Values grouped by label, in the order labels first appear."""
    groups: dict[str, list[float]] = {}
    for label, value in pairs:
        groups.setdefault(label, []).append(value)
    return groups


def _input_strips(labels: list[str], entries: list[tuple[dict, float]]) -> dict[str, tuple[list[float], list[float]]]:
    """For each input candidate, the values of the trials that fed it and of those that did not."""
    return {label: ([v for e, v in entries if label in (e.get("inputs") or [])],
                    [v for e, v in entries if label not in (e.get("inputs") or [])]) for label in labels}


def _importances(study: Any, completed: int, names: dict[str, str]) -> dict[str, float]:
    """Optuna's parameter importances (its default evaluator; PED-ANOVA in Optuna 4 and 5, which
    looks for what gives low values: a maximized objective is negated), by short name."""
    if completed < IMPORTANCE_AFTER:
        return {}
    import optuna

    sign = -1.0 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else 1.0
    try:
        with warnings.catch_warnings():  # PED-ANOVA's reminder that it looks for low values, which `sign` sees to
            warnings.simplefilter("ignore", UserWarning)
            found = optuna.importance.get_param_importances(study, target=lambda trial: sign * trial.values[0])
    except (ImportError, RuntimeError, ValueError, ZeroDivisionError):  # too few distinct values; fANOVA without scikit-learn
        return {}
    shown = {}
    for name, value in found.items():
        key, _, part = name.partition(":")
        shown[f"{names.get(key, key)}{':' + part if part else ''}"] = value
    return shown


def _draw_panel(axes: Any, kind: str, data: Any, target: str) -> None:
    jitter = random.Random(0)
    if kind == "strips":
        for x, (label, values) in enumerate(data.items()):
            axes.scatter([x + jitter.uniform(-0.15, 0.15) for _ in values], values, s=14, alpha=0.7, color="tab:blue")
            axes.hlines(sum(values) / len(values), x - 0.3, x + 0.3, color="tab:red", linewidth=2)
        axes.set_xticks(range(len(data)), list(data), rotation=30, ha="right", fontsize=8)
        axes.set_ylabel(target, fontsize=8)
    elif kind == "inputs":
        for x, (label, (fed, left)) in enumerate(data.items()):
            for offset, values, color in ((-0.2, fed, "tab:blue"), (0.2, left, "tab:gray")):
                if values:
                    axes.scatter([x + offset + jitter.uniform(-0.08, 0.08) for _ in values], values, s=12, alpha=0.7, color=color)
                    axes.hlines(sum(values) / len(values), x + offset - 0.15, x + offset + 0.15, color="tab:red", linewidth=2)
        axes.set_xticks(range(len(data)), list(data), rotation=30, ha="right", fontsize=8)
        axes.set_ylabel(target, fontsize=8)
        axes.scatter([], [], s=12, color="tab:blue", label="fed")
        axes.scatter([], [], s=12, color="tab:gray", label="not fed")
        axes.legend(fontsize=7, loc="best")
    elif kind == "numbers":
        axes.scatter([value for value, _ in data], [objective for _, objective in data], s=14, alpha=0.7)
        positive = all(value > 0 for value, _ in data)
        if positive and max(v for v, _ in data) / min(v for v, _ in data) > 100:
            axes.set_xscale("log")
        axes.set_ylabel(target, fontsize=8)
    else:
        labels = list(data)[::-1]
        axes.barh(range(len(labels)), [data[label] for label in labels], color="tab:green")
        axes.set_yticks(range(len(labels)), labels, fontsize=7)
        axes.set_xlabel("importance", fontsize=8)
    axes.grid(alpha=0.3)
    axes.tick_params(labelsize=8)

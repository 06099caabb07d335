"""One-shot search, the driver's side: one supernet training, then what it found.

The driver runs the script once, forked from the worker like any trial, with a request that
names the one-shot strategy (`oneshot`); the trial builds the supernet (`nas_annotate.supernet`)
and writes its state to `OUT/oneshot/<label>-NNN.json`, where `ranked` lists the architectures
the strategy named, best first.  The first `--retrain K` of them are trained standalone as
ordinary trials of the study, so their real values stand on the leaderboard.  The table and
the picture are drawn from the state's data, whatever the strategy: per-layer `weights` in the
history give curves, a `policy` gives bars.
"""

from __future__ import annotations

import io
import json
import os
import signal
import time
from typing import Any, Callable

from ..files import atomic_write
from ..strategies.registry import Strategy
from .process import GRACE, kill, tail
from .rows import summary


class OneShotFailed(Exception):
    """The supernet run did not give a state; the message says why."""


def label(strategy: Strategy) -> str:
    """A short name of the strategy for files and messages: `darts`, or `gdas` for `.../gdas.py:Gdas`."""
    return strategy.name.rpartition(":")[2].rpartition(".")[2].lower() if ":" in strategy.name else strategy.name


def portable(name: str) -> str:
    """`name` as the trial resolves it: a `PATH.py:NAME` with its path made absolute."""
    where, colon, attribute = name.rpartition(":")
    if colon and (where.endswith(".py") or os.sep in where or "/" in where):
        return f"{os.path.abspath(where)}:{attribute}"
    return name


def run_supernet(
    options: Any, out_dir: str, worker: Any, say: Callable[[str], None], strategy: Strategy, settings: dict[str, Any],
    env: dict[str, str] | None = None,
) -> tuple[dict[str, Any], str]:
    """Train the supernet (one run of the script); its state, and the path of its JSON file."""
    name = label(strategy)
    folder = os.path.join(os.path.abspath(out_dir), "oneshot")
    os.makedirs(folder, exist_ok=True)
    number = 1 + sum(1 for entry in os.listdir(folder) if entry.endswith(".log"))
    stem = os.path.join(folder, f"{name}-{number:03d}")
    state_path, log = stem + ".json", stem + ".log"
    open(stem + ".jsonl", "w").close()
    worker.send({
        "trial": f"supernet-{number}", "script": os.path.abspath(options.script), "args": list(options.args),
        "choice": {}, "log": log, "report": stem + ".jsonl", "env": env or {},
        "oneshot": {
            "strategy": portable(strategy.name), "label": name, "options": settings, "seed": options.seed,
            "count": max(options.retrain, 1), "state": state_path,
        },
    })
    say(f"nas-annotate: training the {name} supernet of {options.script} (log: {os.path.relpath(log)})")
    started = time.monotonic()
    pid, status, stopped = None, None, None
    try:
        while status is None:
            for message in worker.receive(0.2):
                if "pid" in message:
                    pid = message["pid"]
                elif "status" in message:
                    status = message["status"]
            now = time.monotonic()
            if pid is not None and options.timeout is not None and now - started > options.timeout and stopped is None:
                stopped = now
                kill(pid, signal.SIGTERM)
            if stopped is not None and now - stopped > GRACE and pid is not None:
                kill(pid, signal.SIGKILL)
    except BaseException:
        if pid is not None:
            kill(pid, signal.SIGKILL)
        raise
    seconds = time.monotonic() - started
    if stopped is not None:
        raise OneShotFailed(f"the {name} supernet timed out after {options.timeout:g} s; see {log}")
    if status != 0:
        why = f"killed by signal {-status}" if status < 0 else f"exited with status {status}"
        raise OneShotFailed(f"the {name} supernet run {why}; the end of {log}:\n{tail(log)}")
    with open(state_path, encoding="utf-8") as handle:
        state = json.load(handle)
    state["seconds"] = round(seconds, 3)
    state["log"] = os.path.relpath(log, out_dir)
    for note in state["notes"]:
        say(note)
    if not state["layers"]:
        raise OneShotFailed(f"{options.script} built none of its mutable layers, so there is no supernet to search")
    if not state["trained"]:
        raise OneShotFailed(
            f"one-shot search trains the supernet through the script's own keras.Model.fit or its own loop, and "
            f"{options.script} fit no Keras model built from its layers and reached no @nni.training_update (it ran, and "
            "its layers were built, but nothing was trained): in a loop of your own, put \"\"\"@nni.training_update\"\"\" "
            "after the training step; or search it with a black-box sampler (--sampler tpe, evolution, random or grid)"
        )
    atomic_write(state_path, (json.dumps(state, indent=1) + "\n").encode())
    return state, state_path


def candidates(state: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """The first `count` architectures the strategy ranked, as choice documents (hyperparameters
    with the values the supernet ran with)."""
    extra = state.get("hyperparameters", {})
    return [{**entry["choice"], **extra} for entry in state["ranked"][:count]]


def _final(state: dict[str, Any], name: str) -> Any:
    """The last history entry's `name`, or None."""
    found = [entry[name] for entry in state["history"] if entry.get(name) is not None]
    return found[-1] if found else None


def leaderboard(state: dict[str, Any], size: int = 10) -> str:
    """What the supernet found, as a table: the final per-layer weights (when the history has
    them), then the ranked architectures with their scores."""
    lines = [
        f"{state['strategy']} supernet: {state['epochs']} epoch(s), {state['steps']} step(s), "
        f"{state['seconds']:.1f} s ({state['fit_seconds']:.1f} s in fit)"
    ]
    weights = _final(state, "weights")
    if weights:
        lines.append("weights at the end of training:")
        for layer in state["layers"]:
            mine = weights[layer["key"]]
            ops = ", ".join(f"{label} {w:.3f}" for label, w in zip(layer["labels"], mine["ops"]))
            lines.append(f"  {layer['key']}: ops {ops}")
            if layer["input_labels"] and mine.get("inputs"):
                gates = ", ".join(f"{label} {w:.3f}" for label, w in zip(layer["input_labels"], mine["inputs"]))
                lines.append(f"  {' ' * len(layer['key'])}  inputs {gates} (count in {layer['input_num']})")
    metric = state.get("metric", "score")
    scored = f" (scored with the shared weights on {state['validation']})" if state.get("scored") else ""
    width = max(10, len(metric))
    lines.append(f"{'rank':>4}  {metric:>{width}}  architecture{scored}")
    for rank, entry in enumerate(state["ranked"][:size], 1):
        score = f"{entry['score']:>{width}.6g}" if entry["score"] is not None else f"{'-':>{width}}"
        lines.append(f"{rank:>4}  {score}  {summary(entry['choice'])}")
    return "\n".join(lines)


def plot(state: dict[str, Any], path: str) -> None:
    """One panel per layer: each candidate's weight over the epochs (input weights dashed) when
    the history has per-layer `weights`; else bars of the op probabilities of the last `policy`,
    or of the ops' shares among the ranked architectures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    layers = state["layers"]
    curves = [entry for entry in state["history"] if entry.get("weights")]
    policy = _final(state, "policy") or {}
    figure, axes = plt.subplots(1, len(layers), figsize=(4.2 * len(layers), 3.6), dpi=100, squeeze=False)
    for axis, layer in zip(axes[0], layers):
        key = layer["key"]
        if curves:
            epochs = [entry["epoch"] for entry in curves]
            for i, text in enumerate(layer["labels"]):
                axis.plot(epochs, [entry["weights"][key]["ops"][i] for entry in curves], marker="o", label=text)
            for i, text in enumerate(layer["input_labels"]):
                axis.plot(epochs, [entry["weights"][key]["inputs"][i] for entry in curves], linestyle="--",
                          label=f"input {text}")
            axis.set_xlabel("epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_ylabel("weight")
            axis.legend(fontsize=7, loc="best")
        else:
            counts = [0] * len(layer["labels"])
            for entry in state["ranked"]:
                counts[layer["labels"].index(entry["choice"][key]["layer"])] += 1
            probabilities = policy.get(key, {}).get("op")
            values = probabilities or [c / max(len(state["ranked"]), 1) for c in counts]
            axis.bar(range(len(values)), values, color="tab:blue")
            axis.set_xticks(range(len(values)), layer["labels"], rotation=30, ha="right", fontsize=8)
            axis.set_ylabel("policy probability" if probabilities else "share of ranked architectures")
        axis.set_title(key.partition("/")[2] or key, fontsize=9)
        axis.grid(alpha=0.3)
    figure.suptitle(f"{state['strategy']}: " + ("each candidate's weight per epoch" if curves else "op preference per layer"))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    atomic_write(path, buffer.getvalue())

"""One-shot search (`--sampler darts|enas`): one supernet training, then what it found.

The driver runs the script once, forked from the worker like any trial, with the runtime
building the supernet (`nas_annotate.oneshot`); the trial writes its state to
`OUT/oneshot/<strategy>-NNN.json`.  From it come the architectures to keep: under darts the
derived one (strongest op, inputs whose gate is over one half, within [lo, hi]) and the next
most weighted ones, under enas the ranked paths.  `--retrain K` trains the first K of them
standalone as ordinary trials of the study, so their real values stand on the leaderboard.
"""

from __future__ import annotations

import heapq
import io
import json
import math
import os
import signal
import time
from typing import Any, Callable

from ..files import atomic_write
from .process import GRACE, kill, tail
from .results import summary

class OneShotFailed(Exception):
    """The supernet run did not give a state; the message says why."""


def run_supernet(
    options: Any, out_dir: str, worker: Any, say: Callable[[str], None], settings: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """Train the supernet (one run of the script); its state, and the path of its JSON file."""
    folder = os.path.join(os.path.abspath(out_dir), "oneshot")
    os.makedirs(folder, exist_ok=True)
    number = 1 + sum(1 for name in os.listdir(folder) if name.endswith(".log"))
    stem = os.path.join(folder, f"{options.sampler}-{number:03d}")
    state_path, log = stem + ".json", stem + ".log"
    open(stem + ".jsonl", "w").close()
    worker.send({
        "trial": f"supernet-{number}", "script": os.path.abspath(options.script), "args": list(options.args),
        "choice": {}, "log": log, "report": stem + ".jsonl",
        "oneshot": {"strategy": options.sampler, "options": {"seed": options.seed, **settings}, "state": state_path},
    })
    say(f"nas-annotate: training the {options.sampler} supernet of {options.script} (log: {os.path.relpath(log)})")
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
        raise OneShotFailed(f"the {options.sampler} supernet timed out after {options.timeout:g} s; see {log}")
    if status != 0:
        why = f"killed by signal {-status}" if status < 0 else f"exited with status {status}"
        raise OneShotFailed(f"the {options.sampler} supernet run {why}; the end of {log}:\n{tail(log)}")
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
            f"one-shot search trains the supernet through the script's own keras.Model.fit, and {options.script} "
            "fit no Keras model built from its layers (it ran, and its layers were built, but nothing was trained); "
            "search it with a black-box sampler (--sampler tpe, evolution, random or grid)"
        )
    atomic_write(state_path, (json.dumps(state, indent=1) + "\n").encode())
    return state, state_path


def candidates(state: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """The architectures the supernet found, best first, as choice documents (hyperparameters
    with the values the supernet ran with)."""
    extra = state.get("hyperparameters", {})
    if state["strategy"] == "enas":
        found = [entry["choice"] for entry in state["ranked"][:count]]
    else:
        found = _most_weighted(state, count)
    return [{**choice, **extra} for choice in found]


def _most_weighted(state: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """The `count` architectures of highest probability under the final darts weights (ops by
    softmax weight, each input in or out by its gate), the derived one first."""
    options: list[list[tuple[float, dict[str, Any]]]] = []
    for layer in state["layers"]:
        weights = state["weights"][layer["key"]]
        lo, hi = layer["input_num"]
        gates = weights["inputs"]
        per_layer = []
        for op, w in enumerate(weights["ops"]):
            for subset in _subsets(len(layer["input_labels"]), lo, hi):
                p = math.log(max(w, 1e-12))
                if lo != hi or lo != len(gates):
                    p += sum(math.log(max(g if i in subset else 1 - g, 1e-12)) for i, g in enumerate(gates))
                per_layer.append((p, {"layer": layer["labels"][op], "inputs": [layer["input_labels"][i] for i in subset]}))
        per_layer.sort(key=lambda item: -item[0])
        options.append(per_layer[: max(count, 1)])
    keys = [layer["key"] for layer in state["layers"]]
    derived = state["derived"]
    found = [derived]
    seen = {json.dumps(derived, sort_keys=True)}
    start = tuple(0 for _ in options)
    heap = [(-sum(o[0][0] for o in options), start)]
    visited = {start}
    while heap and len(found) < count:
        _, index = heapq.heappop(heap)
        choice = {key: options[i][j][1] for i, (key, j) in enumerate(zip(keys, index))}
        text = json.dumps(choice, sort_keys=True)
        if text not in seen:
            seen.add(text)
            found.append(choice)
        for i in range(len(index)):
            if index[i] + 1 < len(options[i]):
                step = index[:i] + (index[i] + 1,) + index[i + 1 :]
                if step not in visited:
                    visited.add(step)
                    heapq.heappush(heap, (-sum(options[k][step[k]][0] for k in range(len(step))), step))
    return found[:count]


def _subsets(count: int, lo: int, hi: int) -> list[tuple[int, ...]]:
    import itertools

    return [s for k in range(lo, hi + 1) for s in itertools.combinations(range(count), k)]


def leaderboard(state: dict[str, Any], size: int = 10) -> str:
    """What the supernet found, as a table: darts's weights per layer, enas's ranked paths."""
    lines = [
        f"{state['strategy']} supernet: {state['epochs']} epoch(s), {state['steps']} step(s), "
        f"{state['seconds']:.1f} s ({state['fit_seconds']:.1f} s in fit)"
    ]
    if state["strategy"] == "darts":
        lines.append(f"derived architecture: {summary(state['derived'])}")
        for layer in state["layers"]:
            weights = state["weights"][layer["key"]]
            ops = ", ".join(f"{label} {w:.3f}" for label, w in zip(layer["labels"], weights["ops"]))
            lines.append(f"  {layer['key']}: ops {ops}")
            if layer["input_labels"]:
                gates = ", ".join(f"{label} {w:.3f}" for label, w in zip(layer["input_labels"], weights["inputs"]))
                lines.append(f"  {' ' * len(layer['key'])}  inputs {gates} (count in {layer['input_num']})")
    else:
        metric = state["ranked"][0]["metric"] if state["ranked"] else "score"
        lines.append(f"{'rank':>4}  {metric:>10}  path (scored with the shared weights on {state['validation']})")
        for rank, entry in enumerate(state["ranked"][:size], 1):
            lines.append(f"{rank:>4}  {entry['score']:>10.6g}  {summary(entry['choice'])}")
    return "\n".join(lines)


def plot(state: dict[str, Any], path: str) -> None:
    """darts: each candidate's weight over the epochs, one panel per layer (ops, and input
    gates dashed); enas: the ranked paths' shared-weight scores, and the policy's per layer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = state["layers"]
    figure, axes = plt.subplots(1, len(layers), figsize=(4.2 * len(layers), 3.6), dpi=100, squeeze=False)
    for axis, layer in zip(axes[0], layers):
        key = layer["key"]
        if state["strategy"] == "darts":
            epochs = [entry["epoch"] for entry in state["history"]]
            for i, label in enumerate(layer["labels"]):
                axis.plot(epochs, [entry["weights"][key]["ops"][i] for entry in state["history"]], marker="o", label=label)
            for i, label in enumerate(layer["input_labels"]):
                axis.plot(epochs, [entry["weights"][key]["inputs"][i] for entry in state["history"]], linestyle="--",
                          label=f"input {label}")
            axis.set_xlabel("epoch")
            axis.set_ylabel("weight")
        else:
            counts = [0] * len(layer["labels"])
            for entry in state["ranked"]:
                counts[layer["labels"].index(entry["choice"][key]["layer"])] += 1
            probabilities = (state.get("policy") or {}).get(key, {}).get("op")
            values = probabilities or [c / max(len(state["ranked"]), 1) for c in counts]
            axis.bar(range(len(values)), values, color="tab:blue")
            axis.set_xticks(range(len(values)), layer["labels"], rotation=30, ha="right", fontsize=8)
            axis.set_ylabel("policy probability" if probabilities else "share of ranked paths")
        axis.set_title(key.partition("/")[2] or key, fontsize=9)
        axis.grid(alpha=0.3)
        if state["strategy"] == "darts":
            axis.legend(fontsize=7, loc="best")
    figure.suptitle(f"{state['strategy']}: " + ("each candidate's weight per epoch" if state["strategy"] == "darts" else "op preference per layer"))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    atomic_write(path, buffer.getvalue())

"""Inheritance in a trial's process: record the layers from the script's start, give them the
parent's weights when the first `fit` begins to train (its model is built then, on every
backend, and its optimizer has taken no step) or, in a loop of the script's own, at its first
`@nni.training_update` (after one step), save the trial's own when the script ends, and
say what was inherited: on stderr (the trial's log) and as a line of the trial's reports, which
the driver keeps in the trial's user attributes."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from ..reporting import ENV as REPORT_ENV
from . import INHERITED_ENV
from .match import Outcome, plan
from .record import Recorder
from .store import load, save


class Inheritance:
    """One trial's inheritance: `save_to` (where its weights go; None: nowhere) and its parent
    (`parent_trial`, `parent_weights`: a path; None: it starts fresh)."""

    def __init__(self, save_to: str | None, parent_trial: int | None = None, parent_weights: str | None = None) -> None:
        self.save_to = save_to
        self.parent_trial = parent_trial
        self.parent_weights = parent_weights
        self.recorder = Recorder()
        self.outcome: Outcome | None = None
        self.seconds = 0.0  # spent loading, matching and saving
        self._fit: Any = None

    def start(self) -> None:
        """Record from now; a parent's weights found: `NAS_ANNOTATE_INHERITED=1` for the script."""
        import keras

        if self.parent_weights is not None:
            if os.path.exists(self.parent_weights):
                os.environ[INHERITED_ENV] = "1"
            else:
                say(f"trial {self.parent_trial}'s weights are not at {self.parent_weights}: this trial starts fresh")
                self.parent_weights = None
        self.recorder.start()
        self.recorder.on_update = self.updated
        original = self._fit = keras.Model.fit
        inheritance = self

        class Given(keras.callbacks.Callback):
            def on_train_begin(self, logs: Any = None) -> None:
                inheritance.give()

        def fit(model: Any, *args: Any, **kwargs: Any) -> Any:
            if inheritance.outcome is None and inheritance.parent_weights is not None:
                callbacks = kwargs.get("callbacks") if "callbacks" in kwargs else (args[5] if len(args) > 5 else None)
                callbacks = list(callbacks or []) + [Given()]
                if len(args) > 5:
                    args = args[:5] + (callbacks,) + args[6:]
                else:
                    kwargs["callbacks"] = callbacks
            return original(model, *args, **kwargs)

        keras.Model.fit = fit

    def give(self) -> None:
        """The parent's weights into the child's layers where they correspond (once)."""
        if self.outcome is not None or self.parent_weights is None:
            return
        started = time.perf_counter()
        try:
            layers, calls = load(self.parent_weights)
        except (OSError, ValueError, KeyError) as exc:
            say(f"trial {self.parent_trial}'s weights at {self.parent_weights} cannot be read ({exc}): this trial starts fresh")
            self.parent_weights = None
            return
        self.outcome = plan(self.recorder.weighted(), self.recorder.calls, layers, calls)
        for variable, array in self.outcome.assignments:
            variable.assign(array.astype(str(variable.dtype)) if hasattr(array, "astype") else array)
        self.seconds += time.perf_counter() - started
        text = self.outcome.describe(self.parent_trial if self.parent_trial is not None else "?")
        say(text)
        _report({
            "parent": self.parent_trial, "inherited": self.outcome.inherited, "total": self.outcome.total,
            "preserving": self.outcome.preserving, "text": text,
        })

    def updated(self, state: Any) -> None:
        """The first training update of a loop of the script's own: the parent's weights, once.
        A JAX loop's `state` holds the values: read into the variables first, written back after."""
        if self.outcome is not None or self.parent_weights is None:
            return
        loop = None
        if state is not None:
            from ..supernet.backends import LoopState

            models = [layer for _, layer in self.recorder.layers if hasattr(layer, "stateless_call")]
            sizes = [len(part) for part in state[:2]] if isinstance(state, (tuple, list)) and len(state) >= 2 else None
            fitting = [m for m in models if sizes == [len(m.trainable_variables), len(m.non_trainable_variables)]]
            if fitting:
                loop = LoopState(fitting[-1], state, "")
                loop.read()
        self.give()
        if loop is not None:
            loop.write()

    def finish(self, saving: bool) -> None:
        """Stop recording; with `saving`, write the trial's weights for its children."""
        import keras

        self.recorder.stop()
        if self._fit is not None:
            keras.Model.fit = self._fit
            self._fit = None
        if saving and self.save_to:
            started = time.perf_counter()
            size = save(self.save_to, self.recorder.weighted(), self.recorder.calls)
            self.seconds += time.perf_counter() - started
            _report({"weights": self.save_to, "bytes": size, "seconds": round(self.seconds, 6)})


def say(text: str) -> None:
    print(f"nas-annotate: {text}", file=sys.stderr, flush=True)


def _report(entry: dict[str, Any]) -> None:
    channel = os.environ.get(REPORT_ENV)
    if channel:
        with open(channel, "a", encoding="utf-8") as stream:
            stream.write(json.dumps({"inheritance": entry}) + "\n")

"""The supernet's hold on the script's training: `keras.Model.fit` and `evaluate`, wrapped.

`install(net)` (when the net's first site meets tensors) wraps them for that net, until
`remove()`:

- `fit` tells the net its model and data, and gets one more callback, ours, which calls the
  net around every batch and at every epoch's end (`Net.before_batch`, `after_batch`,
  `after_epoch`, and through them the strategy);
- `evaluate` tells the net what the script evaluates on (validation data of last resort).

The wrappers find their net in this module, not in the runtime.  This module imports Keras.
"""

from __future__ import annotations

import time
from typing import Any

import keras

from .sites import SupernetError

_ORIGINAL: dict[str, Any] = {"fit": keras.Model.fit, "evaluate": keras.Model.evaluate}
_FIT_ARGS = ("x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split", "validation_data")
_net: Any = None


def install(net: Any) -> None:
    """Wrap `fit` and `evaluate` for `net` (the net of this process's one-shot run)."""
    global _net
    _net = net
    keras.Model.fit, keras.Model.evaluate = _fit, _evaluate


def remove() -> None:
    """Put `fit` and `evaluate` back."""
    global _net
    _net = None
    keras.Model.fit, keras.Model.evaluate = _ORIGINAL["fit"], _ORIGINAL["evaluate"]


def evaluate(model: Any, x: Any, y: Any) -> dict[str, float]:
    """Keras's own `evaluate` of `model` on (x, y), quietly, by metric name."""
    return _ORIGINAL["evaluate"](model, x, y, verbose=0, return_dict=True)


def _fit(model: Any, *args: Any, **kwargs: Any) -> Any:
    net = _net
    if net is None:
        return _ORIGINAL["fit"](model, *args, **kwargs)
    if len(args) > len(_FIT_ARGS):
        raise SupernetError(f"error: fit was given {len(args)} positional arguments; one-shot search reads the first {len(_FIT_ARGS)}")
    given = dict(zip(_FIT_ARGS, args))
    given.update(kwargs)
    trained_on = net.fitting(
        model, given.get("x"), given.get("y"), given.get("batch_size"), given.get("validation_data"),
        float(given.get("validation_split") or 0.0),
    )
    if trained_on is not None:  # the validation data the strategy needs, held out of fit's
        given["x"], given["y"] = trained_on
    given["callbacks"] = list(given.get("callbacks") or []) + [_Callback(net)]
    started = time.perf_counter()
    try:
        return _ORIGINAL["fit"](model, **given)
    finally:
        net.fit_seconds += time.perf_counter() - started


def _evaluate(model: Any, *args: Any, **kwargs: Any) -> Any:
    if _net is not None:
        given = dict(zip(("x", "y"), args))
        given.update(kwargs)
        if given.get("x") is not None:
            _net.evaluating(given.get("x"), given.get("y"))
    return _ORIGINAL["evaluate"](model, *args, **kwargs)


class _Callback(keras.callbacks.Callback):
    """Our part of the script's `fit`: the net (and its strategy) around every batch and epoch."""

    def __init__(self, net: Any) -> None:
        super().__init__()
        self.net = net

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self.net.before_batch()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.net.after_batch()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.net.after_epoch(logs)

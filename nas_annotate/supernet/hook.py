"""The supernet's hold on the script's training: `keras.Model.fit` and `evaluate`, and the
optimizers' `apply`, wrapped.

`install(net)` (when the net's first site meets tensors) wraps them for that net, until
`remove()`:

- `fit` tells the net its model and data, and gets one more callback, ours, which calls the
  net around every batch and at every epoch's end (`Net.before_batch`, `after_batch`,
  `after_epoch`, and through them the strategy);
- `evaluate` tells the net what the script evaluates on (validation data of last resort);
- an optimizer's `apply` (under `apply_gradients` too) outside `fit` that updates one of the
  supernet's variables is a step of the script's own loop: `Net.loop_step` runs after it at
  every step, inside a `tf.function` through a `tf.py_function` added where the step is traced.

The wrappers find their net in this module, not in the runtime.  This module imports Keras.
"""

from __future__ import annotations

import time
from typing import Any

import keras

from .sites import SupernetError

_OPTIMIZER = next(c for c in keras.optimizers.Optimizer.__mro__ if "apply" in c.__dict__)
_ORIGINAL: dict[str, Any] = {"fit": keras.Model.fit, "evaluate": keras.Model.evaluate, "apply": _OPTIMIZER.apply}
_LIBRARIES = ("/keras/", "/tensorflow/", "/jax/", "/torch/", "/nas_annotate/", "/tf_keras/", "<frozen ", "__autograph_generated")
_FIT_ARGS = ("x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split", "validation_data")
_net: Any = None


def install(net: Any) -> None:
    """Wrap `fit` and `evaluate` for `net` (the net of this process's one-shot run)."""
    global _net
    _net = net
    keras.Model.fit, keras.Model.evaluate, _OPTIMIZER.apply = _fit, _evaluate, _apply


def remove() -> None:
    """Put `fit` and `evaluate` back."""
    global _net
    _net = None
    keras.Model.fit, keras.Model.evaluate, _OPTIMIZER.apply = _ORIGINAL["fit"], _ORIGINAL["evaluate"], _ORIGINAL["apply"]


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
    net.in_fit = True
    try:
        return _ORIGINAL["fit"](model, **given)
    finally:
        net.in_fit = False
        net.fit_seconds += time.perf_counter() - started


def _apply(optimizer: Any, grads: Any, trainable_variables: Any = None) -> Any:
    result = _ORIGINAL["apply"](optimizer, grads, trainable_variables)
    net = _net
    if net is None or net.in_fit:
        return result
    if net.acting:  # the strategy's own step (bilevel darts's), not the script's
        return result
    net.loop_found(_caller(), optimizer)
    if keras.backend.backend() != "tensorflow":
        net.loop_step()
        return result
    import tensorflow as tf

    if tf.executing_eagerly():
        net.loop_step()
    elif not _xla(tf):  # traced: the step runs as a graph, so the call goes into it (after the update: both are stateful)
        tf.py_function(lambda: net.loop_step() or [], [], [])
    return result


def _xla(tf: Any) -> bool:
    """Whether the step being traced is compiled by XLA (`jit_compile=True`), where a
    `tf.py_function` cannot go: the net then counts the optimizer's iterations at the end."""
    try:
        from tensorflow.python.ops.control_flow_util import GraphOrParentsInXlaContext
    except ImportError:
        return False
    return bool(GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph()))


def _caller() -> str:
    """`file:line` of the innermost frame outside Keras, TensorFlow and nas_annotate."""
    import sys

    frame = sys._getframe(2)
    while frame is not None and any(part in frame.f_code.co_filename for part in _LIBRARIES):
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "the script"


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

"""The `params` objective: the parameter count of the trial's Keras model, counted at the final
report when the report does not give it.

The trial's model is found among the objects alive at that moment (after a garbage
collection): the built Keras models that are not part of another one. When there are several,
those trained (their optimizer has taken a step) are kept; if they still differ in size, no
model is *the* model and the report must give `params` itself.
"""

from __future__ import annotations

import gc
import sys
from typing import Any


class NoModel(Exception):
    """Why no single model can be counted (the end of a sentence, for the report's error)."""


HOW = "report it yourself: report_final_result({'default': accuracy, 'params': model.count_params()})"


def _model_classes() -> tuple[type, ...]:
    """Keras's model classes, of the Keras modules this process imported (none are imported here)."""
    return tuple(
        module.Model for module in (sys.modules.get("keras"), sys.modules.get("tf_keras"))
        if module is not None and isinstance(getattr(module, "Model", None), type)
    )


def inner_layers(model: Any) -> list[Any]:
    """Every layer inside `model`, at any depth."""
    flatten = getattr(model, "_flatten_layers", None)
    if flatten is not None:
        return list(flatten(include_self=False, recursive=True))
    return list(getattr(model, "layers", []))


def _trained(model: Any) -> bool:
    iterations = getattr(getattr(model, "optimizer", None), "iterations", None)
    try:
        return iterations is not None and int(iterations.numpy() if hasattr(iterations, "numpy") else iterations) > 0
    except (TypeError, ValueError):
        return False


def model_params() -> int:
    """`count_params()` of the trial's Keras model (see the module's docstring); NoModel when
    there is none, or no one of several."""
    classes = _model_classes()
    if not classes:
        raise NoModel(f"the trial imported no Keras, so there is no model to count: {HOW}")
    gc.collect()
    models = [item for item in gc.get_objects() if isinstance(item, classes) and getattr(item, "built", False)]
    nested = {id(layer) for model in models for layer in inner_layers(model)}
    top = [model for model in models if id(model) not in nested]
    if not top:
        raise NoModel(f"no built Keras model is alive at this report: {HOW}")
    candidates = [model for model in top if _trained(model)] or top
    counts = {model.count_params() for model in candidates}
    if len(counts) == 1:
        return counts.pop()
    sizes = ", ".join(sorted(f"{model.name}: {model.count_params():,}" for model in candidates))
    raise NoModel(f"{len(candidates)} Keras models of different sizes are alive at this report ({sizes}): {HOW}")

"""The decision layers: the Keras layers that hold a site's architecture state.

A decision layer is what a one-shot strategy's `build(decision)` and `weights(decision)` are
given.  It has `site` (its `Site`), `key`, `part` ("op" or "inputs"), `labels` (its
candidates, or its input candidates), `count`, and `mask`: a non-trainable variable of
`count` values, set by `Net.set_path` (1 for the path's op or inputs, 0 elsewhere).  A strategy
adds its own variables with Keras's `decision.add_weight(...)`.

- `OpChoice` mixes the candidates' outputs: `sum_k w_k * out_k`, padding narrower outputs'
  last axis with zeros;
- `InputChoice` scales input candidate `i` by `w_i`;

where `w = strategy.weights(decision)`, computed in the forward pass (so traced into the
script's `fit`).  This module imports Keras: the supernet imports it when a site first meets
tensors.
"""

from __future__ import annotations

from typing import Any, Callable

import keras
from keras import ops

from .sites import INPUTS, OP, Site


class Decision(keras.layers.Layer):
    """One decision of a site (its op, or its inputs): a mask, and the strategy's variables."""

    def __init__(self, site: Site, part: str, labels: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site = site
        self.part = part
        self.labels = labels
        self.count = len(labels)
        self.mask = self.add_weight(
            shape=(self.count,), initializer=keras.initializers.Constant(1.0), trainable=False, name="mask"
        )
        site.net.strategy.build(self)

    @property
    def key(self) -> str:
        return self.site.key

    def set_mask(self, values: list[float]) -> None:
        self.mask.assign(values)

    def now(self, function: Callable[[Any], Any]) -> list[float]:
        """`function(self)` evaluated now, as numbers."""
        return [float(w) for w in ops.convert_to_numpy(function(self))]


class OpChoice(Decision):
    """Mixes a layer's candidate outputs by the strategy's weights."""

    def __init__(self, site: Site, **kwargs: Any) -> None:
        super().__init__(site, OP, site.shape.choice_labels, **kwargs)

    def call(self, inputs: list[Any]) -> Any:
        widest = max(int(x.shape[-1]) for x in inputs)
        padded = []
        for x in inputs:
            width = int(x.shape[-1])
            if width < widest:
                x = ops.pad(x, [[0, 0]] * (len(x.shape) - 1) + [[0, widest - width]])
            padded.append(x)
        stacked = ops.stack(padded, axis=0)
        weights = ops.cast(self.site.net.strategy.weights(self), stacked.dtype)
        weights = ops.reshape(weights, (-1,) + (1,) * (len(stacked.shape) - 1))
        return ops.sum(stacked * weights, axis=0)

    def compute_output_spec(self, inputs: list[Any]) -> Any:
        widest = max(int(x.shape[-1]) for x in inputs)
        return keras.KerasTensor(tuple(inputs[0].shape[:-1]) + (widest,), dtype=inputs[0].dtype)


class InputChoice(Decision):
    """Scales a layer's input candidates by the strategy's weights."""

    def __init__(self, site: Site, **kwargs: Any) -> None:
        super().__init__(site, INPUTS, site.shape.input_labels, **kwargs)

    def call(self, inputs: list[Any]) -> list[Any]:
        weights = self.site.net.strategy.weights(self)
        return [x * ops.cast(weights[i], x.dtype) for i, x in enumerate(inputs)]

    def compute_output_spec(self, inputs: list[Any]) -> list[Any]:
        return [keras.KerasTensor(tuple(x.shape), dtype=x.dtype) for x in inputs]

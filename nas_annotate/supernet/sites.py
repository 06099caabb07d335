"""A supernet's sites: one per mutable layer, holding every candidate of the layer.

In the supernet form (`codegen`, `supernet=True`) a layer asks `runtime.supernet(...)` for its
`Site`, feeds every input candidate through `Site.gate` and every candidate's output through
`Site.mix`.  The site keeps the layer's architecture state in at most two decision layers
(`layers.OpChoice`, `layers.InputChoice`), created once per key, so a layer built several times
(a cell in a function) shares one state.  Their weights are the strategy's (`weights`).

Outputs that differ only in their last axis are padded with zeros to the widest (no new
weights); any other difference is a `SupernetError` naming the layer's line.  Nothing here
imports TensorFlow or Keras: a site tells tensors from other values by their type's module.
"""

from __future__ import annotations

import itertools
import sys
from typing import Any, Callable, Sequence

from ..choice import Shape
from ..diagnostics import RunError

OP, INPUTS = "op", "inputs"


class SupernetError(RunError):
    """The supernet cannot be built or searched as the script is written; the message says why."""


def is_tensor(value: object) -> bool:
    """A tensor of Keras or of one of its backends (told from its type alone: nothing is imported)."""
    module = type(value).__module__ or ""
    return module.split(".")[0] in ("keras", "tensorflow", "tf_keras", "jax", "jaxlib", "torch") and hasattr(value, "shape")


class Site:
    """One mutable layer in the supernet: its shape, where it is written, its decision layers.

    For strategies: `key`, `shape` (`choice_labels`, `input_labels`, `input_num`), `subsets`
    (every set of inputs an architecture may feed it), `free_inputs`, and `op_layer` /
    `input_layer` (its decision layers; None for a single candidate or fixed inputs)."""

    def __init__(self, net: Any, shape: Shape, where: str) -> None:
        self.net = net
        self.shape = shape
        self.where = where
        self.subsets = input_subsets(shape)
        self.op_layer: Any = None
        self.input_layer: Any = None
        self.padded: tuple[int, ...] | None = None
        self.built = 0

    @property
    def key(self) -> str:
        return self.shape.key

    @property
    def free_inputs(self) -> bool:
        """Whether architectures differ in this layer's inputs."""
        lo, hi = self.shape.input_num
        return bool(self.shape.input_labels) and not (lo == hi == len(self.shape.input_labels))

    def _require_tensors(self, values: Sequence[object], what: Sequence[str]) -> None:
        for label, value in zip(what, values):
            if not is_tensor(value):
                raise SupernetError(
                    f"{self.where}error: {self.key}: one-shot search ({self.net.name}) builds a Keras supernet, "
                    f"but {label} is a {type(value).__name__}, not a Keras tensor. One-shot search needs "
                    "a script that builds and fits a Keras model from its layers; search this one with a black-box "
                    "sampler (--sampler tpe, evolution, random or grid)"
                )

    def gate(self, candidates: Sequence[Any]) -> list[Any]:
        """Every input candidate, scaled by the layer's input state (as is when all are always fed)."""
        candidates = list(candidates)
        self._require_tensors(candidates, [f"input candidate '{label}'" for label in self.shape.input_labels])
        if not self.free_inputs:
            return candidates
        if self.input_layer is None:
            self.input_layer = self.net.keras_layers().InputChoice(self, name=_layer_name(self.key, INPUTS))
        return list(self.input_layer(candidates))

    def mix(self, outputs: Sequence[Any]) -> Any:
        """The candidates' outputs combined by the layer's op state."""
        outputs = list(outputs)
        self._require_tensors(outputs, [f"the output of candidate '{label}'" for label in self.shape.choice_labels])
        self._check_shapes(outputs)
        self.built += 1
        if len(outputs) == 1:
            return outputs[0]
        if self.op_layer is None:
            self.op_layer = self.net.keras_layers().OpChoice(self, name=_layer_name(self.key, "ops"))
        return self.op_layer(outputs)

    def _check_shapes(self, outputs: list[Any]) -> None:
        labels = self.shape.choice_labels
        shapes = [_shape(out) for out in outputs]
        dtypes = [str(getattr(out.dtype, "name", out.dtype)) for out in outputs]
        for i in range(1, len(outputs)):
            a, b = shapes[0], shapes[i]
            if len(a) != len(b) or a[:-1] != b[:-1] or dtypes[0] != dtypes[i] or (not a and a != b):
                why = "dtypes" if dtypes[0] != dtypes[i] and len(a) == len(b) and a[:-1] == b[:-1] else "shapes"
                shown = (dtypes[0], dtypes[i]) if why == "dtypes" else (_show_shape(a), _show_shape(b))
                raise SupernetError(
                    f"{self.where}error: {self.key}: candidates '{labels[0]}' and '{labels[i]}' give outputs of {why} "
                    f"{shown[0]} and {shown[1]}; the supernet mixes candidates whose outputs differ at most in "
                    "their last axis (channels, units), which it pads with zeros. Make the candidates agree on "
                    "the other axes (same strides, padding, rank and dtype), or search this layer with a "
                    "black-box sampler (--sampler tpe, evolution, random or grid)"
                )
        widths = [shape[-1] for shape in shapes]
        if len(set(widths)) > 1 and self.padded is None:
            if any(width is None for width in widths):
                raise SupernetError(
                    f"{self.where}error: {self.key}: the candidates' outputs have last axes of unknown and differing "
                    f"sizes ({', '.join(f'{label}: {w}' for label, w in zip(labels, widths))}); the supernet can pad "
                    "them only when their sizes are known when the model is built"
                )
            self.padded = tuple(widths)
            widest = max(widths)
            listed = ", ".join(f"{label}: {width}" for label, width in zip(labels, widths))
            note = (
                f"{self.where}note: {self.key}: the candidates' outputs differ in their last axis ({listed}); "
                f"the supernet pads them with zeros to {widest}"
            )
            self.net.notes.append(note)
            print(note, file=sys.stderr)

    def weights(self, function: Callable[[Any], Any]) -> dict[str, list[float]]:
        """`function(decision)` of the op and the input decision now, as numbers (uniform ops and
        every input fed where the layer has no such decision)."""
        ops = len(self.shape.choice_labels)
        return {
            "ops": self.op_layer.now(function) if self.op_layer is not None else [1.0 / ops] * ops,
            "inputs": self.input_layer.now(function) if self.input_layer is not None else [1.0] * len(self.shape.input_labels),
        }

    def set_path(self, op: int, inputs: Sequence[int]) -> None:
        """Make the layer compute the op `op` on the inputs `inputs` (the masks, one-hot)."""
        if self.op_layer is not None:
            self.op_layer.set_mask([1.0 if i == op else 0.0 for i in range(len(self.shape.choice_labels))])
        if self.input_layer is not None:
            chosen = set(inputs)
            self.input_layer.set_mask([1.0 if i in chosen else 0.0 for i in range(len(self.shape.input_labels))])


def derive_inputs(weights: Sequence[float], input_num: tuple[int, int]) -> tuple[int, ...]:
    """The inputs whose weight is over one half, their count clamped to [lo, hi] by strength,
    in the annotation's order."""
    lo, hi = input_num
    by_strength = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
    chosen = [i for i in by_strength if weights[i] > 0.5]
    count = min(max(len(chosen), lo), hi)
    return tuple(sorted(by_strength[:count]))


def input_subsets(shape: Shape) -> tuple[tuple[int, ...], ...]:
    """Every set of inputs a choice may feed this layer, in the annotation's order."""
    lo, hi = shape.input_num
    count = len(shape.input_labels)
    return tuple(s for k in range(lo, hi + 1) for s in itertools.combinations(range(count), k))


def _shape(tensor: Any) -> tuple[Any, ...]:
    shape = tensor.shape
    return tuple(shape.as_list()) if hasattr(shape, "as_list") else tuple(shape)


def _show_shape(shape: tuple[Any, ...]) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _layer_name(key: str, part: str) -> str:
    """A Keras layer name from a key (Keras allows no '/' in names)."""
    return "nas_" + "".join(c if c.isalnum() or c == "_" else "_" for c in key) + "_" + part

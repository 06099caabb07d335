"""The supernet of one-shot search: every candidate of every layer in one Keras model.

In the supernet form (`codegen`, `supernet=True`) a layer asks `runtime.supernet(...)` for its
`Site`, feeds every input candidate through `Site.gate` and every candidate's output through
`Site.mix`.  A site holds the layer's architecture state in two Keras layers of ours, created
once per key, so a layer built several times (a cell in a function) shares one state:

- `OpChoice` mixes the candidates' outputs: `sum_k w_k * out_k`, with `w = softmax(logits)`
  under darts (the logits are trainable weights of the user's model) and `w` the one-hot mask
  of the sampled path under enas;
- `InputChoice` scales each input candidate: by `sigmoid(logit)` under darts, by the path's
  0/1 mask under enas; candidates that every architecture feeds (`input_num` = all of them)
  are passed as they are.

Outputs that differ only in their last axis are padded with zeros to the widest (no new
weights); any other difference is a `SupernetError` naming the layer's line.  TensorFlow and
Keras are imported only when a site first meets tensors.
"""

from __future__ import annotations

import itertools
import sys
from typing import Any, Sequence

from .choice import Shape
from .diagnostics import RunError

STRATEGIES = ("darts", "enas")


class SupernetError(RunError):
    """The supernet cannot be built as the script is written; the message says why and where."""


def is_tensor(value: object) -> bool:
    """A TensorFlow or Keras tensor (told from its type alone: nothing is imported)."""
    module = type(value).__module__ or ""
    return module.split(".")[0] in ("keras", "tensorflow", "tf_keras") and hasattr(value, "shape")


class Site:
    """One mutable layer in the supernet: its shape, where it is written, its Keras state."""

    def __init__(self, net: Supernet, shape: Shape, where: str) -> None:
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

    def _require_tensors(self, values: Sequence[object], what: str) -> None:
        for label, value in zip(what, values):
            if not is_tensor(value):
                raise SupernetError(
                    f"{self.where}error: {self.key}: one-shot search ({self.net.strategy}) builds a Keras supernet, "
                    f"but {label} is a {type(value).__name__}, not a TensorFlow/Keras tensor. One-shot search needs "
                    "a script that builds and fits a Keras model from its layers; search this one with a black-box "
                    "sampler (--sampler tpe, evolution, random or grid)"
                )

    def gate(self, candidates: Sequence[Any]) -> list[Any]:
        """Every input candidate, scaled by the layer's input state (as is when all are always fed)."""
        candidates = list(candidates)
        labels = [f"input candidate '{label}'" for label in self.shape.input_labels]
        self._require_tensors(candidates, labels)  # type: ignore[arg-type]
        if not self.free_inputs:
            return candidates
        if self.input_layer is None:
            self.input_layer = self.net.keras_layers().InputChoice(self, name=_layer_name(self.key, "inputs"))
        return list(self.input_layer(candidates))

    def mix(self, outputs: Sequence[Any]) -> Any:
        """The candidates' outputs combined by the layer's op state."""
        outputs = list(outputs)
        labels = [f"the output of candidate '{label}'" for label in self.shape.choice_labels]
        self._require_tensors(outputs, labels)  # type: ignore[arg-type]
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

    def derive(self) -> tuple[int, tuple[int, ...]]:
        """Under darts: the strongest op, and the inputs whose gate is over one half, their count
        brought into [lo, hi] by adding the strongest others or dropping the weakest."""
        ops = self.op_weights()
        op = max(range(len(ops)), key=lambda i: ops[i])
        return op, derive_inputs(self.input_weights(), self.shape.input_num)

    def op_weights(self) -> list[float]:
        if self.op_layer is None:
            return [1.0 / len(self.shape.choice_labels)] * len(self.shape.choice_labels)
        return [float(w) for w in self.op_layer.current_weights()]

    def input_weights(self) -> list[float]:
        if self.input_layer is None:
            return [1.0] * len(self.shape.input_labels)
        return [float(w) for w in self.input_layer.current_weights()]

    def set_path(self, op: int, inputs: Sequence[int]) -> None:
        """Under enas: make the layer compute the path's op on the path's inputs."""
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


class Supernet:
    """The supernet of a run: its strategy, its sites by key, and the notes it gave."""

    def __init__(self, strategy: str, temperature: float = 1.0, bilevel: bool = False) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
        self.strategy = strategy
        self.temperature = temperature
        self.bilevel = bilevel  # darts: the logits are ours to train (on validation batches), not the script's
        self.sites: dict[str, Site] = {}
        self.notes: list[str] = []
        self._keras: Any = None

    def site(self, shape: Shape, where: str) -> Site:
        """The site of the layer `shape.key` (created at its first execution)."""
        found = self.sites.get(shape.key)
        if found is None:
            found = self.sites[shape.key] = Site(self, shape, where)
        return found

    def keras_layers(self) -> Any:
        """The Keras layer classes (imports Keras, and hooks `fit`/`evaluate`: see oneshot.py)."""
        if self._keras is None:
            from . import oneshot

            self._keras = _define_layers()
            oneshot.hook_keras(self)
        return self._keras

    def derived(self) -> dict[str, tuple[int, tuple[int, ...]]]:
        return {key: site.derive() for key, site in self.sites.items()}

    def logits(self) -> list[Any]:
        """The architecture's variables (darts): every site's op and input logits."""
        return [layer.logits for site in self.sites.values() for layer in (site.op_layer, site.input_layer) if layer is not None]

    def set_path(self, path: dict[str, tuple[int, tuple[int, ...]]]) -> None:
        for key, (op, inputs) in path.items():
            self.sites[key].set_path(op, inputs)


def _define_layers() -> Any:
    import keras
    from keras import ops

    class _Choice(keras.layers.Layer):
        """The shared parts: logits (trained by darts), a mask (set per path by enas)."""

        def __init__(self, site: Site, count: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.site = site
            self.strategy = site.net.strategy
            self.temperature = site.net.temperature
            self.logits = self.add_weight(
                shape=(count,), initializer="zeros", trainable=self.strategy == "darts" and not site.net.bilevel,
                name="logits",
            )
            self.mask = self.add_weight(
                shape=(count,), initializer=keras.initializers.Constant(1.0), trainable=False, name="mask"
            )

        def set_mask(self, values: list[float]) -> None:
            self.mask.assign(values)

        def compute_output_spec(self, inputs: Any) -> Any:
            return self._spec(inputs)

    class OpChoice(_Choice):
        """Mixes a layer's candidate outputs by its op state."""

        def __init__(self, site: Site, **kwargs: Any) -> None:
            super().__init__(site, len(site.shape.choice_labels), **kwargs)

        def weights_now(self) -> Any:
            if self.strategy == "darts":
                return ops.softmax(self.logits / self.temperature)
            return self.mask

        def current_weights(self) -> list[float]:
            return [float(w) for w in ops.convert_to_numpy(self.weights_now())]

        def call(self, inputs: list[Any]) -> Any:
            widest = max(int(x.shape[-1]) for x in inputs)
            padded = []
            for x in inputs:
                width = int(x.shape[-1])
                if width < widest:
                    x = ops.pad(x, [[0, 0]] * (len(x.shape) - 1) + [[0, widest - width]])
                padded.append(x)
            stacked = ops.stack(padded, axis=0)
            weights = ops.cast(self.weights_now(), stacked.dtype)
            weights = ops.reshape(weights, (-1,) + (1,) * (len(stacked.shape) - 1))
            return ops.sum(stacked * weights, axis=0)

        def _spec(self, inputs: list[Any]) -> Any:
            widest = max(int(x.shape[-1]) for x in inputs)
            return keras.KerasTensor(tuple(inputs[0].shape[:-1]) + (widest,), dtype=inputs[0].dtype)

    class InputChoice(_Choice):
        """Scales a layer's input candidates by its input state."""

        def __init__(self, site: Site, **kwargs: Any) -> None:
            super().__init__(site, len(site.shape.input_labels), **kwargs)

        def weights_now(self) -> Any:
            if self.strategy == "darts":
                return ops.sigmoid(self.logits)
            return self.mask

        def current_weights(self) -> list[float]:
            return [float(w) for w in ops.convert_to_numpy(self.weights_now())]

        def call(self, inputs: list[Any]) -> list[Any]:
            weights = self.weights_now()
            return [x * ops.cast(weights[i], x.dtype) for i, x in enumerate(inputs)]

        def _spec(self, inputs: list[Any]) -> list[Any]:
            return [keras.KerasTensor(tuple(x.shape), dtype=x.dtype) for x in inputs]

    class _Layers:
        pass

    found = _Layers()
    found.OpChoice = OpChoice  # type: ignore[attr-defined]
    found.InputChoice = InputChoice  # type: ignore[attr-defined]
    return found

"""A child's layers against its parent's saved ones: what each child variable starts from.

1. **Inherited**: a layer at the same place as one of the parent's (the same mutable layer, the
   same candidate, the same call, the same order of creation; or the same order in the fixed
   part), of the same class, whose variables all have the parent's shapes: the parent's values.
   In a call whose candidate differs from the parent's, the layers that every candidate makes
   there (an `input_aggregate`'s, a `post_process`'s) are told from the candidates' own as the
   longest common sequence of layers of the same class and shapes, and inherited too.
2. **Function-preserving starts**, for the candidate's own layers in a call whose candidate
   differs from the parent's, all of them or none:
   - *from an identity*: the parent's candidate is an identity (its name is `identity`, `skip`
     or `skip_connect`) and every layer the child's candidate made can compute the identity:
     `Dense` with a square kernel; `Conv1D/2D/3D` with as many filters as input channels,
     `DepthwiseConv1D/2D` with depth multiplier 1 and `SeparableConv1D/2D` with as many
     filters as input channels, each with odd kernel sizes, stride 1 and `same` padding; their
     activation linear or `relu` (then exact where the input is non-negative, as after a `relu`).
     Their kernels are the identity (a centred one per channel), their biases zero;
   - *a wider kernel*: the parent's candidate made as many layers, pairwise of the same class
     and geometry (strides, padding, dilation), whose variables have the child's shapes or are
     kernels with the child's channels and smaller odd spatial sizes: these are centred in zeros
     (with `same` padding and stride 1 the child computes what the parent computed).
3. Everything else keeps the fresh values Keras gave it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .record import Call, Place, own_variables
from .store import Saved, geometry, variable_name

IDENTITIES = ("identity", "skip", "skip_connect")
IDENTITY_LAYERS = ("Dense", "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D")
KERNELS = ("kernel", "depthwise_kernel", "pointwise_kernel")


@dataclass
class Outcome:
    """What a child starts from: `assignments` (variable, array) to make, and the counts."""

    total: int = 0  # the child's layers that own variables
    inherited: int = 0
    preserving: dict[str, int] = field(default_factory=dict)  # function-preserving starts by kind
    assignments: list[tuple[Any, Any]] = field(default_factory=list)

    @property
    def preserved(self) -> int:
        return sum(self.preserving.values())

    def describe(self, parent: int | str) -> str:
        text = f"inherited {self.inherited} of {self.total} layers from trial {parent}"
        if self.preserved:
            kinds = ", ".join(f"{count} {kind}" for kind, count in self.preserving.items())
            text += f"; {self.preserved} more started as the parent's function ({kinds})"
        return text


def plan(child: list[tuple[Place, Any]], child_calls: list[Call], parent: list[Saved], parent_calls: list[Call]) -> Outcome:
    """What each of the child's weighted layers (place, Keras layer) starts from."""
    outcome = Outcome(total=len(child))
    saved = {entry.place: entry for entry in parent}
    taken = {(call.key, call.call): call.candidate for call in parent_calls}
    changed: dict[tuple[str, int], list[Any]] = {}
    for place, layer in child:
        group = (place.key, place.call)
        if place.key and taken.get(group, place.candidate) != place.candidate:
            changed.setdefault(group, []).append(layer)
            continue
        entry = saved.get(place)
        arrays = _same_shapes(layer, entry) if entry is not None else None
        if arrays is not None:
            outcome.inherited += 1
            outcome.assignments += arrays
    for group, layers in changed.items():
        theirs = [entry for entry in parent if (entry.place.key, entry.place.call) == group]
        pairs = _common(layers, theirs)  # an input_aggregate's or post_process's layers, made for every candidate
        for i, j in pairs:
            outcome.inherited += 1
            outcome.assignments += _same_shapes(layers[i], theirs[j]) or []
        matched_mine, matched_theirs = {i for i, _ in pairs}, {j for _, j in pairs}
        mine = [layer for i, layer in enumerate(layers) if i not in matched_mine]
        others = [entry for j, entry in enumerate(theirs) if j not in matched_theirs]
        kind, arrays = _preserving(taken[group], mine, others)
        if arrays:
            outcome.preserving[kind] = outcome.preserving.get(kind, 0) + len(mine)
            outcome.assignments += arrays
    return outcome


def _common(layers: list[Any], theirs: list[Saved]) -> list[tuple[int, int]]:
    """The longest common sequence of layers of the same class and shapes, as index pairs."""
    same = [[_same_shapes(layer, entry) is not None for entry in theirs] for layer in layers]
    n, m = len(layers), len(theirs)
    length = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            length[i][j] = length[i + 1][j + 1] + 1 if same[i][j] else max(length[i + 1][j], length[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if same[i][j] and length[i][j] == length[i + 1][j + 1] + 1:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif length[i + 1][j] >= length[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _same_shapes(layer: Any, entry: Saved) -> list[tuple[Any, Any]] | None:
    variables = own_variables(layer)
    if type(layer).__name__ != entry.kind or len(variables) != len(entry.variables):
        return None
    pairs = []
    for variable, (name, array) in zip(variables, entry.variables):
        if variable_name(variable) != name or tuple(variable.shape) != tuple(array.shape):
            return None
        pairs.append((variable, array))
    return pairs


def is_identity(label: str) -> bool:
    """Whether a candidate's label names an identity (`identity`, `skip`, `skip_connect`, with
    or without a call)."""
    return label.partition("(")[0].strip().lower() in IDENTITIES


def _preserving(before: str, layers: list[Any], theirs: list[Saved]) -> tuple[str, list[tuple[Any, Any]]]:
    if not layers:
        return "", []
    if is_identity(before) and not theirs:
        found: list[tuple[Any, Any]] = []
        for layer in layers:
            arrays = identity_start(layer)
            if arrays is None:
                return "", []
            found += arrays
        return "identity", found
    if len(theirs) != len(layers):
        return "", []
    found = []
    for layer, entry in zip(layers, theirs):
        arrays = _widened(layer, entry)
        if arrays is None:
            return "", []
        found += arrays
    return "wider kernel", found


def identity_start(layer: Any) -> list[tuple[Any, Any]] | None:
    """The values that make `layer` compute the identity, or None where it cannot."""
    import numpy as np

    kind = type(layer).__name__
    if kind not in IDENTITY_LAYERS or _activation(layer) not in ("linear", "relu"):
        return None
    shape = geometry(layer)
    if kind != "Dense" and (shape.get("padding") != "same" or any(s != 1 for s in _tuple(shape.get("strides", 1)))
                            or shape.get("groups", 1) != 1 or shape.get("depth_multiplier", 1) != 1):
        return None
    found = []
    for variable in own_variables(layer):
        name, dims = variable_name(variable), tuple(variable.shape)
        if name == "bias":
            found.append((variable, np.zeros(dims, dtype="float32")))
            continue
        if name not in KERNELS or len(dims) < 2 or any(k % 2 == 0 for k in dims[:-2]):
            return None
        rows, columns = dims[-2:]
        depthwise = name == "depthwise_kernel" or kind.startswith("Depthwise")
        if (depthwise and columns != 1) or (not depthwise and rows != columns):
            return None
        array = np.zeros(dims, dtype="float32")
        centre = tuple(k // 2 for k in dims[:-2])
        for i in range(rows):
            array[centre + (i, 0 if depthwise else i)] = 1.0
        found.append((variable, array))
    return found


def _widened(layer: Any, entry: Saved) -> list[tuple[Any, Any]] | None:
    import numpy as np

    variables = own_variables(layer)
    if type(layer).__name__ != entry.kind or len(variables) != len(entry.variables) or geometry(layer) != entry.geometry:
        return None
    if any(s != 1 for s in _tuple(entry.geometry.get("strides", 1))) or entry.geometry.get("padding", "same") != "same":
        return None
    found = []
    for variable, (name, array) in zip(variables, entry.variables):
        dims = tuple(variable.shape)
        if variable_name(variable) != name:
            return None
        if dims == tuple(array.shape):
            found.append((variable, array))
            continue
        grow = [b - a for a, b in zip(array.shape[:-2], dims[:-2])]
        if (name not in KERNELS or len(dims) != array.ndim or dims[-2:] != tuple(array.shape[-2:])
                or any(g < 0 or g % 2 for g in grow)):
            return None
        pad = [(g // 2, g // 2) for g in grow] + [(0, 0), (0, 0)]
        found.append((variable, np.pad(array, pad)))
    return found


def _activation(layer: Any) -> str:
    function = getattr(layer, "activation", None)
    return "linear" if function is None else str(getattr(function, "__name__", function))


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)

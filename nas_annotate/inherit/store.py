"""A trial's weights by place: one `.npz` file beside its log, written at once (a temporary file,
renamed), read with `allow_pickle=False`.

The file holds one array per variable (`a0`, `a1`, ...) and `manifest`, a JSON document: `layers`,
one entry per layer that owns variables (its place, its class, the parts of its configuration
that decide whether a kernel can be widened: `strides`, `padding`, `dilation_rate`, ...; its
variables' names, `kernel`, `bias`, `moving_mean`, ..., with their arrays' names), and `calls`,
every call of a mutable layer with the candidate it took (weightless candidates included).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from .record import Call, Place, own_variables

SUFFIX = ".weights.npz"
GEOMETRY = ("strides", "padding", "dilation_rate", "groups", "data_format", "depth_multiplier")


@dataclass
class Saved:
    """One layer of a saved trial: where it was made, its class, its geometry, its variables."""

    place: Place
    kind: str
    geometry: dict[str, Any]
    variables: list[tuple[str, Any]]  # (name, numpy array)


def geometry(layer: Any) -> dict[str, Any]:
    """The parts of a layer's configuration that say how its kernel meets its input."""
    try:
        config = layer.get_config()
    except Exception:  # noqa: BLE001  (a layer without a config has no geometry to compare)
        return {}
    found = {}
    for name in GEOMETRY:
        value = config.get(name)
        if isinstance(value, (list, tuple)):
            value = list(value)
        if isinstance(value, (str, int, float, list)):
            found[name] = value
    return found


def variable_name(variable: Any) -> str:
    return str(getattr(variable, "name", "")).rpartition("/")[2]


def save(path: str, layers: list[tuple[Place, Any]], calls: list[Call]) -> int:
    """Write the variables of `layers` (place, Keras layer) and the script's mutable layer
    `calls` to `path`; the bytes written."""
    import numpy as np
    from keras import ops

    from ..files import atomic_write

    arrays: dict[str, Any] = {}
    manifest = []
    for place, layer in layers:
        names = []
        for variable in own_variables(layer):
            label = f"a{len(arrays)}"
            arrays[label] = np.asarray(ops.convert_to_numpy(variable.value))
            names.append([variable_name(variable), label])
        manifest.append({"place": list(place), "class": type(layer).__name__, "geometry": geometry(layer), "variables": names})
    buffer = io.BytesIO()
    document = {"layers": manifest, "calls": [list(call) for call in calls]}
    np.savez(buffer, manifest=np.array(json.dumps(document)), **arrays)
    data = buffer.getvalue()
    atomic_write(path, data)
    return len(data)


def load(path: str) -> tuple[list[Saved], list[Call]]:
    """The layers and calls saved at `path` (OSError or ValueError when it cannot be read)."""
    import numpy as np

    with np.load(path, allow_pickle=False) as found:
        document = json.loads(str(found["manifest"]))
        layers = [
            Saved(Place(*entry["place"]), entry["class"], entry["geometry"],
                  [(name, found[label]) for name, label in entry["variables"]])
            for entry in document["layers"]
        ]
    return layers, [Call(*call) for call in document["calls"]]

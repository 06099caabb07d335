"""Emitting the search space document (docs/language.md, "The search space document"): ours as JSON or YAML, and NNI's format."""

from __future__ import annotations

import json
from typing import Any

from .choice import NNI_LAYER
from .model import Hyperparameter
from .pipeline import Analysis


def _param(param: Hyperparameter) -> dict[str, Any]:
    """NNI's entry of a variable or function choice: `{"_type": ..., "_value": [...]}`."""
    return {"_type": param.dist, "_value": param.values}


def search_space(analyses: list[Analysis]) -> dict[str, Any]:
    """One entry per mutable layer and hyperparameter, in source order, across files."""
    space: dict[str, Any] = {}
    for analysis in analyses:
        for param in analysis.params:
            space[param.key] = {**_param(param), "_source": {"file": analysis.source.path, "line": param.pos.line}}
        for layer in analysis.layers:
            space[layer.key] = {
                "_type": "mutable_layer",
                "_value": {
                    "layer_choice": layer.choice_labels,
                    "fixed_inputs": [e.label for e in layer.fixed_inputs],
                    "input_candidates": layer.input_labels,
                    "input_num": list(layer.input_num),
                    "input_aggregate": layer.input_aggregate.label if layer.input_aggregate else None,
                    "post_process": layer.post_process.label if layer.post_process else None,
                    "layer_output": layer.layer_output.label,
                },
                "_source": {"file": analysis.source.path, "line": layer.pos.line},
            }
    return _in_source_order(space, analyses)


def _in_source_order(space: dict[str, Any], analyses: list[Analysis]) -> dict[str, Any]:
    """`space` ordered by file, then by position, when a file has hyperparameters beside its layers."""
    if not any(analysis.params for analysis in analyses):
        return space
    order = {}
    for i, analysis in enumerate(analyses):
        for item in (*analysis.layers, *analysis.params):
            order[item.key] = (i, item.pos.line, item.pos.col)
    return dict(sorted(space.items(), key=lambda entry: order[entry[0]]))


def nni_search_space(analyses: list[Analysis]) -> dict[str, Any]:
    """NNI's annotation search space: one `mutable_layer` block per layer, holding one layer,
    and NNI's entry of each hyperparameter."""
    space: dict[str, Any] = {}
    for analysis in analyses:
        for param in analysis.params:
            space[param.key] = _param(param)
        for layer in analysis.layers:
            lo, hi = layer.input_num
            space[layer.key] = {
                "_type": "mutable_layer",
                "_value": {
                    NNI_LAYER: {
                        "layer_choice": layer.choice_labels,
                        "optional_inputs": layer.input_labels,
                        "optional_input_size": lo if lo == hi else [lo, hi],
                    }
                },
            }
    return _in_source_order(space, analyses)


def nni_flat_search_space(analyses: list[Analysis]) -> dict[str, Any]:
    """NNI's annotation space flattened for its HPO tuners, as NNI's `convert_nas_search_space`
    flattens it (NNI 3 tuners take only this): per layer, `_mutable_layer/<key>/layer/`
    `layer_choice` (choice), `optional_input_size` (randint) and `optional_input_chosen_state`
    (randint), which `expand`, `run` and `search` decode as NNI does."""
    flat: dict[str, Any] = {}
    for key, entry in nni_search_space(analyses).items():
        if entry["_type"] != "mutable_layer":
            flat[key] = entry
            continue
        layer = entry["_value"][NNI_LAYER]
        size = layer["optional_input_size"]
        lo, hi = ([size, size] if isinstance(size, int) else size) if size else [0, 0]
        states = len(layer["optional_inputs"]) ** hi if layer["optional_inputs"] else 1
        prefix = f"_mutable_layer/{key}/{NNI_LAYER}/"
        flat[prefix + "layer_choice"] = {"_type": "choice", "_value": layer["layer_choice"]}
        flat[prefix + "optional_input_size"] = {"_type": "randint", "_value": [lo, hi + 1]}
        flat[prefix + "optional_input_chosen_state"] = {"_type": "randint", "_value": [0, states]}
    return flat


_encode = json.JSONEncoder(ensure_ascii=False).encode


def to_json(value: Any, pad: str = "") -> str:
    """JSON with mappings indented and everything else (lists of labels, scalars) on one line:
    the shape of our documents, whose lists hold no mappings."""
    if type(value) is not dict or not value:
        return _encode(value)
    inner = pad + "  "
    items = [f"{inner}{_encode(k)}: {to_json(v, inner) if type(v) is dict else _encode(v)}" for k, v in value.items()]
    return "{\n" + ",\n".join(items) + "\n" + pad + "}"


def render(analyses: list[Analysis], fmt: str) -> str:
    """The document in `fmt` (json, yaml, nni or nni-flat), as text ending with a newline."""
    if fmt == "nni":
        return to_json(nni_search_space(analyses)) + "\n"
    if fmt == "nni-flat":
        return to_json(nni_flat_search_space(analyses)) + "\n"
    space = search_space(analyses)
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(space, sort_keys=False, allow_unicode=True, width=1000)
    return to_json(space) + "\n"

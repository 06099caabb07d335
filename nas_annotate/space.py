"""Emitting the search space document (SPEC §6): ours as JSON or YAML, and NNI's format."""

from __future__ import annotations

import json
from typing import Any

from .choice import NNI_LAYER
from .pipeline import Analysis

FORMATS = ("json", "yaml", "nni")


def search_space(analyses: list[Analysis]) -> dict[str, Any]:
    """One entry per mutable layer, in source order, across files."""
    space: dict[str, Any] = {}
    for analysis in analyses:
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
    return space


def nni_search_space(analyses: list[Analysis]) -> dict[str, Any]:
    """NNI's annotation search space: one `mutable_layer` block per layer, holding one layer."""
    space: dict[str, Any] = {}
    for analysis in analyses:
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
    return space


def to_json(value: Any, indent: int = 0) -> str:
    """JSON with nested mappings indented and lists of scalars kept on one line."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict) and value:
        items = (f"{inner}{json.dumps(k, ensure_ascii=False)}: {to_json(v, indent + 2)}" for k, v in value.items())
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + to_json(v, indent + 2) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def render(analyses: list[Analysis], fmt: str) -> str:
    """The document in `fmt` (json, yaml or nni), as text ending with a newline."""
    if fmt == "nni":
        return to_json(nni_search_space(analyses)) + "\n"
    space = search_space(analyses)
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(space, sort_keys=False, allow_unicode=True, width=1000)
    return to_json(space) + "\n"

"""Emitting the search space document (SPEC §6): ours as JSON or YAML, and NNI's format."""

from __future__ import annotations

import json
import re
from typing import Any

from .choice import NNI_LAYER
from .pipeline import Analysis

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


def to_json(value: Any) -> str:
    """JSON with nested mappings indented and lists of scalars kept on one line."""
    flat: list[str] = []

    def mark(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: mark(v) for k, v in node.items()}
        if isinstance(node, list):
            if any(isinstance(v, (dict, list)) for v in node):
                return [mark(v) for v in node]
            flat.append(json.dumps(node, ensure_ascii=False))
            return f"\0{len(flat) - 1}"
        return node

    text = json.dumps(mark(value), indent=2, ensure_ascii=False)
    return re.sub(r'"\\u0000(\d+)"', lambda m: flat[int(m.group(1))], text)


def render(analyses: list[Analysis], fmt: str) -> str:
    """The document in `fmt` (json, yaml or nni), as text ending with a newline."""
    if fmt == "nni":
        return to_json(nni_search_space(analyses)) + "\n"
    space = search_space(analyses)
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(space, sort_keys=False, allow_unicode=True, width=1000)
    return to_json(space) + "\n"

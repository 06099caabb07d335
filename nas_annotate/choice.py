"""Choice documents (SPEC §7): reading them, and resolving them into one decision per layer.

A choice is data: its strings are matched against labels and its numbers checked against
ranges; nothing from it is ever evaluated or pasted into code.  Three forms are accepted:
ours (`{key: {layer, inputs}}`), NNI's nested form (`{block: {layer: {chosen_layer,
chosen_inputs}}}`) and the flat form NNI's `convert_nas_search_space` gives HPO tuners.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from typing import Any

from .codegen import Decision
from .diagnostics import CompileError, Diagnostic
from .model import MutableLayer
from .validate import canonical as _canonical

FLAT_PREFIX = "_mutable_layer/"
NNI_LAYER = "layer"
_FLAT_FIELDS = ("layer_choice", "optional_input_size", "optional_input_chosen_state")
_MAX_LABEL = 2000


@dataclass(frozen=True)
class ChoiceDocument:
    """A parsed choice document and the text it came from (for error positions)."""

    path: str
    text: str
    data: dict[str, Any]

    def diagnostic(self, key: str | None, message: str) -> Diagnostic:
        line, col = self.position(key)
        lines = self.text.splitlines()
        shown = lines[line - 1] if 0 < line <= len(lines) else None
        return Diagnostic(self.path, line, col, message, shown)

    def position(self, key: str | None) -> tuple[int, int]:
        """Where `key` is written in the document (1-based), or (0, 0) when it cannot be found."""
        if key is None:
            return 0, 0
        for needle in (json.dumps(key), repr(key), key):
            at = self.text.find(needle)
            if at >= 0:
                line = self.text.count("\n", 0, at) + 1
                return line, at - (self.text.rfind("\n", 0, at) + 1) + 1
        return 0, 0


def parse_choice(text: str, path: str) -> ChoiceDocument:
    """Parse a JSON or YAML choice document; syntax errors become diagnostics."""
    try:
        data = json.loads(text)
    except ValueError as json_error:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
            problem = getattr(exc, "problem", None) or str(exc)
            if text.lstrip().startswith("{"):
                line, col, problem = json_error.lineno, json_error.colno, json_error.msg  # type: ignore[attr-defined]
            shown = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else None
            raise CompileError([Diagnostic(path, line, col, f"invalid choice document: {problem}", shown)]) from None
        except RecursionError:
            raise CompileError([Diagnostic(path, 0, 0, "invalid choice document: nested too deeply")]) from None
    except RecursionError:
        raise CompileError([Diagnostic(path, 0, 0, "invalid choice document: nested too deeply")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise CompileError([Diagnostic(path, 1, 1, "a choice document must map layer keys to choices")])
    return ChoiceDocument(path, text, data)


def load_choice(spec: str) -> ChoiceDocument:
    """A choice given as a file path, or inline as a JSON/YAML document."""
    stripped = spec.lstrip()
    if stripped.startswith("{") or "\n" in spec:
        return parse_choice(spec, "<choice>")
    try:
        with open(spec, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CompileError([Diagnostic(spec, 0, 0, f"cannot read the choice document: {reason}")]) from None
    return parse_choice(text, os.fspath(spec))


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_index(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pick(value: object, labels: list[str], what: str) -> int | str:
    """The index `value` designates among `labels`, or an error message."""
    if isinstance(value, dict) and "_value" in value:
        value = value["_value"]
    if _is_index(value):
        if 0 <= value < len(labels):  # type: ignore[operator]
            return value  # type: ignore[return-value]
        return f"{what} index {_show(value)} is out of range 0..{len(labels) - 1}"
    if isinstance(value, str):
        if value in labels:
            return labels.index(value)
        canonical = _canonical(value) if len(value) <= _MAX_LABEL else None
        if canonical is not None and canonical in labels:
            return labels.index(canonical)
        allowed = ", ".join(repr(label) for label in labels)
        return f"{what} {_show(value)} names none of {allowed} (or an index 0..{len(labels) - 1})"
    return f"{what} must be a label or an index, not {_show(value)}"


def _decide(layer: MutableLayer, chosen_layer: object, chosen_inputs: object, repeats: bool) -> Decision | str:
    if chosen_layer is None and len(layer.layer_choice) == 1:
        chosen_layer = 0
    if chosen_layer is None:
        return "no 'layer' given; allowed: " + ", ".join(repr(label) for label in layer.choice_labels)
    index = _pick(chosen_layer, layer.choice_labels, "layer")
    if isinstance(index, str):
        return index
    if chosen_inputs is None:
        chosen_inputs = []
    if not isinstance(chosen_inputs, list):
        return f"inputs must be a list of labels or indices, not {_show(chosen_inputs)}"
    inputs: list[int] = []
    for item in chosen_inputs:
        picked = _pick(item, layer.input_labels, "input") if layer.input_labels else "there are no input candidates to choose"
        if isinstance(picked, str):
            return picked
        if picked in inputs and not repeats:
            return f"input {layer.input_labels[picked]!r} is chosen twice"
        inputs.append(picked)
    lo, hi = layer.input_num
    if not lo <= len(inputs) <= hi:
        allowed = f"{lo}" if lo == hi else f"{lo} to {hi}"
        return f"{len(inputs)} input(s) chosen; input_num allows {allowed} of " + (
            ", ".join(repr(label) for label in layer.input_labels) or "none"
        )
    return Decision(index, tuple(inputs))


def _flat_inputs(layer: MutableLayer, size: object, state: object) -> list[str] | str:
    """NNI's decoding of `optional_input_size` and `optional_input_chosen_state` (repeats allowed)."""
    try:
        count, number = int(size), int(state)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return f"optional_input_size and optional_input_chosen_state must be integers, not {_show(size)}, {_show(state)}"
    labels = sorted(layer.input_labels)
    if count and not labels:
        return "there are no input candidates to choose"
    if count < 0 or count > len(labels) or number < 0:
        return f"optional_input_size {count} or state {number} is out of range"
    chosen = []
    for _ in range(count):
        chosen.append(labels[number % len(labels)])
        number //= len(labels)
    return chosen


def resolve(document: ChoiceDocument, module: str, layers: list[MutableLayer]) -> dict[str, Decision]:
    """One decision per layer of `module`; every problem of the document at once."""
    by_key = {layer.key: layer for layer in layers}
    problems: list[Diagnostic] = []
    entries: dict[str, tuple[object, object, bool, str]] = {}
    flat: dict[str, dict[str, object]] = {}
    for key, value in document.data.items():
        if key.startswith(FLAT_PREFIX):
            rest, _, field = key[len(FLAT_PREFIX) :].rpartition("/")
            block = rest.rpartition("/")[0]
            if block.partition("/")[0] != module:
                continue
            if block not in by_key or field not in _FLAT_FIELDS:
                problems.append(document.diagnostic(key, _unknown(key, block, module, by_key)))
                continue
            flat.setdefault(block, {})[field] = value
            continue
        if key.partition("/")[0] != module or "/" not in key:
            continue
        if key not in by_key:
            problems.append(document.diagnostic(key, _unknown(key, key, module, by_key)))
            continue
        if not isinstance(value, dict):
            problems.append(document.diagnostic(key, f"{key}: expected a mapping such as {{\"layer\": ..., \"inputs\": [...]}}, not {_show(value)}"))
            continue
        nested = [v for v in value.values() if isinstance(v, dict) and ("chosen_layer" in v or "chosen_inputs" in v)]
        if nested and len(value) == 1:
            entry = nested[0]
            unknown = set(entry) - {"chosen_layer", "chosen_inputs"}
            entries[key] = (entry.get("chosen_layer"), entry.get("chosen_inputs"), False, ", ".join(sorted(unknown)))
        else:
            unknown = set(value) - {"layer", "inputs"}
            entries[key] = (value.get("layer"), value.get("inputs"), False, ", ".join(sorted(map(str, unknown))))
    for block, fields in flat.items():
        layer = by_key[block]
        missing = [f for f in _FLAT_FIELDS if f not in fields and (f == "layer_choice" or layer.input_labels)]
        if missing:
            problems.append(document.diagnostic(None, f"{block}: the flat form lacks {', '.join(missing)}"))
            continue
        inputs = _flat_inputs(layer, fields.get("optional_input_size", 0), fields.get("optional_input_chosen_state", 0))
        if isinstance(inputs, str):
            problems.append(document.diagnostic(FLAT_PREFIX + block, f"{block}: {inputs}"))
            continue
        entries[block] = (fields["layer_choice"], inputs, True, "")
    decisions: dict[str, Decision] = {}
    for layer in layers:
        if layer.key not in entries:
            inputs = ", ".join(repr(label) for label in layer.input_labels)
            lo, hi = layer.input_num
            need = f"; inputs: {lo if lo == hi else f'{lo} to {hi}'} of {inputs}" if inputs else ""
            problems.append(
                document.diagnostic(
                    None,
                    f"no choice for '{layer.key}' (layer: one of "
                    + ", ".join(repr(label) for label in layer.choice_labels)
                    + need
                    + ")",
                )
            )
            continue
        chosen_layer, chosen_inputs, repeats, unknown = entries[layer.key]
        if unknown:
            problems.append(document.diagnostic(layer.key, f"{layer.key}: unknown field(s) {unknown}; a choice has 'layer' and 'inputs'"))
            continue
        decision = _decide(layer, chosen_layer, chosen_inputs, repeats)
        if isinstance(decision, str):
            problems.append(document.diagnostic(layer.key, f"{layer.key}: {decision}"))
        else:
            decisions[layer.key] = decision
    if problems:
        raise CompileError(problems)
    return decisions


def _unknown(key: str, block: str, module: str, by_key: dict[str, MutableLayer]) -> str:
    close = difflib.get_close_matches(block, list(by_key), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else (f"; its layers are {', '.join(by_key)}" if by_key else "")
    return f"'{key}' names no layer of module '{module}'{hint}"

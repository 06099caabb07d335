"""Choice documents (docs/language.md, "The choice document"): reading them, and resolving them into one decision per layer
and per hyperparameter.

A choice is data: its strings are matched against labels and its numbers checked against
ranges; nothing from it is ever evaluated or pasted into code.  Three forms are accepted for
layers: ours (`{key: {layer, inputs}}`), NNI's nested form (`{block: {layer: {chosen_layer,
chosen_inputs}}}`) and the flat form NNI's `convert_nas_search_space` gives HPO tuners.  A
hyperparameter's entry is its value (`{key: 0.01}`), under our key or NNI's
(`<module>/<name>/<distribution>`).
"""

from __future__ import annotations

import json
import math
import os
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence

from .diagnostics import CompileError, Diagnostic
from .model import canonical

if TYPE_CHECKING:
    from .model import Hyperparameter, MutableLayer

FLAT_PREFIX = "_mutable_layer/"
NNI_LAYER = "layer"
_FLAT_FIELDS = ("layer_choice", "optional_input_size", "optional_input_chosen_state")
_MAX_LABEL = 2000

# NNI's distributions and their parameters (randint also takes NNI 1.x's `randint(upper)`)
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "choice": (),
    "randint": ("lower", "upper"),
    "uniform": ("low", "high"),
    "quniform": ("low", "high", "q"),
    "loguniform": ("low", "high"),
    "qloguniform": ("low", "high", "q"),
    "normal": ("mu", "sigma"),
    "qnormal": ("mu", "sigma", "q"),
    "lognormal": ("mu", "sigma"),
    "qlognormal": ("mu", "sigma", "q"),
}
FUNCTION_CHOICE = "function_choice"
BOUNDED = ("uniform", "quniform", "loguniform", "qloguniform")


class Decision(NamedTuple):
    """The choice for one layer: the candidate's index and the chosen inputs' indices, in order."""

    layer: int
    inputs: tuple[int, ...]


class ChoiceDocument(NamedTuple):
    """A parsed choice document and the text it came from (for error positions)."""

    path: str
    text: str
    data: dict[str, Any]

    def diagnostic(self, key: str | None, message: str, nth: int = 0) -> Diagnostic:
        line, col = self.position(key, nth)
        lines = self.text.splitlines()
        shown = lines[line - 1] if 0 < line <= len(lines) else None
        return Diagnostic(self.path, line, col, message, shown)

    def position(self, key: str | None, nth: int = 0) -> tuple[int, int]:
        """Where `key` is written (the `nth` time) in the document (1-based), or (0, 0)."""
        if key is None:
            return 0, 0
        import re

        for needle in (json.dumps(key), repr(key), key):
            matches = list(re.finditer(r"(?<![\w./-])" + re.escape(needle) + r"(?![\w./-])\s*:", self.text))
            if len(matches) > nth:
                at = matches[nth].start()
                line = self.text.count("\n", 0, at) + 1
                return line, at - (self.text.rfind("\n", 0, at) + 1) + 1
        return 0, 0


class _Repeated(ValueError):
    """A mapping of the document gives one key twice."""

    def __init__(self, key: object) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _Repeated(key)
        mapping[key] = value
    return mapping


def _load_yaml(text: str) -> Any:
    """`yaml.safe_load`, except that a mapping giving one key twice is an error."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, (str, int, float, bool)):
                    continue  # an unhashable key is the base class's error to report
                if key in seen:
                    raise _Repeated(key)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def _repeated(path: str, text: str, key: object) -> Diagnostic:
    """A key given twice in one mapping: a layer chosen twice, or a field given twice."""
    what = "chosen" if isinstance(key, str) and "/" in key else "given"
    return ChoiceDocument(path, text, {}).diagnostic(str(key), f"'{key}' is {what} twice", nth=1)


def parse_choice(text: str, path: str) -> ChoiceDocument:
    """Parse a JSON or YAML choice document; syntax errors become diagnostics."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_pairs)
    except _Repeated as exc:
        raise CompileError([_repeated(path, text, exc.key)]) from None
    except ValueError as json_error:
        import yaml

        try:
            data = _load_yaml(text)
        except _Repeated as exc:
            raise CompileError([_repeated(path, text, exc.key)]) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
            problem = getattr(exc, "problem", None) or str(exc)
            if text.lstrip().startswith("{") and isinstance(json_error, json.JSONDecodeError):
                line, col, problem = json_error.lineno, json_error.colno, json_error.msg  # type: ignore[attr-defined]
            shown = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else None
            raise CompileError([Diagnostic(path, line, col, f"invalid choice document: {problem}", shown)]) from None
        except RecursionError:
            raise CompileError([Diagnostic(path, 0, 0, "invalid choice document: nested too deeply")]) from None
        except (ValueError, OverflowError) as exc:
            # a scalar that YAML's own constructors cannot build: a date such as 2020-13-45, or
            # an integer of more digits than Python converts (JSON gave up on it first)
            problem = str(exc).partition(";")[0]
            raise CompileError([Diagnostic(path, 0, 0, f"invalid choice document: {problem}")]) from None
    except RecursionError:
        raise CompileError([Diagnostic(path, 0, 0, "invalid choice document: nested too deeply")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise CompileError([Diagnostic(path, 1, 1, "a choice document must map layer keys to choices")])
    return ChoiceDocument(path, text, data)


def load_choice(spec: str, origin: str = "<choice>") -> ChoiceDocument:
    """A choice given as a file path, or inline as a JSON/YAML document (named `origin` in messages)."""
    stripped = spec.lstrip()
    if not stripped:
        raise CompileError([Diagnostic(origin, 0, 0, "the choice is empty: give a file or an inline document")])
    if stripped.startswith("{") or "\n" in spec:
        return parse_choice(spec, origin)
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
        spelling = canonical(value) if len(value) <= _MAX_LABEL else None
        if spelling is not None and spelling in labels:
            return labels.index(spelling)
        allowed = ", ".join(repr(label) for label in labels)
        return f"{what} {_show(value)} names none of {allowed} (or an index 0..{len(labels) - 1})"
    return f"{what} must be a label or an index, not {_show(value)}"


class Shape(NamedTuple):
    """What a choice is checked against: a layer's key, labels and input range."""

    key: str
    choice_labels: tuple[str, ...]
    input_labels: tuple[str, ...]
    input_num: tuple[int, int]

    @classmethod
    def of(cls, layer: MutableLayer) -> Shape:
        return cls(layer.key, tuple(layer.choice_labels), tuple(layer.input_labels), layer.input_num)

    def describe(self) -> str:
        """What a choice for this layer may be, for error messages."""
        text = "layer: one of " + ", ".join(repr(label) for label in self.choice_labels)
        if self.input_labels:
            lo, hi = self.input_num
            count = f"{lo}" if lo == hi else f"{lo} to {hi}"
            text += f"; inputs: {count} of " + ", ".join(repr(label) for label in self.input_labels)
        return text


class Entry(NamedTuple):
    """A document's raw choice for one key, in whichever form it was written; `value` is the
    document's value for the key itself (None in the flat form), `scalar` says it is not a mapping."""

    layer: object
    inputs: object
    unknown: str = ""
    flat: dict[str, object] | None = None
    value: object = None
    scalar: bool = False


def entries(document: ChoiceDocument, module: str) -> tuple[dict[str, Entry], dict[str, tuple[str, str]]]:
    """The entries of `document` for `module` (other modules' keys are left alone), and the
    malformed ones: layer key -> (document key to point at, message)."""
    found: dict[str, Entry] = {}
    malformed: dict[str, tuple[str, str]] = {}
    for key, value in document.data.items():
        if key.startswith(FLAT_PREFIX):
            rest, _, field = key[len(FLAT_PREFIX) :].rpartition("/")
            block = rest.rpartition("/")[0]
            if block.partition("/")[0] != module or block in malformed:
                continue
            if field not in _FLAT_FIELDS:
                malformed[block] = (key, f"'{key}': the flat form has only {', '.join(_FLAT_FIELDS)}")
                continue
            entry = found.get(block) or Entry(None, None, flat={})
            if entry.flat is None:
                malformed[block] = (key, f"'{block}' is chosen twice, in two forms")
                continue
            entry.flat[field] = value
            found[block] = entry
        elif "/" in key and key.partition("/")[0] == module:
            if key in found:
                malformed[key] = (key, f"'{key}' is chosen twice, in two forms")
                continue
            if not isinstance(value, dict):
                found[key] = Entry(None, None, value=value, scalar=True)
                continue
            inner = next(iter(value.values()), None) if len(value) == 1 else None
            if isinstance(inner, dict) and ("chosen_layer" in inner or "chosen_inputs" in inner):
                unknown = ", ".join(sorted(map(str, set(inner) - {"chosen_layer", "chosen_inputs"})))
                found[key] = Entry(inner.get("chosen_layer"), inner.get("chosen_inputs"), unknown, value=value)
            else:
                unknown = ", ".join(sorted(map(str, set(value) - {"layer", "inputs"})))
                found[key] = Entry(value.get("layer"), value.get("inputs"), unknown, value=value)
    for key in malformed:
        found.pop(key, None)
    return found, malformed


def decide(shape: Shape, entry: Entry) -> Decision | str:
    """The decision `entry` makes for the layer of `shape`, or what is wrong with it."""
    if entry.scalar:
        return f"expected a mapping such as {{\"layer\": ..., \"inputs\": [...]}}, not {_show(entry.value)}"
    if entry.unknown:
        return f"unknown field(s) {entry.unknown}; a choice has 'layer' and 'inputs'"
    repeats = entry.flat is not None
    chosen_layer, chosen_inputs = entry.layer, entry.inputs
    if entry.flat is not None:
        missing = [f for f in _FLAT_FIELDS if f not in entry.flat and (f == "layer_choice" or shape.input_labels)]
        if missing:
            return "the flat form lacks " + ", ".join(missing)
        chosen_layer = entry.flat["layer_choice"]
        chosen_inputs = _flat_inputs(shape, entry.flat.get("optional_input_size", 0), entry.flat.get("optional_input_chosen_state", 0))
        if isinstance(chosen_inputs, str):
            return chosen_inputs
    if chosen_layer is None and len(shape.choice_labels) == 1:
        chosen_layer = 0
    if chosen_layer is None:
        return "no 'layer' given; allowed: " + ", ".join(repr(label) for label in shape.choice_labels)
    index = _pick(chosen_layer, list(shape.choice_labels), "layer")
    if isinstance(index, str):
        return index
    if chosen_inputs is None:
        chosen_inputs = []
    if not isinstance(chosen_inputs, list):
        return f"inputs must be a list of labels or indices, not {_show(chosen_inputs)}"
    inputs: list[int] = []
    for item in chosen_inputs:
        if not shape.input_labels:
            return "there are no input candidates to choose"
        picked = _pick(item, list(shape.input_labels), "input")
        if isinstance(picked, str):
            return picked
        if picked in inputs and not repeats:
            return f"input {shape.input_labels[picked]!r} is chosen twice"
        inputs.append(picked)
    lo, hi = shape.input_num
    if not lo <= len(inputs) <= hi:
        allowed = f"{lo}" if lo == hi else f"{lo} to {hi}"
        return f"{len(inputs)} input(s) chosen; input_num allows {allowed} of " + (
            ", ".join(repr(label) for label in shape.input_labels) or "none"
        )
    return Decision(index, tuple(inputs))


def _flat_inputs(shape: Shape, size: object, state: object) -> list[str] | str:
    """NNI's decoding of `optional_input_size` and `optional_input_chosen_state` (repeats allowed)."""
    try:
        count, number = int(size), int(state)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return f"optional_input_size and optional_input_chosen_state must be integers, not {_show(size)}, {_show(state)}"
    labels = sorted(shape.input_labels)
    if count and not labels:
        return "there are no input candidates to choose"
    if count < 0 or count > len(labels) or number < 0:
        return f"optional_input_size {count} or optional_input_chosen_state {number} is out of range"
    chosen = []
    for _ in range(count):
        chosen.append(labels[number % len(labels)])
        number //= len(labels)
    return chosen


def _flat_key(document: ChoiceDocument, key: str) -> str | None:
    """The first flat-form key of the document that chooses for the layer `key`."""
    return next((k for k in document.data if k.startswith(FLAT_PREFIX + key + "/")), None)


def is_nni_key(key: str) -> bool:
    """Whether `key` is spelt as NNI keys hyperparameters: `<module>/<name>/<distribution>`."""
    head, _, dist = key.rpartition("/")
    return "/" in head and (dist in DISTRIBUTIONS or dist == FUNCTION_CHOICE)


def unknown_key(key: str, module: str, known: list[str]) -> str:
    """The message for a key of `module` that names none of its layers and hyperparameters
    (`known` holds their keys, and NNI's keys of the hyperparameters)."""
    import difflib

    close = difflib.get_close_matches(key, [k for k in known if is_nni_key(k) == is_nni_key(key)], n=1)
    hyper = any(map(is_nni_key, known))
    shown = [k for k in known if not is_nni_key(k)]
    listing = f"; its {'keys' if hyper else 'layers'} are {', '.join(shown)}" if shown else ""
    hint = f"; did you mean '{close[0]}'?" if close else listing
    return f"'{key}' names no {'layer or hyperparameter' if hyper else 'layer'} of module '{module}'{hint}"


class Param(NamedTuple):
    """What a hyperparameter's choice is checked against: its key, its distribution
    ('function_choice' for a function choice), its numbers or its options' labels, NNI's key."""

    key: str
    dist: str
    args: tuple[Any, ...]
    alias: str = ""

    @classmethod
    def of(cls, param: Hyperparameter) -> Param:
        dist = FUNCTION_CHOICE if param.kind == FUNCTION_CHOICE else param.dist
        return cls(param.key, dist, param.labels if param.options else param.args, param.alias)

    @property
    def chooses(self) -> bool:
        """Whether a choice picks an option (an index) rather than giving a number."""
        return self.dist in ("choice", FUNCTION_CHOICE)

    def describe(self) -> str:
        """What a choice for this hyperparameter may be, for error messages."""
        args = self.args
        if self.chooses:
            return "one of " + ", ".join(map(repr, args)) + f" (or an index 0..{len(args) - 1})"
        if self.dist == "randint":
            return f"an integer in [{args[0]}, {args[1]})"
        grid = f" on the grid of q={args[2]!r}" if self.dist.startswith("q") else ""
        if self.dist in BOUNDED:
            return f"a number in [{args[0]!r}, {args[1]!r}]{grid}"
        kind = {"lognormal": "a positive number", "qlognormal": "a number >= 0"}.get(self.dist, "a finite number")
        return kind + grid


def quantise(dist: str, args: tuple[Any, ...], value: float) -> float:
    """NNI's q-rounding: `clip(round(value / q) * q, low, high)`, unclipped for the normals."""
    q = args[2]
    rounded = round(value / q) * q
    if dist in BOUNDED:
        rounded = min(max(rounded, args[0]), args[1])
    return rounded


def decide_param(param: Param, value: object) -> int | float | str:
    """What `value` chooses for `param`: the option's index for a choice, the number (an int for
    randint, else a float) for a distribution; a str says what is wrong with it."""
    wrong = f"expected {param.describe()}, not {_show(value)}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return wrong
    if param.chooses:
        for i, label in enumerate(param.args):
            if isinstance(label, str) == isinstance(value, str) and label == value:
                return i
        if isinstance(value, str) and len(value) <= _MAX_LABEL:
            spelling = canonical(value)  # NNI spells a signed number option as text: "(-1)"
            for i, label in enumerate(param.args):
                if (label if isinstance(label, str) else repr(label)) == spelling:
                    return i
        if _is_index(value) and 0 <= value < len(param.args):  # type: ignore[operator]
            return value  # type: ignore[return-value]
        return wrong
    if isinstance(value, str):
        return wrong
    try:
        return _decide_number(param, value, wrong)
    except OverflowError:  # an integer too large for a float, or a value off the grid's scale
        return wrong


def _decide_number(param: Param, value: int | float, wrong: str) -> int | float | str:
    if not math.isfinite(value):
        return wrong
    args = param.args
    if param.dist == "randint":
        return value if isinstance(value, int) and args[0] <= value < args[1] else wrong
    if param.dist in BOUNDED and not args[0] <= value <= args[1]:
        return wrong
    if (param.dist == "lognormal" and value <= 0) or (param.dist == "qlognormal" and value < 0):
        return wrong
    if param.dist.startswith("q") and not math.isclose(quantise(param.dist, args, value), value, rel_tol=1e-9):
        return wrong
    return float(value)


def resolve(
    document: ChoiceDocument, module: str, layers: Sequence[MutableLayer], params: Sequence[Hyperparameter] = ()
) -> dict[str, Decision | int | float]:
    """One decision per layer and per hyperparameter of `module` (see `decide_param`); every
    problem of the document at once."""
    found, malformed = entries(document, module)
    problems = [document.diagnostic(where, message) for where, message in malformed.values()]
    known = [layer.key for layer in layers] + [p.key for p in params] + [p.alias for p in params]
    for key, entry in found.items():
        if key not in known:
            where = key if entry.flat is None else _flat_key(document, key)
            problems.append(document.diagnostic(where, unknown_key(key, module, known)))
    decisions: dict[str, Decision] = {}
    for layer in layers:
        shape = Shape.of(layer)
        if layer.key in malformed:
            continue
        if layer.key not in found:
            problems.append(document.diagnostic(None, f"no choice for '{layer.key}' ({shape.describe()})"))
            continue
        decision = decide(shape, found[layer.key])
        if isinstance(decision, str):
            where = layer.key if found[layer.key].flat is None else _flat_key(document, layer.key)
            problems.append(document.diagnostic(where, f"{layer.key}: {decision}"))
        else:
            decisions[layer.key] = decision
    for param in params:
        if param.key in malformed:
            continue
        where = param.key if param.key in found else param.alias
        shape = Param.of(param)
        if where not in found:
            problems.append(document.diagnostic(None, f"no choice for '{param.key}' ({shape.describe()})"))
            continue
        entry = found[where]
        made = decide_param(shape, entry.value if entry.flat is None else entry.flat)
        if isinstance(made, str):
            problems.append(document.diagnostic(where if entry.flat is None else _flat_key(document, where), f"{where}: {made}"))
        else:
            decisions[param.key] = made
    if problems:
        raise CompileError(problems)
    return decisions

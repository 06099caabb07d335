"""The run-time side of the choice-independent form: which candidate and inputs each layer
uses, and the value of each hyperparameter.

Expanded code calls `decide(key, labels, input_labels, lo, hi)` once per execution of a layer
and `done(key)` when the layer's output is made, `value(key, dist, args, alias)` for a variable and `index(key, labels, alias)` for a choice
among expressions or calls; the first call for a key resolves it, later calls reuse that
decision, so an annotation inside a function is one decision at every call.  The choice comes
from, in order: `set_choice(...)`, the `NAS_ANNOTATE_CHOICE` environment variable (a path, or an
inline JSON/YAML document), or NNI's `nni.get_next_parameter()` when the trial runs under NNI.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
from typing import Any, Sequence

from .choice import (
    ChoiceDocument,
    Entry,
    Param,
    Shape,
    decide as decide_entry,
    decide_param,
    entries,
    load_choice,
    parse_choice,
    quantise,
    unknown_key,
)
from .diagnostics import CompileError, RunError

ENV = "NAS_ANNOTATE_CHOICE"
SAMPLERS = ("first", "random")


class ChoiceError(RunError):
    """A layer's choice is missing or invalid; the message names the key and what is allowed."""


class _State:
    def __init__(self) -> None:
        self.document: ChoiceDocument | None = None
        self.sampler: str | None = None
        self.rng = random.Random()
        self.decisions: dict[str, Any] = {}
        self.shapes: dict[str, Shape | Param] = {}
        self.entries: dict[str, dict[str, Entry]] = {}
        self.registered: dict[str, list[str]] = {}
        self.resolved = False
        self.supernet: Any = None  # the supernet.Net of a one-shot search
        self.watcher: Any = None  # told where each layer's call begins and ends (inherit.Recorder)


_state = _State()


def set_choice(choice: str | dict[str, Any] | None = None, *, sample: str | None = None, seed: int | None = None) -> None:
    """Choose explicitly: a choice document (path, inline text or mapping), or a sampler.

    `sample="first"` takes each layer's first candidate and its first `lo` inputs, and each
    hyperparameter's first option, lower bound or mu; `sample="random"` draws each at random
    (seeded by `seed`). Earlier decisions are forgotten.
    """
    global _state
    _state = _State()
    if sample is not None:
        if sample not in SAMPLERS:
            raise ValueError(f"sample must be one of {', '.join(SAMPLERS)}, not {sample!r}")
        _state.sampler = sample
        _state.rng.seed(seed)
    if choice is not None:
        _state.document = _as_document(choice, "<choice>" if isinstance(choice, str) else "set_choice()")
    _state.resolved = choice is not None or sample is not None


def set_supernet(net: Any, choice: str | dict[str, Any] | None = None) -> None:
    """Register the supernet of a one-shot search (a `nas_annotate.supernet.Net`): modules now
    compile to the supernet form, whose layers ask `net.site(shape, where)` for their site.
    Hyperparameters take their value from `choice`, else their first option (or lower bound)."""
    set_choice(choice, sample="first")
    _state.supernet = net


def form() -> str:
    """The form modules compile to now: "supernet" while a one-shot search runs, else "runtime"."""
    return "runtime" if _state.supernet is None else "supernet"


def supernet(key: str, labels: tuple[str, ...], input_labels: tuple[str, ...], lo: int, hi: int) -> Any:
    """The supernet site of the layer `key` (code in the supernet form calls this)."""
    if _state.supernet is None:
        raise ChoiceError(f"{_where()}error: {key}: code in the supernet form runs only during a one-shot search")
    return _state.supernet.site(Shape(key, labels, input_labels, (lo, hi)), _where())


def reset() -> None:
    """Forget every choice and decision (the next layer looks for a choice again)."""
    global _state
    _state = _State()


def state() -> _State:
    """The choice and every decision so far, for a child process to `restore`."""
    return _state


def restore(saved: _State) -> None:
    """Continue from another process's `state()`: same choice, same decisions."""
    global _state
    _state = saved


def _as_document(choice: str | dict[str, Any] | ChoiceDocument, origin: str) -> ChoiceDocument:
    try:
        if isinstance(choice, ChoiceDocument):
            return choice
        if isinstance(choice, dict):
            return parse_choice(json.dumps(choice), origin)
        return load_choice(choice, origin)
    except CompileError as exc:
        raise ChoiceError(str(exc)) from None


def _find_choice() -> None:
    """Look for a choice once: the environment variable, then NNI."""
    _state.resolved = True
    spec = os.environ.get(ENV)
    if spec:
        _state.document = _as_document(spec, ENV)
        return
    from .reporting import nni_parameters

    parameters = nni_parameters()
    if parameters is not None:
        _state.document = _as_document(parameters, "NNI parameters")


def register(module: str, keys: Sequence[str]) -> None:
    """Called by the import hook before a module runs: a choice key of `module` naming none of
    its layers and hyperparameters (`keys`, with NNI's keys of the hyperparameters) is an error
    now rather than a silent no-op."""
    _state.registered[module] = list(keys)
    if not _state.resolved:
        _find_choice()
    if _state.document is None:
        return
    found = _entries_for(module)
    unknown = [key for key in found if key not in keys]
    if unknown:
        raise ChoiceError(
            "\n".join(f"{_state.document.path}: error: {unknown_key(key, module, list(keys))}" for key in unknown)
        )


def _entries_for(module: str) -> dict[str, Entry]:
    assert _state.document is not None
    if module not in _state.entries:
        found, malformed = entries(_state.document, module)
        if malformed:
            raise ChoiceError("\n".join(f"{_state.document.path}: error: {message}" for _, message in malformed.values()))
        _state.entries[module] = found
    return _state.entries[module]


def decide(
    key: str, labels: tuple[str, ...], input_labels: tuple[str, ...], lo: int, hi: int
) -> tuple[int, tuple[int, ...]]:
    """The (candidate index, chosen input indices) for the layer `key`; the same at every call."""
    decision = _state.decisions.get(key)
    if decision is not None:
        return _entered(key, decision)
    shape = Shape(key, labels, input_labels, (lo, hi))
    if not _state.resolved:
        _find_choice()
    if _state.document is not None:
        found = _entries_for(key.partition("/")[0])
        if key in found:
            made = decide_entry(shape, found[key])
            if isinstance(made, str):
                raise ChoiceError(f"{_where()}error: {key}: {made} (in the choice from {_state.document.path})")
            decision = (made.layer, made.inputs)
    if decision is None and _state.sampler is not None:
        decision = _sample(shape)
    if decision is None:
        raise _no_choice(key, shape.describe(), _where())
    _state.decisions[key] = decision
    _state.shapes[key] = shape
    return _entered(key, decision)


def _entered(key: str, decision: tuple[int, tuple[int, ...]]) -> tuple[int, tuple[int, ...]]:
    if _state.watcher is not None:
        _state.watcher.enter(key, _state.shapes[key].choice_labels[decision[0]])  # type: ignore[union-attr]
    return decision


def done(key: str) -> None:
    """The layer `key`'s output is made: the end of its call (what a watcher is told)."""
    if _state.watcher is not None:
        _state.watcher.leave(key)


def watch(watcher: Any) -> None:
    """Tell `watcher` (`enter(key, candidate label)`, `leave(key)`) where each layer's call
    begins and ends, until `watch(None)`."""
    _state.watcher = watcher


def _no_choice(key: str, allowed: str, where: str) -> ChoiceError:
    """The error for a layer or hyperparameter that nothing chooses."""
    origin = f"the choice ({_state.document.path}) has no entry for it" if _state.document else "no choice was given"
    return ChoiceError(
        f"{where}error: no choice for '{key}': {origin}. Allowed: {allowed}. "
        f"Give a choice with `nas-annotate run --choice FILE`, {ENV}, or nas_annotate.runtime.set_choice(); "
        "`--sample random` tries one at random"
    )


def training_update(validation_data: Any = None, unused: tuple[str, ...] = (), state: Any = None) -> None:
    """`@nni.training_update(...)` after a training step of the script's own loop: in the
    supernet form the one-shot strategy acts there (`Net.training_update`); in the run-time form a
    watcher that takes updates (`updated(state)`: a trial that inherits) is told; else nothing."""
    if _state.supernet is not None:
        _state.supernet.training_update(validation_data, unused, _where(), state)
    elif _state.watcher is not None and hasattr(_state.watcher, "updated"):
        _state.watcher.updated(state)


def get_next_parameter() -> dict[str, Any]:
    """`@nni.get_next_parameter()`: look for the choice now (as a layer would) and return it
    as a mapping, {} when there is none."""
    if not _state.resolved:
        _find_choice()
    return dict(_state.document.data) if _state.document is not None else {}


def value(key: str, dist: str, args: tuple[Any, ...], alias: str = "") -> Any:
    """The value of the variable `key` drawn from `dist` with `args` (for 'choice', the literal
    options); the same at every call. `alias` is NNI's key for it, read when `key` is absent."""
    made = _decide_param(Param(key, dist, tuple(args), alias))
    return args[made] if dist == "choice" else made


def index(key: str, labels: tuple[Any, ...], alias: str = "") -> int:
    """The index of the chosen option (an expression of `nni.choice`, or a call of
    `nni.function_choice`) among `labels`; the same at every call."""
    return _decide_param(Param(key, "choice", tuple(labels), alias))  # type: ignore[return-value]


def _decide_param(param: Param) -> int | float:
    """The index (for a choice) or the number the choice gives `param`, decided once."""
    made = _state.decisions.get(param.key)
    if made is not None:
        return made
    if not _state.resolved:
        _find_choice()
    if _state.document is not None:
        found = _entries_for(param.key.partition("/")[0])
        where = param.key if param.key in found else param.alias
        if where in found:
            entry = found[where]
            made = decide_param(param, entry.value if entry.flat is None else entry.flat)
            if isinstance(made, str):
                raise ChoiceError(f"{_where(3)}error: {where}: {made} (in the choice from {_state.document.path})")
    if made is None and _state.sampler is not None:
        made = _sample_param(param)
    if made is None:
        raise _no_choice(param.key, param.describe(), _where(3))
    _state.decisions[param.key] = made
    _state.shapes[param.key] = param
    return made


def _sample_param(param: Param) -> int | float:
    """`first`: the first option, the lower bound or mu (exp(mu) for the lognormals); `random`:
    a draw from the distribution, q-rounded as NNI rounds."""
    dist, args, rng = param.dist, param.args, _state.rng
    first = _state.sampler == "first"
    if param.chooses:
        return 0 if first else rng.randrange(len(args))
    if dist == "randint":
        return args[0] if first else rng.randrange(args[0], args[1])
    if dist in ("uniform", "quniform"):
        drawn = args[0] if first else rng.uniform(args[0], args[1])
    elif dist in ("loguniform", "qloguniform"):
        drawn = args[0] if first else math.exp(rng.uniform(math.log(args[0]), math.log(args[1])))
    else:
        drawn = args[0] if first else rng.gauss(args[0], args[1])
        if dist in ("lognormal", "qlognormal"):
            drawn = math.exp(drawn)
    return float(quantise(dist, args, drawn) if dist.startswith("q") else drawn)


def _sample(shape: Shape) -> tuple[int, tuple[int, ...]]:
    lo, hi = shape.input_num
    if _state.sampler == "first":
        return 0, tuple(range(lo))
    rng = _state.rng
    count = rng.randint(lo, hi)
    return rng.randrange(len(shape.choice_labels)), tuple(rng.sample(range(len(shape.input_labels)), count))


def _where(depth: int = 2) -> str:
    """`file:line: ` of the annotation being decided (`depth` frames up)."""
    frame = sys._getframe(depth)
    return f"{frame.f_code.co_filename}:{frame.f_lineno}: "


def pick(indices: Sequence[int], values: Sequence[Any]) -> list[Any]:
    """The chosen inputs, in the order the choice gives them."""
    return [values[i] for i in indices]


def decisions() -> dict[str, Any]:
    """Every decision made so far, as a choice document (labels and values), to reproduce this run."""
    made: dict[str, Any] = {}
    for key, decision in _state.decisions.items():
        shape = _state.shapes[key]
        if isinstance(shape, Param):
            made[key] = shape.args[decision] if shape.chooses else decision
        else:
            layer, inputs = decision
            made[key] = {"layer": shape.choice_labels[layer], "inputs": [shape.input_labels[i] for i in inputs]}
    return made

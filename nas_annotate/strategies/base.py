"""The two interfaces a search strategy implements, and what the search gives it.

A **black-box** strategy proposes whole architectures, each trained from scratch by one run of
the script: it has `ask(history) -> choice`, and may have `tell(result)`.  It speaks the
project's language: the `Space` (the document `extract` prints, and its decisions), choice
documents, and the values the trials reported.  `history` holds every trial of the study, so a
strategy that rebuilds its state from it resumes, and runs under `--jobs` and on many machines,
as the built-ins do.

A **one-shot** strategy subclasses `OneShotStrategy`: the framework builds the supernet from the
script's own layers, hooks its `fit`, gathers the training and validation data, recomputes
BatchNorm statistics and retrains what was found; the strategy sets every decision's state
before a batch, may take a step of its own after it, and names the architectures to retrain.

Nothing here imports Optuna, Keras or TensorFlow.  docs/strategies.md is the tutorial and the
reference.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

LAYER, INPUTS, INPUT, VALUE = "layer", "inputs", "input", "value"


@dataclass(frozen=True)
class Decision:
    """One categorical decision of the space: a layer's op (`part` "layer"), its set of inputs
    ("inputs": each option a tuple of labels), one input in or out ("input", when a layer has
    too many sets to list: options False and True), or a hyperparameter's value ("value")."""

    name: str  # the parameter's name in the study: "<key>:layer", "<key>:inputs", "<key>:input:<label>", "<key>"
    key: str  # the layer's or hyperparameter's key in the space and in choice documents
    part: str
    options: tuple[Any, ...]


@dataclass(frozen=True)
class Continuous:
    """A hyperparameter with infinitely many values: its key, NNI distribution and arguments."""

    key: str
    dist: str
    args: tuple[Any, ...]


class Space:
    """The search space as a strategy sees it: `document` (what `extract` prints), its
    categorical `decisions`, its `continuous` hyperparameters, and choices made from them."""

    def __init__(self, search_space: Any, document: dict[str, Any]) -> None:
        from ..search.optuna_space import _values

        self._space = search_space
        self.document = document
        decisions: list[Decision] = []
        continuous: list[Continuous] = []
        for layer in search_space.layers:
            shape = layer.shape
            decisions.append(Decision(layer.layer_param, shape.key, LAYER, tuple(shape.choice_labels)))
            if not shape.input_labels or shape.input_num == (0, 0):
                continue
            if layer.subsets is not None:
                options = tuple(tuple(shape.input_labels[i] for i in subset) for subset in layer.subsets)
                decisions.append(Decision(layer.inputs_param, shape.key, INPUTS, options))
            else:
                for index in range(len(shape.input_labels)):
                    decisions.append(Decision(layer.flag_param(index), shape.key, INPUT, (False, True)))
        for param in search_space.params:
            values = _values(param)
            if values is None:
                continuous.append(Continuous(param.key, param.dist, tuple(param.args)))
            else:
                decisions.append(Decision(param.key, param.key, VALUE, tuple(values)))
        self.decisions: tuple[Decision, ...] = tuple(decisions)
        self.continuous: tuple[Continuous, ...] = tuple(continuous)
        self._by_name = {decision.name: decision for decision in decisions}

    @property
    def keys(self) -> list[str]:
        """Every key of a choice document of this space, in the space's order."""
        return list(self.document)

    def size(self) -> int | None:
        """How many distinct choices there are (None: infinitely many)."""
        return self._space.size()

    def choice(self, picks: dict[str, Any], rng: random.Random | None = None) -> dict[str, Any]:
        """The choice document of `picks` (decision name -> option); decisions it leaves out and
        continuous hyperparameters are drawn at random (from `rng`)."""
        rng = rng or random.Random()
        params: dict[str, Any] = {}
        for decision in self.decisions:
            option = picks[decision.name] if decision.name in picks else rng.choice(decision.options)
            params[decision.name] = _encoded(decision, option)
        for item in self.continuous:
            params.update(self._draw(item, rng))
        return self._space.choice(params)

    def random(self, rng: random.Random | None = None) -> dict[str, Any]:
        """A choice drawn uniformly, decision by decision."""
        return self.choice({}, rng)

    def picks(self, choice: dict[str, Any]) -> dict[str, Any]:
        """The option each decision takes in `choice` (the inverse of `choice()`)."""
        params = self._space.params_of(choice)
        return {decision.name: _decoded(decision, params[decision.name]) for decision in self.decisions}

    def with_pick(self, choice: dict[str, Any], name: str, option: Any) -> dict[str, Any]:
        """`choice` with the decision `name` set to `option`, everything else as it was."""
        params = self._space.params_of(choice)
        params[name] = _encoded(self._by_name[name], option)
        return self._space.choice(params)

    def neighbours(self, choice: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every choice that differs from `choice` in exactly one decision."""
        picks = self.picks(choice)
        for decision in self.decisions:
            for option in decision.options:
                if option != picks[decision.name]:
                    yield self.with_pick(choice, decision.name, option)

    def check(self, choice: Any) -> str | None:
        """Why `choice` is not a whole, valid choice of this space, or None when it is."""
        if not isinstance(choice, dict):
            return f"a choice is a mapping of keys to choices, not {type(choice).__name__}"
        missing = [key for key in self.document if key not in choice]
        if missing:
            return f"the choice has no {', '.join(repr(k) for k in missing)}"
        unknown = [key for key in choice if key not in self.document]
        if unknown:
            return f"the choice names {', '.join(repr(k) for k in unknown)}, not keys of the space"
        from ..choice import Entry, decide, decide_param

        for layer in self._space.layers:
            key, entry = layer.shape.key, choice[layer.shape.key]
            if not isinstance(entry, dict) or set(entry) - {"layer", "inputs"}:
                return f"{key}: expected a mapping such as {{\"layer\": ..., \"inputs\": [...]}}, not {entry!r}"
            problem = decide(layer.shape, Entry(entry.get("layer"), entry.get("inputs", [])))
            if isinstance(problem, str):
                return f"{key}: {problem}"
            if entry.get("layer") not in layer.shape.choice_labels or not all(isinstance(i, str) for i in entry.get("inputs", [])):
                return f"{key}: name the layer and inputs by their labels, not by index"
        for param in self._space.params:
            problem = decide_param(param, choice[param.key])
            if isinstance(problem, str):
                return f"{param.key}: {problem}"
        return None

    def _draw(self, item: Continuous, rng: random.Random) -> dict[str, Any]:
        name = f"{item.key}:quantile" if item.dist in ("normal", "qnormal", "lognormal", "qlognormal") else item.key
        if name != item.key:
            return {name: rng.uniform(1e-6, 1 - 1e-6)}
        low, high = float(item.args[0]), float(item.args[1])
        if item.dist in ("loguniform", "qloguniform"):
            return {name: math.exp(rng.uniform(math.log(low), math.log(high)))}
        return {name: rng.uniform(low, high)}


def _encoded(decision: Decision, option: Any) -> Any:
    if decision.part == INPUTS:
        return json.dumps(list(option))
    return option


def _decoded(decision: Decision, value: Any) -> Any:
    if decision.part == INPUTS:
        return tuple(json.loads(value))
    return value


def canonical(choice: dict[str, Any]) -> str:
    """A choice as one string: equal for equal architectures (inputs in any order)."""
    normal = {
        key: ({**entry, "inputs": sorted(entry.get("inputs", []))} if isinstance(entry, dict) else entry)
        for key, entry in choice.items()
    }
    return json.dumps(normal, sort_keys=True)


@dataclass(frozen=True)
class Result:
    """One trial of the study: its number, its choice, how it ended ("complete", "running",
    "pruned", "failed" or "waiting"), its value (a number; a tuple with several objectives;
    None unless complete) and its intermediate values by step."""

    number: int
    choice: dict[str, Any]
    state: str
    value: float | tuple[float, ...] | None = None
    intermediate: dict[int, float] = field(default_factory=dict)


class History(list):  # type: ignore[type-arg]
    """Every trial of the study, in the order they were created, with the directions of its
    objectives ("maximize" or "minimize")."""

    def __init__(self, results: Sequence[Result] = (), directions: Sequence[str] = ("maximize",)) -> None:
        super().__init__(results)
        self.directions = tuple(directions)

    def completed(self) -> list[Result]:
        """The trials that completed, with a value."""
        return [result for result in self if result.state == "complete" and result.value is not None]

    def score(self, result: Result) -> float:
        """The first objective's value, signed so that larger is better."""
        value = result.value[0] if isinstance(result.value, tuple) else result.value
        return float(value) if self.directions[0] == "maximize" else -float(value)  # type: ignore[arg-type]

    def best(self, count: int = 1) -> list[Result]:
        """The `count` best completed trials, best first (by the first objective)."""
        return sorted(self.completed(), key=lambda result: -self.score(result))[:count]

    def seen(self) -> set[str]:
        """Every architecture the study has tried or is trying (`canonical` strings)."""
        return {canonical(result.choice) for result in self if result.choice}


@dataclass(frozen=True)
class Child:
    """What `ask` returns for an architecture made from an earlier trial's: its choice and the
    number of its parent trial. Under `search --inherit` the child starts from the parent's
    trained weights wherever they correspond."""

    choice: dict[str, Any]
    parent: int


PARENTS_KEPT = 10  # by default, the best and the most recent completed trials whose weights are kept


class BlackBoxStrategy:
    """The base of a black-box strategy (subclassing it is optional: any class with `ask` is one).

    `__init__(space, seed=None, **options)`: the keyword arguments after `seed` are the
    strategy's options (`--sampler-option KEY=VALUE`); `seed` is `--seed`."""

    kind = "black-box"

    def __init__(self, space: Space, seed: int | None = None) -> None:
        self.space = space
        self.rng = random.Random(seed)

    def ask(self, history: History) -> dict[str, Any] | Child:
        """The next architecture to train, as a choice document (or a `Child` of a trial)."""
        raise NotImplementedError

    def tell(self, result: Result) -> None:
        """A trial that this search ran has ended (trials of other searches are in `history`)."""

    def parents(self, history: History) -> set[int]:
        """The completed trials that `ask` may still name as parents: under `--inherit` the
        weights of the others are removed. By default the 10 best and the 10 most recent."""
        completed = history.completed()
        recent = sorted(completed, key=lambda result: result.number)[-PARENTS_KEPT:]
        return {result.number for result in history.best(PARENTS_KEPT) + recent}


class OneShotStrategy:
    """The base of a one-shot strategy: override what your method does, keep the rest.

    `__init__(seed=None, **options)`: the keyword arguments after `seed` are the strategy's
    options (`--sampler-option KEY=VALUE`); call `super().__init__(seed)`, which seeds
    `self.rng`, the run's one random stream (the net draws its data batches from it too).

    The framework (`nas_annotate.supernet`) builds the supernet from the script's layers, hooks
    its `fit` and calls, in the trial's process:

    - `build(decision)` once per decision layer (a layer's op, or its inputs), as the model is
      built: add the strategy's own variables with `decision.add_weight(...)`;
    - `weights(decision)` inside the model's forward pass (traced into `fit`'s compiled step, so
      anything that changes per batch lives in variables): the decision's weights as a tensor
      (`keras.ops`), one per candidate: the op decision mixes the candidates' outputs by them,
      the input decision scales each input candidate; the default is `decision.mask`, the
      one-hot state `net.set_path` sets;
    - `before_batch(net)` and `after_batch(net)` around every training batch;
    - `after_epoch(net, logs)`: what to add to the epoch's entry of the state's history (a
      mapping, or None); `{"weights": net.weights(...)}` gets the weights drawn per epoch;
    - `finish(net, count)`: the architectures to retrain, best first, as `(choice, score)`.

    `metric` names what `finish`'s scores are (None: the net's, of `net.score`);
    `needs_validation` asks for validation data during training (a `fit` that is given none
    then trains on its first 90%, the rest held out); `acts_per_batch` False says that
    `before_batch` and `after_batch` do nothing as configured (JAX's `fit` then skips handing
    them the weights).  docs/strategies.md lists what `net` offers."""

    kind = "one-shot"
    metric: str | None = None
    needs_validation = False  # True: a `fit` given no validation data has its last 10% held out for it
    acts_per_batch = True  # False: before_batch and after_batch do nothing as configured

    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)

    def build(self, decision: Any) -> None:
        """Add the decision's own variables (none by default)."""

    def weights(self, decision: Any) -> Any:
        """The decision's weights in the forward pass (default: its mask, set by a path)."""
        return decision.mask

    def before_batch(self, net: Any) -> None:
        """Set the decisions' state for the next training batch."""

    def after_batch(self, net: Any) -> None:
        """A step of the strategy's own after a training batch (e.g. on a validation batch)."""

    def after_epoch(self, net: Any, logs: dict[str, float]) -> dict[str, Any] | None:
        """What to record of this epoch in the state's history."""
        return None

    def finish(self, net: Any, count: int) -> list[tuple[dict[str, Any], float | None]]:
        """The architectures found, best first: at least `count` where there are that many."""
        raise NotImplementedError

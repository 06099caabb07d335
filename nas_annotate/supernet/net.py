"""The supernet at work in the trial: its sites, the strategy, the script's model and data.

The runtime asks the net for a layer's site (`site`); the first site to meet tensors defines
the decision layers (`layers.py`) and hooks `fit` (`hook.py`).  From then on the net does the
shared work of one-shot search: it gathers the training and validation data from `fit` and
`evaluate`, calls the strategy around every batch and epoch, recomputes BatchNorm statistics
for a path and scores a path with the shared weights, and at the end writes the state the
search driver reads, with the strategy's ranked architectures (`finish`).

A strategy is given the net; what it may use is listed on `Net`.  A *path* is one
architecture as indices: `{key: (op, inputs)}`, `op` the candidate's index and `inputs` the
sorted indices of the input candidates fed.
"""

from __future__ import annotations

import heapq
import math
import os
import random
import sys
import traceback
from typing import Any, Callable, Iterator, Sequence

from ..choice import Shape
from ..diagnostics import RunError
from .sites import Site, SupernetError, derive_inputs

Path = dict[str, tuple[int, tuple[int, ...]]]
Weights = dict[str, dict[str, list[float]]]
HELD_OUT = "the last tenth of fit's data, held out"
EVALUATED = "what the script evaluates"
RECALIBRATE = 8  # training batches that recompute BatchNorm statistics for a path before it is scored
LOOP_EPOCH = 100  # a custom loop's training updates per history entry (the strategy's after_epoch)


class Net:
    """The supernet of a one-shot run, and what a strategy may use of it:

    - `sites` (key -> `Site`), `decisions()` (every decision layer built), `model` (the model
      `fit` trains), `epochs` (completed), `steps` (training batches so far), `rng` (the
      strategy's random stream: the net draws its batches from it too);
    - `set_path(path)`, `random_path(rng)`, `as_choice(path)`;
    - `weights(function)`, `derive(weights)`, `likeliest(weights, count)`;
    - `validation_batch()`, `batch_score(x, y)`, `score(path)`, `recalibrate()`.
    """

    def __init__(self, strategy: Any, name: str, recalibrate: int = RECALIBRATE) -> None:
        self.strategy = strategy
        self.name = name
        self.recalibrate_batches = recalibrate
        self.rng: random.Random = getattr(strategy, "rng", None) or random.Random()
        self.sites: dict[str, Site] = {}
        self.notes: list[str] = []
        self.model: Any = None
        self.train: tuple[Any, Any, int] | None = None
        self.validation: tuple[Any, Any] | None = None
        self.validation_from = ""
        self.history: list[dict[str, Any]] = []
        self.epochs = 0
        self.steps = 0
        self.fit_seconds = 0.0
        self.metric: str | None = None
        self.scored = 0
        self._layers: Any = None
        self._compiled: tuple[Any, Any] | None = None
        self.loop_updates = 0  # `@nni.training_update`s of the script's own loop
        self.loop_steps = 0  # optimizer steps outside fit (hook.py): the script's own loop
        self.loop_at = ""  # where the loop's optimizer step is
        self.in_fit = False
        self.acting = False  # in a call of the strategy
        self._loop_optimizers: list[Any] = []
        self._noted_unused = False

    # -- building: the runtime and the sites ----------------------------------------------

    def site(self, shape: Shape, where: str) -> Site:
        """The site of the layer `shape.key` (created at its first execution)."""
        found = self.sites.get(shape.key)
        if found is None:
            found = self.sites[shape.key] = Site(self, shape, where)
        return found

    def keras_layers(self) -> Any:
        """The module of the decision layers (imports Keras, and hooks `fit` and `evaluate`)."""
        if self._layers is None:
            from . import backends

            backends.check(self.name)
            from . import hook, layers

            self._layers = layers
            hook.install(self)
        return self._layers

    # -- for strategies -------------------------------------------------------------------

    def decisions(self) -> list[Any]:
        """Every decision layer built so far (each site's op decision, then its input decision)."""
        return [layer for site in self.sites.values() for layer in (site.op_layer, site.input_layer) if layer is not None]

    def set_path(self, path: Path) -> None:
        """Set every site's masks to compute `path` (a one-hot state)."""
        for key, (op, inputs) in path.items():
            self.sites[key].set_path(op, inputs)

    def random_path(self, rng: random.Random | None = None) -> Path:
        """A path drawn uniformly, site by site: an op, and a set of inputs within `input_num`."""
        rng = rng or self.rng
        return {
            key: (rng.randrange(len(site.shape.choice_labels)), rng.choice(site.subsets))
            for key, site in self.sites.items()
        }

    def as_choice(self, path: Path) -> dict[str, Any]:
        """A path as a choice document (labels)."""
        return {
            key: {
                "layer": self.sites[key].shape.choice_labels[op],
                "inputs": [self.sites[key].shape.input_labels[i] for i in inputs],
            }
            for key, (op, inputs) in path.items()
        }

    def weights(self, function: Callable[[Any], Any] | None = None) -> Weights:
        """Per site, `{"ops": [...], "inputs": [...]}`: each decision's `function(decision)` now
        (default: the strategy's `weights`)."""
        function = function or self.strategy.weights
        return {key: site.weights(function) for key, site in self.sites.items()}

    def derive(self, weights: Weights) -> Path:
        """DARTS's derivation: per site the strongest op, and the inputs whose weight is over one
        half, their count brought into `input_num` by adding the strongest others or dropping
        the weakest."""
        path: Path = {}
        for key, site in self.sites.items():
            ops = weights[key]["ops"]
            path[key] = (max(range(len(ops)), key=lambda i: ops[i]), derive_inputs(weights[key]["inputs"], site.shape.input_num))
        return path

    def likeliest(self, weights: Weights, count: int) -> list[tuple[Path, float]]:
        """The derived path, then the most probable others, `count` in all, with their
        log-probabilities: ops taken by their weight, each input in or out by its own weight
        (a probability), independently per site."""
        options: list[list[tuple[float, tuple[int, tuple[int, ...]]]]] = []
        for key, site in self.sites.items():
            ops, gates = weights[key]["ops"], weights[key]["inputs"]
            per_site = sorted(
                ((self._log_probability(site, ops, gates, op, subset), (op, subset))
                 for op in range(len(ops)) for subset in site.subsets),
                key=lambda item: -item[0],
            )
            options.append(per_site[: max(count, 1)])
        keys = list(self.sites)
        derived = self.derive(weights)
        found = [(derived, sum(self._log_probability(self.sites[k], weights[k]["ops"], weights[k]["inputs"], *derived[k])
                               for k in keys))]
        seen = {_signature(derived)}
        start = tuple(0 for _ in options)
        heap = [(-sum(o[0][0] for o in options), start)]
        visited = {start}
        while heap and len(found) < count:
            score, index = heapq.heappop(heap)
            path = {key: options[i][j][1] for i, (key, j) in enumerate(zip(keys, index))}
            if _signature(path) not in seen:
                seen.add(_signature(path))
                found.append((path, -score))
            for i in range(len(index)):
                if index[i] + 1 < len(options[i]):
                    step = index[:i] + (index[i] + 1,) + index[i + 1 :]
                    if step not in visited:
                        visited.add(step)
                        heapq.heappush(heap, (-sum(options[k][step[k]][0] for k in range(len(step))), step))
        return found[:count]

    @staticmethod
    def _log_probability(site: Site, ops: Sequence[float], gates: Sequence[float], op: int, subset: tuple[int, ...]) -> float:
        p = math.log(max(ops[op], 1e-12))
        if site.free_inputs:
            p += sum(math.log(max(g if i in subset else 1 - g, 1e-12)) for i, g in enumerate(gates))
        return p

    def validation_batch(self) -> tuple[Any, Any] | None:
        """A random batch `(x, y)` of the validation data (a batch of `fit`'s size), or None
        while there is none."""
        return next(self._validation_batches(1), None)

    def batch_score(self, x: Any, y: Any) -> float:
        """The model's score on one batch as it is now: accuracy for class labels, else minus the loss."""
        import numpy as np

        predicted = np.asarray(self.model.predict_on_batch(x))
        if y is not None:
            labels = np.asarray(y)
            if predicted.ndim == 2 and predicted.shape[1] > 1:
                if labels.ndim == 2 and labels.shape[1] == predicted.shape[1]:
                    labels = labels.argmax(axis=1)
                if labels.ndim == 1 and labels.shape[0] == predicted.shape[0]:
                    return float((predicted.argmax(axis=1) == labels).mean())
        import keras

        loss = keras.losses.get(self.model.loss) if isinstance(self.model.loss, str) else self.model.loss
        return -float(np.mean(keras.ops.convert_to_numpy(loss(y, predicted))))

    def score(self, path: Path) -> float:
        """`path` scored with the shared weights: set, its BatchNorm statistics recomputed, then
        its accuracy-like metric on the whole validation data (else minus its loss; `metric`
        says which)."""
        from . import hook

        if self.validation is None:
            raise SupernetError(
                f"error: {self.name} scores architectures on validation data, but the script gave fit no validation_data "
                "or validation_split and evaluated nothing: give fit validation data, or call model.evaluate"
            )
        self.set_path(path)
        self.recalibrate()
        self.scored += 1
        if not getattr(self.model, "compiled", True):  # a custom loop's model: no loss or metrics to evaluate
            self.metric = "accuracy"
            return self._accuracy(*self.validation)
        results = hook.evaluate(self.model, *self.validation)
        for name, value in results.items():
            if "acc" in name:
                self.metric = name
                return float(value)
        self.metric = "-loss"
        return -float(results["loss"])

    def _accuracy(self, x: Any, y: Any) -> float:
        """The model's accuracy on (x, y) by its predictions' largest entry, batch by batch: how a
        model that was never compiled (a custom loop's) is scored; a SupernetError where the
        labels are no classes of its predictions."""
        import numpy as np

        size = self.train[2] if self.train else 32
        right = total = 0
        for start in range(0, len(x), size) if _is_array(x) else ():
            predicted = np.asarray(self.model.predict_on_batch(x[start : start + size]))
            labels = np.asarray(y[start : start + size]) if y is not None else None
            if labels is not None and predicted.ndim == 2 and labels.ndim == 2 and labels.shape == predicted.shape:
                labels = labels.argmax(axis=1)
            if labels is None or predicted.ndim != 2 or labels.shape != predicted.shape[:1]:
                raise SupernetError(
                    f"error: {self.name} scores architectures by accuracy on the validation data, and the model of the "
                    "script's own loop is not compiled: its validation data must be arrays of inputs and class labels "
                    "(or one-hot labels) of its predictions; or compile the model with its loss and metrics"
                )
            right += int((predicted.argmax(axis=1) == labels).sum())
            total += len(labels)
        if not total:
            raise SupernetError(f"error: {self.name} scores architectures on validation data, and it is empty or not arrays")
        return right / total

    def recalibrate(self) -> None:
        """BatchNorm's moving statistics, recomputed for the current path (the supernet's are of
        a mix of paths): the running mean of the batch statistics of `recalibrate_batches`
        training batches, each batch's taken by a compiled forward pass with momentum 0."""
        import keras

        from ..counting import inner_layers

        if not self.recalibrate_batches or self.train is None:
            return
        norms = [layer for layer in inner_layers(self.model) if isinstance(layer, keras.layers.BatchNormalization)]
        if not norms:
            return
        saved = [layer.momentum for layer in norms]
        for layer in norms:
            layer.momentum = 0.0
        forward = self._forward()
        running: list[Any] = []
        x, y, size = self.train
        for i, (batch, _) in enumerate(_batches(x, y, size, self.recalibrate_batches, self.rng)):
            forward(batch)
            now = [keras.ops.convert_to_numpy(v) for layer in norms for v in (layer.moving_mean, layer.moving_variance)]
            m = i / (i + 1)  # what momentum i/(i+1) would give, in the same float32 arithmetic
            running = now if i == 0 else [old * m + new * (1.0 - m) for old, new in zip(running, now)]
        for layer, momentum in zip(norms, saved):
            layer.momentum = momentum
        variables = [v for layer in norms for v in (layer.moving_mean, layer.moving_variance)]
        for variable, value in zip(variables, running):
            variable.assign(value)

    def _forward(self) -> Any:
        """The model's training-mode forward pass, compiled once (BatchNorm momentum 0 when traced)."""
        if self._compiled is None or self._compiled[0] is not self.model:
            from . import backends

            self._compiled = (self.model, backends.forward(self.model))
        return self._compiled[1]

    # -- the framework: what fit and evaluate are given, the callback, the end ------------

    def fitting(
        self, model: Any, x: Any, y: Any, batch_size: int | None, validation: Any, split: float,
    ) -> tuple[Any, Any] | None:
        """`model.fit` was called with these: remember the model and its data. When the strategy
        needs validation data and fit is given none, and none is known yet (or only a held-out
        tenth), hold out the last tenth of fit's data for it and return what fit trains on
        instead (`x`, `y`). What the script evaluates replaces a held-out tenth."""
        self.model = model
        self.train = (x, y, int(batch_size or 32))
        if validation is None and not split and self.validation_from in ("", HELD_OUT) and getattr(self.strategy, "needs_validation", False):
            return self._hold_out(x, y)
        if validation is not None:
            self.validation = (validation[0], validation[1] if len(validation) > 1 else None)
            self.validation_from = "the validation_data given to fit"
        elif split and _is_array(x):
            cut = int(len(x) * (1 - split))
            self.validation = (x[cut:], y[cut:] if y is not None else None)
            self.validation_from = "fit's validation_split"

    def _hold_out(self, x: Any, y: Any) -> tuple[Any, Any]:
        """The last 10% of arrays (or of a dataset's batches, its size known) as validation data;
        the rest is returned, to train on. A SupernetError for data that cannot be split."""
        if _is_array(x) and (y is None or _is_array(y)) and len(x) >= 2:
            cut = len(x) - max(1, len(x) // 10)
            self.validation = (x[cut:], y[cut:] if y is not None else None)
            trained: tuple[Any, Any] = (x[:cut], y[:cut] if y is not None else None)
            what = f"the last {len(x) - cut} of its {len(x)} examples"
        else:
            count = _known_size(x)
            if count is None or count < 2:
                raise SupernetError(
                    f"error: {self.name} needs validation data while it trains, and fit was given none, on data it cannot "
                    "split (a generator, or a dataset of unknown or endless size): give fit validation_data=(x, y) or "
                    "validation_split, or arrays or a dataset of known size to hold a tenth of out"
                )
            held = max(1, count // 10)
            self.validation = (x.skip(count - held), None)
            trained = (x.take(count - held), None)
            what = f"the last {held} of its {count} batches"
        self.train = (trained[0], trained[1], self.train[2] if self.train else 32)
        self.validation_from = HELD_OUT
        note = (f"note: fit was given no validation data, so {self.name} holds out {what} as validation data "
                "(give fit validation_data or validation_split to choose it)")
        if not any(n.startswith("note: fit was given no validation data") for n in self.notes):
            self.notes.append(note)
        return trained

    def training_update(self, validation: Any, unused: tuple[str, ...], where: str, state: Any = None) -> None:
        """`@nni.training_update` after a training step of the script's own loop: the strategy's
        calls after that batch and before the next, as `fit`'s callback makes them, and every
        `LOOP_EPOCH` updates its end-of-epoch call (a history entry). The loop's model is found
        once among the caller's variables (a Keras model holding the supernet's decisions);
        `validation`, when given, is the validation data; `state`, a JAX loop's own state (read
        into the model's variables before the calls, written back after: `backends.LoopState`);
        NNI's TF1 keywords are noted once."""
        if unused and not self._noted_unused:
            self._noted_unused = True
            keywords = ", ".join(f"{name}=" for name in unused)
            self.notes.append(f"{where}note: {keywords} of @nni.training_update are NNI 1's TF1 keywords, taken and unused")
        if validation is not None:
            self.validation = (validation[0], validation[1] if len(validation) > 1 else None)
            self.validation_from = "the validation_data of @nni.training_update"
        if self.model is None:
            self.model = self._loop_model(sys._getframe(2))
        loop = self._loop_state(state, where)
        if loop is not None:
            loop.read()
        self.loop_updates += 1
        self.after_batch()
        if self.loop_updates % LOOP_EPOCH == 0:
            self.after_epoch({})
        self.before_batch()
        if loop is not None:
            loop.write()

    def _loop_state(self, state: Any, where: str) -> Any:
        """`state` as a `backends.LoopState` of the loop's model, or None where none is given; a
        SupernetError on JAX without one (its loop's step never reads the model's variables)."""
        from . import backends

        if state is None:
            if backends.name() == "jax" and self.sites:
                raise SupernetError(
                    f"{where}error: on the JAX backend a training loop of one's own keeps the model's state itself, "
                    "so the path the strategy sets would never reach it: give the state to the update, "
                    "@nni.training_update(state=state), state = (trainable values, non-trainable values, ...) "
                    "as the loop's step takes and returns them (docs/search.md, \"Backends\")"
                )
            return None
        if self.model is None:
            raise SupernetError(
                f"{where}error: @nni.training_update(state=...) is in a loop whose model was not found: keep the "
                "Keras model in a variable of the function that holds the loop"
            )
        return backends.LoopState(self.model, state, where)

    def loop_found(self, where: str, optimizer: Any) -> None:
        """An optimizer step of the script's own loop, by `optimizer`, is at `where` (file:line)."""
        self.loop_at = self.loop_at or where
        if all(known is not optimizer for known in self._loop_optimizers):
            self._loop_optimizers.append(optimizer)

    def loop_step(self) -> None:
        """After an optimizer step of the script's own loop. With no `@nni.training_update` in
        it, these are the net's steps, and every `LOOP_EPOCH` of them a history entry."""
        self.loop_steps += 1
        if not self.loop_updates and self.loop_steps % LOOP_EPOCH == 0:
            self.after_epoch({})

    def _loop_model(self, frame: Any) -> Any:
        """The Keras model among `frame`'s variables (and their attributes) whose layers include
        the supernet's decisions, or None."""
        from ..counting import inner_layers

        decisions = {id(layer) for layer in self.decisions()}
        seen: set[int] = set()
        candidates = list(frame.f_locals.values())
        candidates += [value for owner in list(candidates) for value in getattr(owner, "__dict__", {}).values()]
        for value in candidates:
            if id(value) in seen or not hasattr(value, "_flatten_layers"):
                continue
            seen.add(id(value))
            if any(id(layer) in decisions for layer in inner_layers(value)):
                return value
        return None

    def evaluating(self, x: Any, y: Any) -> None:
        """`model.evaluate` was called on (x, y): the validation data, unless fit gave some."""
        if self.validation is None or self.validation_from in (EVALUATED, HELD_OUT):
            self.validation = (x, y)
            self.validation_from = EVALUATED

    def _call(self, method: str, *args: Any) -> Any:
        """The strategy's `method(self, *args)`; its exception as one line naming it (a
        SupernetError), the traceback too under NAS_ANNOTATE_DEBUG=1."""
        self.acting = True
        try:
            if self.in_fit and self.model is not None and self._acts(method):
                from . import backends

                backends.attach(self.model)  # JAX's fit keeps the weights apart between batches
            return getattr(self.strategy, method)(self, *args)
        except RunError:
            raise
        except Exception as exc:  # noqa: BLE001  (the strategy's own failure, on one line)
            if os.environ.get("NAS_ANNOTATE_DEBUG"):
                traceback.print_exc()
            text = " ".join(str(exc).split())
            raise SupernetError(
                f"error: strategy {self.name!r} failed in {method}(): {type(exc).__name__}" + (f": {text}" if text else "")
            ) from None
        finally:
            self.acting = False

    def _acts(self, method: str) -> bool:
        """Whether the strategy's `method` does anything: it defines it, and (around a batch)
        does not say that it acts at no batch (`acts_per_batch`)."""
        per_batch = method in ("before_batch", "after_batch")
        return _overrides(self.strategy, method) and (not per_batch or bool(getattr(self.strategy, "acts_per_batch", True)))

    def before_batch(self) -> None:
        self._call("before_batch")

    def after_batch(self) -> None:
        self.steps += 1
        self._call("after_batch")

    def after_epoch(self, logs: dict[str, Any] | None) -> None:
        self.epochs += 1
        numbers = {k: round(float(v), 6) for k, v in (logs or {}).items() if _is_number(v)}
        entry: dict[str, Any] = {"epoch": self.epochs, "steps": self.steps}
        entry.update(self._call("after_epoch", numbers) or {})
        entry["logs"] = numbers
        self.history.append(entry)

    def finish(self, count: int) -> dict[str, Any]:
        """The state the driver reads; once the supernet has trained, with the strategy's
        architectures (at least `count` where there are that many), best first."""
        from . import hook

        hook.remove()
        if not self.steps and not self.loop_steps and self._loop_optimizers:  # steps compiled by XLA: counted by the optimizers
            self.loop_steps = sum(int(keras_number(o.iterations)) for o in self._loop_optimizers)
        if not self.steps and self.loop_steps:  # a loop of the script's own, without training updates
            if getattr(self.strategy, "needs_validation", False) or _overrides(self.strategy, "before_batch"):
                raise SupernetError(
                    f"error: {self.name} acts at every training step, and the script's own loop (its training step at "
                    f"{self.loop_at}) has no @nni.training_update: put \"\"\"@nni.training_update\"\"\" after the "
                    "training step, in the loop"
                )
            self.steps = self.loop_steps
        state: dict[str, Any] = {
            "strategy": self.name,
            "layers": [
                {
                    "key": key, "where": site.where.rstrip(": "), "labels": list(site.shape.choice_labels),
                    "input_labels": list(site.shape.input_labels), "input_num": list(site.shape.input_num),
                    "padded": list(site.padded) if site.padded else None,
                }
                for key, site in self.sites.items()
            ],
            "notes": self.notes,
            "trained": (self.model is not None or self.loop_steps > 0) and self.steps > 0,
            "epochs": self.epochs,
            "steps": self.steps,
            "fit_seconds": round(self.fit_seconds, 3),
            "history": self.history,
            "validation": self.validation_from,
        }
        if not state["trained"]:
            return state
        ranked = self._call("finish", count)
        try:
            pairs = [(choice, _number(score)) for choice, score in ranked]
        except (TypeError, ValueError):
            raise SupernetError(
                f"error: strategy {self.name!r}: finish() gave {ranked!r:.80}, not a list of (choice, score) pairs "
                "with a number or None as the score"
            ) from None
        state["ranked"] = [{"choice": self._checked(choice), "score": score} for choice, score in pairs]
        if not state["ranked"]:
            raise SupernetError(f"error: strategy {self.name!r} named no architecture at the end of training")
        state["scored"] = self.scored
        state["metric"] = getattr(self.strategy, "metric", None) or self.metric or "score"
        return state

    def _checked(self, choice: Any) -> dict[str, Any]:
        """`choice` when it is an architecture of this supernet, else a SupernetError saying why."""
        problem = self._problem(choice)
        if problem:
            raise SupernetError(f"error: strategy {self.name!r} named an architecture that is not one of the supernet's: {problem}")
        return {key: {"layer": choice[key]["layer"], "inputs": list(choice[key]["inputs"])} for key in self.sites}

    def _problem(self, choice: Any) -> str | None:
        if not isinstance(choice, dict):
            return f"a choice is a mapping of keys to layers' choices, not {type(choice).__name__}"
        for key, site in self.sites.items():
            entry = choice.get(key)
            if not isinstance(entry, dict) or entry.get("layer") not in site.shape.choice_labels:
                return f"{key}: {entry!r} names none of its candidates ({', '.join(site.shape.choice_labels)})"
            labels = site.shape.input_labels
            inputs = entry.get("inputs", [])
            if not isinstance(inputs, (list, tuple)) or not all(label in labels for label in inputs):
                return f"{key}: inputs {inputs!r} are not among its input candidates ({', '.join(labels) or 'none'})"
            if tuple(sorted(labels.index(label) for label in inputs)) not in site.subsets:
                return f"{key}: inputs {list(inputs)!r} are not a set of {site.shape.input_num[0]} to {site.shape.input_num[1]} of them"
        unknown = sorted(set(choice) - set(self.sites))
        return f"{', '.join(unknown)}: not layers of the supernet" if unknown else None

    def _validation_batches(self, count: int) -> Iterator[tuple[Any, Any]]:
        if self.validation is None:
            return iter(())
        x, y = self.validation
        size = self.train[2] if self.train else 32
        return _batches(x, y, size, count, self.rng)


def keras_number(value: Any) -> float:
    """A Keras variable's or tensor's value as a Python number."""
    import keras

    return float(keras.ops.convert_to_numpy(value))


def _overrides(strategy: Any, method: str) -> bool:
    """Whether `strategy` defines `method` itself (or a class of its own above it), rather than
    the interface's default (`OneShotStrategy`, which this module does not import)."""
    return any(method in vars(cls) for cls in type(strategy).__mro__ if cls.__name__ != "OneShotStrategy" and cls is not object)


def _signature(path: Path) -> tuple[Any, ...]:
    return tuple(sorted(path.items()))


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _known_size(data: Any) -> int | None:
    """The number of batches of a tf.data.Dataset whose size is known, else None."""
    cardinality = getattr(data, "cardinality", None)
    if cardinality is None or not hasattr(data, "take"):
        return None
    try:
        count = int(cardinality())
    except (TypeError, ValueError):
        return None
    return count if count >= 0 else None


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "__getitem__") and hasattr(value, "__len__")


def _batches(x: Any, y: Any, size: int, count: int, rng: random.Random) -> Iterator[tuple[Any, Any]]:
    """Up to `count` random batches of arrays, or the first `count` of a dataset."""
    if _is_array(x):
        total = len(x)
        if not total:
            return
        for _ in range(count):
            start = rng.randrange(max(total - size, 0) + 1)
            yield x[start : start + size], (y[start : start + size] if y is not None else None)
        return
    for element in x.take(count) if hasattr(x, "take") else []:
        if isinstance(element, (tuple, list)):
            yield element[0], (element[1] if len(element) > 1 else None)
        else:
            yield element, None

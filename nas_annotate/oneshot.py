"""One-shot search inside the trial: the script's own `model.fit` trains the supernet.

When the first site of the supernet meets Keras tensors, `hook_keras` wraps `keras.Model.fit`
and `keras.Model.evaluate` (restored by `Run.finish`):

- `fit` gets one more callback, ours: under darts it records every layer's weights at each
  epoch's end (the logits themselves are trained by the script's optimizer with the other
  weights: one-level DARTS); under enas it sets a path before each batch, drawn from the
  policy, and, with the learned policy, rewards the path just trained by its accuracy on a
  validation batch (REINFORCE with a moving baseline, as ENAS's controller).
- `fit` and `evaluate` tell us the training data (for BatchNorm recalibration) and the
  validation data (`validation_data`, `validation_split`, or what the script evaluates on).

`Run.finish()` (called once the script has ended) gives the state the search driver reads:
the layers, the weights' history, and under enas the ranked paths: `paths` architectures from
the policy, each with its BatchNorm statistics recomputed on training batches, scored on the
validation data with the shared weights.
"""

from __future__ import annotations

import math
import random
import time
from typing import Any, Iterator, Sequence

from .counting import inner_layers
from .supernet import Supernet, SupernetError

Path = dict[str, tuple[int, tuple[int, ...]]]

DEFAULTS: dict[str, Any] = {
    "policy": "learned",  # enas: "learned" (ENAS's controller) or "uniform" (random search with weight sharing)
    "paths": 20,  # enas: architectures ranked after training
    "warmup": 1,  # enas: epochs of uniform paths before the policy learns
    "policy_lr": 0.1,
    "entropy": 0.01,
    "recalibrate": 8,  # training batches that recompute BatchNorm statistics per ranked path
    "temperature": 1.0,  # darts: softmax temperature of the op weights
    "bilevel": False,  # darts: first-order bilevel (logits stepped on validation batches) instead of one-level
    "arch_lr": 3e-3,  # darts, bilevel: the logits' Adam learning rate (DARTS's)
    "seed": None,
}


class Policy:
    """ENAS's controller in its simplest form: independent softmax logits per decision (each
    layer's op, and its set of inputs), trained by REINFORCE with a moving-average baseline."""

    def __init__(self, net: Supernet, rng: random.Random, lr: float, entropy: float) -> None:
        self.net = net
        self.rng = rng
        self.lr = lr
        self.entropy = entropy
        self.logits: dict[tuple[str, str], list[float]] = {}
        self.baseline: float | None = None
        self.updates = 0

    def _logits(self, key: str, part: str, count: int) -> list[float]:
        return self.logits.setdefault((key, part), [0.0] * count)

    def probabilities(self, key: str, part: str, count: int) -> list[float]:
        logits = self._logits(key, part, count)
        top = max(logits)
        exp = [math.exp(v - top) for v in logits]
        total = sum(exp)
        return [v / total for v in exp]

    def _decisions(self) -> Iterator[tuple[str, str, int]]:
        for key, site in self.net.sites.items():
            yield key, "op", len(site.shape.choice_labels)
            if site.free_inputs:
                yield key, "inputs", len(site.subsets)

    def sample(self, uniform: bool = False) -> Path:
        drawn: dict[tuple[str, str], int] = {}
        for key, part, count in self._decisions():
            weights = [1.0] * count if uniform else self.probabilities(key, part, count)
            drawn[(key, part)] = self.rng.choices(range(count), weights)[0]
        return self._path(drawn)

    def best(self) -> Path:
        drawn = {
            (key, part): max(range(count), key=lambda i, k=key, p=part, c=count: self.probabilities(k, p, c)[i])
            for key, part, count in self._decisions()
        }
        return self._path(drawn)

    def _path(self, drawn: dict[tuple[str, str], int]) -> Path:
        path: Path = {}
        for key, site in self.net.sites.items():  # a layer without an input decision has one subset
            path[key] = (drawn[(key, "op")], site.subsets[drawn.get((key, "inputs"), 0)])
        return path

    def update(self, path: Path, reward: float) -> None:
        """One REINFORCE step: raise the log-probability of `path` by its advantage."""
        if self.baseline is None:
            self.baseline = reward
        advantage = reward - self.baseline
        self.baseline = 0.95 * self.baseline + 0.05 * reward
        for key, part, count in self._decisions():
            site = self.net.sites[key]
            taken = path[key][0] if part == "op" else site.subsets.index(path[key][1])
            probabilities = self.probabilities(key, part, count)
            logits = self._logits(key, part, count)
            entropy = -sum(p * math.log(p) for p in probabilities if p > 0)
            for i, p in enumerate(probabilities):
                score = (1.0 if i == taken else 0.0) - p
                bonus = -p * (math.log(p) + entropy) if p > 0 else 0.0  # d entropy / d logit_i
                logits[i] += self.lr * (advantage * score + self.entropy * bonus)
        self.updates += 1

    def snapshot(self) -> dict[str, dict[str, list[float]]]:
        found: dict[str, dict[str, list[float]]] = {}
        for key, part, count in self._decisions():
            found.setdefault(key, {})[part] = [round(p, 6) for p in self.probabilities(key, part, count)]
        return found


class Run:
    """The one-shot state of this process: the supernet, what `fit` was given, what happened."""

    def __init__(self, strategy: str, options: dict[str, Any]) -> None:
        unknown = sorted(set(options) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"unknown one-shot option(s): {', '.join(unknown)}")
        self.options = {**DEFAULTS, **options}
        self.supernet = Supernet(strategy, float(self.options["temperature"]), bool(self.options["bilevel"]))
        self.rng = random.Random(self.options["seed"])
        self.policy = Policy(self.supernet, self.rng, float(self.options["policy_lr"]), float(self.options["entropy"]))
        self.model: Any = None
        self.train: tuple[Any, Any, int] | None = None
        self.validation: tuple[Any, Any] | None = None
        self.validation_from = ""
        self.history: list[dict[str, Any]] = []
        self.epochs = 0
        self.steps = 0
        self.fit_seconds = 0.0
        self.rewards: list[float] = []
        self.path: Path | None = None
        self._arch_step: Any = None

    @property
    def strategy(self) -> str:
        return self.supernet.strategy

    def learned(self) -> bool:
        return self.strategy == "enas" and self.options["policy"] == "learned"

    def fitting(self, model: Any, x: Any, y: Any, batch_size: int | None, validation: Any, split: float) -> None:
        """`model.fit` was called with these: remember the model and its data."""
        self.model = model
        self.train = (x, y, int(batch_size or 32))
        if validation is not None:
            self.validation = (validation[0], validation[1] if len(validation) > 1 else None)
            self.validation_from = "the validation_data given to fit"
        elif split and _is_array(x):
            cut = int(len(x) * (1 - split))
            self.validation = (x[cut:], y[cut:] if y is not None else None)
            self.validation_from = "fit's validation_split"

    def evaluating(self, x: Any, y: Any) -> None:
        if self.validation is None or self.validation_from == "what the script evaluates":
            self.validation = (x, y)
            self.validation_from = "what the script evaluates"

    # -- the callback's work ---------------------------------------------------------------

    def before_batch(self, epoch: int) -> None:
        if self.strategy != "enas":
            return
        uniform = not self.learned() or self.epochs < int(self.options["warmup"])
        self.path = self.policy.sample(uniform=uniform)
        self.supernet.set_path(self.path)

    def after_batch(self) -> None:
        self.steps += 1
        if self.supernet.bilevel:
            batch = next(self._validation_batches(1), None)
            if batch is not None:
                self.architecture_step(*batch)
            return
        if not self.learned() or self.path is None or self.epochs < int(self.options["warmup"]):
            return
        batch = next(self._validation_batches(1), None)
        if batch is None:
            return
        reward = _batch_score(self.model, *batch)
        self.rewards.append(reward)
        self.policy.update(self.path, reward)

    def after_epoch(self, logs: dict[str, Any] | None) -> None:
        self.epochs += 1
        entry: dict[str, Any] = {"epoch": self.epochs, "steps": self.steps}
        if self.strategy == "darts":
            entry["weights"] = {
                key: {"ops": _rounded(site.op_weights()), "inputs": _rounded(site.input_weights())}
                for key, site in self.supernet.sites.items()
            }
        elif self.learned():
            entry["policy"] = self.policy.snapshot()
            recent = self.rewards[-50:]
            entry["reward"] = round(sum(recent) / len(recent), 6) if recent else None
        entry["logs"] = {k: round(float(v), 6) for k, v in (logs or {}).items() if _is_number(v)}
        self.history.append(entry)

    def architecture_step(self, x: Any, y: Any) -> None:
        """First-order bilevel DARTS: one Adam step of the logits alone on a validation batch,
        the weights held (the script's optimizer trains the weights on the training batches)."""
        if self._arch_step is None:
            import keras
            import tensorflow as tf

            variables = self.supernet.logits()
            optimizer = keras.optimizers.Adam(float(self.options["arch_lr"]), beta_1=0.5, beta_2=0.999)
            model = self.model

            @tf.function
            def step(x: Any, y: Any) -> None:
                with tf.GradientTape() as tape:
                    for variable in variables:
                        tape.watch(variable.value)
                    loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
                gradients = tape.gradient(loss, [variable.value for variable in variables])
                optimizer.apply(gradients, variables)

            self._arch_step = step
        self._arch_step(x, y)

    def _validation_batches(self, count: int) -> Iterator[tuple[Any, Any]]:
        if self.validation is None:
            return iter(())
        x, y = self.validation
        size = self.train[2] if self.train else 32
        return _batches(x, y, size, count, self.rng)

    # -- the end ---------------------------------------------------------------------------

    def finish(self) -> dict[str, Any]:
        """The state the driver reads; under enas, ranks paths first (the best is left set)."""
        unhook_keras()
        net = self.supernet
        state: dict[str, Any] = {
            "strategy": self.strategy,
            "options": {k: v for k, v in self.options.items()},
            "layers": [
                {
                    "key": key, "where": site.where.rstrip(": "), "labels": list(site.shape.choice_labels),
                    "input_labels": list(site.shape.input_labels), "input_num": list(site.shape.input_num),
                    "padded": list(site.padded) if site.padded else None,
                }
                for key, site in net.sites.items()
            ],
            "notes": net.notes,
            "trained": self.model is not None and self.steps > 0,
            "epochs": self.epochs,
            "steps": self.steps,
            "fit_seconds": round(self.fit_seconds, 3),
            "history": self.history,
            "validation": self.validation_from,
            "hyperparameters": hyperparameters(),
        }
        if not state["trained"]:
            return state
        if self.strategy == "darts":
            state["derived"] = _as_choice(net, net.derived())
            state["weights"] = {
                key: {"ops": _rounded(site.op_weights()), "inputs": _rounded(site.input_weights())}
                for key, site in net.sites.items()
            }
        else:
            state["policy"] = self.policy.snapshot() if self.learned() else None
            state["ranked"] = self.rank()
        return state

    def rank(self) -> list[dict[str, Any]]:
        """`paths` distinct architectures (the policy's most likely one first), each scored on
        the validation data with the shared weights after recomputing BatchNorm statistics."""
        if self.validation is None:
            raise SupernetError(
                "error: enas ranks architectures on validation data, but the script gave fit no validation_data "
                "or validation_split and evaluated nothing: give fit validation data, or call model.evaluate"
            )
        wanted = int(self.options["paths"])
        paths: list[Path] = [self.policy.best()] if self.learned() else []
        seen = {_signature(p) for p in paths}
        for _ in range(wanted * 50):
            if len(paths) >= wanted:
                break
            path = self.policy.sample(uniform=not self.learned())
            if _signature(path) not in seen:
                seen.add(_signature(path))
                paths.append(path)
        ranked = []
        for path in paths:
            self.supernet.set_path(path)
            self.recalibrate()
            score, metric = _evaluate(self.model, *self.validation)  # type: ignore[misc]
            ranked.append({"choice": _as_choice(self.supernet, path), "score": score, "metric": metric})
        order = sorted(range(len(ranked)), key=lambda i: -ranked[i]["score"])
        self.supernet.set_path(paths[order[0]])
        return [ranked[i] for i in order]

    def recalibrate(self) -> None:
        """BatchNorm's moving statistics, recomputed for the current path: reset, then the
        running mean of `recalibrate` training batches."""
        import keras

        count = int(self.options["recalibrate"])
        if not count or self.train is None:
            return
        norms = [layer for layer in inner_layers(self.model) if isinstance(layer, keras.layers.BatchNormalization)]
        if not norms:
            return
        saved = [layer.momentum for layer in norms]
        for layer in norms:
            layer.moving_mean.assign(keras.ops.zeros_like(layer.moving_mean))
            layer.moving_variance.assign(keras.ops.ones_like(layer.moving_variance))
        x, y, size = self.train
        for i, (batch, _) in enumerate(_batches(x, y, size, count, self.rng)):
            for layer in norms:
                layer.momentum = i / (i + 1)
            self.model(batch, training=True)
        for layer, momentum in zip(norms, saved):
            layer.momentum = momentum


def hyperparameters() -> dict[str, Any]:
    """The values the run gave its hyperparameters (the first option or lower bound, unless chosen)."""
    from . import runtime

    shapes = runtime.state().shapes
    return {key: value for key, value in runtime.decisions().items() if not hasattr(shapes[key], "choice_labels")}


def _signature(path: Path) -> tuple[Any, ...]:
    return tuple(sorted(path.items()))


def _as_choice(net: Supernet, path: Path) -> dict[str, Any]:
    """A path as a choice document (labels)."""
    return {
        key: {
            "layer": net.sites[key].shape.choice_labels[op],
            "inputs": [net.sites[key].shape.input_labels[i] for i in inputs],
        }
        for key, (op, inputs) in path.items()
    }


def _rounded(values: Sequence[float]) -> list[float]:
    return [round(v, 6) for v in values]


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


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


def _batch_score(model: Any, x: Any, y: Any) -> float:
    """A path's reward on one batch: its accuracy for class labels, else minus its loss."""
    import numpy as np

    predicted = np.asarray(model.predict_on_batch(x))
    if y is not None:
        labels = np.asarray(y)
        if predicted.ndim == 2 and predicted.shape[1] > 1:
            if labels.ndim == 2 and labels.shape[1] == predicted.shape[1]:
                labels = labels.argmax(axis=1)
            if labels.ndim == 1 and labels.shape[0] == predicted.shape[0]:
                return float((predicted.argmax(axis=1) == labels).mean())
    import keras

    loss = keras.losses.get(model.loss) if isinstance(model.loss, str) else model.loss
    return -float(np.mean(keras.ops.convert_to_numpy(loss(y, predicted))))


def _evaluate(model: Any, x: Any, y: Any) -> tuple[float, str]:
    """The model's accuracy-like metric on (x, y) (higher is better), else minus its loss."""
    results = _ORIGINAL["evaluate"](model, x, y, verbose=0, return_dict=True)
    for name, value in results.items():
        if "acc" in name:
            return float(value), name
    return -float(results["loss"]), "-loss"


_ORIGINAL: dict[str, Any] = {}
_FIT_ARGS = ("x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split", "validation_data")


def hook_keras(net: Supernet) -> None:
    """Wrap `keras.Model.fit` and `evaluate` for the current run (once)."""
    import keras

    if _ORIGINAL.get("hooked"):
        return
    _ORIGINAL.update(fit=keras.Model.fit, evaluate=keras.Model.evaluate, hooked=True)
    callback_class = _callback_class()

    def fit(model: Any, *args: Any, **kwargs: Any) -> Any:
        from . import runtime

        run = runtime.state().supernet
        if run is None:
            return _ORIGINAL["fit"](model, *args, **kwargs)
        given = dict(zip(_FIT_ARGS, args))
        given.update(kwargs)
        run.fitting(
            model, given.get("x"), given.get("y"), given.get("batch_size"), given.get("validation_data"),
            float(given.get("validation_split") or 0.0),
        )
        callbacks = list(given.get("callbacks") or []) + [callback_class(run)]
        if len(args) > 5:
            args = args[:5] + (callbacks,) + args[6:]
        else:
            kwargs["callbacks"] = callbacks
        started = time.perf_counter()
        try:
            return _ORIGINAL["fit"](model, *args, **kwargs)
        finally:
            run.fit_seconds += time.perf_counter() - started

    def evaluate(model: Any, *args: Any, **kwargs: Any) -> Any:
        from . import runtime

        run = runtime.state().supernet
        if run is not None:
            given = dict(zip(("x", "y"), args))
            given.update(kwargs)
            if given.get("x") is not None:
                run.evaluating(given.get("x"), given.get("y"))
        return _ORIGINAL["evaluate"](model, *args, **kwargs)

    keras.Model.fit, keras.Model.evaluate = fit, evaluate


def unhook_keras() -> None:
    """Put `keras.Model.fit` and `evaluate` back (the originals stay at hand for ranking)."""
    if not _ORIGINAL.get("hooked"):
        return
    import keras

    keras.Model.fit, keras.Model.evaluate = _ORIGINAL["fit"], _ORIGINAL["evaluate"]
    _ORIGINAL["hooked"] = False


def _callback_class() -> Any:
    import keras

    class OneShotCallback(keras.callbacks.Callback):
        """Our part of the script's `fit`: paths per batch (enas), weights per epoch (darts)."""

        def __init__(self, run: Run) -> None:
            super().__init__()
            self.run = run
            self.epoch = 0

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch = epoch

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            self.run.before_batch(self.epoch)

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.run.after_batch()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.run.after_epoch(logs)

    return OneShotCallback

"""What differs between Keras 3's backends (TensorFlow, JAX, PyTorch) for the supernet, in one
place: everything else in the supernet is `keras.ops` and backend-neutral Keras.

- `attach(model)`: the model's variables hold its current values. JAX's `fit` keeps them apart
  in its own state between batches; written back here, its next batch reads them again, with
  whatever the strategy set;
- `forward(model)`: a compiled training-mode forward pass whose BatchNorm updates land in the
  model's variables (BatchNorm recalibration);
- `gradient_step(model, variables, optimizer)`: one step of `variables` alone on the model's
  loss for a batch (bilevel darts's architecture step);
- `LoopState`: a JAX loop's own state (`@nni.training_update(state=...)`), read into the
  model's variables and written back.

This module imports Keras, and a backend's library only on that backend.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import keras

from .sites import SupernetError

TRAINING = ("tensorflow", "jax", "torch")  # the backends on which Keras trains


def name() -> str:
    """The backend Keras runs on: "tensorflow", "jax", "torch" or "numpy"."""
    return keras.backend.backend()


def check(strategy: str) -> None:
    """A SupernetError naming the backend where Keras cannot train a supernet on it."""
    backend = name()
    if backend not in TRAINING:
        raise SupernetError(
            f"error: one-shot search ({strategy}) trains a supernet, and Keras's {backend} backend trains nothing "
            f"(its fit is not implemented): run the search with KERAS_BACKEND={', '.join(TRAINING[:-1])} or {TRAINING[-1]}"
        )


def attach(model: Any) -> None:
    """Give the model's variables their current values (on JAX inside `fit`, its step's state)."""
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        sync()


def forward(model: Any) -> Callable[[Any], None]:
    """The model's training-mode forward pass on a batch, compiled where the backend compiles,
    its BatchNorm moving statistics updated in the model's variables. Compiled at its first
    call: BatchNorm's momentum is read then."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda x: model(x, training=True))
    if backend == "jax":
        import jax

        step = jax.jit(lambda trainable, non_trainable, x: model.stateless_call(trainable, non_trainable, x, training=True)[1])

        def run(x: Any) -> None:
            values = step([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables], x)
            for variable, value in zip(model.non_trainable_variables, values):
                variable.assign(value)

        return run
    if backend == "torch":
        import torch

        def run_torch(x: Any) -> None:
            with torch.no_grad():
                model(x, training=True)

        return run_torch
    return lambda x: model(x, training=True)


def gradient_step(model: Any, variables: Sequence[Any], optimizer: Any) -> Callable[[Any, Any], None]:
    """One step of `optimizer` on `variables` alone (the model's other weights held), by the
    gradient of the model's compiled loss on a batch `(x, y)`."""
    if getattr(model, "loss", None) is None:
        raise SupernetError(
            "error: the architecture's gradient step is on the model's compiled loss, and the model of the script's "
            "own loop has no compiled loss: compile it with its loss (model.compile(loss=...)), or search one-level"
        )
    variables = list(variables)
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function
        def step(x: Any, y: Any) -> None:
            with tf.GradientTape() as tape:
                for variable in variables:
                    tape.watch(variable.value)
                loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
            optimizer.apply(tape.gradient(loss, [variable.value for variable in variables]), variables)

        return step
    if backend == "jax":
        return _jax_gradient_step(model, variables, optimizer)
    if backend == "torch":
        import torch

        def step_torch(x: Any, y: Any) -> None:
            values = [variable.value for variable in variables]
            wanted = [value.requires_grad for value in values]
            for value in values:
                value.requires_grad_(True)
            try:
                loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
                gradients = torch.autograd.grad(loss, values)
            finally:
                for value, flag in zip(values, wanted):
                    value.requires_grad_(flag)
            optimizer.apply(list(gradients), variables)

        return step_torch
    raise SupernetError(f"error: Keras's {backend} backend computes no gradients: search on tensorflow, jax or torch")


def _jax_gradient_step(model: Any, variables: list[Any], optimizer: Any) -> Callable[[Any, Any], None]:
    import jax

    trainable, non_trainable = list(model.trainable_variables), list(model.non_trainable_variables)
    places = [_place(variable, trainable, non_trainable) for variable in variables]

    def loss(values: list[Any], trainable_values: list[Any], non_trainable_values: list[Any], x: Any, y: Any) -> Any:
        trainable_values, non_trainable_values = list(trainable_values), list(non_trainable_values)
        for (owner, index), value in zip(places, values):
            (trainable_values if owner == 0 else non_trainable_values)[index] = value
        metrics = [v.value for v in model.metrics_variables]
        optimizing = [v.value for v in model.optimizer.variables] if model.optimizer is not None else None
        _, (unscaled, *_) = model.compute_loss_and_updates(
            trainable_values, non_trainable_values, metrics, x, y, None, training=True, optimizer_variables=optimizing,
        )
        return unscaled

    gradient = jax.jit(jax.grad(loss))

    def step(x: Any, y: Any) -> None:
        grads = gradient(
            [v.value for v in variables], [v.value for v in trainable], [v.value for v in non_trainable], x, y,
        )
        optimizer.apply(grads, variables)

    return step


def _place(variable: Any, trainable: list[Any], non_trainable: list[Any]) -> tuple[int, int]:
    for owner, group in enumerate((trainable, non_trainable)):
        for index, known in enumerate(group):
            if known is variable:
                return owner, index
    raise SupernetError(f"error: {variable.path} is not a variable of the model that fit trains")


class LoopState:
    """A JAX training loop's own state, given to `@nni.training_update(state=...)`: a tuple or
    list whose first two items are lists of the values of the model's `trainable_variables` and
    `non_trainable_variables` (in their order, as `stateless_call` takes them); further items
    (the optimizer's, the metrics') are the loop's alone."""

    def __init__(self, model: Any, state: Any, where: str) -> None:
        self.model = model
        self.where = where
        parts = list(state) if isinstance(state, (tuple, list)) else []
        groups = (("trainable_variables", model.trainable_variables), ("non_trainable_variables", model.non_trainable_variables))
        if len(parts) < 2:
            raise SupernetError(
                f"{where}error: @nni.training_update(state=...) is given {type(state).__name__}, not the loop's state: "
                "a tuple whose first two items are the lists of the model's trainable and non-trainable values "
                "(as model.stateless_call takes them)"
            )
        for (label, variables), values in zip(groups, parts[:2]):
            if not isinstance(values, list):
                raise SupernetError(
                    f"{where}error: the {label} of @nni.training_update(state=...) are a {type(values).__name__}, "
                    "not a list: the supernet writes the path it sets into them, so keep them lists"
                )
            if len(values) != len(variables):
                raise SupernetError(
                    f"{where}error: @nni.training_update(state=...) holds {len(values)} {label}, and the model has "
                    f"{len(variables)}: give the state that the loop's step takes (model.{label} in their order)"
                )
        self.lists: tuple[list[Any], list[Any]] = (parts[0], parts[1])
        self.variables = (list(model.trainable_variables), list(model.non_trainable_variables))

    def read(self) -> None:
        """The loop's values into the model's variables (the strategy sees the model as trained)."""
        for variables, values in zip(self.variables, self.lists):
            for variable, value in zip(variables, values):
                variable.assign(value)

    def write(self) -> None:
        """The model's variables back into the loop's lists (the next step trains what the strategy set)."""
        for variables, values in zip(self.variables, self.lists):
            values[:] = [variable.value for variable in variables]

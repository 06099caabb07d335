"""darts: DARTS (Liu et al., 2019) on the one-shot interface.

Each decision gets logits: an op decision mixes its candidates by `softmax(logits /
temperature)`, an input decision scales each input candidate by `sigmoid(logit)`.  One-level
(the default): the logits are trainable weights of the script's model, trained by its own
optimizer with the other weights.  `bilevel=True` (first-order DARTS): they are not the
script's; after every training batch one Adam step of the logits alone (`arch_lr`, beta_1 0.5)
on a validation batch, the weights held.  At the end: the derived architecture (the strongest
op, the inputs over one half within `input_num`), then the next most probable ones.
"""

from __future__ import annotations

from typing import Any

from .base import OneShotStrategy


class Darts(OneShotStrategy):
    """DARTS: softmax-weighted ops and sigmoid-gated inputs, the architecture read off the weights."""

    metric = "log-probability"

    def __init__(self, seed: int | None = None, temperature: float = 1.0, bilevel: bool = False, arch_lr: float = 3e-3) -> None:
        super().__init__(seed)
        self.temperature = float(temperature)
        self.bilevel = bool(bilevel)
        self.arch_lr = float(arch_lr)
        self._step: Any = None

    @property
    def needs_validation(self) -> bool:  # type: ignore[override]
        """Bilevel darts steps the architecture on validation batches."""
        return self.bilevel

    @property
    def acts_per_batch(self) -> bool:  # type: ignore[override]
        """Only bilevel darts acts after a batch (one-level darts's logits train with the weights)."""
        return self.bilevel

    def build(self, decision: Any) -> None:
        decision.logits = decision.add_weight(
            shape=(decision.count,), initializer="zeros", trainable=not self.bilevel, name="logits"
        )

    def weights(self, decision: Any) -> Any:
        from keras import ops

        if decision.part == "op":
            return ops.softmax(decision.logits / self.temperature)
        return ops.sigmoid(decision.logits)

    def after_batch(self, net: Any) -> None:
        if not self.bilevel:
            return
        batch = net.validation_batch()
        if batch is not None:
            self._architecture_step(net)(*batch)

    def _architecture_step(self, net: Any) -> Any:
        """One Adam step of the logits alone on a batch (compiled once, on the model's backend)."""
        if self._step is None:
            import keras

            from ..supernet import backends

            optimizer = keras.optimizers.Adam(self.arch_lr, beta_1=0.5, beta_2=0.999)
            self._step = backends.gradient_step(net.model, [decision.logits for decision in net.decisions()], optimizer)
        return self._step

    def after_epoch(self, net: Any, logs: dict[str, float]) -> dict[str, Any]:
        return {"weights": _rounded(net.weights())}

    def finish(self, net: Any, count: int) -> list[tuple[dict[str, Any], float | None]]:
        """The derived architecture, then the most probable others under the final weights."""
        return [(net.as_choice(path), score) for path, score in net.likeliest(_rounded(net.weights()), count)]


def _rounded(weights: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, list[float]]]:
    return {key: {part: [round(w, 6) for w in values] for part, values in parts.items()} for key, parts in weights.items()}

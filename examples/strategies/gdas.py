"""A one-shot strategy of our interface: GDAS, Gumbel-softmax DARTS (Dong & Yang, 2019; NNI's
GumbelDARTS).

    nas-annotate search examples/digits/train.py --sampler examples/strategies/gdas.py:Gdas -- --epochs 5
    nas-annotate search examples/digits/train.py --sampler examples/strategies/gdas.py:Gdas \\
        --sampler-option temperature=2 --sampler-option decay=0.7 -- --epochs 5

Each decision has logits, as in DARTS, but every training batch takes one *hard* sample of
them: a one-hot op drawn by the Gumbel-max trick, each input in or out by a logistic draw.  The
forward pass computes that path alone; the backward pass goes through the soft sample
(`softmax((logits + noise) / temperature)`) beside it, the straight-through estimator, so every
logit gets a gradient.  The temperature starts at `temperature` and is multiplied by `decay`
after every epoch, down to `minimum`: the samples harden as training goes on.  The logits are
trainable weights of the script's model (one-level, like darts' default).  At the end: the
architecture of the strongest logits, then the next most probable ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nas_annotate.strategies import OneShotStrategy


class Gdas(OneShotStrategy):
    """GDAS: hard Gumbel-softmax samples per batch, straight-through gradients, an annealed temperature."""

    metric = "log-probability"

    def __init__(self, seed: int | None = None, temperature: float = 1.0, decay: float = 0.75, minimum: float = 0.33) -> None:
        if not 0 < float(minimum) <= float(temperature) or not 0 < float(decay) <= 1:
            raise ValueError("gdas needs 0 < minimum <= temperature and 0 < decay <= 1")
        super().__init__(seed)
        self.temperature = float(temperature)
        self.decay = float(decay)
        self.minimum = float(minimum)
        self.noise = np.random.default_rng(self.rng.randrange(2**32))

    def build(self, decision: Any) -> None:
        import keras

        decision.logits = decision.add_weight(shape=(decision.count,), initializer="zeros", name="logits")
        decision.gumbel = decision.add_weight(shape=(decision.count,), initializer="zeros", trainable=False, name="gumbel")
        decision.tau = decision.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.temperature), trainable=False, name="tau"
        )

    def weights(self, decision: Any) -> Any:
        """The hard sample in the forward pass, the soft one's gradient in the backward pass."""
        from keras import ops

        noisy = (decision.logits + decision.gumbel) / decision.tau
        if decision.part == "op":
            soft = ops.softmax(noisy)
            hard = ops.one_hot(ops.argmax(soft), decision.count, dtype=soft.dtype)
        else:
            soft = ops.sigmoid(noisy)
            hard = ops.cast(soft > 0.5, soft.dtype)
        return hard + soft - ops.stop_gradient(soft)

    def probabilities(self, decision: Any) -> Any:
        """What the logits say, without noise: softmax over ops, a sigmoid per input."""
        from keras import ops

        return ops.softmax(decision.logits) if decision.part == "op" else ops.sigmoid(decision.logits)

    def before_batch(self, net: Any) -> None:
        for decision in net.decisions():  # Gumbel noise for ops; logistic (a difference of two Gumbels) for inputs
            draw = self.noise.gumbel if decision.part == "op" else self.noise.logistic
            decision.gumbel.assign(draw(size=decision.count).astype("float32"))

    def after_epoch(self, net: Any, logs: dict[str, float]) -> dict[str, Any]:
        self.temperature = max(self.minimum, self.temperature * self.decay)
        for decision in net.decisions():
            decision.tau.assign(self.temperature)
        return {"weights": net.weights(self.probabilities), "temperature": round(self.temperature, 6)}

    def finish(self, net: Any, count: int) -> list[tuple[dict[str, Any], float | None]]:
        return [(net.as_choice(path), score) for path, score in net.likeliest(net.weights(self.probabilities), count)]

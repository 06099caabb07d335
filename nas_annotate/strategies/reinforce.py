"""`reinforce`: NASNet's controller as a black-box strategy (Zoph & Le, *Neural Architecture
Search with Reinforcement Learning*, ICLR 2017; NNI's PolicyBasedRL).

The policy holds independent softmax logits for every decision of the space (each layer's op,
its set of inputs, each hyperparameter with finitely many values; continuous ones are drawn at
random).  Each completed trial is one REINFORCE step: its advantage is its value less a moving
baseline, divided by the spread of the values so far (so the step does not depend on the
value's scale), and every decision's logits move by `lr * advantage * (onehot(taken) - p)`,
plus an entropy bonus that keeps the policy from collapsing early.  An architecture the study
has tried already is drawn again, up to `retries` times.

The policy is rebuilt from the study's completed trials (in the order of their numbers), so it
resumes, and runs under --jobs and on many machines, as any strategy of ours.
"""

from __future__ import annotations

import math
import random
import statistics
from typing import Any

from .base import BlackBoxStrategy, History, Space, canonical


class Reinforce(BlackBoxStrategy):
    """NASNet's controller: a policy over every decision, trained by REINFORCE with a moving baseline."""

    def __init__(
        self, space: Space, seed: int | None = None, lr: float = 0.5, baseline_decay: float = 0.8,
        entropy: float = 0.01, retries: int = 50,
    ) -> None:
        if lr <= 0 or not 0 <= baseline_decay < 1 or entropy < 0 or retries < 0:
            raise ValueError("reinforce needs lr > 0, 0 <= baseline_decay < 1, entropy >= 0 and retries >= 0")
        super().__init__(space, seed)
        self.lr, self.decay, self.entropy, self.retries = float(lr), float(baseline_decay), float(entropy), int(retries)
        self._reset()

    def _reset(self) -> None:
        self.logits = {decision.name: [0.0] * len(decision.options) for decision in self.space.decisions}
        self.baseline: float | None = None
        self.rewards: list[float] = []
        self.learned: list[int] = []  # the trial numbers the policy has learned from, in order

    def probabilities(self, name: str) -> list[float]:
        """The policy's probability of each option of the decision `name`."""
        logits = self.logits[name]
        top = max(logits)
        exp = [math.exp(v - top) for v in logits]
        total = sum(exp)
        return [v / total for v in exp]

    def ask(self, history: History) -> dict[str, Any]:
        self._learn(history)
        seen = history.seen()
        choice = self._draw()
        for _ in range(self.retries):
            if canonical(choice) not in seen:
                break
            choice = self._draw()
        return choice

    def _draw(self) -> dict[str, Any]:
        picks = {}
        for decision in self.space.decisions:
            index = self.rng.choices(range(len(decision.options)), self.probabilities(decision.name))[0]
            picks[decision.name] = decision.options[index]
        return self.space.choice(picks, self.rng)

    def _learn(self, history: History) -> None:
        """Bring the policy up to date with the completed trials (replayed from the start when
        one completed out of order)."""
        completed = sorted(history.completed(), key=lambda result: result.number)
        numbers = [result.number for result in completed]
        if numbers[: len(self.learned)] != self.learned:
            self._reset()
        for result in completed[len(self.learned) :]:
            self.update(self.space.picks(result.choice), history.score(result))
            self.learned.append(result.number)

    def update(self, picks: dict[str, Any], reward: float) -> None:
        """One REINFORCE step towards the decisions `picks`, by the advantage of `reward`."""
        self.rewards.append(reward)
        if self.baseline is None:
            self.baseline = reward
        spread = statistics.pstdev(self.rewards) if len(self.rewards) > 1 else 0.0
        advantage = (reward - self.baseline) / spread if spread > 1e-12 else 0.0
        self.baseline = self.decay * self.baseline + (1 - self.decay) * reward
        for decision in self.space.decisions:
            taken = decision.options.index(picks[decision.name])
            probabilities = self.probabilities(decision.name)
            entropy = -sum(p * math.log(p) for p in probabilities if p > 0)
            logits = self.logits[decision.name]
            for i, p in enumerate(probabilities):
                bonus = -p * (math.log(p) + entropy) if p > 0 else 0.0  # d entropy / d logit_i
                logits[i] += self.lr * (advantage * ((1.0 if i == taken else 0.0) - p) + self.entropy * bonus)


def most_likely(strategy: Reinforce, rng: random.Random | None = None) -> dict[str, Any]:
    """The policy's most likely architecture (continuous hyperparameters drawn from `rng`)."""
    picks = {}
    for decision in strategy.space.decisions:
        probabilities = strategy.probabilities(decision.name)
        picks[decision.name] = decision.options[max(range(len(probabilities)), key=probabilities.__getitem__)]
    return strategy.space.choice(picks, rng)

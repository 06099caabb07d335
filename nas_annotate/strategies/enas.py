"""enas: ENAS (Pham et al., 2018) on the one-shot interface, in its simplest form.

Before every training batch one path is drawn and set, so each step trains the shared weights
of one architecture.  `policy="learned"`: paths come from ENAS's controller reduced to
independent softmax logits per decision (each layer's op, and its set of inputs), uniform for
`warmup` epochs, then after every batch the path just trained is scored on a validation batch
and the policy takes a REINFORCE step with a moving-average baseline.  `policy="uniform"`:
uniform paths (random search with weight sharing, Li & Talwalkar 2019).  At the end `paths`
distinct architectures (the policy's most likely first, then draws from it) are scored with the
shared weights on the validation data, BatchNorm statistics recomputed per path, and ranked.
"""

from __future__ import annotations

import math
import random
from typing import Any, Iterator

from .base import OneShotStrategy

POLICIES = ("learned", "uniform")
Path = dict[str, tuple[int, tuple[int, ...]]]


class Policy:
    """ENAS's controller in its simplest form: independent softmax logits per decision (each
    layer's op, and its set of inputs), trained by REINFORCE with a moving-average baseline."""

    def __init__(self, sites: dict[str, Any], rng: random.Random, lr: float, entropy: float) -> None:
        self.sites = sites
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
        for key, site in self.sites.items():
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
        for key, site in self.sites.items():  # a layer without an input decision has one subset
            path[key] = (drawn[(key, "op")], site.subsets[drawn.get((key, "inputs"), 0)])
        return path

    def update(self, path: Path, reward: float) -> None:
        """One REINFORCE step: raise the log-probability of `path` by its advantage."""
        if self.baseline is None:
            self.baseline = reward
        advantage = reward - self.baseline
        self.baseline = 0.95 * self.baseline + 0.05 * reward
        for key, part, count in self._decisions():
            site = self.sites[key]
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


class Enas(OneShotStrategy):
    """ENAS: one path per batch, from a learned policy (or uniform); paths ranked with the shared weights."""

    needs_validation = True  # the policy's steps and the ranking

    def __init__(
        self, seed: int | None = None, policy: str = "learned", paths: int = 20, warmup: int = 1,
        policy_lr: float = 0.1, entropy: float = 0.01,
    ) -> None:
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, not {policy!r}")
        if int(paths) < 1:
            raise ValueError("paths must be at least 1")
        super().__init__(seed)
        self.learned = policy == "learned"
        self.paths = int(paths)
        self.warmup = int(warmup)
        self.policy_lr = float(policy_lr)
        self.entropy = float(entropy)
        self.policy: Policy | None = None
        self.path: Path | None = None
        self.rewards: list[float] = []

    def _policy(self, net: Any) -> Policy:
        if self.policy is None:
            self.policy = Policy(net.sites, self.rng, self.policy_lr, self.entropy)
        return self.policy

    def _learning(self, net: Any) -> bool:
        return self.learned and net.epochs >= self.warmup

    def before_batch(self, net: Any) -> None:
        self.path = self._policy(net).sample(uniform=not self._learning(net))
        net.set_path(self.path)

    def after_batch(self, net: Any) -> None:
        if not self._learning(net) or self.path is None:
            return
        batch = net.validation_batch()
        if batch is None:
            return
        reward = net.batch_score(*batch)
        self.rewards.append(reward)
        self._policy(net).update(self.path, reward)

    def after_epoch(self, net: Any, logs: dict[str, float]) -> dict[str, Any] | None:
        if not self.learned:
            return None
        recent = self.rewards[-50:]
        return {"policy": self._policy(net).snapshot(), "reward": round(sum(recent) / len(recent), 6) if recent else None}

    def finish(self, net: Any, count: int) -> list[tuple[dict[str, Any], float | None]]:
        """`paths` distinct architectures (at least `count`; the policy's most likely first),
        each scored with the shared weights, best first."""
        policy = self._policy(net)
        wanted = max(self.paths, count)
        paths: list[Path] = [policy.best()] if self.learned else []
        seen = {_signature(p) for p in paths}
        for _ in range(wanted * 50):
            if len(paths) >= wanted:
                break
            path = policy.sample(uniform=not self.learned)
            if _signature(path) not in seen:
                seen.add(_signature(path))
                paths.append(path)
        scored = [(net.as_choice(path), net.score(path)) for path in paths]
        return sorted(scored, key=lambda item: -item[1])


def _signature(path: Path) -> tuple[Any, ...]:
    return tuple(sorted(path.items()))

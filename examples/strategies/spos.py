"""A one-shot strategy of our interface: SPOS, single-path one-shot (Guo et al., 2020).

    nas-annotate search examples/digits/train.py --sampler examples/strategies/spos.py:Spos -- --epochs 15
    nas-annotate search examples/digits/train.py --sampler examples/strategies/spos.py:Spos \\
        --sampler-option population=12 --sampler-option generations=4 -- --epochs 15

Training: before every batch one path is drawn uniformly and set, so the shared weights of
every architecture are trained alike (no architecture parameters at all).  Then an
evolutionary search over architectures, each scored with the shared weights on the validation
data (BatchNorm statistics recomputed for it, by the framework's `net.score`):
`population` random paths, then `generations` of children, each the crossover of two of the
`parents` best so far with every layer re-drawn at random with probability `mutation`.  Every
architecture scored is ranked; the best are retrained.  Each path trains on a fraction of the
batches, so give the supernet about three times a standalone network's epochs (15 on digits,
where it then returns a top-quarter architecture within an 8-trial TPE search's time).
"""

from __future__ import annotations

from typing import Any

from nas_annotate.strategies import OneShotStrategy

Path = dict[str, tuple[int, tuple[int, ...]]]


class Spos(OneShotStrategy):
    """SPOS: uniform single paths while training, then evolution over paths scored with the shared weights."""

    def __init__(
        self, seed: int | None = None, population: int = 8, generations: int = 2, parents: int = 4, mutation: float = 0.25,
    ) -> None:
        if int(population) < 2 or int(parents) < 1 or int(generations) < 0 or not 0 <= float(mutation) <= 1:
            raise ValueError("spos needs population >= 2, parents >= 1, generations >= 0 and 0 <= mutation <= 1")
        super().__init__(seed)
        self.population = int(population)
        self.generations = int(generations)
        self.parents = int(parents)
        self.mutation = float(mutation)

    def before_batch(self, net: Any) -> None:
        net.set_path(net.random_path(self.rng))

    def finish(self, net: Any, count: int) -> list[tuple[dict[str, Any], float | None]]:
        scored: dict[tuple[Any, ...], tuple[Path, float]] = {}
        generation = self._fresh([net.random_path(self.rng) for _ in range(self.population * 20)], scored)
        for _ in range(self.generations):
            for path in generation:
                scored[_signature(path)] = (path, net.score(path))
            best = [path for path, _ in sorted(scored.values(), key=lambda item: -item[1])[: self.parents]]
            generation = self._fresh([self._child(net, best) for _ in range(self.population * 20)], scored)
        for path in generation:
            scored[_signature(path)] = (path, net.score(path))
        ranked = sorted(scored.values(), key=lambda item: -item[1])
        return [(net.as_choice(path), score) for path, score in ranked]

    def _child(self, net: Any, parents: list[Path]) -> Path:
        """A crossover of two parents, each layer then re-drawn with probability `mutation`."""
        mother, father, fresh = self.rng.choice(parents), self.rng.choice(parents), net.random_path(self.rng)
        return {
            key: fresh[key] if self.rng.random() < self.mutation else self.rng.choice((mother[key], father[key]))
            for key in mother
        }

    def _fresh(self, paths: list[Path], scored: dict[tuple[Any, ...], Any]) -> list[Path]:
        """Up to `population` distinct paths of `paths` not scored yet."""
        found: dict[tuple[Any, ...], Path] = {}
        for path in paths:
            if _signature(path) not in scored and len(found) < self.population:
                found.setdefault(_signature(path), path)
        return list(found.values())


def _signature(path: Path) -> tuple[Any, ...]:
    return tuple(sorted(path.items()))

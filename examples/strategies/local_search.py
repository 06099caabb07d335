"""A black-box strategy in our protocol: local search, which changes one decision of the best
architecture so far.

    nas-annotate search examples/toy/score.py --sampler examples/strategies/local_search.py:LocalSearch --trials 40
    nas-annotate search examples/digits/train.py --sampler examples/strategies/local_search.py:LocalSearch \\
        --sampler-option start=8 -- --epochs 5

It draws `start` architectures at random; then each new one is a neighbour (one decision
changed) of one of the `top` best so far, never one the study has tried.  When every neighbour
of those has been tried, it draws at random again.  It keeps no state of its own: everything
comes from the history, so it resumes, and runs with --jobs and on many machines.
"""

from __future__ import annotations

from typing import Any

from nas_annotate.strategies import BlackBoxStrategy, History, Space, canonical


class LocalSearch(BlackBoxStrategy):
    """Change one decision of one of the best architectures so far (random until `start` trials)."""

    def __init__(self, space: Space, seed: int | None = None, start: int = 5, top: int = 3) -> None:
        if start < 1 or top < 1:
            raise ValueError("local search needs start >= 1 and top >= 1")
        super().__init__(space, seed)
        self.start = start
        self.top = top

    def ask(self, history: History) -> dict[str, Any]:
        seen = history.seen()
        if len(history.completed()) >= self.start:
            for parent in self.rng.sample(history.best(self.top), k=min(self.top, len(history.completed()))):
                fresh = [child for child in self.space.neighbours(parent.choice) if canonical(child) not in seen]
                if fresh:
                    return self.rng.choice(fresh)
        for _ in range(100):
            choice = self.space.random(self.rng)
            if canonical(choice) not in seen:
                break
        return choice

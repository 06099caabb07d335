"""Search strategies as plug-ins: the interfaces (base.py), finding one by name (registry.py),
the built-ins (builtin.py, and a module per strategy of ours), and our black-box protocol as an
Optuna sampler (adapter.py, the only module here that imports Optuna).

    from nas_annotate.strategies import BlackBoxStrategy, Child, History, OneShotStrategy, Result, Space

docs/strategies.md is the tutorial and the reference.
"""

from __future__ import annotations

from .base import BlackBoxStrategy, Child, Continuous, Decision, History, OneShotStrategy, Result, Space, canonical

__all__ = ["BlackBoxStrategy", "Child", "Continuous", "Decision", "History", "OneShotStrategy", "Result", "Space", "canonical"]

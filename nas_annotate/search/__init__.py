"""Architecture search over an annotated script, with Optuna: `nas-annotate search`.

`search(Options(script=..., sampler="tpe", trials=20))` runs it from Python; see driver.py
for the loop, worker.py for how trials run, space.py for the encoding, results.py for output.
Optuna is needed (`pip install 'nas-annotate[search]'`); it is imported only here.
"""

from __future__ import annotations

from .driver import SAMPLERS, Options, Outcome, SearchProblem, search

__all__ = ["SAMPLERS", "Options", "Outcome", "SearchProblem", "search"]

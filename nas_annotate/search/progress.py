"""How a search shows its trials: a progress bar on a terminal, a line per trial elsewhere."""

from __future__ import annotations

import sys
from typing import Any, Callable

from . import objectives as objectives_module
from .objectives import Objective
from .options import Options

class Progress:
    """A progress bar on a terminal, a line per trial elsewhere."""

    def __init__(self, total: int, options: Options, say: Callable[[str], None]) -> None:
        self.say = say
        self.quiet = options.quiet
        self.bar = None
        interactive = sys.stderr.isatty() if options.progress is None else options.progress
        if interactive and not options.quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="trial", file=sys.stderr, dynamic_ncols=True)

    def done(
        self, number: int, state: Any, values: list[float] | None, duration: float, error: str | None, study: Any,
        objectives: list[Objective],
    ) -> None:
        from optuna.trial import TrialState

        shown = objectives_module.shown(values, objectives) if values is not None else state.name.lower()
        line = f"trial {number}: {shown} in {duration:.1f} s" + (f" ({error})" if error else "")
        if len(objectives) > 1:
            front = len(study.best_trials)
            standing = {"front": front} if front else {}
            text = f"; front: {front} trial(s)"
        else:
            try:
                standing = {"best": f"{study.best_value:.6g}"}
            except ValueError:
                standing = {}
            text = f"; best so far {standing.get('best')}"
        if self.bar is not None:
            self.bar.update(1)
            if standing:
                self.bar.set_postfix(standing)
            if state != TrialState.COMPLETE:
                self.bar.write(line, file=sys.stderr)
        elif not self.quiet:
            self.say(line + (text if standing else ""))

    def end(self, total: int) -> None:
        """Fewer trials than planned will run (the grid ended early)."""
        if self.bar is not None:
            self.bar.total = total
            self.bar.refresh()

    def note(self, text: str) -> None:
        """A line on stderr, above the bar if there is one (none with --quiet)."""
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        elif not self.quiet:
            self.say(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

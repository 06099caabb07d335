"""The reporting API: a trial tells whoever is listening how well it did.

`report(value, step=None)` is an intermediate result when `step` is given and the final one
otherwise.  It goes to the `nas-annotate search` that started the trial (a JSON line appended
to the file named by `NAS_ANNOTATE_REPORT`), or to NNI when the trial runs under NNI
(`NNI_PLATFORM` set).  With nobody listening it only records the value: `reported()`.

Report annotations expand to `intermediate(value)`, which numbers the steps itself (0, 1, 2,
... in a process), and `final(value)`, which is `report(value)`.
"""

from __future__ import annotations

import itertools
import json
import math
import numbers
import os
from typing import Any

ENV = "NAS_ANNOTATE_REPORT"

_history: list[tuple[int | None, float]] = []
_steps = itertools.count()


def _number(value: Any) -> float:
    """A plain float from a Python, NumPy or TensorFlow scalar."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"report() needs a real number, not {type(value).__name__}")
    return float(value)


def report(value: Any, step: int | None = None) -> None:
    """Report `value`: intermediate at `step` when it is given, final otherwise."""
    number = _number(value)
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, numbers.Integral):
            raise TypeError(f"report() step must be an integer, not {type(step).__name__}")
        step = int(step)
    _history.append((step, number))
    channel = os.environ.get(ENV)
    if channel:
        line = json.dumps({"step": step, "value": number if math.isfinite(number) else repr(number)})
        with open(channel, "a", encoding="utf-8") as stream:
            stream.write(line + "\n")
        return
    nni = _nni()
    if nni is not None:
        nni_parameters()  # NNI takes no result from a trial that has not asked for its parameters
        if step is None:
            nni.report_final_result(number)
        else:
            nni.report_intermediate_result(number)


def intermediate(value: Any) -> None:
    """Report `value` as the next intermediate result: steps 0, 1, 2, ... in this process."""
    number = _number(value)
    report(number, step=next(_steps))


def final(value: Any) -> None:
    """Report `value` as the final result."""
    report(value)


def _nni() -> Any:
    """The `nni` module when this process is an NNI trial (`NNI_PLATFORM` set), else None."""
    if not os.environ.get("NNI_PLATFORM"):
        return None
    try:
        import nni  # type: ignore[import-not-found]
    except ImportError:
        return None
    return nni


def nni_parameters() -> dict[str, Any] | None:
    """This NNI trial's parameters, asked of NNI once however many ask (the choice, a report,
    `@nni.get_next_parameter()`); None when the process is not an NNI trial."""
    nni = _nni()
    if nni is None:
        return None
    current = nni.get_current_parameter()
    return dict(current if current is not None else nni.get_next_parameter() or {})


def reported() -> list[tuple[int | None, float]]:
    """Every `(step, value)` reported in this process so far; `step` is None for a final result."""
    return list(_history)

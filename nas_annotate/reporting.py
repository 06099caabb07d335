"""The reporting API: a trial tells whoever is listening how well it did.

`report(value, step=None)` is an intermediate result when `step` is given and the final one
otherwise.  `value` is a real number or, as in NNI, a mapping of names to real numbers whose
"default" entry is the primary value.  It goes to the `nas-annotate search` that started the
trial (a JSON line appended to the file named by `NAS_ANNOTATE_REPORT`), or to NNI, as it is,
when the trial runs under NNI (`NNI_PLATFORM` set).  With nobody listening it only records the
value: `reported()`.

Under a search, `NAS_ANNOTATE_OBJECTIVES` names the search's objectives (a JSON list): a final
report must give each of them a number (`params`, when not reported, is counted from the
trial's Keras model: `counting.py`), else the report stops the trial with an error naming its
file, line and the entry.

Report annotations expand to `intermediate(value)`, which numbers the steps itself (0, 1, 2,
... in a process), and `final(value)`, which is `report(value)`.
"""

from __future__ import annotations

import itertools
import json
import math
import numbers
import os
import sys
from collections.abc import Mapping
from typing import Any, Union

from .diagnostics import RunError

ENV = "NAS_ANNOTATE_REPORT"
OBJECTIVES_ENV = "NAS_ANNOTATE_OBJECTIVES"
PRIMARY = "default"  # the primary entry of a mapping, as in NNI
COUNTED = "params"  # the objective the runtime counts when the report does not give it

Value = Union[float, dict[str, float]]

_history: list[tuple[int | None, Value]] = []
_steps = itertools.count()
_PACKAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")


class ReportError(RunError, TypeError):
    """A report's value is not what its listener takes; the message names FILE:LINE and the entry."""


def _where() -> str:
    """`file:line: ` of the report: the innermost caller outside nas_annotate."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}: "


def _number(value: Any) -> float | None:
    """A plain float from a Python, NumPy or TensorFlow scalar; None when it is none of those."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    if hasattr(value, "item"):
        try:
            value = value.item()
        except (ValueError, TypeError):  # an array of more than one element
            return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} ({text if len(text) <= 40 else text[:37] + '...'})"


def _value(value: Any) -> Value:
    """`value` as a float or a dict of floats; a ReportError for anything else."""
    if not isinstance(value, Mapping):
        number = _number(value)
        if number is None:
            raise ReportError(f"{_where()}error: a report takes a real number or a mapping of names to real numbers, not {_shown(value)}")
        return number
    if not value:
        raise ReportError(f"{_where()}error: the report is an empty mapping: give it a '{PRIMARY}' entry, the primary value")
    entries: dict[str, float] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise ReportError(f"{_where()}error: a report's keys are names (str), not {_shown(key)}")
        number = _number(item)
        if number is None:
            raise ReportError(f"{_where()}error: the report's {key!r} is {_shown(item)}, not a real number")
        entries[key] = number
    return entries


def objective_values(value: Value, names: list[str]) -> list[float | None]:
    """The value of each objective in a report: the entry of its name; a plain number is the
    "default" entry, and the first objective's value too unless that is `params`
    (`--objective accuracy:max` on a script reporting its accuracy alone). None where the
    report has no value for it."""
    if not isinstance(value, dict):
        return [value if name == PRIMARY or i == 0 and name != COUNTED else None for i, name in enumerate(names)]
    return [value.get(name) for name in names]


def _objectives() -> list[str]:
    text = os.environ.get(OBJECTIVES_ENV)
    return list(json.loads(text)) if text else []


def _complete(value: Value, names: list[str]) -> tuple[Value, list[float]]:
    """A final report checked against the search's objectives, with `params` counted if it is
    one of them and the report does not give it; and the value of each objective."""
    values = objective_values(value, names)
    if COUNTED in names and values[names.index(COUNTED)] is None:
        from .counting import NoModel, model_params

        try:
            values[names.index(COUNTED)] = counted = float(model_params())
        except NoModel as exc:
            raise ReportError(f"{_where()}error: the objective '{COUNTED}' is not in the report, and {exc}") from None
        value = {**(value if isinstance(value, dict) else {PRIMARY: value}), COUNTED: counted}
    wanted = ", ".join(names)
    for name, number in zip(names, values):
        if number is None:
            given = "has " + ", ".join(repr(key) for key in value) if isinstance(value, dict) else "reports only a number"
            if name == PRIMARY:
                raise ReportError(
                    f"{_where()}error: the report has no '{PRIMARY}', the primary value that this single-objective search "
                    f"optimizes (it {given}): add one, or search an entry with --objective NAME:max|min"
                )
            raise ReportError(f"{_where()}error: the report has no {name!r}, an objective of this search ({wanted}); it {given}")
        if math.isnan(number):
            what = "the final result" if not isinstance(value, dict) else f"the report's {name!r}"
            why = ": the search needs a number" if names == [PRIMARY] else f", and it is an objective of this search ({wanted})"
            raise ReportError(f"{_where()}error: {what} is NaN{why}")
    return value, values  # type: ignore[return-value]


def _encoded(value: Any) -> Any:
    """JSON for a value or a list of them: non-finite numbers as strings ("nan", "inf")."""
    if isinstance(value, dict):
        return {key: _encoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_encoded(item) for item in value]
    return value if math.isfinite(value) else repr(value)


def report(value: Any, step: int | None = None) -> None:
    """Report `value` (a number, or a mapping of names to numbers with "default" the primary
    one): intermediate at `step` when it is given, final otherwise."""
    checked = _value(value)
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, numbers.Integral):
            raise ReportError(f"{_where()}error: a report's step must be an integer, not {_shown(step)}")
        step = int(step)
    names = _objectives()
    entry: dict[str, Any] = {"step": step, "value": checked}
    if step is None and names:
        entry["value"], entry["objectives"] = _complete(checked, names)
    _history.append((step, checked))
    channel = os.environ.get(ENV)
    if channel:
        line = json.dumps({key: item if key == "step" else _encoded(item) for key, item in entry.items()})
        with open(channel, "a", encoding="utf-8") as stream:
            stream.write(line + "\n")
        return
    nni = _nni()
    if nni is not None:
        if isinstance(checked, dict) and PRIMARY not in checked:
            given = ", ".join(repr(key) for key in checked)
            raise ReportError(f"{_where()}error: NNI takes a mapping with a '{PRIMARY}' entry, the value its tuners optimize; this one has {given}")
        nni_parameters()  # NNI takes no result from a trial that has not asked for its parameters
        if step is None:
            nni.report_final_result(checked)
        else:
            nni.report_intermediate_result(checked)


def intermediate(value: Any) -> None:
    """Report `value` as the next intermediate result: steps 0, 1, 2, ... in this process."""
    report(_value(value), step=next(_steps))


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


def reported() -> list[tuple[int | None, Value]]:
    """Every `(step, value)` reported in this process so far; `step` is None for a final result,
    `value` a float or, for a mapping, a dict of floats."""
    return list(_history)

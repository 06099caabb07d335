"""Finding a strategy by the name `--sampler` gives, and its options from the command line.

A name is a built-in (builtin.py), an installed package's entry point in the group
`nas_annotate.strategies`, `MODULE:NAME`, or `PATH.py:NAME`.  What it names is one of:

- a `OneShotStrategy` subclass (one-shot);
- an Optuna `BaseSampler` subclass, a function returning a sampler, or a sampler object (optuna);
- a class with an `ask` method: our black-box protocol (black-box).

Every problem is a `StrategyProblem`: one line, raised before any trial runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from typing import Any

from .base import OneShotStrategy
from .builtin import STRATEGIES as BUILTINS
from .kinds import BLACKBOX, ONESHOT, OPTUNA, Option, Strategy, StrategyProblem, describe, kind_of, one_line

__all__ = ["BLACKBOX", "ONESHOT", "OPTUNA", "GROUP", "Option", "Strategy", "StrategyProblem", "available", "find", "in_file",
           "parse_options"]

GROUP = "nas_annotate.strategies"


def parse_options(items: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """`KEY=VALUE` items as a mapping; a value is JSON where it parses as JSON, else a string."""
    found: dict[str, Any] = {}
    for item in items:
        name, equals, text = item.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise StrategyProblem(f"--sampler-option {item!r}: write KEY=VALUE, KEY a Python name")
        if name in found:
            raise StrategyProblem(f"--sampler-option {name!r} is given twice")
        try:
            found[name] = json.loads(text)
        except ValueError:
            found[name] = text
    return found


def find(name: str) -> Strategy:
    """The strategy `name` names (see the module's docstring)."""
    builtins = BUILTINS
    if name in builtins:
        return builtins[name]()
    installed = _entry_points()
    if name in installed:
        try:
            target = installed[name].load()
        except Exception as exc:  # noqa: BLE001
            raise StrategyProblem(f"strategy {name!r} (entry point {installed[name].value}) does not import: {one_line(exc)}") from None
        return describe(name, target)
    if ":" not in name:
        known = ", ".join(list(builtins) + sorted(installed))
        raise StrategyProblem(f"unknown strategy {name!r}: use one of {known}, MODULE:NAME or PATH.py:NAME")
    where, _, attribute = name.rpartition(":")
    if not where or not attribute:
        raise StrategyProblem(f"strategy {name!r}: write MODULE:NAME or PATH.py:NAME")
    is_file = where.endswith(".py") or os.sep in where or "/" in where
    module = load_file(where) if is_file else load_module(where)
    target = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            names = [n for n in defined(module)]
            listing = f"; it defines {', '.join(names)}" if names else "; it defines no strategy"
            raise StrategyProblem(f"strategy {name!r}: {where} has no {attribute!r}{listing}")
        target = getattr(target, part)
    strategy = describe(name, target)
    if is_file:
        strategy.spec = f"{os.path.abspath(where)}:{attribute}"  # a trial may run elsewhere
    return strategy


def load_module(dotted: str) -> Any:
    try:
        return importlib.import_module(dotted)
    except Exception as exc:  # noqa: BLE001  (ImportError, or the module's own error)
        raise StrategyProblem(f"strategy module {dotted!r} does not import: {one_line(exc)}") from None


def load_file(path: str) -> Any:
    """The module of a strategy file, imported once per process under a name of its own."""
    full = os.path.abspath(path)
    if not os.path.isfile(full):
        raise StrategyProblem(f"strategy file {path!r}: no such file")
    name = "nas_annotate_strategy_" + "".join(c if c.isalnum() else "_" for c in full)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, full)
    if spec is None or spec.loader is None:
        raise StrategyProblem(f"strategy file {path!r} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001
        del sys.modules[name]
        raise StrategyProblem(f"strategy file {path!r} does not import: {one_line(exc)}") from None
    return module


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    try:
        found = entry_points(group=GROUP)
    except TypeError:  # Python < 3.10's API
        found = entry_points().get(GROUP, [])  # type: ignore[attr-defined]
    return {point.name: point for point in found}


def defined(module: Any) -> list[str]:
    """The names of the strategies a module defines (not those it imports)."""
    names = []
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if value is OneShotStrategy:
            continue
        if kind_of(value) is not None:
            names.append(name)
    return names


def available() -> list[Strategy]:
    """Every strategy `--sampler NAME` can name: the built-ins, then the installed ones."""
    found = [make() for make in BUILTINS.values()]
    for name, point in sorted(_entry_points().items()):
        try:
            found.append(describe(name, point.load()))
        except Exception as exc:  # noqa: BLE001  (listed, with why it cannot be used)
            found.append(Strategy(name, name, summary=f"does not load: {one_line(exc)}"))
    return found


def in_file(path: str) -> list[Strategy]:
    """The strategies a file (or module) defines, each named as `--sampler` takes it."""
    module = load_file(path) if path.endswith(".py") or os.sep in path else load_module(path)
    return [describe(f"{path}:{name}", getattr(module, name)) for name in defined(module)]



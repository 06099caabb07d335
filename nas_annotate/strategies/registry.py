"""Finding a strategy by the name `--sampler` gives, and making it with its options.

A name is a built-in (`BUILTINS`), an installed package's entry point in the group
`nas_annotate.strategies`, `MODULE:NAME`, or `PATH.py:NAME`.  What it names is one of:

- a `OneShotStrategy` subclass (one-shot);
- an Optuna `BaseSampler` subclass, a function returning a sampler, or a sampler object (optuna);
- a class with an `ask` method: our black-box protocol (blackbox).

Every problem is a `StrategyProblem`: one line, raised before any trial runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

from .base import OneShotStrategy

GROUP = "nas_annotate.strategies"
BLACKBOX, ONESHOT, OPTUNA = "black-box", "one-shot", "optuna"
RESERVED = ("self", "space", "seed")  # given by the search, never options


class StrategyProblem(Exception):
    """A strategy that cannot be found, loaded or made as asked; the message is one line."""


@dataclass(frozen=True)
class Option:
    """One option of a strategy: its name, default (`inspect.Parameter.empty`: required) and help."""

    name: str
    default: Any = inspect.Parameter.empty
    help: str = ""

    def show(self) -> str:
        if self.default is inspect.Parameter.empty:
            return f"{self.name} (required)"
        return f"{self.name}={json.dumps(self.default) if _jsonable(self.default) else repr(self.default)}"


@dataclass
class Strategy:
    """A strategy found by name: what it is, how it is made, what options it takes."""

    name: str  # as given to --sampler
    spec: str = ""  # how another process finds it again (a file by its full path)
    kind: str = BLACKBOX  # BLACKBOX, ONESHOT or OPTUNA
    target: Any = None  # the class, function or sampler object
    options: list[Option] = field(default_factory=list)
    open_options: bool = False  # it takes **kwargs: any option
    takes_seed: bool = False
    summary: str = ""
    builtin: bool = False

    @property
    def label(self) -> str:
        """`black-box` or `one-shot`: what `nas-annotate strategies` shows."""
        return ONESHOT if self.kind == ONESHOT else BLACKBOX

    def check_options(self, given: dict[str, Any]) -> None:
        """Raise StrategyProblem naming an option the strategy does not take, or a missing one."""
        known = {option.name for option in self.options}
        for name in given:
            if name in RESERVED:
                what = "give --seed" if name == "seed" else "the search gives it"
                raise StrategyProblem(f"strategy {self.name!r}: {name!r} is not an option ({what})")
            if name not in known and not self.open_options:
                import difflib

                close = difflib.get_close_matches(name, sorted(known), n=1)
                listing = f"; did you mean {close[0]!r}?" if close else (
                    f"; its options: {', '.join(sorted(known))}" if known else "; it takes no options"
                )
                raise StrategyProblem(f"strategy {self.name!r} takes no option {name!r}{listing}")
        missing = [o.name for o in self.options if o.default is inspect.Parameter.empty and o.name not in given]
        if missing:
            raise StrategyProblem(f"strategy {self.name!r} needs the option(s) {', '.join(missing)} (--sampler-option NAME=VALUE)")

    def make(self, given: dict[str, Any], seed: int | None, *args: Any) -> Any:
        """An instance made with `args` (the space, for our black-box protocol), the seed where
        the strategy takes one, and the options; StrategyProblem when that fails."""
        self.check_options(given)
        if self.kind == OPTUNA and not callable(self.target):
            return self.target
        kwargs = dict(given)
        if self.takes_seed:
            kwargs["seed"] = seed
        try:
            return self.target(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001  (the strategy's own complaint, on one line)
            raise StrategyProblem(f"strategy {self.name!r} could not be made: {one_line(exc)}") from None


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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


def _builtins() -> dict[str, Callable[[], Strategy]]:
    from . import builtin

    return builtin.STRATEGIES


def find(name: str) -> Strategy:
    """The strategy `name` names (see the module's docstring)."""
    builtins = _builtins()
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


def _is_sampler_class(target: Any) -> bool:
    base = _optuna_base()
    return base is not None and inspect.isclass(target) and issubclass(target, base)


def _optuna_base() -> Any:
    if "optuna" not in sys.modules and importlib.util.find_spec("optuna") is None:
        return None
    from optuna.samplers import BaseSampler

    return BaseSampler


def kind_of(target: Any) -> str | None:
    """What `target` is as a strategy, or None when it is none."""
    if inspect.isclass(target):
        if issubclass(target, OneShotStrategy):
            return ONESHOT
        if _is_sampler_class(target):
            return OPTUNA
        if callable(getattr(target, "ask", None)):
            return BLACKBOX
        return None
    base = _optuna_base()
    if base is not None and isinstance(target, base):
        return OPTUNA
    if inspect.isfunction(target) or inspect.ismethod(target):
        returns = inspect.signature(target).return_annotation
        if isinstance(returns, str):  # `from __future__ import annotations`
            return OPTUNA if returns.rpartition(".")[2].endswith("Sampler") else None
        return OPTUNA if _is_sampler_class(returns) else None
    return None


def describe(name: str, target: Any) -> Strategy:
    """The strategy `target` is, found as `name`; StrategyProblem when it is none."""
    kind = kind_of(target)
    if kind is None:
        required = inspect.isfunction(target) and [
            p.name for p in inspect.signature(target).parameters.values()
            if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        if inspect.isfunction(target) and not required:
            kind = OPTUNA  # a function of unknown return: taken as a sampler factory, checked when called
        elif inspect.isfunction(target):
            raise StrategyProblem(
                f"strategy {name!r} is a function of {', '.join(required)}: a strategy function takes only options "
                "with defaults and returns an Optuna sampler"
            )
        else:
            what = f"class {target.__name__}" if inspect.isclass(target) else type(target).__name__
            raise StrategyProblem(
                f"strategy {name!r} is a {what}: neither an Optuna BaseSampler (class, or function returning one), "
                "a class with ask(history) (our black-box protocol), nor a OneShotStrategy subclass"
            )
    strategy = Strategy(name, name, kind, target, summary=_summary(target))
    if kind == OPTUNA and not callable(target):
        return strategy
    function = target.__init__ if inspect.isclass(target) else target
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        strategy.open_options = True
        return strategy
    if inspect.isclass(target):
        parameters = parameters[1:]  # self
    if kind == BLACKBOX and parameters and parameters[0].kind in (parameters[0].POSITIONAL_ONLY, parameters[0].POSITIONAL_OR_KEYWORD):
        parameters = parameters[1:]  # the space
    for parameter in parameters:
        if parameter.kind == parameter.VAR_KEYWORD:
            strategy.open_options = True
        elif parameter.kind == parameter.VAR_POSITIONAL:
            continue
        elif parameter.name == "seed":
            strategy.takes_seed = True
        elif parameter.name not in RESERVED:
            strategy.options.append(Option(parameter.name, parameter.default))
    return strategy


def _summary(target: Any) -> str:
    doc = inspect.getdoc(target) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


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
    found = [make() for make in _builtins().values()]
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


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True

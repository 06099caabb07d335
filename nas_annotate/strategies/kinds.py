"""What a strategy is: its kind (one-shot, Optuna's encoding, or our black-box protocol), its
options read off its signature, and how it is made with them.  Every problem is a
`StrategyProblem`: one line, raised before any trial runs."""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from .base import OneShotStrategy

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


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True

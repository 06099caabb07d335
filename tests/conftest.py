"""Tests that need an optional package skip without it, saying which package and which extra
of pyproject.toml provides it: with only `pip install -e .` and pytest, the compiler's tests
run and the rest skip.  Use `needs(...)` as a test's mark (or a module's `pytestmark`), and
`require(...)` at the top of a module that imports the packages itself."""

from __future__ import annotations

import importlib.util

import pytest

# import name: (distribution, the extra that installs it)
EXTRAS: dict[str, tuple[str, str]] = {
    "optuna": ("optuna", "search"),
    "matplotlib": ("matplotlib", "search"),
    "tqdm": ("tqdm", "search"),
    "optuna_dashboard": ("optuna-dashboard", "search"),
    "tensorflow": ("tensorflow", "examples"),
    "sklearn": ("scikit-learn", "examples"),
    "nni": ("nni", "nni"),
    "hypothesis": ("hypothesis", "test"),
    "psycopg2": ("psycopg2-binary", "test"),
    "playwright": ("playwright", "test"),
}
SEARCH = ("optuna", "matplotlib", "tqdm")  # what `nas-annotate search` needs


def missing(*modules: str) -> str | None:
    """Why `modules` cannot all be imported (the missing ones and their extras), or None."""
    lost = [EXTRAS[name] for name in modules if importlib.util.find_spec(name) is None]
    if not lost:
        return None
    extras = ",".join(dict.fromkeys(extra for _, extra in lost))
    return f"needs {', '.join(package for package, _ in lost)}: pip install -e '.[{extras}]'"


def needs(*modules: str) -> pytest.MarkDecorator:
    """Mark: skip unless every one of `modules` (import names, keys of EXTRAS) is installed."""
    reason = missing(*modules)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def require(*modules: str) -> None:
    """Skip the calling test module unless every one of `modules` is installed."""
    __tracebackhide__ = True  # the skip's location: the module, not here
    reason = missing(*modules)
    if reason is not None:
        pytest.skip(reason, allow_module_level=True)

"""The console entry point. `run` takes a fast path that never imports click (a trial's start-up
is paid once per trial); anything that path does not fully understand — help, errors, other
commands — goes to the click command line in `cli.py`, which stays the reference."""

from __future__ import annotations

import os
import sys
from typing import Any

_RUN_OPTIONS = {"-c": "choice", "--choice": "choice", "--sample": "sample", "--seed": "seed", "--package": "packages"}


def parse_run(argv: list[str]) -> dict[str, Any] | None:
    """The arguments of `run` as the click command parses them, or None to leave it to click."""
    values: dict[str, Any] = {"choice": None, "sample": None, "seed": None, "packages": []}
    positional: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            positional += argv[i + 1 :]
            break
        name, equals, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        if name in _RUN_OPTIONS:
            if equals:
                value = inline
            elif i + 1 < len(argv):
                i += 1
                value = argv[i]
            else:
                return None
            if name == "--package":
                values["packages"].append(value)
            else:
                values[_RUN_OPTIONS[name]] = value
        elif token.startswith("-") and token != "-":  # help, -cFILE, or an unknown option: click says what
            return None
        else:
            positional.append(token)
        i += 1
    if not positional or values["sample"] not in (None, "first", "random"):
        return None
    if values["seed"] is not None:
        try:
            values["seed"] = int(values["seed"])
        except ValueError:
            return None
    values["script"], values["args"] = positional[0], tuple(positional[1:])
    values["packages"] = tuple(values["packages"])
    return values


def main() -> None:
    """`nas-annotate`: internal errors (never a user's mistake) become a short message, exit 3."""
    try:
        argv = sys.argv[1:]
        if argv[:1] == ["run"]:
            parsed = parse_run(argv[1:])
            if parsed is not None:
                from .runner import UsageProblem, main as run_main

                try:
                    sys.exit(run_main(**parsed))
                except UsageProblem:
                    pass
        from .cli import run

        run()
    except Exception as exc:
        if os.environ.get("NAS_ANNOTATE_DEBUG"):
            raise
        print(f"nas-annotate: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("Please report it with the input that caused it (NAS_ANNOTATE_DEBUG=1 shows the traceback).", file=sys.stderr)
        sys.exit(3)

"""`nas-annotate strategies [PATH]`: the strategies `--sampler` can name, as a table."""

from __future__ import annotations

from .registry import Strategy, available, in_file


def render(strategies: list[Strategy]) -> str:
    """One row per strategy: its name, kind, options with their defaults, and its first line."""
    rows = [("name", "kind", "options", "what it is")]
    for strategy in strategies:
        options = ", ".join(option.show() for option in strategy.options)
        if strategy.open_options:
            options = ", ".join(filter(None, (options, "any (**kwargs)")))
        rows.append((strategy.name, strategy.label, options or "-", strategy.summary))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3] for row in rows
    ).rstrip() + "\n"


def listing(path: str | None) -> str:
    """The table of every strategy available, or of those `path` defines."""
    if path is None:
        return render(available())
    found = in_file(path)
    if not found:
        return f"{path} defines no strategy (an Optuna BaseSampler, a class with ask(history), or a OneShotStrategy subclass)\n"
    return render(found)

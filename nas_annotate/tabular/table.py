"""A tabular benchmark of one search space (as NAS-Bench-201 is of its cell): every
architecture trained once per seed, as a CSV file with one row per architecture.

Columns: `architecture` (the choice on one line), `choice` (the choice document, JSON),
`space` (the space's fingerprint), `mean` (over the seeds that completed), `params` (where the
script reports it), and per seed S: `seedS` (the final value), `seedS_time` (the trial's
seconds) and `seedS_stepN` (the value reported at step N).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..files import atomic_write
from ..strategies.base import canonical
from .stats import Ranks, kendall_tau, median, pearson, quantile

_SEED_COLUMN = re.compile(r"seed(-?\d+)(?:_(time|step(\d+)))?$")


class TableProblem(Exception):
    """A table file that cannot be read, or that does not fit what it is used with."""


@dataclass
class Entry:
    """One architecture of the table."""

    architecture: str
    choice: dict[str, Any]
    values: dict[int, float] = field(default_factory=dict)  # seed -> final value
    times: dict[int, float] = field(default_factory=dict)  # seed -> seconds
    steps: dict[int, dict[int, float]] = field(default_factory=dict)  # seed -> step -> value
    params: float | None = None

    @property
    def mean(self) -> float | None:
        return sum(self.values.values()) / len(self.values) if self.values else None


@dataclass
class Table:
    """The rows of a table, by architecture, and the space they belong to."""

    space: str
    seeds: list[int]
    entries: list[Entry]

    def __post_init__(self) -> None:
        self.by_choice = {canonical(entry.choice): entry for entry in self.entries}

    def lookup(self, choice: dict[str, Any]) -> Entry | None:
        return self.by_choice.get(canonical(choice))

    def scored(self) -> list[Entry]:
        """The architectures with at least one value."""
        return [entry for entry in self.entries if entry.values]

    def ranks(self) -> Ranks:
        return Ranks([entry.mean for entry in self.scored()])  # type: ignore[misc]

    @classmethod
    def read(cls, path: str) -> Table:
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                text = handle.read()
        except OSError as exc:
            raise TableProblem(f"{path}: cannot read: {exc.strerror or exc}") from None
        return cls.parse(text, path)

    @classmethod
    def parse(cls, text: str, path: str = "<table>") -> Table:
        reader = csv.DictReader(io.StringIO(text))
        columns = reader.fieldnames or []
        missing = [name for name in ("architecture", "choice", "space") if name not in columns]
        if missing:
            raise TableProblem(f"{path}: not a table of `nas-annotate table` (no column {', '.join(missing)})")
        seeds = sorted({int(m.group(1)) for m in map(_SEED_COLUMN.match, columns) if m})
        entries, spaces = [], set()
        for line, row in enumerate(reader, 2):
            try:
                entries.append(_entry(row, columns))
            except (ValueError, TypeError, KeyError) as exc:
                raise TableProblem(f"{path}:{line}: a row that does not read: {exc}") from None
            spaces.add(row["space"])
        if len(spaces) > 1:
            raise TableProblem(f"{path}: rows of {len(spaces)} different spaces")
        return cls(spaces.pop() if spaces else "", seeds, entries)

    def csv_text(self) -> str:
        steps = {seed: sorted({n for entry in self.entries for n in entry.steps.get(seed, {})}) for seed in self.seeds}
        header = ["architecture", "choice", "space", "mean", "params"]
        for seed in self.seeds:
            header += [f"seed{seed}", f"seed{seed}_time", *(f"seed{seed}_step{n}" for n in steps[seed])]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        for entry in self.entries:
            row = [entry.architecture, json.dumps(entry.choice, sort_keys=True), self.space, _cell(entry.mean), _cell(entry.params)]
            for seed in self.seeds:
                row += [_cell(entry.values.get(seed)), _cell(entry.times.get(seed))]
                row += [_cell(entry.steps.get(seed, {}).get(n)) for n in steps[seed]]
            writer.writerow(row)
        return buffer.getvalue()

    def write(self, path: str) -> None:
        atomic_write(path, self.csv_text().encode("utf-8"))

    def noise(self) -> list[tuple[int, int, float | None, float | None, float | None, int]]:
        """Seed against seed, for each pair of seeds: (a, b, Kendall τ, Pearson r, median
        |difference|, architectures with both)."""
        found = []
        for i, a in enumerate(self.seeds):
            for b in self.seeds[i + 1:]:
                both = [(e.values[a], e.values[b]) for e in self.entries if a in e.values and b in e.values]
                xs, ys = [x for x, _ in both], [y for _, y in both]
                gap = median([abs(x - y) for x, y in both]) if both else None
                found.append((a, b, kendall_tau(xs, ys), pearson(xs, ys), gap, len(both)))
        return found

    def info(self, path: str) -> str:
        """The table in figures: its size, best, quartiles, times and noise floor."""
        scored = self.scored()
        lines = [f"{path}: {len(self.entries)} architectures, seeds {', '.join(map(str, self.seeds)) or 'none'} (space {self.space})"]
        if not scored:
            return "\n".join([*lines, "no architecture has a value yet"])
        means = [entry.mean for entry in scored]
        best = max(scored, key=lambda entry: entry.mean)  # type: ignore[arg-type, return-value]
        lines.append(f"best: {best.architecture}: mean {best.mean:.4f}")
        cuts = ", ".join(f"{name} {quantile(means, q):.4f}" for name, q in
                         (("min", 0), ("25%", 0.25), ("median", 0.5), ("75%", 0.75), ("max", 1)))  # type: ignore[arg-type]
        lines.append(f"mean over seeds: {cuts}")
        times = [t for entry in self.entries for t in entry.times.values()]
        if times:
            lines.append(f"training time: median {median(times):.2f} s, in all {sum(times) / 3600:.2f} h over {len(times)} trainings")
        incomplete = sum(1 for entry in self.entries if len(entry.values) < len(self.seeds))
        if incomplete:
            lines.append(f"{incomplete} architecture(s) lack a value for some seed")
        pairs = self.noise()
        if pairs:
            lines.append("noise floor, seed against seed:")
            for a, b, tau, r, gap, count in pairs:
                lines.append(f"  seeds {a} and {b}: Kendall τ {_shown(tau)}, Pearson {_shown(r)}, median |difference| {_shown(gap)} ({count} architectures)")
            if len(pairs) > 1:
                means = [_mean([pair[k] for pair in pairs]) for k in (2, 3, 4)]
                lines.append(f"  mean of the {len(pairs)} pairs: Kendall τ {_shown(means[0])}, Pearson {_shown(means[1])}, "
                             f"median |difference| {_shown(means[2])}")
        else:
            lines.append("noise floor: needs two seeds")
        return "\n".join(lines)

    def describe(self, entry: Entry) -> str:
        """One architecture's line: its mean, each seed's value and its percentile."""
        if entry.mean is None:
            return f"{entry.architecture}: no value (every seed failed)"
        ranks = self.ranks()
        rank = 1 + sum(1 for other in self.scored() if other.mean > entry.mean)  # type: ignore[operator]
        seeds = ", ".join(f"seed {seed} {value:.4f}" for seed, value in sorted(entry.values.items()))
        return (f"{entry.architecture}: mean {entry.mean:.4f} ({seeds}); percentile {ranks.percentile(entry.mean):.1f} "
                f"(rank {rank} of {len(self.scored())})")


def _entry(row: dict[str, str], columns: list[str]) -> Entry:
    choice = json.loads(row["choice"])
    if not isinstance(choice, dict):
        raise ValueError("its choice is not a JSON object")
    entry = Entry(row["architecture"], choice, params=_number(row.get("params")))
    for column in columns:
        match = _SEED_COLUMN.match(column)
        value = _number(row.get(column)) if match else None
        if value is None:
            continue
        seed = int(match.group(1))
        if match.group(2) is None:
            entry.values[seed] = value
        elif match.group(2) == "time":
            entry.times[seed] = value
        else:
            entry.steps.setdefault(seed, {})[int(match.group(3))] = value
    return entry


def _number(text: str | None) -> float | None:
    return float(text) if text not in (None, "") else None


def _cell(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _mean(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return sum(known) / len(known) if known else None


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"

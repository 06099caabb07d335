"""Every benchmark in one table: runs each one in a subprocess, then rewrites benchmarks/README.md.

    .venv/bin/python benchmarks/table.py [--quick] [--table PATH]

About 7 minutes on two CPU cores, most of it bench_search; `--quick` (fewer runs, seeds and
steps, 3 search trials) about 3.  Each benchmark's own output goes by as it runs; its key
numbers come back through its `--json PATH` option.  The benchmarks that read the digits table
are given `--table PATH` (default benchmarks/data/digits.csv), and the README's section on the
table describes it.  The README is replaced only once every benchmark has succeeded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Callable, NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import digits_table  # noqa: E402  (beside this file)
README = HERE / "README.md"
SAMPLER_BUDGET = 60


class Row(NamedTuple):
    """One line of the table."""

    benchmark: str
    measurement: str
    value: str
    baseline: str
    ratio: str
    goal: str
    met: str


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def compiler_rows(r: dict[str, Any]) -> list[Row]:
    size = f"{r['lines']:,}-line module, {r['layers']} layers"
    base = f"`ast.unparse(ast.parse)` {ms(r['baseline_ms'])}"
    rows = [
        Row("bench_compiler", f"`{name}` of a {size}", ms(r[f"{name}_ms"]), base, f"{r[f'{name}_ratio']:.2f}×",
            "≤ 4× (NNI's expander: ~5.3×)", met(r[f"{name}_ratio"] <= 4))
        for name in ("extract", "expand")
    ]
    plain = r["plain_expand_ms"]
    rows.append(Row("bench_compiler", f"`expand` of a {r['lines']:,}-line file without annotations", ms(plain),
                    f"reading it {ms(r['plain_read_ms'])}", f"{plain / r['plain_read_ms']:.1f}×",
                    f"never parsed: < `ast.parse` of it ({ms(r['plain_parse_ms'])})", met(plain < r["plain_parse_ms"])))
    rows.append(Row("bench_compiler", "`nas-annotate --help`, wall time", ms(r["help_ms"]),
                    f"`python -c pass` {ms(r['python_pass_ms'])}", f"{r['help_ms'] / r['python_pass_ms']:.1f}×",
                    "< 150 ms", met(r["help_ms"] < 150)))
    for name in ("extract", "expand"):
        value = r[f"{name}_plain_ms"]
        rows.append(Row("bench_compiler", f"`nas-annotate {name}` of the annotation-free file, wall time", ms(value),
                        f"`nas-annotate --help` {ms(r['help_ms'])}", f"{value / r['help_ms']:.2f}×", "≤ 1.3× `--help`",
                        met(value <= 1.3 * r["help_ms"])))
    return rows


def freeze_rows(r: dict[str, Any]) -> list[Row]:
    module, digits = r["module"], r["digits"]
    base = f"libcst `parse_module` + `.code` {ms(module['baseline_ms'])}"
    return [
        Row("bench_freeze", f"`freeze` of bench_compiler's {module['lines']:,}-line module", ms(module["freeze_ms"]), base,
            f"{module['ratio']:.2f}×", "≤ 1.5×", met(module["ratio"] <= 1.5)),
        Row("bench_freeze", "its stages but the compiler's analysis and the choice (`expand` does them too), summed",
            "—", "the round trip", f"{module['ratio_without_analysis']:.2f}×", "—", "—"),
        Row("bench_freeze", "`freeze` of examples/digits/train.py (pruning: libcst's scope analysis)", ms(digits["freeze_ms"]),
            f"libcst `parse_module` + `.code` {ms(digits['baseline_ms'])}", f"{digits['ratio']:.2f}×", "—", "—"),
    ]


def run_rows(r: dict[str, Any]) -> list[Row]:
    base = f"`python` on it pre-expanded {ms(r['plain_ms'])}"
    warm, cold = r["warm_ms"] - r["plain_ms"], r["cold_ms"] - r["plain_ms"]
    return [
        Row("bench_run", "`nas-annotate run` of a small script, warm cache", f"{ms(r['warm_ms'])} (+{ms(warm)})", base,
            f"{r['warm_ms'] / r['plain_ms']:.2f}×", "≤ +100 ms", met(warm <= 100)),
        Row("bench_run", "the same, cold (no cache)", f"{ms(r['cold_ms'])} (+{ms(cold)})", base,
            f"{r['cold_ms'] / r['plain_ms']:.2f}×", "—", "—"),
    ]


def steptime_rows(r: dict[str, Any]) -> list[Row]:
    models = r["models"]
    base = f"hand-written Keras {models['hand-written Keras']['ms_per_step']:.2f} ms"
    backend = r.get("backend", "tensorflow")
    if backend != "tensorflow":  # the supernet on another Keras backend: its ratios beside TensorFlow's
        return steptime_backend_rows(r, backend, base)
    rows = []
    for name, label in (("expanded (chosen form)", "chosen form (`expand --choice`)"), ("run-time form", "run-time form (`run`)")):
        ratio = models[name]["ratio"]
        rows.append(Row("bench_steptime", f"digits trial's training step, {label}", f"{models[name]['ms_per_step']:.2f} ms",
                        base, f"{ratio:.3f}", "1.00 ± 0.03", met(abs(ratio - 1) <= 0.03)))
    control = models["hand-written Keras, a second copy"]
    rows.append(Row("bench_steptime", "the noise: a second copy of the hand-written model", f"{control['ms_per_step']:.2f} ms",
                    base, f"{control['ratio']:.3f}", "—", "—"))
    widest = r["widest_layer"]
    for strategy in ("darts", "enas"):
        entry = models[f"supernet form ({strategy})"]
        rows.append(Row("bench_steptime", f"the supernet's training step ({strategy}: every candidate computed)",
                        f"{entry['ms_per_step']:.2f} ms", base, f"{entry['ratio']:.2f}",
                        f"≤ {widest} (candidates in the widest layer)", met(entry["ratio"] <= widest)))
    rows += excess_rows("bench_steptime", models)
    rows += acting_rows("bench_steptime", models)
    for strategy in ("darts", "enas"):
        loop = models.get(f"supernet form ({strategy}), own loop")
        if loop is not None:
            fit = models[f"supernet form ({strategy})"]
            rows.append(Row("bench_steptime", f"the supernet's step in a loop of one's own ({strategy}: a tf.function step, the hooks on)",
                            f"{loop['ms_per_step']:.2f} ms", f"its fit-like step {fit['ms_per_step']:.2f} ms",
                            f"{loop['ratio_to_train_on_batch']:.2f}", "≤ 1.2", met(loop["ratio_to_train_on_batch"] <= 1.2)))
    return rows


def acting_rows(name: str, models: dict[str, Any]) -> list[Row]:
    """Each supernet's `fit` with its strategy acting around each batch, against its `fit` alone."""
    rows = []
    for strategy, what in (("darts", "one-level: nothing per batch"), ("enas", "a path drawn per batch, the controller's reward on a validation batch")):
        entry = models.get(f"supernet form ({strategy}), fit, its strategy acting")
        if entry is not None:
            rows.append(Row(name, f"the supernet in `fit` with its strategy acting ({strategy}: {what})",
                            f"{entry['ms_per_step']:.2f} ms", "its `fit` step without the strategy", f"{entry['ratio_to_fit']:.2f}", "—", "—"))
    return rows


def excess_rows(name: str, models: dict[str, Any]) -> list[Row]:
    """Every candidate computed by hand, and each supernet against it: the supernet's own cost."""
    every = models.get("every candidate, hand-written")
    if every is None:
        return []
    rows = [Row(name, "every candidate of every layer computed, hand-written (what a supernet cannot avoid)",
                f"{every['ms_per_step']:.2f} ms", "hand-written Keras", f"{every['ratio']:.2f}", "—", "—")]
    for strategy in ("darts", "enas"):
        entry = models[f"supernet form ({strategy})"]
        rows.append(Row(name, f"the supernet's own cost ({strategy}): its step against every candidate's",
                        f"{entry['ms_per_step']:.2f} ms", f"every candidate {every['ms_per_step']:.2f} ms",
                        f"{entry['ratio_to_every_candidate']:.2f}", "—", "—"))
    return rows


def steptime_backend_rows(r: dict[str, Any], backend: str, base: str) -> list[Row]:
    models, widest, rows = r["models"], r["widest_layer"], []
    name = f"bench_steptime ({backend})"
    for strategy in ("darts", "enas"):
        entry = models[f"supernet form ({strategy})"]
        rows.append(Row(name, f"examples/keras3 on {backend}: the supernet's training step ({strategy})",
                        f"{entry['ms_per_step']:.2f} ms", base, f"{entry['ratio']:.2f}",
                        f"≤ {widest} (candidates in the widest layer)", met(entry["ratio"] <= widest)))
    rows += excess_rows(name, models)
    rows += acting_rows(name, models)
    for strategy in ("darts", "enas"):
        loop = models[f"supernet form ({strategy}), own loop"]
        fit = models[f"supernet form ({strategy})"]
        rows.append(Row(name, f"the supernet's step in a {backend} loop of one's own ({strategy}, the update given its state)",
                        f"{loop['ms_per_step']:.2f} ms", f"its fit step {fit['ms_per_step']:.2f} ms",
                        f"{loop['ratio_to_train_on_batch']:.2f}", "≤ 1.2", met(loop["ratio_to_train_on_batch"] <= 1.2)))
    control = models["hand-written Keras, a second copy"]
    rows.append(Row(name, "the noise: a second copy of the hand-written model", f"{control['ms_per_step']:.2f} ms",
                    base, f"{control['ratio']:.3f}", "—", "—"))
    return rows


def samplers_rows(r: dict[str, Any]) -> list[Row]:
    seeds, found = r["seeds"], {name: counts[str(SAMPLER_BUDGET)] for name, counts in r["found_within"].items()}
    random = found["random"]
    return [
        Row("bench_samplers", f"`{name}`: seeds finding the toy optimum within {SAMPLER_BUDGET} trials",
            f"{hits}/{seeds}", f"`random` {random}/{seeds}", f"{hits / random:.2f}×" if random else "—",
            "more than `random`", met(hits > random))
        for name, hits in found.items()
        if name != "random"
    ]


def pareto_rows(r: dict[str, Any]) -> list[Row]:
    """bench_pareto: each sampler's front on the digits table against the table's own front."""
    samplers = r["samplers"]
    rows = []
    for measure, where in (("table", "the table's worst accuracy and largest model"), ("front", "10% beyond the table front's worst")):
        random = samplers["random"][measure]["mean"]
        for name, entry in samplers.items():
            numbers = entry[measure]
            label = "`random`" if name == "random" else f"`{name}` ({entry['algorithm']})"
            goal = name == "tpe" and measure == "table"  # the default sampler, the usual reference point
            rows.append(Row(
                "bench_pareto", f"{label}, accuracy max and params min on the digits table, {r['trials']} trials: hypervolume "
                f"of its front / the table's front's, reference at {where} (mean of {r['seeds']} seeds; min)",
                f"{numbers['mean']:.3f} (min {numbers['min']:.3f})", "—" if name == "random" else f"`random` {random:.3f}",
                "—" if name == "random" else f"{numbers['vs_random']:.2f}×", f"≥ {r['goal']}" if goal else "—",
                met(numbers["mean"] >= r["goal"]) if goal else "—",
            ))
    return rows


def search_rows(r: dict[str, Any]) -> list[Row]:
    per_trial, ratios = r["s_per_trial"], r["ratios"]
    budget = f"{r['trials']} trials × {r['epochs']} epochs"
    base = f"Keras Tuner {per_trial['Keras Tuner RandomSearch']:.2f} s"
    ratio = ratios["nas-annotate search"]
    return [
        Row("bench_search", f"`search` of the digits space, {budget}: wall time per trial",
            f"{per_trial['nas-annotate search']:.2f} s", base, f"{ratio:.2f}×", f"≤ {r['goal']}×", met(ratio <= r["goal"])),
        Row("bench_search", "the same with `--fresh` (no fork server)", f"{per_trial['nas-annotate search --fresh']:.2f} s",
            base, f"{ratios['nas-annotate search --fresh']:.2f}×", "—", "—"),
    ]


ONESHOT_FLAGS = {"darts": "--sampler darts", "enas": "--sampler enas", "darts-bilevel": "--sampler darts --darts bilevel",
                 "enas-uniform": "--sampler enas --policy uniform", "gdas": "--sampler examples/strategies/gdas.py:Gdas",
                 "spos": "--sampler examples/strategies/spos.py:Spos"}
PLUG_INS = ("gdas", "spos")  # issue 22's goal for the example plug-ins: the top quarter within TPE-8's time


def oneshot_rows(r: dict[str, Any]) -> list[Row]:
    """bench_oneshot's recorded run: each method's returned architecture, judged by the table."""
    summary = r["summary"]
    tpe = summary["tpe"]
    base = f"TPE-8 {tpe['accuracy']:.4f}, {tpe['wall_s']:.0f} s"
    quarter = r["table"]["top_quarter"]
    rows = []
    for method, entry in summary.items():
        if entry["accuracy"] is None:
            continue
        name, _, epochs = method.partition("@")
        flags = ONESHOT_FLAGS.get(name, f"--sampler {name}")
        label = f"`{flags}`" + (f", supernet {epochs} epochs" if epochs else "")
        primary = name in ("darts", "enas") + PLUG_INS
        goal = f"≥ TPE-8's, top quarter (≥ {quarter:.3f}), ≤ TPE-8's time" if primary else "—"
        reached = entry["accuracy"] >= tpe["accuracy"] and entry["accuracy"] >= quarter and entry["wall_vs_tpe"] <= 1.0
        if name in PLUG_INS:
            goal = f"top quarter (≥ {quarter:.3f}), ≤ TPE-8's time"
            reached = entry["accuracy"] >= quarter and entry["wall_vs_tpe"] <= 1.0
        rows.append(Row(
            "bench_oneshot", f"{label} on digits: table accuracy of what it returns (median of {entry['seeds']} seeds; "
            f"{entry['top_quarter']}/{entry['judged']} in the top quarter), wall time",
            f"{entry['accuracy']:.4f} (pct {entry['percentile']:.0f}), {entry['wall_s']:.0f} s", base,
            f"{entry['wall_vs_tpe']:.2f}× time", goal, met(reached) if primary else "—",
        ))
        if "tau" in entry:
            rows.append(Row("bench_oneshot", f"{label}: Kendall τ of its shared-weight scores against the table over "
                            "the architectures it scored (median of seeds)", f"{entry['tau']:.3f}", "—", "—",
                            "≥ 0.3" if name == "enas" else "—", met(entry["tau"] >= 0.3) if name == "enas" else "—"))
    return rows


def strategies_rows(r: dict[str, Any]) -> list[Row]:
    """bench_strategies's quick sections: a plug-in's overhead, reinforce and the others on the
    digits table, and the pruners on the table's curves."""
    rows = []
    inside, outside, goal = r["overhead"]["in_process"], r["overhead"]["end_to_end"], r["overhead"]["goal_ms"]
    for label, entry, key, random, difference in (
        (f"ask + tell on a SQLite study, {inside['trials']} trials (median per trial)", inside, "median_ms",
         inside["random"]["median_ms"], inside["difference_ms"]),
        (f"the same, its last {inside['trials'] // 10} trials (the longest history)", inside, "last_tenth_median_ms",
         inside["random"]["last_tenth_median_ms"], inside["last_tenth_difference_ms"]),
        (f"`search` of examples/toy, {outside['trials']} trials: wall time per trial (median of {outside['runs']} runs)",
         outside, "per_trial_ms", outside["random"]["per_trial_ms"], outside["difference_ms"]),
    ):
        value = entry["plug-in"][key]
        rows.append(Row("bench_strategies", f"a plug-in in our protocol (random, `PATH.py:NAME`) against the built-in `random`: {label}",
                        f"{ms(value)} ({difference:+.2f} ms)", f"`random` {ms(random)}", f"{value / random:.2f}×",
                        f"≤ +{goal:g} ms", met(difference <= goal)))
    digits = r["digits"]
    samplers, floor = digits["samplers"], digits["noise_floor"]
    random = samplers["random"]["median"]
    for name, entry in samplers.items():
        if name == "random":
            continue
        rows.append(Row(
            "bench_strategies", f"`{name}` on the digits table: best table accuracy of {digits['budget']} trials (median of "
            f"{len(digits['seeds'])} seeds; {entry['table_best']} found the table's best)", f"{entry['median']:.4f}",
            f"`random` {random:.4f}", f"{entry['median'] - random:+.4f}", "≥ `random`" if name == "reinforce" else "—",
            met(entry["median"] >= random) if name == "reinforce" else "—",
        ))
    rows.append(Row("bench_strategies", "the digits table's noise: how far an architecture's accuracy on one seed is from "
                    "another's (median over the table's architectures and pairs of seeds; over its top quarter)",
                    f"{floor['median']:.4f}; {floor['top_quarter_median']:.4f}", "—", "—", "—", "—"))
    simulated = r["simulate"]
    pruners = simulated["pruners"]
    seeds = simulated["seeds"][1] - simulated["seeds"][0] + 1
    for name in ("hyperband", "median"):
        entry = pruners[name]
        rows.append(Row(
            "bench_strategies", f"`--prune {name}` simulated on the digits table's curves, tpe, {simulated['trials']} trials × "
            f"{simulated['epochs']} epochs, {seeds} seeds: best table accuracy (median; seeds as good as without pruning), modelled time",
            f"{entry['best_median']:.4f} ({entry['as_good']}/{seeds})", f"no pruning {pruners['none']['best_median']:.4f}",
            f"{entry['wall_ratio']:.2f}× time (epochs {entry['epochs_ratio']:.2f}×)", "—", "—",
        ))
    return rows


def prune_rows(r: dict[str, Any]) -> list[Row]:
    """bench_strategies prune's recorded run: real searches of digits with and without pruning."""
    prune = r["prune"]
    summary, records = prune["summary"], prune["records"]
    base = {record["seed"]: record for record in records if record["pruner"] == "none"}
    seeds = len(base)
    without = (f"no pruning {statistics.median(b['best_table'] for b in base.values()):.4f}, "
               f"{statistics.median(b['wall_s'] for b in base.values()):.0f} s")
    training = f"{prune['epochs']} epochs" if prune["epochs"] else f"`-- {' '.join(prune['script_args'])}`"
    rows = []
    for name, entry in summary.items():
        if name == "none":
            continue
        wall = statistics.median(record["wall_s"] for record in records if record["pruner"] == name)
        primary = name == "hyperband"
        goal = f"as good a best, ≤ {prune['goal_ratio']}× time" if primary else "—"
        reached = entry["as_good"] == entry["seeds"] and entry["wall_ratio"] <= prune["goal_ratio"]
        rows.append(Row(
            "bench_strategies", f"`--prune {name}` on digits for real, tpe, {prune['trials']} trials × {training}: "
            f"table accuracy of the best found (median of {seeds} seeds; {entry['as_good']} as good as without), wall time",
            f"{entry['best_table']:.4f}, {wall:.0f} s", without, f"{entry['wall_ratio']:.2f}× time (epochs {entry['epochs_ratio']:.2f}×)",
            goal, met(reached) if primary else "—",
        ))
    return rows


def compare_rows(r: dict[str, Any]) -> list[Row]:
    """bench_compare: `nas-annotate compare`'s wall time on the digits table, its strategies, the table's noise."""
    runs = f"{len(r['strategies'])} strategies × {r['seeds']} seeds × {r['trials']} trials"
    rows = [
        Row("bench_compare", f"`nas-annotate compare` on the digits table, {runs} (simulated): wall time",
            f"{r['wall_s']:.1f} s", "—", "—", f"≤ {r['goal_s']:g} s (2 cores)", met(r["wall_s"] <= r["goal_s"])),
        Row("bench_compare", "the training time those runs simulate (each run's clock at its last trial, summed) per wall second",
            f"{r['simulated_per_wall_s']:,.0f} s", "—", "—", "—", "—"),
    ]
    lines = {line["strategy"]: line for line in r["summary"]}
    random = lines["random"]
    for name, line in lines.items():
        if name == "random":
            continue
        rows.append(Row(
            "bench_compare", f"`{name}` on the digits table: best value of {r['trials']} trials (median of {r['seeds']} seeds), "
            "the percentile of its architecture in the table (mean)", f"{line['best_median']:.4f} (pct {line['percentile']:.1f})",
            f"`random` {random['best_median']:.4f} (pct {random['percentile']:.1f})", f"{line['best_median'] - random['best_median']:+.4f}",
            "—", "—",
        ))
    for pair in r["noise_floor"]:
        a, b = pair["seeds"]
        rows.append(Row(
            "bench_compare", f"the table's noise floor, seeds {a} and {b} ({pair['architectures']} architectures): Kendall τ; "
            "median \\|difference\\|", f"{_figure(pair['tau'])}; {_figure(pair['median_difference'])}", "—", "—",
            f"τ ≥ {digits_table.GOAL_TAU}; ≤ {digits_table.GOAL_GAP} (issue 23)",
            met(pair["tau"] is not None and pair["median_difference"] is not None
                and pair["tau"] >= digits_table.GOAL_TAU and pair["median_difference"] <= digits_table.GOAL_GAP),
        ))
    return rows


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def inherit_rows(r: dict[str, Any]) -> list[Row]:
    """bench_inherit's recorded run: evolution against evolution --inherit and morphism at equal wall time."""
    summary, base = r["summary"], r["summary"]["evolution"]
    shown = f"evolution {base['table_median']:.4f} (pct {base['percentile_median']:.0f})"
    rows = []
    for method, label in (("evolution-inherit", "`--sampler evolution --inherit`"), ("morphism", "`--sampler morphism`")):
        entry = summary.get(method)
        if entry is None:
            continue
        seeds = ", ".join(f"{s['table']:.4f}" for s in entry["seeds"])
        against = {s["seed"]: s["table"] for s in base["seeds"]}
        wins = sum(1 for s in entry["seeds"] if s["table"] >= against[s["seed"]])
        primary = method == "evolution-inherit"
        rows.append(Row(
            "bench_inherit", f"{label} on digits, children {r['inherited_epochs']} epochs, at the wall time of `evolution` "
            f"({r['trials']} trials of {r['epochs']} epochs): table accuracy of what it returns (median of {len(entry['seeds'])} seeds: {seeds}; "
            f"at least evolution's on {wins} of {len(entry['seeds'])} seeds; the table's noise floor {r['noise_floor']:.4f})",
            f"{entry['table_median']:.4f} (pct {entry['percentile_median']:.0f})", shown, "—",
            "≥ evolution's" if primary else "—", met(entry["table_median"] >= base["table_median"]) if primary else "—",
        ))
    cost = summary.get("evolution-inherit", {}).get("inheritance_cost_median")
    if cost is not None:
        worst = summary["evolution-inherit"]["inheritance_cost_max"]
        rows.append(Row("bench_inherit", "saving and loading a trial's weights (load, match, assign, save), as a share of the "
                        "trial's duration (median of the inheriting searches' trials; the largest)",
                        f"{100 * cost:.2f}% (max {100 * worst:.2f}%)", "the trial", "—", "≤ 5%", met(worst <= 0.05)))
    return rows


# long benchmarks whose committed data the table shows instead of running them: name -> (data, rows)
RECORDED: dict[str, tuple[Path, Callable[[dict[str, Any]], list[Row]]]] = {
    "bench_oneshot": (HERE / "data" / "oneshot.json", oneshot_rows),
    "bench_strategies prune": (HERE / "data" / "strategies.json", prune_rows),
    "bench_inherit": (HERE / "data" / "inherit.json", inherit_rows),
}

def pictures_rows(r: dict[str, Any]) -> list[Row]:
    base = f"`python -c pass` {ms(r['python_pass_ms'])}"
    rows = [
        Row("bench_pictures", f"`nas-annotate draw {path} -o x.svg`, wall time", ms(r[f"{name}_ms"]), base,
            f"{r[f'{name}_ms'] / r['python_pass_ms']:.1f}×", "≤ 300 ms", met(r[f"{name}_ms"] <= 300))
        for name, path in (("enas_macro", "examples/seed/enas_macro.py"), ("enas_macro12", "the 12-layer ENAS macro space"))
    ]
    served = r["dashboard_http_ms"]
    rows.append(Row("bench_pictures", f"`nas-annotate dashboard`, fresh server: the first page of a {r['trials']:,}-trial study "
                    "and its trials (`/api/studies/ID`)", ms(served), "—", "—", "≤ 2 s", met(served <= 2000)))
    if r["dashboard_browser_ms"] is not None:
        rows.append(Row("bench_pictures", "the same page in headless Chromium until its trial list shows (optuna-dashboard's "
                        "6 MB script included)", ms(r["dashboard_browser_ms"]), "—", "—", "—", "—"))
    return rows


def gpu_rows(r: dict[str, Any]) -> list[Row]:
    found = r["overhead"]
    rows = [Row("bench_gpu --overhead", "GPU scheduling per trial: the toy search (40 trials, --jobs 4) with 4 stand-in GPUs "
                "against --gpus none", f"{found['ms_per_trial']:+.1f} ms", f"{found['seconds_without']:.2f} s a search", "—",
                "≤ 10 ms", met(found["ms_per_trial"] <= 10)),
            Row("bench_gpu --overhead", "the driver's own GPU work per trial, in process (a slot, its environment, given back)",
                f"{found['driver_us_per_trial']:.1f} µs", "—", "—", "—", "—")]
    return rows


# each benchmark: its arguments for the full table, for --quick, and its rows
BENCHMARKS: dict[str, tuple[list[str], list[str], Callable[[dict[str, Any]], list[Row]]]] = {
    "bench_compiler": ([], ["--runs", "5", "--cli-runs", "5"], compiler_rows),
    "bench_freeze": ([], ["--runs", "5"], freeze_rows),
    "bench_run": ([], ["--runs", "6"], run_rows),
    "bench_steptime": ([], ["--steps", "100", "--rounds", "5"], steptime_rows),
    "bench_steptime:jax": ([], ["--steps", "100", "--rounds", "5"], steptime_rows),  # KERAS_BACKEND=jax
    "bench_gpu": (["--overhead", "--trials", "40", "--rounds", "5"], ["--overhead", "--trials", "20", "--rounds", "3"], gpu_rows),
    "bench_samplers": (["--seeds", "100", "--budgets", str(SAMPLER_BUDGET)], ["--seeds", "20", "--budgets", str(SAMPLER_BUDGET)], samplers_rows),
    "bench_pareto": ([], ["--seeds", "3"], pareto_rows),
    "bench_search": ([], ["--trials", "3"], search_rows),
    "bench_pictures": ([], ["--runs", "5"], pictures_rows),
    "bench_strategies": (["overhead", "digits", "simulate"],
                         ["overhead", "digits", "simulate", "--trials", "100", "--runs", "3", "--seeds", "10", "--sim-seeds", "20"],
                         strategies_rows),
    "bench_compare": ([], [], compare_rows),
}
TABLED = ("bench_pareto", "bench_strategies", "bench_compare")  # given --table

INTRO = """\
# Benchmarks

Generated by `benchmarks/table.py`: do not edit by hand.  Each script also runs alone and prints
more than the table shows (`.venv/bin/python benchmarks/bench_compiler.py --help`; `--json PATH`
writes its key numbers).  Run them with the `bench` extra installed:
`.venv/bin/pip install -e '.[bench]'`.

| script | what it measures | goal |
|---|---|---|
| `bench_compiler.py` | `extract` and `expand` of a generated 4,500-line module holding 500 annotations in every form, against the `ast.parse` + `ast.unparse` round trip of the same text (in process, interleaved runs, median of paired ratios); `expand` of an annotation-free file of the same size; `nas-annotate --help`, and `extract`/`expand` of that file, in a subprocess | ≤ 4× the round trip (NNI's ast + astor expander: ~5.3×); the annotation-free file is never parsed; `--help` < 150 ms; `extract`/`expand` of it ≤ 1.3× `--help` |
| `bench_freeze.py` | `nas-annotate freeze` of bench_compiler's module (each layer's first candidate), against libcst's own `parse_module` + `.code` of the same text (in process, interleaved runs, median of paired ratios), with the time of each stage; the same for examples/digits/train.py, where pruning runs libcst's scope analysis | ≤ 1.5× libcst's round trip |
| `bench_run.py` | `nas-annotate run` of a small annotated script, with a warm and a cold cache, against `python` on the same script pre-expanded (medians) | warm: ≤ 100 ms more |
| `bench_steptime.py` | training-step time of the digits trial built from generated code, in the chosen form (`expand --choice`) and the run-time form (what `run` executes), and of its supernet (one-shot search), against the same model written by hand in Keras; the supernet's step in a loop of one's own (a `tf.function` step, the one-shot hooks on) against its fit-like step; each supernet's `fit` with its strategy acting around each batch against its `fit` alone; again under `KERAS_BACKEND=jax` (examples/keras3; the loop a jitted JAX step whose update is given its state) | ratio 1.00 ± 0.03; the supernet ≤ the widest layer's number of candidates; the own loop ≤ 1.2× |
| `bench_gpu.py` | on a GPU: the digits search with `--jobs 2 --trials-per-gpu 2` on one GPU against `--jobs 1`, and the supernet's step there; anywhere (`--overhead`): the GPU scheduling's cost per trial with four stand-in GPUs | scheduling ≤ 10 ms a trial |
| `bench_samplers.py` | how many seeds of each sampler reach the toy trial's optimum (one of 3,750 architectures) within a budget of trials, in process | `tpe` and `evolution` more often than `random` |
| `bench_pareto.py` | two objectives, accuracy (max) and params (min), on the digits space: the hypervolume of the front each multi-objective sampler (and `random`) finds in 40 trials, as a fraction of the table's own front's (reference point at the table's worst accuracy and largest model; and, telling the samplers apart, 10% beyond the table front's worst), with the digits table and each architecture's parameter count (`benchmarks/data/digits_params.csv`) as the lookup: ask/tell in process, no training | `tpe` (multi-objective TPE, the default): ≥ 0.9 |
| `bench_search.py` | the digits search end to end, under Keras Tuner's `RandomSearch` (a hand-written hypermodel) and under `nas-annotate search --sampler random`, same budget and training: wall time per trial | ≤ 1.1× Keras Tuner's |
| `bench_pictures.py` | `nas-annotate draw` of the ENAS macro spaces (5 and 12 layers) to SVG, a new process each time (median); `nas-annotate dashboard`'s first page of a 1,000-trial study made as `search` makes them (pictures and notes attached), from a fresh server, in headless Chromium where installed | draw ≤ 300 ms; the first page ≤ 2 s |
| `bench_oneshot.py` | darts, enas, tpe, evolution and random searching the digits space for real (several seeds), each judged by the digits table at TPE-8's wall time: the table accuracy and percentile of the architecture returned, and enas's Kendall τ between its shared-weight scores and the table. About 40 minutes: its rows come from the committed run in `benchmarks/data/oneshot.json` (command and machine inside), not rerun by `table.py` | darts and enas: ≥ TPE-8's accuracy (median), in the top quarter, within TPE-8's time; enas τ ≥ 0.3 |
| `bench_inherit.py` | weight inheritance (issue 27) on the digits space: `evolution` from scratch (24 trials of 5 epochs) against `evolution --inherit` and `morphism` (children trained for 2 epochs) given its wall time, the architecture each returns judged by the digits table (3 seeds by default; the recorded run has 6: `--seeds 0 1 2 3 4 5`); and what saving and loading weights costs a trial. About 6 minutes a seed: its rows come from the committed run in `benchmarks/data/inherit.json` (command and machine inside), not rerun by `table.py` | `--inherit`: ≥ evolution's table accuracy (median over seeds); saving and loading ≤ 5% of a trial |
| `bench_strategies.py` | search strategies as plug-ins (issue 22): a random strategy written in our black-box protocol, found as `PATH.py:NAME`, against the built-in `random` (ask + tell on a SQLite study in process, and `search` of examples/toy end to end, interleaved); `reinforce`, `tpe` and `evolution` against `random` on the digits table (best table accuracy of 40 trials over 20 seeds, no training), beside the table's noise; `--prune median` and `hyperband` on the table's epoch-by-epoch curves (many seeds, time modelled from the real runs' trial cost). Its `prune` section, real searches of digits with and without pruning (about 16 minutes), comes from the committed run in `benchmarks/data/strategies.json`, not rerun by `table.py` | a plug-in ≤ 5 ms per trial above the built-in; `reinforce` ≥ `random`; `--prune hyperband`: as good a best as without pruning in ≤ 0.6× the time |
| `bench_compare.py` | `nas-annotate compare` of `random`, `tpe`, `evolution` and `reinforce` on the digits table, 10 seeds × 40 trials each (every trial looked up, none trained), end to end in a subprocess: its wall time, the training time it simulates per wall second, each strategy's best value and the percentile of its architecture, beside the table's noise floor (seed against seed) | ≤ 60 s on 2 cores; the noise floor: τ ≥ 0.7, median \\|difference\\| ≤ 0.03 (issue 23) |

Timings on a shared 2-core VM vary by ±20–30% between runs; a goal missed by less than that is
worth a rerun before a conclusion.
"""


def _read(path: str, key: str, separator: str) -> str:
    """The value of `key` in a file of `key SEPARATOR value` lines, or "?"."""
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(separator)
            if name.strip() == key:
                return value.strip().strip('"')
    except OSError:
        pass
    return "?"


def _versions() -> str:
    found = []
    for package in ("tensorflow", "tensorflow-cpu", "keras", "optuna", "keras-tuner", "nas-annotate"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            pass
    return ", ".join(found)


def machine() -> list[tuple[str, str]]:
    """What the numbers ran on."""
    memory = _read("/proc/meminfo", "MemTotal", ":")
    gib = f"{int(memory.split()[0]) / 2**20:.1f} GiB" if memory != "?" else "?"
    git = ["git", "-C", str(HERE.parent)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "nas_annotate"], capture_output=True, text=True, check=False).stdout
    return [
        ("CPU", _read("/proc/cpuinfo", "model name", ":")),
        ("cores", str(os.cpu_count())),
        ("memory", gib),
        ("OS", f"{_read('/etc/os-release', 'PRETTY_NAME', '=')}, Linux {platform.release()}"),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("packages", _versions()),
        ("commit", (commit or "?") + (", with uncommitted changes under nas_annotate/" if dirty.strip() else "")),
    ]


def render(rows: list[Row], command: str, started: datetime, minutes: float, load: str, table: str) -> str:
    lines = [INTRO, "## Results", "", "| benchmark | measurement | value | baseline | ratio | goal | met? |",
             "|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", digits_table.summary(table).rstrip("\n")]
    lines += ["", "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in machine()]
    lines.append(f"| load average before the run | {load} (1, 5, 15 min) |")
    lines += ["", f"Run on {started:%Y-%m-%d %H:%M} UTC by `{command}` ({minutes:.1f} minutes).", ""]
    return "\n".join(lines)


def write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(handle, 0o644)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~3-minute table: fewer runs, 3 search trials")
    parser.add_argument("--table", default=str(digits_table.TABLE), metavar="PATH", help="the digits table (default: benchmarks/data/digits.csv)")
    args = parser.parse_args()
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="nas-annotate-table-") as work:
        for name, (full, quick, to_rows) in BENCHMARKS.items():
            script, _, backend = name.partition(":")
            out = os.path.join(work, f"{script}-{backend or 'default'}.json")
            table = ["--table", args.table] if name in TABLED else []
            command = [sys.executable, str(HERE / f"{script}.py"), *(quick if args.quick else full), *table, "--json", out]
            env = {**os.environ, **({"KERAS_BACKEND": backend} if backend else {})}
            print(f"\n=== {'KERAS_BACKEND=' + backend + ' ' if backend else ''}{' '.join(command[1:-2])}", flush=True)
            began = time.perf_counter()
            if subprocess.run(command, cwd=HERE.parent, check=False, env=env).returncode:
                sys.exit(f"{name} failed: README.md left as it was")
            print(f"=== {name}: {time.perf_counter() - began:.0f} s", flush=True)
            rows += to_rows(json.loads(Path(out).read_text()))
    for name, (data, to_rows) in RECORDED.items():
        if data.exists():
            rows += to_rows(json.loads(data.read_text()))
    shown = " ".join([".venv/bin/python benchmarks/table.py", *sys.argv[1:]])
    text = render(rows, shown, started, (time.perf_counter() - clock) / 60, load, args.table)
    write_atomically(README, text)
    print(f"\nwrote {README}")


if __name__ == "__main__":
    main()

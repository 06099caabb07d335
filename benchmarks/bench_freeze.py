"""Benchmark: what does `nas-annotate freeze` cost next to libcst's own round trip?

    .venv/bin/python benchmarks/bench_freeze.py [--runs N] [--json PATH]

Freezes bench_compiler.py's generated module (about 4,500 lines, 500 annotations in every form,
each layer's first candidate chosen) in process, and times it against libcst's
`parse_module(text).code` of the same text, run by run in the same process (interleaved;
best and median; the ratio is the median of the runs' paired ratios). The goal: <= 1.5x.

Then where freeze's time goes, stage by stage, each against the round trip run beside it: the
compiler's analysis (locate, parse, validate: the same work `extract` and `expand` do, see
bench_compiler.py; its `ast` tree gives freeze's statement map its line numbers), the choice,
hollowing the text (freeze/hollow.py: untouched statements become `...` on the same lines,
when pruning cannot run), libcst's parse of that text, planning the edits (writing the chosen
statements), the rewrite, and printing the module (untouched statements as the file's text). And the same for examples/digits/train.py,
a realistic trial (3 layers in 140 lines), where pruning runs libcst's scope analysis.

This is a script, not a test: it prints numbers (it only checks that the output is valid).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from bench_compiler import choice_for, generate, interleaved, ms  # noqa: E402


def stages(path: str, choice: str, runs: int) -> list[tuple[str, float]]:
    """The median time of each stage of freeze against the round trip (internal API: may drift)."""
    import libcst

    from nas_annotate.choice import load_choice, resolve
    from nas_annotate.freeze import _without_collector
    from nas_annotate.freeze.bindings import prunable_names
    from nas_annotate.freeze.hollow import hollowed, pruning_may_run
    from nas_annotate.freeze.plan import Plan
    from nas_annotate.freeze.prune import prune
    from nas_annotate.keys import module_name
    from nas_annotate.pipeline import analyse
    from nas_annotate.source import Source

    source = Source.read(path)
    module = module_name(path)
    analysis = analyse(source, module)
    document = load_choice(choice)
    decisions = resolve(document, module, analysis.layers, analysis.params)
    hollow = None if pruning_may_run(analysis, prunable_names(analysis.tree)) else hollowed(analysis)
    text = source.text if hollow is None else hollow
    parsed = libcst.parse_module(text)

    def plan() -> Plan:
        made = Plan(analysis, analysis.tree, parsed, decisions, False)
        prune(made, frozenset())
        return made

    made = plan()
    rewritten = made.rewrite()
    steps: list[tuple[str, Callable[[], object]]] = [
        ("the compiler's analysis (locate, parse, validate)", lambda: analyse(source, module)),
        ("resolving the choice", lambda: resolve(document, module, analysis.layers, analysis.params)),
        ("hollowing the text (or not: pruning may run)", lambda: None if pruning_may_run(analysis, prunable_names(analysis.tree)) else hollowed(analysis)),
        (f"libcst.parse_module ({'the whole text' if hollow is None else 'the hollowed text'})", lambda: libcst.parse_module(text)),
        ("planning the edits (and pruning)", plan),
        ("the rewrite", made.rewrite),
        ("printing the module (.code)", lambda: rewritten.code),
    ]
    def as_freeze_runs(fn: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            with _without_collector():  # as freeze runs every stage
                return fn()

        return run

    timed = [(label, as_freeze_runs(fn)) for label, fn in steps]
    measured = interleaved([("baseline", lambda: libcst.parse_module(source.text).code), *timed], runs)
    base = measured[0][1]
    return [(label, statistics.median(t / b for t, b in zip(times, base))) for label, times in measured[1:]]


def measure(path: str, choice: str, runs: int) -> dict[str, float]:
    """freeze against libcst's parse + code of the same text, interleaved; medians and ratio."""
    import libcst

    from nas_annotate.freeze import freeze

    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    frozen = freeze(path, choice)
    compile(frozen, path, "exec")
    measured = dict(interleaved([("baseline", lambda: libcst.parse_module(text).code), ("freeze", lambda: freeze(path, choice))], runs))
    base, mine = measured["baseline"], measured["freeze"]
    return {
        "baseline_ms": statistics.median(base) * 1000,
        "baseline_best_ms": min(base) * 1000,
        "freeze_ms": statistics.median(mine) * 1000,
        "freeze_best_ms": min(mine) * 1000,
        "ratio": statistics.median(f / b for f, b in zip(mine, base)),
        "lines": text.count("\n"),
    }


def report(title: str, path: str, choice: str, runs: int) -> dict[str, float]:
    result = measure(path, choice, runs)
    print(f"\n{title}: {result['lines']:,} lines, {runs} interleaved runs      best        median")
    print(f"  {'libcst parse_module(text).code':36s} {ms(result['baseline_best_ms'] / 1000)}  {ms(result['baseline_ms'] / 1000)}")
    print(f"  {'nas_annotate.freeze.freeze(path, c)':36s} {ms(result['freeze_best_ms'] / 1000)}  {ms(result['freeze_ms'] / 1000)}"
          f"    {result['ratio']:.2f}x (median of paired ratios; goal <= 1.5x)")
    steps = stages(path, choice, runs)
    print("  where the time goes, each stage against the round trip (median of paired ratios):")
    for label, ratio in steps:
        print(f"    {label:50s} {ratio:5.2f}x")
    total = sum(ratio for _, ratio in steps)
    analysis = steps[0][1] + steps[1][1]
    result["stages"] = dict(steps)
    result["ratio_without_analysis"] = total - analysis
    result["without_analysis_ms"] = result["ratio_without_analysis"] * result["baseline_best_ms"]
    result["floor_ratio"] = analysis + steps[2][1] + steps[3][1]
    print(f"  all stages: {total:.2f}x; without the compiler's analysis and the choice: {result['ratio_without_analysis']:.2f}x")
    print(f"  the analysis, the choice, hollowing and libcst's parse alone: {result['floor_ratio']:.2f}x")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="interleaved runs per measurement")
    parser.add_argument("--json", metavar="PATH", help="also write the key results (medians in ms, ratios) here")
    args = parser.parse_args()

    import libcst  # noqa: F401 - its version is printed
    from importlib.metadata import version

    import nas_annotate
    from nas_annotate import api

    print(f"nas_annotate {nas_annotate.__version__}, libcst {version('libcst')}, Python {platform.python_version()} on {platform.platform()}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; load average {' '.join(open('/proc/loadavg').read().split()[:3]) if os.path.exists('/proc/loadavg') else '?'}")
    results: dict[str, object] = {"runs": args.runs}
    with tempfile.TemporaryDirectory(prefix="nas-annotate-bench-freeze-") as tmp:
        path = os.path.join(tmp, "model.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(generate())
        choice = json.dumps(choice_for(json.loads(api.extract([path]))))
        results["module"] = report("bench_compiler's module", path, choice, args.runs)
    digits = os.path.join(os.path.dirname(HERE), "examples", "digits", "train.py")
    results["digits"] = report("examples/digits/train.py (pruning: scope analysis)", digits, os.path.join(os.path.dirname(digits), "choice.json"), args.runs)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)
            handle.write("\n")


if __name__ == "__main__":
    main()

"""Benchmark: how much does compiling annotations cost next to an `ast` round trip?

    .venv/bin/python benchmarks/bench_compiler.py [--runs N] [--cli-runs N] [--annotations K] [--profile] [--json PATH]

(any Python with nas_annotate and click importable; the subprocesses use this interpreter
and the `nas-annotate` script beside it).

Generates (in a temporary directory) a module of about 4,500 lines holding 500
annotations in every form the language has (seed form with commas and with newline
separators, NNI's `@nni.mutable_layers(...)`, `#` comment blocks; at module level, in
functions and in methods; candidates with arguments, `input_num` ranges,
`input_aggregate` / `post_process`), and times in-process, best and median of N runs:

- `nas_annotate.api.extract([path])` and `nas_annotate.api.expand(path, choice)`
  against the baseline `ast.unparse(ast.parse(text))` of the same text (NNI's
  ast + astor expander costs about 5.3x that round trip; the goal is <= 4x);
- `expand` of a same-size file without any annotation, against merely reading it;
- `nas-annotate --help` wall time in a subprocess against `python -c pass`, and `extract` and
  `expand` of the annotation-free file against `--help` (they answer without the compiler);
- which modules `nas-annotate --help` imports (`python -X importtime`).

`--json PATH` also writes the medians (ms) and the ratios as JSON.

This is a script, not a test: it prints numbers (it only checks that its inputs are valid).
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import io
import json
import os
import platform
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable

OPS = ["conv3", "conv3_sep", "conv5", "conv5_sep", "avg_pool", "max_pool", "identity"]
ARG_OPS = [
    "conv(ch=128)",
    "conv(ch=256)",
    "pool",
    "op.conv2d(size=3, in_ch=1, out_ch=self_channels)",
    "sep_conv(3, stride=1)",
    "dilated(k=5, rate=2)",
]


def _filler(rng: random.Random, indent: str, n: int, names: list[str]) -> list[str]:
    """`n` lines of ordinary code and comments (not annotations)."""
    lines = []
    for _ in range(n):
        kind = rng.randrange(6)
        a, b = rng.choice(names), rng.choice(names)
        if kind == 0:
            lines.append(f"{indent}# ordinary comment: mixes {a} with {b}, nothing to compile here")
        elif kind == 1:
            lines.append(f"{indent}{a} = conv({b}, 3, {rng.choice([32, 64, 128])})  # a trailing comment")
        elif kind == 2:
            lines.append(f"{indent}{a} = [{b}, {a}] if {b} is not None else [{a}]")
        elif kind == 3:
            lines.append(f"{indent}tmp = {{'key': {a}, 'other': ({b}, {rng.randrange(100)})}}")
        elif kind == 4:
            lines.append(f"{indent}{a} = batch_norm({a}, momentum=0.{rng.randrange(1, 99)}, name='bn_{rng.randrange(999)}')")
        else:
            lines.append(f'{indent}logger.debug("shape of %s is %s", "{a}", {b})')
    return lines


def _fields(rng: random.Random, out: str, inputs: list[str], newline_sep: bool, style: int) -> list[str]:
    """The `field: value` lines of one layer (without braces)."""
    ops = ARG_OPS if style % 2 else OPS
    choice = rng.sample(ops, rng.randint(2, 4))
    cands = rng.sample(inputs, rng.randint(1, min(3, len(inputs))))
    fields = [f"layer_choice: [{', '.join(choice)}]"]
    if style % 3 == 0:
        fields.append(f"fixed_inputs: [{rng.choice(inputs)}]")
    fields.append(f"input_candidates: [{', '.join(cands)}]")
    if style % 4 == 0 and len(cands) > 1:
        fields.append(f"input_num: [0, {len(cands)}]")
    elif style % 4 == 1:
        fields.append(f"input_num: [1, {len(cands)}]")
    else:
        fields.append("input_num: 1")
    if style % 5 == 0:
        fields.append("input_aggregate: concat(axis=-1)")
    if style % 7 == 0:
        fields.append("post_process: reshape")
    fields.append(f"layer_output: {out}")
    if newline_sep:
        return fields
    # with commas, several fields may share a line
    lines, k = [], 0
    while k < len(fields):
        step = 1 if not k else (3 if style % 2 == 0 else 2)
        lines.append(", ".join(fields[k : k + step]) + ("," if k + step < len(fields) else ""))
        k += step
    return lines


def _annotation(rng: random.Random, i: int, indent: str, inputs: list[str]) -> list[str]:
    """One annotation (its form depends on `i`), one or two layers, unique outputs."""
    form = i % 4
    in1 = f"    {indent}"
    if form == 0:  # seed form, commas, compact braces
        body = _fields(rng, f"l{i}", inputs, False, i)
        return (
            [f'{indent}"""@nni.mutable_layer', f"{indent}{{{body[0]}"]
            + [f" {indent}{f}" for f in body[1:-1]]
            + [f' {indent}{body[-1]}}}"""']
        )
    if form == 1 and i % 16 != 1:  # seed form, newline separators
        body = _fields(rng, f"l{i}", inputs, True, i)
        return [f'{indent}"""@nni.mutable_layer', f"{indent}{{"] + [in1 + f for f in body] + [f'{indent}}}"""']
    if form == 1:  # seed form, newline separators, two adjacent blocks
        first = _fields(rng, f"l{i}a", inputs, True, i)
        second = _fields(rng, f"l{i}b", inputs + [f"l{i}a"], True, i + 1)
        return (
            [f'{indent}"""@nni.mutable_layer', f"{indent}{{"]
            + [in1 + f for f in first]
            + [f"{indent}}}{{"]
            + [in1 + f for f in second]
            + [f'{indent}}}"""']
        )
    if form == 2:  # NNI release form
        cands = rng.sample(inputs, min(2, len(inputs)))
        choice = ", ".join(rng.sample(ARG_OPS, 3))
        return [
            f'{indent}"""@nni.mutable_layers(',
            f"{in1}{{layer_choice: [{choice}], optional_inputs: [{', '.join(cands)}],",
            f"{in1} optional_input_size: 1, layer_output: l{i}a}},",
            f"{in1}{{layer_choice: [add_one(), add_two(k=2)], fixed_inputs: [l{i}a], layer_output: l{i}b}}",
            f'{indent})"""',
        ]
    body = _fields(rng, f"l{i}", inputs, bool(i % 16 == 3), i)  # comment-block form
    if i % 8 == 7:  # compact braces
        return [f"{indent}# @nni.mutable_layer", f"{indent}# {{{body[0]}"] + [f"{indent}#  {f}" for f in body[1:-1]] + [f"{indent}#  {body[-1]}}}"]
    return [f"{indent}# @nni.mutable_layer", f"{indent}# {{"] + [f"{indent}#     {f}" for f in body] + [f"{indent}# }}"]


def generate(annotations: int = 500, seed: int = 0) -> str:
    """A module of about 9 lines per annotation, mixing module level, functions and methods."""
    rng = random.Random(seed)
    names = ["x1", "x2", "x3", "out", "h", "image"]
    lines = [
        '"""A generated model module: a benchmark input for nas_annotate (not meant to run)."""',
        "import logging",
        "",
        "logger = logging.getLogger(__name__)",
        "x1 = x2 = x3 = out = h = image = self_channels = None",
        "",
    ]
    i = 0
    while i < annotations:
        place = (i // 4) % 3
        if place == 0:  # module level: two annotations
            for _ in range(2):
                if i >= annotations:
                    break
                lines += _filler(rng, "", 1, names)
                lines += _annotation(rng, i, "", names)
                i += 1
            lines.append("")
        elif place == 1:  # a function holding two annotations
            lines += [f"def block_{i}(x1, x2, x3):", f'    """Block {i}: a docstring, not an annotation."""']
            for _ in range(2):
                if i >= annotations:
                    break
                lines += _filler(rng, "    ", 1, names)
                lines += _annotation(rng, i, "    ", names)
                i += 1
            lines += ["    return x1", "", ""]
        else:  # a class whose method holds two annotations, inside a loop and a with block
            lines += [f"class Cell{i}:", f"    channels = {rng.choice([16, 32, 64])}", "", "    def build(self, x1, x2, x3):"]
            if i < annotations:
                lines += _filler(rng, "        ", 1, names)
                lines += _annotation(rng, i, "        ", names)
                i += 1
            if i < annotations:
                lines += ["        for step in range(3):", "            h = step  # loop body"]
                lines += _annotation(rng, i, "            ", names)
                i += 1
            lines += ["        return x1", "", ""]
    return "\n".join(lines) + "\n"


def plain_module(target_lines: int, seed: int = 1) -> str:
    """A module of `target_lines` lines of ordinary code, without any annotation."""
    rng = random.Random(seed)
    names = ["x1", "x2", "x3", "out", "h", "image"]
    lines = ['"""A plain module: no annotation at all."""', "import logging", "", "logger = logging.getLogger(__name__)"]
    k = 0
    while len(lines) < target_lines:
        lines += [f"def f_{k}(x1, x2, x3, out=None, h=None, image=None):", '    """Just code."""']
        lines += _filler(rng, "    ", 12, names)
        lines += ["    return x1", "", ""]
        k += 1
    return "\n".join(lines) + "\n"


def timeit(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Best and median wall time of `runs` calls, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def choice_for(space: dict) -> dict:
    """A valid choice for every layer: its first candidate and the first `lo` inputs."""
    choice = {}
    for key, entry in space.items():
        value = entry["_value"]
        lo = value["input_num"][0]
        choice[key] = {"layer": value["layer_choice"][0], "inputs": value["input_candidates"][:lo]}
    return choice


def console_script() -> str:
    """The `nas-annotate` script next to this interpreter (the venv's bin), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
    return here if os.path.exists(here) else (shutil.which("nas-annotate") or here)


def interleaved(fns: list[tuple[str, Callable[[], object]]], runs: int) -> list[tuple[str, list[float]]]:
    """Every function once per round, `runs` rounds (after one warm-up round): all the times."""
    times: list[list[float]] = [[] for _ in fns]
    for round_ in range(runs + 1):
        for k, (_, fn) in enumerate(fns):
            start = time.perf_counter()
            fn()
            if round_:
                times[k].append(time.perf_counter() - start)
    return [(name, t) for (name, _), t in zip(fns, times)]


def wall(cmd: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def import_summary(top: int = 8) -> tuple[list[tuple[int, int, str]], dict[str, tuple[int, str]]]:
    """`python -X importtime -m nas_annotate --help`: the top cumulative imports, and for every
    module imported its cumulative time (us) and the module that imported it."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nas_annotate", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((int(match.group(2)), int(match.group(1)), match.group(4), len(match.group(3))))
    # importtime prints children before their parent: a row's parent is the next row less indented
    parents: dict[int, str] = {}
    for k, (_, _, _, depth) in enumerate(rows):
        for later in rows[k + 1 :]:
            if later[3] < depth:
                parents[k] = later[2]
                break
    info = {name: (cumulative, parents.get(k, "-")) for k, (cumulative, _, name, _) in enumerate(rows)}
    # top-level entries only (indent 1) give a non-overlapping breakdown
    roots = sorted(((c, s, n) for c, s, n, depth in rows if depth <= 1), reverse=True)
    return roots[:top], info


def stages(path: str, choice: str, runs: int) -> None:
    """Where the time of `expand` and `extract` goes, stage by stage (internal API: may drift)."""
    try:
        from nas_annotate import api
        from nas_annotate.choice import load_choice, resolve
        from nas_annotate.codegen import expand_annotations
        from nas_annotate.keys import module_name
        from nas_annotate.locate import locate
        from nas_annotate.pipeline import analyse
        from nas_annotate.source import Source
        from nas_annotate.space import render
    except ImportError as exc:
        print(f"\n(stage breakdown skipped: {exc})")
        return
    source = Source.read(path)
    module = module_name(path)
    analysis = analyse(source, module)
    document = load_choice(choice)
    decisions = resolve(document, analysis.module, analysis.layers)
    text = expand_annotations(source, analysis.annotations, lambda layer: decisions[layer.key])
    steps = [
        ("Source.read (decode, split lines)", lambda: Source.read(path)),
        ("locate (ast.parse + walk + comments)", lambda: locate(source)),
        ("  of which ast.parse of the file", lambda: ast.parse(source.text)),
        ("analyse (locate + parse + validate)", lambda: analyse(source, module)),
        ("load_choice + resolve", lambda: resolve(load_choice(choice), analysis.module, analysis.layers)),
        ("expand_annotations (codegen, splice)", lambda: expand_annotations(source, analysis.annotations, lambda layer: decisions[layer.key])),
        ("_verify (ast.parse of the output)", lambda: ast.parse(text)),
        ("render json", lambda: render([analysis], "json")),
    ]
    total_expand = timeit(lambda: api.expand(path, choice), runs)[0]
    print(f"\nstage breakdown, best of {runs} (share of api.expand's {total_expand * 1000:.1f} ms):")
    for label, fn in steps:
        best = timeit(fn, runs)[0]
        print(f"  {label:40s} {ms(best)}  {best / total_expand * 100:5.1f}%")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="in-process runs per measurement")
    parser.add_argument("--cli-runs", type=int, default=10, help="subprocess runs per measurement")
    parser.add_argument("--annotations", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of expand and extract")
    parser.add_argument("--json", metavar="PATH", help="also write the key results (medians in ms, ratios) here")
    args = parser.parse_args()

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import nas_annotate
    from nas_annotate import api

    print(f"nas_annotate {nas_annotate.__version__} from {os.path.dirname(nas_annotate.__file__)}")
    print(f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.platform()}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, processor {platform.processor() or '?'}")
    print()

    tmp = tempfile.mkdtemp(prefix="nas-annotate-bench-")
    try:
        text = generate(args.annotations)
        path = os.path.join(tmp, "model.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        nlines = text.count("\n")
        space = json.loads(api.extract([path]))
        choice = json.dumps(choice_for(space))
        marker_count = text.count("@nni.mutable_layer")
        print(f"input: {nlines} lines, {len(text)} chars, {marker_count} annotations, {len(space)} mutable layers")
        expanded = api.expand(path, choice)
        assert expanded.count(b"\n") == text.count("\n"), "expansion moved lines"
        ast.parse(expanded)

        plain = plain_module(nlines)
        plain_path = os.path.join(tmp, "plain.py")
        with open(plain_path, "w", encoding="utf-8") as handle:
            handle.write(plain)
        assert api.expand(plain_path, "{}") == plain.encode()

        def read_plain() -> bytes:
            with open(plain_path, "rb") as handle:
                return handle.read()

        def roundtrip() -> str:
            return ast.unparse(ast.parse(text))

        runs = args.runs
        # interleaved: run k of every measurement happens back to back, so drift in the
        # machine's speed hits them alike; ratios are also taken run by run (paired)
        measured = interleaved(
            [
                ("baseline ast.unparse(ast.parse)", roundtrip),
                ("  (ast.parse alone)", lambda: ast.parse(text)),
                ("api.extract([path])", lambda: api.extract([path])),
                ("api.expand(path, choice)", lambda: api.expand(path, choice)),
            ],
            runs,
        )
        base = measured[0][1]
        results: dict[str, float] = {"lines": nlines, "layers": len(space), "runs": runs}
        print(f"\nin-process, {runs} interleaved runs     best        median    best/best   median of paired ratios")
        for name, times in measured:
            paired = statistics.median(t / b for t, b in zip(times, base))
            if name.startswith("api."):
                key = name[4:].split("(")[0]
                results |= {f"{key}_ms": statistics.median(times) * 1000, f"{key}_ratio": paired}
            print(f"  {name:32s} {ms(min(times))}  {ms(statistics.median(times))}    {min(times) / min(base):6.2f}x     {paired:6.2f}x")
        read = timeit(read_plain, runs)
        noann = timeit(lambda: api.expand(plain_path, "{}"), runs)
        plain_parse = timeit(lambda: ast.parse(plain), runs)
        print("  goal: <= 4x the baseline (NNI's ast+astor expander: ~5.3x)")

        print(f"\nno-annotation file ({plain.count(chr(10))} lines, {len(plain)} chars), {runs} runs")
        print(f"  {'read the file (open/read)':32s} {ms(read[0])}  {ms(read[1])}")
        print(f"  {'api.expand(plain, {})':32s} {ms(noann[0])}  {ms(noann[1])}    {noann[0] / read[0]:6.1f}x of a read")
        print(f"  {'(ast.parse of it, for scale)':32s} {ms(plain_parse[0])}  {ms(plain_parse[1])}")
        results |= {"baseline_ms": statistics.median(base) * 1000, "plain_read_ms": read[1] * 1000,
                    "plain_expand_ms": noann[1] * 1000, "plain_parse_ms": plain_parse[1] * 1000}

        script = console_script()
        cli_runs = args.cli_runs
        empty = wall([sys.executable, "-c", "pass"], cli_runs)
        help_script = wall([script, "--help"], cli_runs)
        help_module = wall([sys.executable, "-m", "nas_annotate", "--help"], cli_runs)
        extract_plain = wall([script, "extract", plain_path], cli_runs)
        expand_plain = wall([script, "expand", plain_path, "-o", os.path.join(tmp, "plain_out.py")], cli_runs)
        click_only = wall([sys.executable, "-c", "import click"], cli_runs)
        print(f"\nsubprocess wall time, {cli_runs} runs      best        median")
        print(f"  {'python -c pass':32s} {ms(empty[0])}  {ms(empty[1])}")
        label = "python -c 'import click'"
        print(f"  {label:32s} {ms(click_only[0])}  {ms(click_only[1])}")
        print(f"  {'nas-annotate --help':32s} {ms(help_script[0])}  {ms(help_script[1])}   (+{(help_script[1] - empty[1]) * 1000:.1f} ms over python -c pass, median)")
        print(f"  {'python -m nas_annotate --help':32s} {ms(help_module[0])}  {ms(help_module[1])}")
        for name, measured_wall in (("extract", extract_plain), ("expand", expand_plain)):
            label = f"nas-annotate {name} plain.py"
            print(f"  {label:32s} {ms(measured_wall[0])}  {ms(measured_wall[1])}   "
                  f"({measured_wall[1] / help_script[1]:.2f}x --help, median; goal <= 1.3x)")
        results |= {"python_pass_ms": empty[1] * 1000, "help_ms": help_script[1] * 1000, "cli_runs": cli_runs,
                    "extract_plain_ms": extract_plain[1] * 1000, "expand_plain_ms": expand_plain[1] * 1000}
        if args.json:
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump(results, handle, indent=2)

        roots, info = import_summary()
        print("\n`python -X importtime -m nas_annotate --help`: top-level imports by cumulative time")
        for cumulative, own, name in roots:
            print(f"  {cumulative / 1000:8.2f} ms cumulative {own / 1000:7.2f} ms self  {name}")
        print("  modules of interest (cumulative time, imported by):")
        watch = ["click", "click.core", "libcst", "yaml", "json", "ast", "tokenize", "inspect", "typing", "dataclasses", "pathlib"]
        for name in watch + sorted(n for n in info if n.startswith("nas_annotate") or n.startswith("__editable__")):
            if name in info:
                cumulative, parent = info[name]
                print(f"    {name:40s} {cumulative / 1000:7.2f} ms   <- {parent}")
            else:
                print(f"    {name:40s} not imported")

        if args.profile:
            stages(path, choice, runs)
            for label, fn in (("api.expand", lambda: api.expand(path, choice)), ("api.extract", lambda: api.extract([path]))):
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(5):
                    fn()
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
                print(f"\ncProfile of 5 x {label}, by own time:")
                print("\n".join(out.getvalue().splitlines()[:40]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

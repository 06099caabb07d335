"""Warm and cold `nas-annotate run` of a small annotated script, against `python` on it pre-expanded.

    python benchmarks/bench_run.py [--runs 15] [--json PATH]

Prints the median wall time of each and the difference in milliseconds, and the imports that
the warm `run` path adds (from `python -X importtime`); `--json PATH` also writes the medians.
A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SCRIPT = '''\
"""A small annotated script: two cells and a head, with stand-in ops."""


def op(name):
    def apply(inputs, **kwargs):
        fixed, chosen = inputs
        return f"{name}({'+'.join(fixed + chosen)})"

    return apply


conv3, conv5, pool, concat = op("conv3"), op("conv5"), op("pool"), op("concat")


def cell(x, prev):
    """@nni.mutable_layer
    {
        layer_choice: [conv3, conv5, pool],
        fixed_inputs: [x],
        input_candidates: [prev],
        input_num: [0, 1],
        layer_output: out
    }"""
    return out


h = "image"
prev = "image"
for _ in range(3):
    h, prev = cell(h, prev), h
"""@nni.mutable_layer
{
    layer_choice: [concat],
    fixed_inputs: [h],
    input_candidates: [prev],
    input_num: 1,
    layer_output: head
}"""
print(head)
'''
CHOICE = '{"small/cell.out": {"layer": "conv5", "inputs": ["prev"]}, "small/head": {"inputs": ["prev"]}}'


def _time(command: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", metavar="PATH", help="also write the medians (ms) here")
    args = parser.parse_args()
    runs = args.runs
    work = tempfile.mkdtemp(prefix="nas-annotate-bench-")
    try:
        script = os.path.join(work, "small.py")
        with open(script, "w") as handle:
            handle.write(SCRIPT)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cli = [sys.executable, "-m", "nas_annotate"]
        expanded = os.path.join(work, "expanded", "small.py")
        os.makedirs(os.path.dirname(expanded))
        subprocess.run(cli + ["expand", script, "--choice", CHOICE, "-o", expanded], check=True, env=env)
        run = cli + ["run", script, "--choice", CHOICE]

        cold = []
        for _ in range(max(3, runs // 3)):
            shutil.rmtree(os.path.join(work, "__pycache__"), ignore_errors=True)
            cold.append(_time(run, env, work))
        _time(run, env, work)
        warm = [_time(run, env, work) for _ in range(runs)]
        plain = [_time([sys.executable, expanded], env, work) for _ in range(runs)]

        print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus, {platform.platform()}")
        print(f"python on the pre-expanded script : median {statistics.median(plain):7.1f} ms")
        print(f"nas-annotate run, warm cache      : median {statistics.median(warm):7.1f} ms"
              f"  (+{statistics.median(warm) - statistics.median(plain):.1f} ms, goal <= 100 ms)")
        print(f"nas-annotate run, cold (no cache) : median {statistics.median(cold):7.1f} ms"
              f"  (+{statistics.median(cold) - statistics.median(plain):.1f} ms)")
        if args.json:
            with open(args.json, "w") as handle:
                json.dump({"runs": runs, "plain_ms": statistics.median(plain), "warm_ms": statistics.median(warm),
                           "cold_ms": statistics.median(cold), "cold_runs": len(cold)}, handle, indent=2)

        result = subprocess.run([sys.executable, "-X", "importtime"] + run[1:], env=env, cwd=work,
                                capture_output=True, text=True, check=True)
        top = []
        for line in result.stderr.splitlines():
            if line.startswith("import time:") and "cumulative" not in line:
                _, cumulative, name = line[len("import time:") :].split("|")
                if not name[1:].startswith(" "):
                    top.append((int(cumulative), name.strip()))
        print("top-level imports on the warm path (cumulative us):")
        for cumulative, name in sorted(top, reverse=True)[:12]:
            print(f"  {cumulative:8d}  {name}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""GPUs in a search, measured.

    python benchmarks/bench_gpu.py [--trials 8] [--json PATH]   # on a machine with a GPU
    python benchmarks/bench_gpu.py --overhead [--trials 40]     # anywhere: the scheduling's cost

On a machine with a GPU (`nvidia-smi -L` lists one) it times, on GPU 0: the digits search
(`--trials` trials, random) with `--jobs 1`, and with `--jobs 2 --trials-per-gpu 2` (two trials
sharing the GPU, TensorFlow's memory growth on, JAX's preallocation off), end to end; and the
darts and enas supernets' training step against the standalone model's (`bench_steptime.py` on
the GPU). It prints what it found. On a machine without a GPU it says so in one line and exits 0.

The backend is KERAS_BACKEND's, else TensorFlow where it is installed, else JAX: on TensorFlow
the trial is examples/digits/train.py, on JAX or PyTorch examples/keras3/train.py (the same
model in Keras 3 alone).  A GPU machine with JAX and PyTorch but no TensorFlow (this project's
lent ones: numpy, scipy, scikit-learn, matplotlib, tqdm, click and PyYAML are there) needs these
wheels beside them, for Python 3.12: keras, namex, optree (binary), optuna, alembic, Mako,
SQLAlchemy (binary), greenlet (binary), colorlog and libcst (binary; the best script's freeze);
`pip download --no-deps --only-binary=:all: --python-version 3.12 ... -d .whl NAME` each, then
there:

    pip install --no-index --no-deps --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD
    KERAS_BACKEND=jax python3 benchmarks/bench_gpu.py --json $OUT/gpu.json

(with the project on PYTHONPATH rather than installed, the command is `python -m nas_annotate`).

`--overhead` measures what the GPU scheduling costs a trial, with no GPU needed: the pure-Python
toy search (`examples/toy/score.py`, `--jobs 4`) with four stand-in GPUs (an `nvidia-smi` on
PATH that lists them) against the same search with `--gpus none`, interleaved over rounds; the
difference per trial is held against issue 25's 10 ms; and, in process, the driver's own work
per trial (a slot taken, the trial's environment, the slot given back).  A benchmark, not a
test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "examples" / "toy" / "score.py"
INSTALLED = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
NAS = [INSTALLED] if os.path.exists(INSTALLED) else [sys.executable, "-m", "nas_annotate"]
GOAL_MS = 10.0


def backend() -> str:
    """KERAS_BACKEND, else TensorFlow where it is installed, else JAX."""
    import importlib.util

    return os.environ.get("KERAS_BACKEND") or ("tensorflow" if importlib.util.find_spec("tensorflow") else "jax")


def digits(name: str) -> Path:
    """The digits trial for backend `name`."""
    return ROOT / "examples" / ("digits" if name == "tensorflow" else "keras3") / "train.py"


def search(script: Path, trials: int, options: list[str], env: dict[str, str], args: list[str] | None = None) -> float:
    """Seconds of one search, end to end, in a fresh output directory."""
    with tempfile.TemporaryDirectory() as out:
        command = [*NAS, "search", str(script), "--sampler", "random", "--seed", "0", "--trials", str(trials), "-q",
                   "-o", out, *options, *(["--", *args] if args else [])]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench_gpu: {' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return seconds


def overhead(trials: int, rounds: int) -> dict[str, float]:
    """The toy search with four stand-in GPUs against --gpus none, per trial."""
    with tempfile.TemporaryDirectory() as bin_dir:
        program = Path(bin_dir) / "nvidia-smi"
        program.write_text("#!/bin/sh\n" + "".join(f'echo "GPU {i}: Stand-in (UUID: GPU-{i})"\n' for i in range(4)))
        program.chmod(0o755)
        env = {key: value for key, value in os.environ.items() if key != "CUDA_VISIBLE_DEVICES"}
        with_gpus = {**env, "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"}
        times: dict[str, list[float]] = {"gpus": [], "none": []}
        for _ in range(rounds):
            times["gpus"].append(search(TOY, trials, ["--jobs", "4"], with_gpus))
            times["none"].append(search(TOY, trials, ["--jobs", "4", "--gpus", "none"], env))
    gpus, none = statistics.median(times["gpus"]), statistics.median(times["none"])
    return {"seconds_with_gpus": gpus, "seconds_without": none, "ms_per_trial": (gpus - none) / trials * 1000}


def in_process(count: int = 100_000) -> float:
    """Microseconds of the driver's own GPU work for one trial: a slot taken, its environment
    made, the slot given back (four GPUs, two trials a GPU)."""
    sys.path.insert(0, str(ROOT))
    from nas_annotate.search.gpus import Slots, environment

    slots = Slots(["0", "1", "2", "3"], per_gpu=2)
    started = time.perf_counter()
    for _ in range(count):
        gpus = slots.take()
        environment(gpus)
        slots.give(gpus)
    return (time.perf_counter() - started) / count * 1e6


def gpu_names() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from nas_annotate.search.gpus import discover

    return discover("all")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=None, help="trials per search (default 8; --overhead: 40)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--overhead", action="store_true", help="measure the scheduling's cost per trial (no GPU needed)")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    machine = f"{platform.platform()}, python {platform.python_version()}, {os.cpu_count()} cpus"
    results: dict[str, object] = {"machine": machine, "date": time.strftime("%Y-%m-%d")}
    if args.overhead:
        trials = args.trials or 40
        found = overhead(trials, args.rounds)
        found["driver_us_per_trial"] = in_process()
        results["overhead"] = found
        print(f"{machine}\ntoy search, {trials} trials, --jobs 4, median of {args.rounds} rounds: "
              f"{found['seconds_with_gpus']:.2f} s with 4 stand-in GPUs, {found['seconds_without']:.2f} s with --gpus none: "
              f"{found['ms_per_trial']:+.1f} ms a trial for the scheduling (goal: at most {GOAL_MS:g}; the rounds' own "
              f"spread is the noise)\nthe driver's own GPU work per trial (a slot, its environment, given back), in process: "
              f"{found['driver_us_per_trial']:.1f} µs")
    else:
        gpus = gpu_names()
        if not gpus or shutil.which("nvidia-smi") is None:
            print("bench_gpu: no GPU here (nvidia-smi lists none, or CUDA_VISIBLE_DEVICES is empty): nothing to measure; "
                  "--overhead measures the scheduling without one")
            return
        trials = args.trials or 8
        keras_backend = backend()
        script = digits(keras_backend)
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": gpus[0], "KERAS_BACKEND": keras_backend}
        one = search(script, trials, ["--jobs", "1", "--gpus", gpus[0]], env)
        two = search(script, trials, ["--jobs", "2", "--trials-per-gpu", "2", "--gpus", gpus[0]], env)
        results["digits"] = {"gpu": gpus[0], "backend": keras_backend, "script": str(script.relative_to(ROOT)),
                             "trials": trials, "jobs_1_s": one, "jobs_2_shared_s": two, "ratio": two / one}
        print(f"{machine}\ndigits search on {keras_backend} ({script.relative_to(ROOT)}), {trials} trials on GPU {gpus[0]}: "
              f"--jobs 1 {one:.1f} s; --jobs 2 --trials-per-gpu 2 {two:.1f} s ({two / one:.2f}x)")
        step = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_steptime.py"), "--steps", "100", "--rounds", "5"],
                              env=env, capture_output=True, text=True)
        lines = [line for line in step.stdout.splitlines() if re.search(r"hand-written Keras |supernet form", line)]
        results["steptime"] = lines
        print("training steps on the GPU (bench_steptime.py):\n" + "\n".join(lines) if lines else step.stderr[-2000:])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

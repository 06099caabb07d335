"""GPUs in a search: which ones (`--gpus all|none|LIST`: CUDA_VISIBLE_DEVICES, else
`nvidia-smi -L`), each trial's own `CUDA_VISIBLE_DEVICES` and memory growth, the slots that
keep concurrent trials off each other's GPU (`--trials-per-gpu`, `--gpus-per-trial`), `--jobs`
by default one per slot, and the GPU in the results.

No GPU is needed: a stand-in `nvidia-smi` on PATH lists them, and the trial
(tests/fixtures/gpus/trial.py) records the environment it got and when it ran."""

from __future__ import annotations

import csv
import itertools
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEARCH, require

from nas_annotate.search.gpus import GpuProblem, Slots, discover, environment

TRIAL = Path(__file__).parent / "fixtures" / "gpus" / "trial.py"
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")


def stand_in(directory: Path, count: int) -> dict[str, str]:
    """An environment whose PATH has an `nvidia-smi` listing `count` GPUs, and no CUDA_VISIBLE_DEVICES."""
    program = directory / "nvidia-smi"
    lines = "".join(f'echo "GPU {i}: Stand-in GPU (UUID: GPU-{i:04d})"\n' for i in range(count))
    program.write_text(f"#!/bin/sh\n[ \"$1\" = \"-L\" ] || exit 9\n{lines}")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    env = {key: value for key, value in os.environ.items()
           if key not in ("CUDA_VISIBLE_DEVICES", "TF_FORCE_GPU_ALLOW_GROWTH", "XLA_PYTHON_CLIENT_PREALLOCATE")}
    env["PATH"] = f"{directory}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_which_gpus(tmp_path, monkeypatch):
    env = stand_in(tmp_path, 3)
    monkeypatch.setenv("PATH", env["PATH"])
    assert discover("all", {}) == (["0", "1", "2"], "nvidia-smi -L")
    assert discover("all", {"CUDA_VISIBLE_DEVICES": "5,7"}) == (["5", "7"], "CUDA_VISIBLE_DEVICES")
    assert discover("all", {"CUDA_VISIBLE_DEVICES": ""}) == ([], "CUDA_VISIBLE_DEVICES")
    assert discover("none", {"CUDA_VISIBLE_DEVICES": "5"}) == ([], "--gpus none")
    assert discover("0, 2,3", {}) == (["0", "2", "3"], "--gpus")
    with pytest.raises(GpuProblem, match="distinct GPUs"):
        discover("1,1", {})
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert discover("all", {}) == ([], "nvidia-smi -L")


def test_slots():
    slots = Slots(["0", "1"], per_trial=1, per_gpu=2)
    assert slots.capacity == 4
    taken = [slots.take() for _ in range(4)]
    assert sorted(taken) == [("0",), ("0",), ("1",), ("1",)] and slots.take() is None
    slots.give(("1",))
    assert slots.take() == ("1",)
    pairs = Slots(["0", "1", "2", "3"], per_trial=2)
    assert pairs.capacity == 2 and {pairs.take(), pairs.take()} == {("0", "1"), ("2", "3")} and pairs.take() is None
    assert Slots([]).take() == () and Slots([]).capacity == 0
    with pytest.raises(GpuProblem, match="--gpus-per-trial 3 needs 3 GPUs, and there are 2"):
        Slots(["0", "1"], per_trial=3)
    assert environment(("2", "5"), {}) == {
        "CUDA_VISIBLE_DEVICES": "2,5", "TF_FORCE_GPU_ALLOW_GROWTH": "true", "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
    }
    assert environment((), {"TF_FORCE_GPU_ALLOW_GROWTH": "false", "XLA_PYTHON_CLIENT_PREALLOCATE": "true"}) == {"CUDA_VISIBLE_DEVICES": ""}
    assert "XLA_PYTHON_CLIENT_PREALLOCATE" not in environment(("0",), {"XLA_PYTHON_CLIENT_MEM_FRACTION": ".4"})


require(*SEARCH)


def search(tmp_path: Path, env: dict[str, str], *options: str, trials: int = 8, sleep: float = 0.4) -> tuple[subprocess.CompletedProcess, list[dict]]:
    trace = tmp_path / "trace.jsonl"
    done = subprocess.run(
        [NAS, "search", str(TRIAL), "--sampler", "random", "--trials", str(trials), "-o", str(tmp_path / "out"), "--no-progress",
         *options, "--", "--trace", str(trace), "--sleep", str(sleep)],
        capture_output=True, text=True, env=env,
    )
    assert done.returncode == 0, done.stderr
    return done, [json.loads(line) for line in trace.read_text().splitlines()]


def most_at_once(entries: list[dict]) -> int:
    """The largest number of these trials that ran at one moment."""
    events = sorted([(e["start"], 1) for e in entries] + [(e["end"], -1) for e in entries])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def test_four_gpus_four_jobs_never_share(tmp_path):
    done, entries = search(tmp_path, stand_in(tmp_path, 4), "--jobs", "4")
    assert "8 trial(s), 4 at a time (GPU 0,1,2,3 from nvidia-smi -L)" in done.stderr
    assert len(entries) == 8 and all(e["growth"] == "true" for e in entries)
    assert {e["cuda"] for e in entries} <= {"0", "1", "2", "3"}
    for gpu, group in itertools.groupby(sorted(entries, key=lambda e: e["cuda"]), key=lambda e: e["cuda"]):
        assert most_at_once(list(group)) == 1, f"GPU {gpu} ran two trials at once"
    assert most_at_once(entries) >= 2  # and the GPUs did run trials side by side
    with open(tmp_path / "out" / "results.csv", newline="") as handle:
        rows = {row["number"]: row["gpu"] for row in csv.DictReader(handle)}
    assert rows == {e["trial"]: e["cuda"] for e in entries}
    results = json.loads((tmp_path / "out" / "results.json").read_text())["trials"]
    assert {str(t["number"]): t["gpu"] for t in results} == rows


def test_trials_per_gpu_and_the_default_jobs(tmp_path):
    env = stand_in(tmp_path, 2)
    done, entries = search(tmp_path, env, "--gpus", "1", "--trials-per-gpu", "2", trials=6)
    assert "6 trial(s), 2 at a time (GPU 1 from --gpus, 2 trials a GPU)" in done.stderr  # --jobs: one per slot
    assert {e["cuda"] for e in entries} == {"1"} and most_at_once(entries) == 2


def test_the_users_devices_and_growth_setting_are_kept(tmp_path):
    env = {**stand_in(tmp_path, 4), "CUDA_VISIBLE_DEVICES": "5,7", "TF_FORCE_GPU_ALLOW_GROWTH": "false"}
    done, entries = search(tmp_path, env, trials=4)
    assert "4 trial(s), 2 at a time (GPU 5,7 from CUDA_VISIBLE_DEVICES)" in done.stderr
    assert {e["cuda"] for e in entries} == {"5", "7"} and {e["growth"] for e in entries} == {"false"}
    assert {e["preallocate"] for e in entries} == {"false"}  # JAX's, not set by the user: off


def test_no_gpu_and_none(tmp_path):
    env = stand_in(tmp_path, 0)
    done, entries = search(tmp_path, env, trials=2, sleep=0.0)
    assert "2 trial(s), 1 at a time;" in done.stderr  # nothing changes without GPUs
    assert {e["cuda"] for e in entries} == {""}
    with open(tmp_path / "out" / "results.csv", newline="") as handle:
        assert "gpu" not in next(csv.reader(handle))
    done, entries = search(tmp_path, stand_in(tmp_path, 2), "--gpus", "none", trials=2, sleep=0.0)
    assert "(no GPU: --gpus none)" in done.stderr and {e["cuda"] for e in entries} == {""}


def test_gpu_problems_are_one_line(tmp_path):
    done = subprocess.run([NAS, "search", str(TRIAL), "--gpus", "0", "--gpus-per-trial", "2", "-o", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"{TRIAL}: error: --gpus-per-trial 2 needs 2 GPUs, and there are 1 (0)"


def test_the_worker_never_touches_an_accelerator(tmp_path):
    """Trials fork from the worker, and a CUDA context does not survive a fork: the worker that
    preloads TensorFlow has initialised no device (the forked trial inherits its state), and a
    module that does at import is dropped from the preloads, with a note."""
    from conftest import missing

    if missing("tensorflow"):
        pytest.skip(missing("tensorflow"))
    script = Path(__file__).parent / "fixtures" / "gpus" / "tf_trial.py"
    (tmp_path / "tainting.py").write_text("import tensorflow as tf\n\nWARM = float(tf.constant(1.0) + 1.0)  # an op at import\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    trace = tmp_path / "trace.jsonl"
    done = subprocess.run(
        [NAS, "search", str(script), "--sampler", "grid", "-o", str(tmp_path / "out"), "--no-progress", "--preload", "tainting",
         "--", "--trace", str(trace)],
        capture_output=True, text=True, env=env,
    )
    assert done.returncode == 0, done.stderr
    assert ("note: could not preload tainting (it initialises TensorFlow's devices at import, and a CUDA context does not "
            "survive the fork of each trial: not preloaded); each trial imports it") in done.stderr
    entries = [json.loads(line) for line in trace.read_text().splitlines()]
    assert entries == [{"before": None, "after": "TensorFlow's devices"}] * 2
    preloaded = (tmp_path / "out" / "worker.log").read_text()
    assert "Traceback" not in preloaded


def test_the_supernet_run_gets_every_gpu(tmp_path):
    from conftest import missing

    if missing("tensorflow"):
        pytest.skip(missing("tensorflow"))
    script = Path(__file__).parent / "fixtures" / "custom_loop" / "tiny_loop.py"
    done = subprocess.run([NAS, "search", str(script), "--sampler", "darts", "--retrain", "0", "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, env=stand_in(tmp_path, 3))
    assert done.returncode == 0, done.stderr
    log = next((tmp_path / "out" / "oneshot").glob("darts-*.log")).read_text()
    assert "gpus '0,1,2'" in log

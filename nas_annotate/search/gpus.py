"""Which GPUs a search's trials use, and how they share them.

`--gpus all` (the default) is the GPUs `CUDA_VISIBLE_DEVICES` names when it is set, else those
`nvidia-smi -L` lists, else none; `--gpus none` is none; `--gpus 0,2,3` names them. Each trial
gets `--gpus-per-trial` of them as its own `CUDA_VISIBLE_DEVICES` (the physical names, so a
user's `CUDA_VISIBLE_DEVICES=5,7` gives trials `5` or `7`), and a GPU holds at most
`--trials-per-gpu` trials at once: a trial waits for its slot. Without GPUs every trial gets an
empty `CUDA_VISIBLE_DEVICES`. TensorFlow's memory growth is on in every trial
(`TF_FORCE_GPU_ALLOW_GROWTH=true`) and JAX's preallocation off (`XLA_PYTHON_CLIENT_PREALLOCATE=
false`) unless the user set those (or JAX's memory fraction), so trials that share a GPU do not
each map most of its memory. PyTorch takes memory as it needs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping

GROWTH = "TF_FORCE_GPU_ALLOW_GROWTH"
PREALLOCATE, FRACTION = "XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION"  # JAX's
_LISTED = re.compile(r"^GPU (\d+):", re.M)


class GpuProblem(ValueError):
    """`--gpus`, `--gpus-per-trial` or `--trials-per-gpu` that cannot be honoured."""


def discover(spec: str, environ: Mapping[str, str] | None = None) -> tuple[list[str], str]:
    """The GPUs `spec` ("all", "none" or a comma-separated list) names, and where they came from."""
    environ = os.environ if environ is None else environ
    if spec == "none":
        return [], "--gpus none"
    if spec != "all":
        names = [part.strip() for part in spec.split(",") if part.strip()]
        if not names or len(set(names)) != len(names):
            raise GpuProblem(f"--gpus {spec!r}: give all, none, or distinct GPUs such as 0,2,3")
        return names, "--gpus"
    if "CUDA_VISIBLE_DEVICES" in environ:
        names = [part.strip() for part in environ["CUDA_VISIBLE_DEVICES"].split(",") if part.strip()]
        return [name for name in names if name != "-1"], "CUDA_VISIBLE_DEVICES"
    return _listed(), "nvidia-smi -L"


def _listed() -> list[str]:
    """The GPUs `nvidia-smi -L` lists, by index; none when it is missing or fails."""
    program = shutil.which("nvidia-smi")
    if program is None:
        return []
    try:
        done = subprocess.run([program, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return _LISTED.findall(done.stdout) if done.returncode == 0 else []


class Slots:
    """The GPUs' places for trials: each GPU takes at most `per_gpu` trials at once, each trial
    `per_trial` GPUs (the least busy first, then in the order given)."""

    def __init__(self, gpus: list[str], per_trial: int = 1, per_gpu: int = 1) -> None:
        if per_trial < 1 or per_gpu < 1:
            raise GpuProblem("--gpus-per-trial and --trials-per-gpu must be at least 1")
        if gpus and per_trial > len(gpus):
            raise GpuProblem(f"--gpus-per-trial {per_trial} needs {per_trial} GPUs, and there are {len(gpus)} ({','.join(gpus)})")
        self.gpus = list(gpus)
        self.per_trial = per_trial
        self.per_gpu = per_gpu
        self.busy = {gpu: 0 for gpu in self.gpus}

    @property
    def capacity(self) -> int:
        """Trials that can run at once on the GPUs (0: no GPUs, no limit from them)."""
        return len(self.gpus) * self.per_gpu // self.per_trial

    def take(self) -> tuple[str, ...] | None:
        """GPUs for a trial, or None while none are free ((): no GPUs at all)."""
        if not self.gpus:
            return ()
        free = sorted((gpu for gpu in self.gpus if self.busy[gpu] < self.per_gpu), key=lambda gpu: self.busy[gpu])
        if len(free) < self.per_trial:
            return None
        chosen = tuple(sorted(free[: self.per_trial], key=self.gpus.index))
        for gpu in chosen:
            self.busy[gpu] += 1
        return chosen

    def give(self, gpus: tuple[str, ...]) -> None:
        """A trial's GPUs, free again."""
        for gpu in gpus:
            self.busy[gpu] -= 1


def environment(gpus: tuple[str, ...], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a trial's environment gets: its GPUs as `CUDA_VISIBLE_DEVICES`, TensorFlow's memory
    growth on and JAX's preallocation off, each unless the user set it."""
    environ = os.environ if environ is None else environ
    found = {"CUDA_VISIBLE_DEVICES": ",".join(gpus)}
    if GROWTH not in environ:
        found[GROWTH] = "true"
    if PREALLOCATE not in environ and FRACTION not in environ:
        found[PREALLOCATE] = "false"
    return found


def shown(gpus: list[str], origin: str, slots: Slots) -> str:
    """The GPUs a search uses, for its start line ("" where there are none to tell of)."""
    if not gpus:
        return "no GPU: --gpus none" if origin == "--gpus none" else ""
    per = f", {slots.per_trial} a trial" if slots.per_trial > 1 else ""
    share = f", {slots.per_gpu} trials a GPU" if slots.per_gpu > 1 else ""
    return f"GPU {','.join(gpus)} from {origin}{per}{share}"

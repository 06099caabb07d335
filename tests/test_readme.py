"""The README's quick start: the test command is what .ci/run runs; the main job's commands
(after the set-up) are run here as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BIN = Path(sys.executable).parent


def quick_start(number: int) -> str:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = block.strip().splitlines()
    return lines[lines.index(next(line for line in lines if line.startswith(f"# {number}."))) + 1]


def test_ci_runs_the_readme_test_command():
    assert quick_start(2) in (ROOT / ".ci" / "run").read_text()


def test_the_main_job_runs_as_written():
    steps = quick_start(1).split(" && ")
    assert steps[:2] == ["python3 -m venv .venv", ".venv/bin/pip install -q -e '.[examples]'"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("NAS_ANNOTATE_CHOICE", None)
    outputs = []
    for step in steps[2:]:
        command = [str(BIN / Path(word).name) if word.startswith(".venv/bin/") else word for word in shlex.split(step)]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert '"train/build_model.cell1"' in outputs[0]
    match = re.fullmatch(r"validation accuracy: (0\.\d{4})\n", outputs[-1])
    assert match and float(match.group(1)) > 0.8

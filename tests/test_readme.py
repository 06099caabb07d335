"""The README's quick start: the test command is what .ci/run runs; the main job's commands
(after the set-up) are run here as written."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from conftest import SEARCH, needs

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BIN = Path(sys.executable).parent


def quick_start(number: int) -> str:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = block.strip().splitlines()
    return lines[lines.index(next(line for line in lines if line.startswith(f"# {number}."))) + 1]


def test_ci_runs_the_readme_test_command():
    assert quick_start(2) in (ROOT / ".ci" / "run").read_text()


@needs(*SEARCH, "tensorflow", "sklearn")
def test_the_main_job_runs_as_written(tmp_path):
    """Run where the search's output directory may go: a scratch directory with the examples."""
    steps = quick_start(1).split(" && ")
    assert steps[:2] == ["python3 -m venv .venv", ".venv/bin/pip install -q -e '.[examples]'"]
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("NAS_ANNOTATE_CHOICE", None)
    outputs = []
    for step in steps[2:]:
        command = [str(BIN / Path(word).name) if word.startswith(".venv/bin/") else word for word in shlex.split(step)]
        result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert '"train/build_model.cell1"' in outputs[0]
    board = outputs[-1].splitlines()
    assert board[0].split() == ["rank", "trial", "value", "time", "choice"]
    assert float(board[1].split()[2]) > 0.5  # it learned (chance is 0.1); 8 unseeded trials vary
    assert "trials: 8 complete" in board
    out = tmp_path / "search-train"
    assert {"best_choice.json", "best_train.py", "trials.png", "results.csv", "results.json", "study.db"} <= {p.name for p in out.iterdir()}

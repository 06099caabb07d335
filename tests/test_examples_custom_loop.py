"""examples/custom_loop: the digits space (the same keys and fingerprint, so the digits table
judges it) in a script with its own tf.function training loop and NNI's training update,
searched unchanged by darts, enas and a black-box sampler, and run plainly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEARCH, needs

from nas_annotate.api import extract

ROOT = Path(__file__).resolve().parent.parent
LOOP = ROOT / "examples" / "custom_loop" / "train.py"
DIGITS = ROOT / "examples" / "digits" / "train.py"
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
QUICK = ("--", "--epochs", "1", "--limit", "128")


@needs(*SEARCH)
def test_the_space_is_the_digits_space():
    from nas_annotate.search.optuna_space import load_space

    assert list(json.loads(extract([str(LOOP)]))) == list(json.loads(extract([str(DIGITS)])))
    assert load_space(str(LOOP)).fingerprint() == load_space(str(DIGITS)).fingerprint()  # one table judges both


@needs("tensorflow", "sklearn", *SEARCH)
@pytest.mark.parametrize(("sampler", "options"), [
    ("darts", ("--retrain", "0")), ("enas", ("--retrain", "0", "--paths", "2")), ("random", ("--trials", "1")),
])
def test_searched_unchanged(tmp_path, sampler, options):
    out = tmp_path / "out"
    done = subprocess.run([NAS, "search", str(LOOP), "--sampler", sampler, *options, "-o", str(out), "-q", *QUICK],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    best = json.loads((out / "best_choice.json").read_text())
    assert sorted(best) == ["train/build_model.cell1", "train/build_model.cell2", "train/build_model.cell3"]
    if sampler != "random":
        state = json.loads(next((out / "oneshot").glob(f"{sampler}-*.json")).read_text())
        assert state["steps"] == 4 and state["trained"]  # 128 examples in batches of 32: four training updates
        assert state["validation"] == "the validation_data of @nni.training_update"


@needs("tensorflow", "sklearn")
def test_run_plainly():
    done = subprocess.run([NAS, "run", str(LOOP), "--sample", "first", *QUICK], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("validation accuracy: ")

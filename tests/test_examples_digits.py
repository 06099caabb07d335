"""examples/digits: the search space it declares, and real training for two architectures
(expanded, run in this process with TensorFlow) that reach clearly different accuracies."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from pathlib import Path

import pytest
from conftest import needs

from nas_annotate.api import expand, extract

DIGITS = Path(__file__).resolve().parent.parent / "examples" / "digits"
TRAIN = DIGITS / "train.py"
TRAINING = needs("tensorflow", "sklearn")


def accuracy(choice: Path | str, *args: str) -> float:
    code = expand(str(TRAIN), str(choice))
    assert b"nas_annotate.runtime" not in code  # plain TensorFlow; reports only if nas_annotate is there
    out = io.StringIO()
    argv = sys.argv
    sys.argv = [str(TRAIN), *args]
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(TRAIN), "exec"), {"__name__": "__main__", "__file__": str(TRAIN)})
    finally:
        sys.argv = argv
    match = re.fullmatch(r"validation accuracy: (\d\.\d{4})\n", out.getvalue())
    assert match, out.getvalue()
    return float(match.group(1))


def test_the_space_mixes_ops_skips_aggregates_and_post_processing():
    space = json.loads(extract([str(TRAIN)]))
    assert list(space) == ["train/build_model.cell1", "train/build_model.cell2", "train/build_model.cell3"]
    cell2, cell3 = space["train/build_model.cell2"]["_value"], space["train/build_model.cell3"]["_value"]
    assert cell2["input_num"] == [0, 1] and cell2["input_aggregate"] == "add" and cell2["post_process"] == "bn_relu"
    assert cell3["input_num"] == [0, 2] and cell3["input_aggregate"] == "concat"
    assert len(space["train/build_model.cell1"]["_value"]["layer_choice"]) == 5


@TRAINING
@pytest.mark.parametrize("choice", ["choice.json", "pooling_only.json"])
def test_a_short_run_trains_and_reports(choice):
    assert 0.0 <= accuracy(DIGITS / choice, "--epochs", "1", "--limit", "128") <= 1.0


@TRAINING
def test_choices_reach_clearly_different_accuracies():
    convolutions = accuracy(DIGITS / "choice.json")
    pooling = accuracy(DIGITS / "pooling_only.json")
    assert convolutions > 0.8
    assert convolutions - pooling > 0.1

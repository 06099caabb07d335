"""examples/nni_form: a script in NNI's released form, extracted in NNI's format, expanded for
choices in NNI's nested and flat forms, and trained briefly with TensorFlow."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from pathlib import Path

import pytest

from nas_annotate.api import expand, extract

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "nni_form" / "mnist_style.py"
KEYS = [f"mnist_style/build_model.{name}" for name in ("conv1_out", "pool1_out", "conv2_out", "hidden")]


def trained(choice: dict) -> float:
    code = expand(str(SCRIPT), json.dumps(choice))
    out = io.StringIO()
    argv, sys.argv = sys.argv, [str(SCRIPT), "--epochs", "1", "--limit", "128"]
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(SCRIPT), "exec"), {"__name__": "__main__", "__file__": str(SCRIPT)})
    finally:
        sys.argv = argv
    match = re.fullmatch(r"validation accuracy: (\d\.\d{4})\n", out.getvalue())
    assert match, out.getvalue()
    return float(match.group(1))


def test_extract_in_nni_format():
    space = json.loads(extract([str(SCRIPT)], "nni"))
    assert list(space) == KEYS
    assert space[KEYS[0]] == {
        "_type": "mutable_layer",
        "_value": {"layer": {"layer_choice": ["conv2d(size=3)", "conv2d(size=5)"], "optional_inputs": ["images"], "optional_input_size": 1}},
    }


NESTED = {
    KEYS[0]: {"layer": {"chosen_layer": "conv2d(size=5)", "chosen_inputs": ["images"]}},
    KEYS[1]: {"layer": {"chosen_layer": "avg_pool(size=2)", "chosen_inputs": []}},
    KEYS[2]: {"layer": {"chosen_layer": "identity()", "chosen_inputs": []}},
    KEYS[3]: {"layer": {"chosen_layer": "pooled_dense(units=64)", "chosen_inputs": []}},
}
FLAT = {
    f"_mutable_layer/{key}/layer/{field}": value
    for key, layer, size, state in [
        (KEYS[0], "conv2d(size=3)", 1, 0), (KEYS[1], "max_pool(size=2)", 0, 0),
        (KEYS[2], "conv2d(size=3)", 0, 0), (KEYS[3], "flatten_dense(units=64)", 0, 0),
    ]
    for field, value in [("layer_choice", layer), ("optional_input_size", size), ("optional_input_chosen_state", state)]
}


@pytest.mark.parametrize("choice", [NESTED, FLAT], ids=["nested", "flat"])
def test_nni_choices_expand_and_train(choice):
    assert 0.0 <= trained(choice) <= 1.0


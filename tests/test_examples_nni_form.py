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
from conftest import SEARCH, needs

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
    assert list(space) == [*KEYS, "mnist_style/main.learning_rate", "mnist_style/main.batch_size"]
    assert space["mnist_style/main.learning_rate"] == {"_type": "choice", "_value": [0.01, 0.003, 0.001]}
    assert space[KEYS[0]] == {
        "_type": "mutable_layer",
        "_value": {"layer": {"layer_choice": ["conv2d(size=3)", "conv2d(size=5)"], "optional_inputs": ["images"], "optional_input_size": 1}},
    }


HYPER = {"mnist_style/main.learning_rate": 0.01, "mnist_style/main.batch_size": 32}
NESTED = {
    **HYPER,
    KEYS[0]: {"layer": {"chosen_layer": "conv2d(size=5)", "chosen_inputs": ["images"]}},
    KEYS[1]: {"layer": {"chosen_layer": "avg_pool(size=2)", "chosen_inputs": []}},
    KEYS[2]: {"layer": {"chosen_layer": "identity()", "chosen_inputs": []}},
    KEYS[3]: {"layer": {"chosen_layer": "pooled_dense(units=64)", "chosen_inputs": []}},
}
FLAT = HYPER | {
    f"_mutable_layer/{key}/layer/{field}": value
    for key, layer, size, state in [
        (KEYS[0], "conv2d(size=3)", 1, 0), (KEYS[1], "max_pool(size=2)", 0, 0),
        (KEYS[2], "conv2d(size=3)", 0, 0), (KEYS[3], "flatten_dense(units=64)", 0, 0),
    ]
    for field, value in [("layer_choice", layer), ("optional_input_size", size), ("optional_input_chosen_state", state)]
}


@needs("tensorflow", "sklearn")
@pytest.mark.parametrize("choice", [NESTED, FLAT], ids=["nested", "flat"])
def test_nni_choices_expand_and_train(choice):
    assert 0.0 <= trained(choice) <= 1.0



@needs(*SEARCH, "tensorflow", "sklearn")
def test_the_nni_script_is_searched_as_it_is(tmp_path):
    """No edit: its layers and hyperparameters are searched, its reports read."""
    import os
    import subprocess

    nas = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAS_ANNOTATE_", "NNI_"))}
    result = subprocess.run(
        [nas, "search", str(SCRIPT), "-n", "2", "-s", "random", "--seed", "0", "-o", str(tmp_path), "-q",
         "--", "--epochs", "2", "--limit", "128"],
        capture_output=True, text=True, check=False, env=env,
    )
    assert result.returncode == 0, result.stderr
    trials = json.loads((tmp_path / "results.json").read_text())["trials"]
    assert [t["state"] for t in trials] == ["complete", "complete"], [t["stderr_tail"] for t in trials]
    for trial in trials:
        assert trial["choice"]["mnist_style/main.batch_size"] in (16, 32, 64)
        assert set(trial["choice"]) == {*KEYS, *HYPER}
        assert list(trial["intermediate"]) == ["0", "1"] and trial["intermediate"]["1"] == trial["value"]

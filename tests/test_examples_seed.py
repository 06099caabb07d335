"""The seed's four figures as TensorFlow scripts (examples/seed): extracted, expanded for
several choices and run with real ops on small tensors, and run through `nas-annotate run`."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import needs

from nas_annotate import runtime
from nas_annotate.api import expand, extract

SEED = Path(__file__).resolve().parent.parent / "examples" / "seed"
TENSORFLOW = needs("tensorflow")
SCRIPTS = ["layer_choice", "connection_choice", "auxiliary", "enas_macro"]


@pytest.fixture(scope="module", autouse=True)
def seed_on_path():
    sys.path.insert(0, str(SEED))
    yield
    sys.path.remove(str(SEED))


def run_code(code: bytes, path: Path) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(path), "exec"), {"__name__": "__main__", "__file__": str(path)})
    return out.getvalue()


def space_of(name: str) -> dict:
    return json.loads(extract([str(SEED / f"{name}.py")]))


def first_choice(space: dict) -> dict:
    return {
        key: {"layer": 0, "inputs": list(range(entry["_value"]["input_num"][0]))} for key, entry in space.items()
    }


def last_choice(space: dict) -> dict:
    return {
        key: {
            "layer": len(entry["_value"]["layer_choice"]) - 1,
            "inputs": list(range(entry["_value"]["input_num"][1]))[::-1],
        }
        for key, entry in space.items()
    }


EXPECTED = {
    ("layer_choice", "first"): "layer_out (2, 16, 16, 128) Out (2, 1000)",
    ("layer_choice", "last"): "layer_out (2, 16, 16, 128) Out (2, 1000)",
    ("connection_choice", "first"): "layer_out (2, 16, 16, 24)",
    ("connection_choice", "last"): "layer_out (2, 16, 16, 24)",
    ("auxiliary", "first"): "layer_out (2, 32768)",
    ("auxiliary", "last"): "layer_out (2, 4096)",
    ("enas_macro", "first"): "out5 (2, 16, 16, 8) Out (2, 2048)",
    ("enas_macro", "last"): "out5 (2, 16, 16, 64) Out (2, 16384)",
}


@TENSORFLOW
@pytest.mark.parametrize("which", ["first", "last"])
@pytest.mark.parametrize("name", SCRIPTS)
def test_expanded_for_a_choice_runs_with_tensorflow(name, which):
    space = space_of(name)
    choice = (first_choice if which == "first" else last_choice)(space)
    path = SEED / f"{name}.py"
    code = expand(str(path), json.dumps(choice))
    assert b"nas_annotate" not in code
    assert run_code(code, path).strip() == EXPECTED[name, which]


@TENSORFLOW
@pytest.mark.parametrize("name", SCRIPTS)
def test_run_time_form_matches_the_chosen_form(name):
    space = space_of(name)
    choice = last_choice(space)
    path = SEED / f"{name}.py"
    runtime.set_choice(choice)
    try:
        assert run_code(expand(str(path), None), path).strip() == EXPECTED[name, "last"]
    finally:
        runtime.reset()


def test_the_enas_space_is_read_as_written():
    space = space_of("enas_macro")
    assert list(space) == [f"enas_macro/out{i}" for i in range(1, 6)]
    assert space["enas_macro/out4"]["_value"]["input_num"] == [0, 2]
    assert space["enas_macro/out5"]["_value"]["fixed_inputs"] == ["out4"]


@TENSORFLOW
def test_nas_annotate_run_with_a_random_sample(tmp_path):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("NAS_ANNOTATE_CHOICE", None)
    result = subprocess.run(
        [sys.executable, "-m", "nas_annotate", "run", str(SEED / "enas_macro.py"), "--sample", "random", "--seed", "3"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("out5 (2, 16, 16, ")
    used = json.loads(result.stderr.rsplit("nas-annotate: choice used: ", 1)[1])
    assert sorted(used) == [f"enas_macro/out{i}" for i in range(1, 6)]

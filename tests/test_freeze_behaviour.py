"""The frozen form behaves as the line-preserving form (`expand --choice`) does.

- every example freezes to valid, annotation-free Python;
- examples/basics and examples/toy print the same output in both forms;
- (the property tests, with hypothesis, are in test_freeze_property.py)
- examples/digits with TensorFlow: the same model (layers, parameter count, weights) and,
  with the script's seed, the same accuracy.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import random
import re
import sys
from pathlib import Path

import pytest
from conftest import needs

from nas_annotate.api import analyse_file, check, expand, extract
from nas_annotate.freeze import freeze, freeze_tree

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def first_choice(paths: list[str]) -> dict:
    """A valid choice for every layer and hyperparameter: first candidate, first inputs, first option."""
    choice: dict = {}
    for key, entry in json.loads(extract(paths)).items():
        value = entry["_value"]
        if entry["_type"] == "mutable_layer":
            choice[key] = {"layer": 0, "inputs": list(range(value["input_num"][0]))}
        else:
            choice[key] = 0 if entry["_type"] == "choice" else value[0]
    return choice


def run(code: bytes, path: str, namespace: dict | None = None) -> tuple[str, dict]:
    out = io.StringIO()
    namespace = {"__name__": "__main__", "__file__": path} if namespace is None else namespace
    with contextlib.redirect_stdout(out):
        exec(compile(code, path, "exec"), namespace)
    return out.getvalue(), namespace


# --- the examples ---------------------------------------------------------------------------

SCRIPTS = sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.glob("*/*.py") if p.parent.name != "seed")


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_example_freezes_to_plain_python(name, tmp_path):
    path = str(EXAMPLES / name)
    own = Path(path).parent / "choice.json"
    choice = own.read_text() if own.exists() else json.dumps(first_choice([path]))
    frozen = freeze(path, choice)
    compile(frozen, path, "exec")
    out = tmp_path / Path(name).name
    out.write_bytes(frozen)
    assert check([str(out)]) == []
    assert analyse_file(str(out)).annotations == []
    assert b"__import__('nas_annotate" not in frozen and b"import nas_annotate" not in frozen  # no tie to this tool


def test_the_seed_examples_freeze_as_a_directory(tmp_path):
    outputs = dict(freeze_tree(str(EXAMPLES / "seed"), json.dumps(first_choice([str(EXAMPLES / "seed")]))))
    assert sorted(outputs) == ["auxiliary.py", "connection_choice.py", "enas_macro.py", "layer_choice.py", "ops.py"]
    assert outputs["ops.py"] == (EXAMPLES / "seed" / "ops.py").read_bytes()
    for name, data in outputs.items():
        compile(data, name, "exec")
        (tmp_path / name).write_bytes(data)
    assert check([str(tmp_path)]) == []


def _layer_choices(path: str, rng: random.Random) -> dict:
    choice = {}
    for layer in analyse_file(path).layers:
        lo, hi = layer.input_num
        inputs = rng.sample(range(len(layer.input_candidates)), rng.randint(lo, hi))
        choice[layer.key] = {"layer": rng.randrange(len(layer.layer_choice)), "inputs": inputs}
    return choice


@pytest.mark.parametrize("seed", range(6))
def test_basics_and_toy_print_the_same_in_both_forms(seed):
    rng = random.Random(seed)
    for path in (str(EXAMPLES / "basics" / "enas_macro.py"), str(EXAMPLES / "toy" / "score.py")):
        choice = json.dumps(_layer_choices(path, rng))
        expanded, _ = run(expand(path, choice), path)
        frozen, _ = run(freeze(path, choice), path)
        assert frozen == expanded and expanded


def test_basics_with_its_own_choice():
    path = str(EXAMPLES / "basics" / "enas_macro.py")
    choice = str(EXAMPLES / "basics" / "enas_choice.json")
    assert run(freeze(path, choice), path)[0] == run(expand(path, choice), path)[0]


# --- digits, with TensorFlow -----------------------------------------------------------------


@needs("tensorflow", "sklearn")
def test_digits_frozen_is_the_same_model_with_the_same_accuracy():
    path = str(EXAMPLES / "digits" / "train.py")
    choice = str(EXAMPLES / "digits" / "choice.json")
    forms = {"expanded": expand(path, choice), "frozen": freeze(path, choice)}
    assert b"def max_pool" not in forms["frozen"] and b"def conv" in forms["frozen"]
    models = {}
    accuracy = {}
    argv = sys.argv
    for name, code in forms.items():
        _, namespace = run(code, path, {"__name__": "digits_" + name, "__file__": path})
        keras = namespace["keras"]
        keras.utils.set_random_seed(0)
        model = namespace["build_model"]()
        models[name] = (
            [type(layer).__name__ for layer in model.layers],
            [tuple(layer.output.shape) for layer in model.layers],
            model.count_params(),
            [w.tolist() for w in model.get_weights()],
        )
        sys.argv = [path, "--epochs", "2", "--limit", "400"]
        try:
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                namespace["main"]()
        finally:
            sys.argv = argv
        match = re.fullmatch(r"validation accuracy: (\d\.\d{4})\n", printed.getvalue())
        assert match, printed.getvalue()
        accuracy[name] = float(match.group(1))
    assert models["frozen"][:3] == models["expanded"][:3]
    assert all(
        math.isclose(a, b) for wa, wb in zip(models["frozen"][3], models["expanded"][3]) for a, b in zip(_flat(wa), _flat(wb))
    )
    assert accuracy["frozen"] == accuracy["expanded"]


def _flat(value) -> list:  # type: ignore[no-untyped-def]
    if isinstance(value, list):
        return [x for item in value for x in _flat(item)]
    return [value]

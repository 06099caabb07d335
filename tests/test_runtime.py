"""The runtime's choice sources, their order, and its errors."""

from __future__ import annotations

import json
import sys
import types

import pytest

from nas_annotate import runtime
from nas_annotate.api import expand

ANNOTATED = '''\
def op(name):
    def apply(inputs, **kwargs):
        return (name, inputs, kwargs)
    return apply
conv, pool = op("conv"), op("pool")
x, y = "x", "y"
"""@nni.mutable_layer
{
    layer_choice: [conv(ch=8), pool],
    input_candidates: [x, y],
    input_num: [1, 2],
    layer_output: out
}"""
'''
SHAPE = ("mod/out", ("conv(ch=8)", "pool"), ("x", "y"), 1, 2)


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.delenv(runtime.ENV, raising=False)
    monkeypatch.delenv("NNI_PLATFORM", raising=False)
    runtime.reset()
    yield
    runtime.reset()


def run_form(tmp_path) -> object:
    path = tmp_path / "mod.py"
    path.write_text(ANNOTATED)
    namespace: dict = {}
    exec(compile(expand(str(path), None), str(path), "exec"), namespace)
    return namespace["out"]


def test_set_choice_with_a_mapping(tmp_path):
    runtime.set_choice({"mod/out": {"layer": "pool", "inputs": ["y", "x"]}})
    assert run_form(tmp_path) == ("pool", [[], ["y", "x"]], {})


def test_env_var_path_and_inline(tmp_path, monkeypatch):
    choice = tmp_path / "c.yaml"
    choice.write_text("mod/out:\n  layer: 0\n  inputs: [x]\n")
    monkeypatch.setenv(runtime.ENV, str(choice))
    assert run_form(tmp_path) == ("conv", [[], ["x"]], {"ch": 8})
    runtime.reset()
    monkeypatch.setenv(runtime.ENV, '{"mod/out": {"layer": "pool", "inputs": [1]}}')
    assert run_form(tmp_path) == ("pool", [[], ["y"]], {})


def test_explicit_choice_wins_over_env(tmp_path, monkeypatch):
    monkeypatch.setenv(runtime.ENV, '{"mod/out": {"layer": "pool", "inputs": [1]}}')
    runtime.set_choice({"mod/out": {"layer": 0, "inputs": [0, 1]}})
    assert run_form(tmp_path) == ("conv", [[], ["x", "y"]], {"ch": 8})


def fake_nni(monkeypatch, parameters: dict) -> list:
    calls: list = []
    module = types.ModuleType("nni")

    def get_next_parameter():
        calls.append(1)
        return parameters

    module.get_next_parameter = get_next_parameter  # type: ignore[attr-defined]
    module.get_current_parameter = lambda: parameters if calls else None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "nni", module)
    monkeypatch.setenv("NNI_PLATFORM", "local")
    return calls


def test_nni_nested_form_under_nni(tmp_path, monkeypatch):
    calls = fake_nni(monkeypatch, {"mod/out": {"layer": {"chosen_layer": "pool", "chosen_inputs": ["y"]}}})
    assert run_form(tmp_path) == ("pool", [[], ["y"]], {})
    assert calls == [1]


def test_nni_flat_form_is_decoded_as_nni_does(tmp_path, monkeypatch):
    prefix = "_mutable_layer/mod/out/layer/"
    # labels sorted: x, y; state 3 in base 2 with size 2 gives y (3 % 2), then y (1 % 2): NNI allows repeats
    fake_nni(
        monkeypatch,
        {prefix + "layer_choice": "conv(ch=8)", prefix + "optional_input_size": 2, prefix + "optional_input_chosen_state": 2},
    )
    assert run_form(tmp_path) == ("conv", [[], ["x", "y"]], {"ch": 8})


def test_env_var_wins_over_nni(tmp_path, monkeypatch):
    calls = fake_nni(monkeypatch, {"mod/out": {"layer": {"chosen_layer": "pool", "chosen_inputs": ["y"]}}})
    monkeypatch.setenv(runtime.ENV, '{"mod/out": {"layer": "conv(ch=8)", "inputs": ["x"]}}')
    assert run_form(tmp_path)[0] == "conv"
    assert calls == []


def test_nni_platform_without_nni_installed_means_no_choice(monkeypatch):
    monkeypatch.setenv("NNI_PLATFORM", "local")
    monkeypatch.setitem(sys.modules, "nni", None)
    with pytest.raises(runtime.ChoiceError, match="no choice was given"):
        runtime.decide(*SHAPE)


def test_one_decision_per_key():
    runtime.set_choice(sample="random", seed=1)
    first = runtime.decide(*SHAPE)
    assert all(runtime.decide(*SHAPE) == first for _ in range(20))


def test_sampling_is_reproducible_and_valid():
    seen = set()
    for seed in range(40):
        runtime.set_choice(sample="random", seed=seed)
        layer, inputs = runtime.decide(*SHAPE)
        assert layer in (0, 1) and 1 <= len(inputs) <= 2 and len(set(inputs)) == len(inputs)
        runtime.set_choice(sample="random", seed=seed)
        assert runtime.decide(*SHAPE) == (layer, inputs)
        seen.add((layer, inputs))
    assert len(seen) > 4
    runtime.set_choice(sample="first")
    assert runtime.decide(*SHAPE) == (0, (0,))


def test_sample_fills_what_the_document_leaves_out():
    runtime.set_choice({"mod/other": {"layer": 0}}, sample="first")
    assert runtime.decide(*SHAPE) == (0, (0,))


def test_decisions_are_reported_as_a_choice_document():
    runtime.set_choice({"mod/out": {"layer": 1, "inputs": [1, 0]}})
    runtime.decide(*SHAPE)
    assert runtime.decisions() == {"mod/out": {"layer": "pool", "inputs": ["y", "x"]}}
    assert json.loads(json.dumps(runtime.decisions())) == runtime.decisions()


def test_no_choice_names_the_key_and_how_to_give_one():
    with pytest.raises(runtime.ChoiceError) as error:
        runtime.decide(*SHAPE)
    message = str(error.value)
    assert "no choice for 'mod/out'" in message and "'conv(ch=8)', 'pool'" in message
    assert "--choice" in message and runtime.ENV in message


def test_bad_choice_at_first_use_names_the_key_and_where(tmp_path):
    runtime.set_choice({"mod/out": {"layer": "conv(ch=9)", "inputs": ["x"]}})
    with pytest.raises(runtime.ChoiceError) as error:
        run_form(tmp_path)
    message = str(error.value)
    assert message == (
        f"{tmp_path / 'mod.py'}:7: error: mod/out: layer 'conv(ch=9)' names none of 'conv(ch=8)', 'pool' "
        "(or an index 0..1) (in the choice from set_choice())"
    )


def test_missing_key_in_document_is_reported_at_use():
    runtime.set_choice({"mod/elsewhere": {"layer": 0}})
    with pytest.raises(runtime.ChoiceError, match=r"the choice \(set_choice\(\)\) has no entry for it"):
        runtime.decide(*SHAPE)


def test_register_rejects_keys_naming_no_layer_of_the_module():
    runtime.set_choice({"mod/outt": {"layer": 0}, "other/x": {"layer": 0}})
    with pytest.raises(runtime.ChoiceError, match="'mod/outt' names no layer of module 'mod'; did you mean 'mod/out'"):
        runtime.register("mod", ["mod/out"])
    runtime.register("other", ["other/x"])


def test_a_choice_is_data_never_code():
    runtime.set_choice({"mod/out": {"layer": "__import__('os').system('exit 7')", "inputs": ["x"]}})
    with pytest.raises(runtime.ChoiceError, match="names none of"):
        runtime.decide(*SHAPE)


def test_bad_sampler_is_refused():
    with pytest.raises(ValueError, match="sample must be one of first, random"):
        runtime.set_choice(sample="best")

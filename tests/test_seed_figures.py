"""The seed's four figures (SPEC §10), expanded under many choices and run against stand-ins.

Every operator of the figures (conv, pool, concat, ...) is a plain-Python stand-in that
records how it was called, as `(name, first_argument, other_positional_arguments, keywords)`,
and returns a tag `"<name>#<n>"` (n = 1-based number of the call).  Each case gives a choice
document and the exact list of calls SPEC §4 prescribes for it:

    raw = f([F, C], a, k=v)            no input_aggregate
    raw = f(g([F, C], b), a, k=v)      input_aggregate g(b)
    out = p([raw, C], c)               post_process p(c)

The fixtures live in tests/fixtures/seed_*.py; that directory holds no __init__.py, so a
fixture's module name (the first part of its keys) is its file stem.
"""

from __future__ import annotations

import json
import os

import pytest

from nas_annotate.api import analyse_file, expand, extract
from nas_annotate.diagnostics import CompileError

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")

OPS = (
    "conv",
    "pool",
    "concat",
    "reshape",
    "fc_1000",
    "softmax",
    "conv3",
    "conv3_sep",
    "conv5",
    "conv5_sep",
    "avg_pool",
    "max_pool",
    "add_one",
    "add_two",
    "add_three",
    "double",
    "tap",
    "make",
)


class Unchosen(AssertionError):
    """Raised by `boom()`: an expression that only an unchosen candidate or input holds was evaluated."""


def boom(*args, **kwargs):
    raise Unchosen(f"boom{args!r}{kwargs!r} was evaluated")


class Recorder:
    """The stand-in operators of the figures, recording every call in order."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def op(self, name: str):
        def stand_in(first=None, *args, **kwargs):
            self.calls.append((name, first, args, kwargs))
            return f"{name}#{len(self.calls)}"

        stand_in.__name__ = name
        return stand_in

    def namespace(self) -> dict:
        ns = {name: self.op(name) for name in OPS}
        ns.update(boom=boom, image="image", side="side", __name__="__seed_fixture__")
        return ns


def call(name, first=None, *args, **kwargs):
    """One expected recorded call."""
    return (name, first, args, kwargs)


def fixture(name: str) -> str:
    return os.path.join(FIXTURES, name)


def run(path: str, choice) -> tuple[Recorder, dict]:
    """Expand `path` under `choice` (a dict, sent as inline JSON), exec it, return the record."""
    text = choice if isinstance(choice, str) else json.dumps(choice)
    code = expand(path, text)
    recorder = Recorder()
    ns = recorder.namespace()
    exec(compile(code, path, "exec"), ns)
    return recorder, ns


# The calls the fixtures make before their annotation (out1 = conv(image, 3, 64), ...).
PREFIX3 = [call("conv", "image", 3, 64), call("conv", "conv#1", 3, 64), call("conv", "conv#2", 3, 128)]
PREFIX4 = PREFIX3 + [call("conv", "conv#3", 3, 128)]
PREFIX2 = PREFIX3[:2]


def flat(key: str, layer, size=None, state=None) -> dict:
    """NNI's flat form (what `convert_nas_search_space` gives HPO tuners) for one layer."""
    prefix = f"_mutable_layer/{key}/layer/"
    doc = {prefix + "layer_choice": layer}
    if size is not None:
        doc[prefix + "optional_input_size"] = size
        doc[prefix + "optional_input_chosen_state"] = state
    return doc


def nested(layer, inputs) -> dict:
    """NNI's nested form for one layer: {block: {layer: {chosen_layer, chosen_inputs}}}."""
    return {"layer": {"chosen_layer": layer, "chosen_inputs": inputs}}


# ---------------------------------------------------------------------------------------------
# Each case: (fixture, choice document, prefix calls, expected calls after them, expected values)

L1 = "seed_layer_choice/layer_out"
L1F = "seed_layer_choice_fixed/layer_out"
L2 = "seed_connection_choice/layer_out"
L3 = "seed_auxiliary/layer_out"
E = "seed_enas_macro/"
EV1, EV2 = "seed_evaluation/layer_out", "seed_evaluation/second_out"
R1, R2 = "seed_nni_release/build.layer_1_out", "seed_nni_release/build.layer_2_out"

CASES = {
    # --- figure 1, upper form: out3 is the one input candidate --------------------------------
    "fig1-label-ch128": (
        "seed_layer_choice.py",
        {L1: {"layer": "conv(ch=128)", "inputs": ["out3"]}},
        PREFIX3,
        [call("conv", [[], ["conv#3"]], ch=128), call("fc_1000", "conv#4")],
        {"layer_out": "conv#4", "Out": "fc_1000#5"},
    ),
    "fig1-index-ch256": (
        "seed_layer_choice.py",
        {L1: {"layer": 1, "inputs": [0]}},
        PREFIX3,
        [call("conv", [[], ["conv#3"]], ch=256), call("fc_1000", "conv#4")],
        {"layer_out": "conv#4", "Out": "fc_1000#5"},
    ),
    "fig1-bare-pool": (
        "seed_layer_choice.py",
        {L1: {"layer": "pool", "inputs": ["out3"]}},
        PREFIX3,
        [call("pool", [[], ["conv#3"]]), call("fc_1000", "pool#4")],
        {"layer_out": "pool#4", "Out": "fc_1000#5"},
    ),
    "fig1-label-other-spelling": (
        "seed_layer_choice.py",
        {L1: {"layer": "conv(ch = 256)", "inputs": ["out3"]}},
        PREFIX3,
        [call("conv", [[], ["conv#3"]], ch=256), call("fc_1000", "conv#4")],
        {"layer_out": "conv#4"},
    ),
    "fig1-nested": (
        "seed_layer_choice.py",
        {L1: nested("pool", ["out3"])},
        PREFIX3,
        [call("pool", [[], ["conv#3"]]), call("fc_1000", "pool#4")],
        {"layer_out": "pool#4"},
    ),
    "fig1-flat": (
        "seed_layer_choice.py",
        flat(L1, "conv(ch=256)", 1, 0),
        PREFIX3,
        [call("conv", [[], ["conv#3"]], ch=256), call("fc_1000", "conv#4")],
        {"layer_out": "conv#4"},
    ),
    # --- figure 1, lower form: out3 is a fixed input ------------------------------------------
    "fig1-fixed-label": (
        "seed_layer_choice_fixed.py",
        {L1F: {"layer": "conv(ch=128)"}},
        PREFIX3,
        [call("conv", [["conv#3"], []], ch=128), call("fc_1000", "conv#4")],
        {"layer_out": "conv#4", "Out": "fc_1000#5"},
    ),
    "fig1-fixed-index-empty-inputs": (
        "seed_layer_choice_fixed.py",
        {L1F: {"layer": 2, "inputs": []}},
        PREFIX3,
        [call("pool", [["conv#3"], []]), call("fc_1000", "pool#4")],
        {"layer_out": "pool#4"},
    ),
    "fig1-fixed-flat-layer-only": (
        "seed_layer_choice_fixed.py",
        flat(L1F, "conv(ch=256)"),
        PREFIX3,
        [call("conv", [["conv#3"], []], ch=256), call("fc_1000", "conv#4")],
        {"layer_out": "conv#4"},
    ),
    # --- figure 2: two of three connections for concat ----------------------------------------
    "fig2-labels-in-source-order": (
        "seed_connection_choice.py",
        {L2: {"layer": 0, "inputs": ["out1", "out2"]}},
        PREFIX4,
        [call("concat", [[], ["conv#1", "conv#2"]], connected_out="conv#4"), call("fc_1000", "concat#5")],
        {"layer_out": "concat#5", "Out": "fc_1000#6"},
    ),
    "fig2-labels-in-choice-order": (
        "seed_connection_choice.py",
        {L2: {"layer": "concat(connected_out=out4)", "inputs": ["out3", "out1"]}},
        PREFIX4,
        [call("concat", [[], ["conv#3", "conv#1"]], connected_out="conv#4"), call("fc_1000", "concat#5")],
        {"layer_out": "concat#5"},
    ),
    "fig2-indices-in-choice-order": (
        "seed_connection_choice.py",
        {L2: {"layer": 0, "inputs": [2, 1]}},
        PREFIX4,
        [call("concat", [[], ["conv#3", "conv#2"]], connected_out="conv#4"), call("fc_1000", "concat#5")],
        {"layer_out": "concat#5"},
    ),
    "fig2-labels-and-indices-mixed": (
        "seed_connection_choice.py",
        {L2: {"layer": "concat(connected_out=out4)", "inputs": ["out3", 0]}},
        PREFIX4,
        [call("concat", [[], ["conv#3", "conv#1"]], connected_out="conv#4"), call("fc_1000", "concat#5")],
        {"layer_out": "concat#5"},
    ),
    "fig2-nested": (
        "seed_connection_choice.py",
        {L2: nested("concat(connected_out=out4)", ["out2", "out3"])},
        PREFIX4,
        [call("concat", [[], ["conv#2", "conv#3"]], connected_out="conv#4"), call("fc_1000", "concat#5")],
        {"layer_out": "concat#5"},
    ),
    "fig2-flat": (
        # sorted labels: out1 out2 out3; state 5 in base 3 = digits 2, 1 -> [out3, out2]
        "seed_connection_choice.py",
        flat(L2, "concat(connected_out=out4)", 2, 5),
        PREFIX4,
        [call("concat", [[], ["conv#3", "conv#2"]], connected_out="conv#4"), call("fc_1000", "concat#5")],
        {"layer_out": "concat#5"},
    ),
    # --- figure 3: input_aggregate concat, post_process reshape -------------------------------
    "fig3-conv128": (
        "seed_auxiliary.py",
        {L3: {"layer": "conv(ch=128)", "inputs": ["out1", "out2"]}},
        PREFIX4,
        [
            call("concat", [[], ["conv#1", "conv#2"]]),
            call("conv", "concat#5", ch=128),
            call("reshape", ["conv#6", ["conv#1", "conv#2"]]),
            call("fc_1000", "reshape#7"),
        ],
        {"layer_out": "reshape#7", "Out": "fc_1000#8"},
    ),
    "fig3-pool-choice-order": (
        "seed_auxiliary.py",
        {L3: {"layer": "pool", "inputs": ["out4", "out2"]}},
        PREFIX4,
        [
            call("concat", [[], ["conv#4", "conv#2"]]),
            call("pool", "concat#5"),
            call("reshape", ["pool#6", ["conv#4", "conv#2"]]),
            call("fc_1000", "reshape#7"),
        ],
        {"layer_out": "reshape#7"},
    ),
    "fig3-indices": (
        "seed_auxiliary.py",
        {L3: {"layer": 1, "inputs": [3, 0]}},
        PREFIX4,
        [
            call("concat", [[], ["conv#4", "conv#1"]]),
            call("conv", "concat#5", ch=256),
            call("reshape", ["conv#6", ["conv#4", "conv#1"]]),
            call("fc_1000", "reshape#7"),
        ],
        {"layer_out": "reshape#7"},
    ),
    # --- figure 4: the ENAS macro space, missing commas and all -------------------------------
    "enas-no-inputs": (
        "seed_enas_macro.py",
        {
            E + "out1": {"layer": "conv3"},
            E + "out2": {"layer": "conv5_sep"},
            E + "out3": {"layer": "max_pool", "inputs": []},
            E + "out4": {"layer": "conv3_sep"},
            E + "out5": {"layer": "concat", "inputs": []},
        },
        [],
        [
            call("conv3", [["image"], []]),
            call("conv5_sep", [["conv3#1"], []]),
            call("max_pool", [["conv5_sep#2"], []]),
            call("conv3_sep", [["max_pool#3"], []]),
            call("concat", [["conv3_sep#4"], []]),
            call("softmax", "concat#5"),
        ],
        {"out1": "conv3#1", "out3": "max_pool#3", "out5": "concat#5", "Out": "softmax#6"},
    ),
    "enas-all-inputs": (
        "seed_enas_macro.py",
        {
            E + "out1": {"layer": "conv5"},
            E + "out2": {"layer": "conv3_sep"},
            E + "out3": {"layer": "avg_pool", "inputs": ["out1"]},
            E + "out4": {"layer": "conv5", "inputs": ["out2", "out1"]},
            E + "out5": {"layer": "concat", "inputs": ["out3", "out1", "out2"]},
        },
        [],
        [
            call("conv5", [["image"], []]),
            call("conv3_sep", [["conv5#1"], []]),
            call("avg_pool", [["conv3_sep#2"], ["conv5#1"]]),
            call("conv5", [["avg_pool#3"], ["conv3_sep#2", "conv5#1"]]),
            call("concat", [["conv5#4"], ["avg_pool#3", "conv5#1", "conv3_sep#2"]]),
            call("softmax", "concat#5"),
        ],
        {"out2": "conv3_sep#2", "out4": "conv5#4", "Out": "softmax#6"},
    ),
    "enas-indices": (
        "seed_enas_macro.py",
        {
            E + "out1": {"layer": 5},
            E + "out2": {"layer": 4, "inputs": []},
            E + "out3": {"layer": 3, "inputs": [0]},
            E + "out4": {"layer": 2, "inputs": [1]},
            E + "out5": {"layer": 0, "inputs": [2, 0]},
        },
        [],
        [
            call("max_pool", [["image"], []]),
            call("avg_pool", [["max_pool#1"], []]),
            call("conv5_sep", [["avg_pool#2"], ["max_pool#1"]]),
            call("conv5", [["conv5_sep#3"], ["avg_pool#2"]]),
            call("concat", [["conv5#4"], ["conv5_sep#3", "max_pool#1"]]),
            call("softmax", "concat#5"),
        ],
        {"Out": "softmax#6"},
    ),
    "enas-nested": (
        "seed_enas_macro.py",
        {
            E + "out1": nested("conv3", []),
            E + "out2": nested("conv3", []),
            E + "out3": nested("conv3", ["out1"]),
            E + "out4": nested("conv3", []),
            E + "out5": nested("concat", ["out2"]),
        },
        [],
        [
            call("conv3", [["image"], []]),
            call("conv3", [["conv3#1"], []]),
            call("conv3", [["conv3#2"], ["conv3#1"]]),
            call("conv3", [["conv3#3"], []]),
            call("concat", [["conv3#4"], ["conv3#2"]]),
            call("softmax", "concat#5"),
        ],
        {"Out": "softmax#6"},
    ),
    "enas-flat": (
        # out3: 1 of [out1]; out4: size 0 (state ignored); out5: sorted out1 out2 out3,
        # state 21 in base 3 = digits 0, 1, 2 -> [out1, out2, out3]
        "seed_enas_macro.py",
        {
            **flat(E + "out1", "avg_pool"),
            **flat(E + "out2", "conv5"),
            **flat(E + "out3", "conv3_sep", 1, 0),
            **flat(E + "out4", "max_pool", 0, 3),
            **flat(E + "out5", "concat", 3, 21),
        },
        [],
        [
            call("avg_pool", [["image"], []]),
            call("conv5", [["avg_pool#1"], []]),
            call("conv3_sep", [["conv5#2"], ["avg_pool#1"]]),
            call("max_pool", [["conv3_sep#3"], []]),
            call("concat", [["max_pool#4"], ["avg_pool#1", "conv5#2", "conv3_sep#3"]]),
            call("softmax", "concat#5"),
        ],
        {"Out": "softmax#6"},
    ),
    # --- evaluation: only the chosen expressions, each once, in source order ------------------
    "eval-one-input": (
        "seed_evaluation.py",
        {
            EV1: {"layer": "conv(ch=make(2))", "inputs": ["tap(out2)"]},
            EV2: {"layer": "pool(size=make(6))", "inputs": ["tap(layer_out)"]},
        },
        PREFIX2,
        [
            call("make", 2),
            call("tap", "conv#2"),
            call("make", 4),
            call("make", 5),
            call("concat", [[], ["tap#4"]], axis="make#5"),
            call("conv", "concat#7", ch="make#3"),
            call("reshape", ["conv#8", ["tap#4"]], shape="make#6"),
            # second layer: its input_candidates are written before its layer_choice
            call("tap", "reshape#9"),
            call("make", 6),
            call("make", 7),
            call("pool", [[], ["tap#10"]], size="make#11"),
            call("reshape", ["pool#13", ["tap#10"]], shape="make#12"),
            call("fc_1000", "reshape#14"),
        ],
        {"layer_out": "reshape#9", "second_out": "reshape#14", "Out": "fc_1000#15"},
    ),
    "eval-zero-inputs": (
        "seed_evaluation.py",
        {EV1: {"layer": 2, "inputs": []}, EV2: {"layer": 0, "inputs": [0]}},
        PREFIX2,
        [
            call("make", 3),
            call("make", 4),
            call("make", 5),
            call("concat", [[], []], axis="make#4"),
            call("pool", "concat#6", size="make#3"),
            call("reshape", ["pool#7", []], shape="make#5"),
            call("tap", "reshape#8"),
            call("make", 6),
            call("make", 7),
            call("pool", [[], ["tap#9"]], size="make#10"),
            call("reshape", ["pool#12", ["tap#9"]], shape="make#11"),
            call("fc_1000", "reshape#13"),
        ],
        {"layer_out": "reshape#8"},
    ),
    "eval-two-inputs-reversed": (
        # the choice orders C as [tap(out2), tap(out1)]; evaluation stays in source order
        "seed_evaluation.py",
        {EV1: {"layer": 0, "inputs": ["tap(out2)", "tap(out1)"]}, EV2: {"layer": 0, "inputs": ["tap(layer_out)"]}},
        PREFIX2,
        [
            call("make", 1),
            call("tap", "conv#1"),
            call("tap", "conv#2"),
            call("make", 4),
            call("make", 5),
            call("concat", [[], ["tap#5", "tap#4"]], axis="make#6"),
            call("conv", "concat#8", ch="make#3"),
            call("reshape", ["conv#9", ["tap#5", "tap#4"]], shape="make#7"),
            call("tap", "reshape#10"),
            call("make", 6),
            call("make", 7),
            call("pool", [[], ["tap#11"]], size="make#12"),
            call("reshape", ["pool#14", ["tap#11"]], shape="make#13"),
            call("fc_1000", "reshape#15"),
        ],
        {"layer_out": "reshape#10"},
    ),
    "eval-flat-repeated-input": (
        # NNI decodes with repeats: sorted labels are boom(), tap(out1), tap(out2) (boom sorts
        # first); state 8 in base 3 = digits 2, 2 -> [tap(out2), tap(out2)], evaluated once.
        "seed_evaluation.py",
        {**flat(EV1, "conv(ch=make(1))", 2, 8), **flat(EV2, "pool(size=make(6))", 1, 1)},
        PREFIX2,
        [
            call("make", 1),
            call("tap", "conv#2"),
            call("make", 4),
            call("make", 5),
            call("concat", [[], ["tap#4", "tap#4"]], axis="make#5"),
            call("conv", "concat#7", ch="make#3"),
            call("reshape", ["conv#8", ["tap#4", "tap#4"]], shape="make#6"),
            # second layer: sorted labels boom(), tap(layer_out); state 1 -> tap(layer_out)
            call("tap", "reshape#9"),
            call("make", 6),
            call("make", 7),
            call("pool", [[], ["tap#10"]], size="make#11"),
            call("reshape", ["pool#13", ["tap#10"]], shape="make#12"),
            call("fc_1000", "reshape#14"),
        ],
        {"second_out": "reshape#14"},
    ),
    "eval-flat-sorted-labels": (
        # state 7 = digits 1, 2 over the sorted labels -> [tap(out1), tap(out2)]; over the
        # source order it would pick [tap(out2), boom()] and raise.
        "seed_evaluation.py",
        {**flat(EV1, "pool(size=make(3))", 2, 7), **flat(EV2, "pool(size=make(6))", 1, 1)},
        PREFIX2,
        [
            call("make", 3),
            call("tap", "conv#1"),
            call("tap", "conv#2"),
            call("make", 4),
            call("make", 5),
            call("concat", [[], ["tap#4", "tap#5"]], axis="make#6"),
            call("pool", "concat#8", size="make#3"),
            call("reshape", ["pool#9", ["tap#4", "tap#5"]], shape="make#7"),
            call("tap", "reshape#10"),
            call("make", 6),
            call("make", 7),
            call("pool", [[], ["tap#11"]], size="make#12"),
            call("reshape", ["pool#14", ["tap#11"]], shape="make#13"),
            call("fc_1000", "reshape#15"),
        ],
        {"layer_out": "reshape#10"},
    ),
    # --- NNI's released @nni.mutable_layers(...) form ------------------------------------------
    "release-ours": (
        "seed_nni_release.py",
        {R1: {"layer": "add_three()", "inputs": ["images"]}, R2: {"layer": "double", "inputs": ["extra", "images"]}},
        [],
        [call("add_three", [[], ["image"]]), call("double", [["add_three#1"], ["side", "image"]])],
        {"Out": "double#2"},
    ),
    "release-indices-no-optional-inputs": (
        "seed_nni_release.py",
        {R1: {"layer": 1, "inputs": [1]}, R2: {"layer": 0, "inputs": []}},
        [],
        [call("add_two", [[], ["side"]]), call("add_one", [["add_two#1"], []])],
        {"Out": "add_one#2"},
    ),
    "release-nested": (
        "seed_nni_release.py",
        {R1: nested("add_one()", ["extra"]), R2: nested("double", ["images", "extra"])},
        [],
        [call("add_one", [[], ["side"]]), call("double", [["add_one#1"], ["image", "side"]])],
        {"Out": "double#2"},
    ),
    "release-flat-sorted": (
        # optional_inputs [images, extra] sort to [extra, images]: state 0 -> extra;
        # layer 2: state 1 = digits 1, 0 -> [images, extra]
        "seed_nni_release.py",
        {**flat(R1, "add_two()", 1, 0), **flat(R2, "double", 2, 1)},
        [],
        [call("add_two", [[], ["side"]]), call("double", [["add_two#1"], ["image", "side"]])],
        {"Out": "double#2"},
    ),
    "release-flat-size-zero-and-repeat": (
        # layer 1: state 1 -> images; layer 2: size 2, state 3 = digits 1, 1 -> [images, images]
        "seed_nni_release.py",
        {**flat(R1, "add_three()", 1, 1), **flat(R2, "add_one()", 2, 3)},
        [],
        [call("add_three", [[], ["image"]]), call("add_one", [["add_three#1"], ["image", "image"]])],
        {"Out": "add_one#2"},
    ),
    "release-flat-size-zero": (
        "seed_nni_release.py",
        {**flat(R1, "add_one()", 1, 0), **flat(R2, "double", 0, 2)},
        [],
        [call("add_one", [[], ["side"]]), call("double", [["add_one#1"], []])],
        {"Out": "double#2"},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_figure_calls(case):
    name, choice, prefix, expected, values = CASES[case]
    recorder, ns = run(fixture(name), choice)
    assert recorder.calls == prefix + expected
    for variable, value in values.items():
        assert ns[variable] == value, variable


@pytest.mark.parametrize("form", ["json-file", "yaml-file", "document"])
def test_the_choice_may_be_a_file_or_a_document(form, tmp_path):
    from nas_annotate.choice import load_choice

    choice = {L3: {"layer": "pool", "inputs": ["out4", "out2"]}}
    if form == "json-file":
        spec = tmp_path / "choice.json"
        spec.write_text(json.dumps(choice))
        spec = str(spec)
    elif form == "yaml-file":
        spec = tmp_path / "choice.yaml"
        spec.write_text(f"{L3}:\n  layer: pool\n  inputs: [out4, out2]\n")
        spec = str(spec)
    else:
        spec = load_choice(json.dumps(choice))
    code = expand(fixture("seed_auxiliary.py"), spec)
    assert code == expand(fixture("seed_auxiliary.py"), json.dumps(choice))
    recorder = Recorder()
    exec(compile(code, "seed_auxiliary.py", "exec"), recorder.namespace())
    assert recorder.calls[4:7] == CASES["fig3-pool-choice-order"][3][:3]


def test_the_seeds_two_ways_of_writing_the_first_example():
    """`input_candidates: [out3], input_num: 1` feeds [[], [out3]]; `fixed_inputs: [out3]` feeds [[out3], []]."""
    upper, _ = run(fixture("seed_layer_choice.py"), {L1: {"layer": "conv(ch=128)", "inputs": ["out3"]}})
    lower, _ = run(fixture("seed_layer_choice_fixed.py"), {L1F: {"layer": "conv(ch=128)"}})
    assert upper.calls[3] == ("conv", [[], ["conv#3"]], (), {"ch": 128})
    assert lower.calls[3] == ("conv", [["conv#3"], []], (), {"ch": 128})


# ---------------------------------------------------------------------------------------------
# What the figures declare: keys, labels and input_num ranges.

SPACES = {
    "seed_layer_choice.py": {
        L1: (["conv(ch=128)", "conv(ch=256)", "pool"], [], ["out3"], [1, 1], None, None),
    },
    "seed_layer_choice_fixed.py": {
        L1F: (["conv(ch=128)", "conv(ch=256)", "pool"], ["out3"], [], [0, 0], None, None),
    },
    "seed_connection_choice.py": {
        L2: (["concat(connected_out=out4)"], [], ["out1", "out2", "out3"], [2, 2], None, None),
    },
    "seed_auxiliary.py": {
        L3: (["conv(ch=128)", "conv(ch=256)", "pool"], [], ["out1", "out2", "out3", "out4"], [2, 2], "concat", "reshape"),
    },
    "seed_enas_macro.py": {
        E + "out1": (["conv3", "conv3_sep", "conv5", "conv5_sep", "avg_pool", "max_pool"], ["image"], [], [0, 0], None, None),
        E + "out2": (["conv3", "conv3_sep", "conv5", "conv5_sep", "avg_pool", "max_pool"], ["out1"], [], [0, 0], None, None),
        E + "out3": (["conv3", "conv3_sep", "conv5", "conv5_sep", "avg_pool", "max_pool"], ["out2"], ["out1"], [0, 1], None, None),
        E + "out4": (["conv3", "conv3_sep", "conv5", "conv5_sep", "avg_pool", "max_pool"], ["out3"], ["out1", "out2"], [0, 2], None, None),
        E + "out5": (["concat"], ["out4"], ["out1", "out2", "out3"], [0, 3], None, None),
    },
    "seed_nni_release.py": {
        R1: (["add_one()", "add_two()", "add_three()"], [], ["images", "extra"], [1, 1], None, None),
        R2: (["add_one()", "double"], ["layer_1_out"], ["images", "extra"], [0, 2], None, None),
    },
}


@pytest.mark.parametrize("name", list(SPACES))
def test_figure_search_space(name):
    space = json.loads(extract([fixture(name)]))
    assert list(space) == list(SPACES[name])
    for key, (layers, fixed, candidates, num, aggregate, post) in SPACES[name].items():
        value = space[key]["_value"]
        assert space[key]["_type"] == "mutable_layer"
        assert value["layer_choice"] == layers
        assert value["fixed_inputs"] == fixed
        assert value["input_candidates"] == candidates
        assert value["input_num"] == num
        assert value["input_aggregate"] == aggregate
        assert value["post_process"] == post
        assert value["layer_output"] == key.rpartition(".")[2].rpartition("/")[2]
    layers = analyse_file(fixture(name)).layers
    assert [layer.key for layer in layers] == list(SPACES[name])
    assert [layer.choice_labels for layer in layers] == [v[0] for v in SPACES[name].values()]
    assert [layer.input_labels for layer in layers] == [v[2] for v in SPACES[name].values()]
    assert [list(layer.input_num) for layer in layers] == [v[3] for v in SPACES[name].values()]


# ---------------------------------------------------------------------------------------------
# Evaluation: unchosen expressions never run; chosen ones run exactly once.


def counts(recorder: Recorder, name: str) -> dict:
    seen: dict = {}
    for call_name, first, _, _ in recorder.calls:
        if call_name == name:
            seen[first] = seen.get(first, 0) + 1
    return seen


@pytest.mark.parametrize("layer", [0, 1, 2])
@pytest.mark.parametrize("inputs", [[], [0], [1], [1, 0], [0, 1]])
def test_only_the_chosen_expressions_are_evaluated_each_once(layer, inputs):
    choice = {EV1: {"layer": layer, "inputs": inputs}, EV2: {"layer": 0, "inputs": [0]}}
    recorder, ns = run(fixture("seed_evaluation.py"), choice)
    made = counts(recorder, "make")
    # the chosen candidate's argument, the aggregate's and post_process's, the second layer's
    assert made == {layer + 1: 1, 4: 1, 5: 1, 6: 1, 7: 1}
    taps = counts(recorder, "tap")
    expected = {["conv#1", "conv#2"][i]: 1 for i in inputs}
    expected[ns["layer_out"]] = 1
    assert taps == expected
    # post_process received C again: the very values the aggregate got, not re-evaluated ones
    aggregate = next(c for c in recorder.calls if c[0] == "concat")
    post = next(c for c in recorder.calls if c[0] == "reshape")
    assert post[1][1] == aggregate[1][1]
    assert len(aggregate[1][1]) == len(inputs)


def test_an_unchosen_input_that_raises_is_never_touched():
    # boom() is an input candidate of both layers, and a candidate of the second
    recorder, _ = run(fixture("seed_evaluation.py"), {EV1: {"layer": 0, "inputs": [0, 1]}, EV2: {"layer": 0, "inputs": [0]}})
    assert all(name != "boom" for name, *_ in recorder.calls)


def test_a_chosen_input_that_raises_is_evaluated():
    """The control for the test above: choosing boom() does evaluate it."""
    with pytest.raises(Unchosen):
        run(fixture("seed_evaluation.py"), {EV1: {"layer": 0, "inputs": ["boom()"]}, EV2: {"layer": 0, "inputs": [0]}})
    with pytest.raises(Unchosen):
        run(fixture("seed_evaluation.py"), {EV1: {"layer": 0, "inputs": []}, EV2: {"layer": "boom()", "inputs": [0]}})


class Counted:
    """A value whose operators and item access record themselves (as tensor ops in a graph do)."""

    def __init__(self, log: list, name: str) -> None:
        self.log, self.name = log, name

    def __add__(self, other):
        self.log.append(f"{self.name}+")
        return f"{self.name}+{other}"

    def __getitem__(self, item):
        self.log.append(f"{self.name}[{item}]")
        return f"{self.name}[{item}]"

    @property
    def attr(self):
        self.log.append(f"{self.name}.attr")
        return f"{self.name}.attr"


PURE_LOOKING = '''\
"""@nni.mutable_layer
{
    layer_choice: [conv],
    input_candidates: [t + 1, t[0], t.attr],
    input_num: 3,
    post_process: reshape,
    layer_output: out
}"""
'''


def test_expressions_without_calls_are_also_evaluated_once(tmp_path):
    path = tmp_path / "pure_looking.py"
    path.write_text(PURE_LOOKING)
    log: list = []
    recorder = Recorder()
    ns = recorder.namespace()
    ns["t"] = Counted(log, "t")
    code = expand(str(path), json.dumps({"pure_looking/out": {"layer": 0, "inputs": [0, 1, 2]}}))
    exec(compile(code, str(path), "exec"), ns)
    assert recorder.calls[0] == ("conv", [[], ["t+1", "t[0]", "t.attr"]], (), {})
    assert recorder.calls[1][1][1] == ["t+1", "t[0]", "t.attr"]
    assert sorted(log) == sorted(["t+", "t[0]", "t.attr"])


def test_later_layers_of_one_annotation_use_earlier_outputs():
    choice = {E + f"out{i}": {"layer": "conv3", "inputs": []} for i in range(1, 6)}
    choice[E + "out5"] = {"layer": "concat", "inputs": ["out1", "out2", "out3"]}
    recorder, ns = run(fixture("seed_enas_macro.py"), choice)
    assert [c[1][0] for c in recorder.calls[:5]] == [["image"], ["conv3#1"], ["conv3#2"], ["conv3#3"], ["conv3#4"]]
    assert recorder.calls[4][1] == [["conv3#4"], ["conv3#1", "conv3#2", "conv3#3"]]
    assert ns["out5"] == "concat#5"


def test_the_choice_is_data_the_expansion_is_plain_python():
    """The expansion of a figure contains no annotation, and no text from the choice but labels' code."""
    path = fixture("seed_auxiliary.py")
    code = expand(path, json.dumps({L3: {"layer": "pool", "inputs": ["out4", "out1"]}})).decode()
    assert "@nni" not in code
    assert "layer_out = reshape([pool(concat([[], [out4, out1]])), [out4, out1]])" in code


@pytest.mark.parametrize(
    "name, choice",
    [
        ("seed_layer_choice.py", {L1: {"layer": "conv(ch=512)", "inputs": ["out3"]}}),
        ("seed_layer_choice.py", {L1: {"layer": 3, "inputs": ["out3"]}}),
        ("seed_layer_choice.py", {L1: {"layer": "pool", "inputs": []}}),
        ("seed_connection_choice.py", {L2: {"layer": 0, "inputs": ["out1", "out1"]}}),
        ("seed_connection_choice.py", {L2: {"layer": 0, "inputs": ["out1", "out4"]}}),
        ("seed_enas_macro.py", {E + "out1": {"layer": "conv3"}}),
    ],
)
def test_bad_choices_for_the_figures_are_errors(name, choice):
    with pytest.raises(CompileError) as info:
        expand(fixture(name), json.dumps(choice))
    assert info.value.diagnostics

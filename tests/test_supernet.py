"""The supernet form (SPEC §4 with every candidate): generated code, what the runtime builds,
masks and derivation, shapes and errors. TensorFlow runs eagerly on tiny tensors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import needs

from nas_annotate.codegen import layer_statements
from nas_annotate.pipeline import analyse
from nas_annotate.source import Source
from nas_annotate.supernet import derive_inputs, input_subsets
from nas_annotate.choice import Shape

ROOT = Path(__file__).resolve().parent.parent


def statements(annotation: str) -> list[str]:
    source = Source.from_bytes("m.py", annotation.encode())
    analysis = analyse(source, "m")
    assert not analysis.diagnostics, analysis.diagnostics
    return layer_statements(analysis.layers[0], None, supernet=True)


SITE = "_nas_annotate_s = __import__('nas_annotate.runtime').runtime.supernet"

# annotated layer -> the supernet form's statements (after the site)
CASES = [
    (
        '"""@nni.mutable_layer\n{layer_choice: [f(k=1), g], fixed_inputs: [x], layer_output: y}"""\n',
        [
            "y = _nas_annotate_s.mix((f([[x], []], k=1), g([[x], []]), ))",
            "del _nas_annotate_s",
        ],
    ),
    (
        '"""@nni.mutable_layer\n{layer_choice: [f, g], fixed_inputs: [x], input_candidates: [a, b],'
        " input_num: [0, 2], layer_output: y}\"\"\"\n",
        [
            "_nas_annotate_c = _nas_annotate_s.gate((a, b, ))",
            "y = _nas_annotate_s.mix((f([[x], [*_nas_annotate_c]]), g([[x], [*_nas_annotate_c]]), ))",
            "del _nas_annotate_s, _nas_annotate_c",
        ],
    ),
    (  # one aggregate before the candidates, one post-process after the mix
        '"""@nni.mutable_layer\n{layer_choice: [f, g(2)], input_candidates: [a], input_num: 1,'
        ' input_aggregate: agg, post_process: post(3), layer_output: y}"""\n',
        [
            "_nas_annotate_c = _nas_annotate_s.gate((a, ))",
            "_nas_annotate_x = agg([[], [*_nas_annotate_c]])",
            "y = post([_nas_annotate_s.mix((f(_nas_annotate_x), g(_nas_annotate_x, 2), )), [*_nas_annotate_c]], 3)",
            "del _nas_annotate_s, _nas_annotate_c, _nas_annotate_x",
        ],
    ),
    (  # arguments with side effects: every candidate's, once each, in source order
        '"""@nni.mutable_layer\n{layer_choice: [f(n()), g(m())], fixed_inputs: [h()], layer_output: y}"""\n',
        [
            "_nas_annotate_1 = n()",
            "_nas_annotate_2 = m()",
            "_nas_annotate_3 = h()",
            "y = _nas_annotate_s.mix((f([[_nas_annotate_3], []], _nas_annotate_1), g([[_nas_annotate_3], []], _nas_annotate_2), ))",
            "del _nas_annotate_s, _nas_annotate_1, _nas_annotate_2, _nas_annotate_3",
        ],
    ),
]


@pytest.mark.parametrize("annotation, expected", CASES)
def test_supernet_form(annotation, expected):
    got = statements(annotation)
    assert got[0].startswith(SITE)
    assert got[1:] == expected


@pytest.mark.parametrize(
    "weights, input_num, expected",
    [
        ([0.9, 0.2, 0.7], (0, 3), (0, 2)),
        ([0.9, 0.2, 0.7], (0, 1), (0,)),  # too many over one half: the weakest dropped
        ([0.1, 0.2, 0.3], (2, 3), (1, 2)),  # too few: the strongest others added
        ([0.1, 0.2, 0.3], (0, 2), ()),
        ([0.6, 0.6], (1, 1), (0,)),  # ties go to the first
        ([], (0, 0), ()),
    ],
)
def test_derived_inputs_stay_within_the_range(weights, input_num, expected):
    chosen = derive_inputs(weights, input_num)
    assert chosen == expected
    assert input_num[0] <= len(chosen) <= input_num[1]


def test_input_subsets_are_the_choices_sets():
    shape = Shape("m/y", ("f",), ("a", "b", "c"), (1, 2))
    assert input_subsets(shape) == ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2))


# -- what the runtime builds, eagerly, with TensorFlow -----------------------------------------

TENSORFLOW = needs("tensorflow")

MODULE = '''
import tensorflow as tf

CALLS = []


def flat(inputs):
    fixed, chosen = inputs
    return fixed + chosen


def twice(inputs):
    CALLS.append(("twice", [float(tf.reduce_sum(t)) for t in flat(inputs)]))
    return 2.0 * tf.add_n(flat(inputs))


def plus(inputs, k=1.0):
    CALLS.append(("plus", [float(tf.reduce_sum(t)) for t in flat(inputs)]))
    return tf.add_n(flat(inputs)) + k


def total(inputs):
    CALLS.append(("aggregate", len(inputs[1])))
    return [[tf.add_n(flat(inputs))], []]


def post(inputs, scale=10.0):
    result, chosen = inputs
    CALLS.append(("post", len(chosen)))
    return result * scale


def build(x, a, b):
    """@nni.mutable_layer
    {
        layer_choice: [twice, plus(k=3.0)],
        fixed_inputs: [x],
        input_candidates: [a, b],
        input_num: [0, 2],
        input_aggregate: total,
        post_process: post,
        layer_output: y
    }"""
    return y
'''


@pytest.fixture
def cell(tmp_path, monkeypatch):
    """The module above, imported through the hook in the supernet form."""
    from nas_annotate import runtime
    from nas_annotate.importhook import install_import_hook

    (tmp_path / "cellmod.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")

    def load(strategy):
        from nas_annotate.strategies.registry import find
        from nas_annotate.supernet import Net

        run = Net(find(strategy).make({}, None), strategy)
        runtime.set_supernet(run)
        hook = install_import_hook(roots=[str(tmp_path)])
        sys.modules.pop("cellmod", None)
        try:
            import cellmod  # noqa: PLC0415
        finally:
            hook.uninstall()
        return run, cellmod

    yield load
    sys.modules.pop("cellmod", None)
    if "nas_annotate.supernet.hook" in sys.modules:
        sys.modules["nas_annotate.supernet.hook"].remove()
    runtime.reset()


def tensors():
    import tensorflow as tf

    return tf.ones([1, 2]), tf.fill([1, 2], 2.0), tf.fill([1, 2], 3.0)


@TENSORFLOW
def test_every_candidate_is_built_once_on_every_gated_input(cell):
    run, module = cell("darts")
    y = module.build(*tensors())
    calls = module.CALLS
    assert [name for name, _ in calls] == ["aggregate", "twice", "plus", "post"]
    assert calls[0] == ("aggregate", 2)  # both candidates, always present
    # darts starts with every gate at sigmoid(0) = 1/2: x + a/2 + b/2 = 1 + 1 + 1.5 per element
    assert calls[1][1] == [pytest.approx(7.0)]
    assert calls[3] == ("post", 2)
    # ops mixed half and half (softmax of zero logits), then post-processed
    expected = 10.0 * (0.5 * 2.0 * 3.5 + 0.5 * (3.5 + 3.0))
    assert y.numpy().tolist()[0] == pytest.approx([expected, expected])
    weights = run.weights()["cellmod/build.y"]
    assert weights["ops"] == pytest.approx([0.5, 0.5])
    assert weights["inputs"] == pytest.approx([0.5, 0.5])


@TENSORFLOW
@pytest.mark.parametrize("op, inputs", [(0, ()), (1, (1,)), (0, (0, 1)), (1, (0,))])
def test_a_path_computes_exactly_the_chosen_form(cell, op, inputs):
    """enas's masks: the supernet with a path set equals `expand --choice` of that path."""
    from nas_annotate.api import expand

    run, module = cell("enas")
    x, a, b = tensors()
    module.build(x, a, b)  # builds the site's layers
    run.set_path({"cellmod/build.y": (op, inputs)})
    got = module.build(x, a, b).numpy()
    choice = {"cellmod/build.y": {"layer": ["twice", "plus(k=3.0)"][op], "inputs": [["a", "b"][i] for i in inputs]}}
    path = Path(module.__file__)
    namespace = {"__name__": "chosen"}
    exec(compile(expand(str(path), json.dumps(choice)), str(path), "exec"), namespace)
    assert got.tolist()[0] == pytest.approx(namespace["build"](x, a, b).numpy().tolist()[0])


@TENSORFLOW
def test_a_layer_built_twice_shares_one_state(cell):
    run, module = cell("darts")
    module.build(*tensors())
    module.build(*tensors())
    site = run.sites["cellmod/build.y"]
    assert site.built == 2
    assert len(run.sites) == 1


WIDTHS = '''
import tensorflow as tf


def narrow(inputs):
    return inputs[0][0][..., :1]


def wide(inputs):
    return tf.concat([inputs[0][0]] * 2, axis=-1)


def strided(inputs):
    return inputs[0][0][:, ::2]


def build(x):
    """@nni.mutable_layer
    {layer_choice: [narrow, wide], fixed_inputs: [x], layer_output: y}"""
    return y


def build_bad(x):
    """@nni.mutable_layer
    {layer_choice: [narrow, strided], fixed_inputs: [x], layer_output: z}"""
    return z
'''


def run_supernet_script(tmp_path, body: str, strategy: str = "darts") -> subprocess.CompletedProcess:
    script = tmp_path / "widths.py"
    script.write_text(body)
    code = (
        "import sys; from nas_annotate import runtime; from nas_annotate.runner import run_script; "
        "from nas_annotate.strategies.registry import find; from nas_annotate.supernet import Net; "
        f"runtime.set_supernet(Net(find({strategy!r}).make({{}}, None), {strategy!r})); sys.exit(run_script(sys.argv[1]))"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-c", code, str(script)], capture_output=True, text=True, env=env, cwd=tmp_path)


@TENSORFLOW
def test_outputs_differing_in_the_last_axis_are_padded_with_a_note(tmp_path):
    done = run_supernet_script(tmp_path, WIDTHS + "\nprint(build(tf.ones([1, 4, 3])).shape)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(1, 4, 6)"
    notes = [line for line in done.stderr.splitlines() if "note:" in line]
    assert notes == [
        f"{tmp_path / 'widths.py'}:18: note: widths/build.y: the candidates' outputs differ in their last axis "
        "(narrow: 1, wide: 6); the supernet pads them with zeros to 6"
    ]


@TENSORFLOW
def test_other_differences_are_an_error_naming_the_layer_and_both_candidates(tmp_path):
    done = run_supernet_script(tmp_path, WIDTHS + "\nbuild_bad(tf.ones([1, 4, 3]))\n")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1
    assert errors[0].startswith(
        f"{tmp_path / 'widths.py'}:24: error: widths/build_bad.z: candidates 'narrow' and 'strided' give outputs of "
        "shapes (1, 4, 1) and (1, 2, 3); the supernet mixes candidates whose outputs differ at most in their last axis"
    )
    assert "black-box sampler" in done.stderr


def test_values_that_are_not_tensors_are_an_error_without_importing_tensorflow(tmp_path):
    body = '''
import sys

def inc(inputs):
    return inputs[0][0] + 1

x = 1
"""@nni.mutable_layer
{layer_choice: [inc], input_candidates: [x], input_num: [0, 1], layer_output: y}"""
'''
    done = run_supernet_script(tmp_path, body + "\nprint('tensorflow' in sys.modules)\n")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert ":8: error: widths/y: one-shot search (darts) builds a Keras supernet, but input candidate 'x' is a int" in done.stderr
    assert "tensorflow" not in done.stdout


def test_other_paths_load_neither_the_supernet_nor_tensorflow(tmp_path):
    """`run` of an annotated script in the run-time form: no supernet module, no TensorFlow."""
    script = tmp_path / "plain.py"
    script.write_text(
        "import sys\n"
        "def f(inputs):\n    return 1\n"
        '"""@nni.mutable_layer\n{layer_choice: [f], layer_output: y}"""\n'
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras') "
        "or m.startswith(('nas_annotate.supernet', 'nas_annotate.strategies'))))\n"
    )
    nas = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
    done = subprocess.run([nas, "run", str(script), "--sample", "first"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_supernet_form_is_cached_apart_from_the_run_time_form(tmp_path, monkeypatch):
    from nas_annotate import importhook

    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    path = tmp_path / "cells.py"
    path.write_text('def f(inputs):\n    return 1\n"""@nni.mutable_layer\n{layer_choice: [f], layer_output: y}"""\n')
    data = path.read_bytes()
    runtime_code, _ = importhook.compile_annotated(str(path), "cells", data)
    supernet_code, _ = importhook.compile_annotated(str(path), "cells", data, "supernet")
    assert "supernet" in supernet_code.co_names or "supernet" in str(supernet_code.co_consts)
    assert importhook.cache_path(str(path)) != importhook.cache_path(str(path), "supernet")
    for form in importhook.FORMS:
        key = importhook._cache_key(str(path), "cells", data, form)
        assert importhook._read_cache(str(path), key, form) is not None

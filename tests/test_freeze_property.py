"""Property tests (hypothesis) of `freeze`: it behaves as the line-preserving form
(`expand --choice`) does.

- random valid choices of the test fixtures (tests/fixtures: the seed's figures, the position
  cases in every statement position and string form, the hyperparameter mix), both forms run
  against recording stand-ins: the same calls in the same order, the same values;
- random layers against an oracle of "what a layer computes" (docs/language.md): the impure
  expressions evaluated once each, in the annotation's order, before the layer's calls, and no
  temporary when nothing is impure.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import require

require("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_freeze_behaviour import run  # noqa: E402
from test_seed_figures import Recorder  # noqa: E402

from nas_annotate.api import analyse_file, expand  # noqa: E402
from nas_annotate.choice import Param, decide_param, quantise  # noqa: E402
from nas_annotate.freeze import freeze  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"


FIXTURE_FILES = sorted(
    str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*.py") if p.name.startswith(("seed_", "positions_"))
) + ["hyperparameters/mixed.py"]
PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _value(draw, param) -> object:  # type: ignore[no-untyped-def]
    """A valid value for a hyperparameter (an option's index, or a number in its range)."""
    shape = Param.of(param)
    if shape.chooses:
        return draw(st.integers(0, len(shape.args) - 1))
    dist, args = shape.dist, shape.args
    if dist == "randint":
        return draw(st.integers(args[0], args[1] - 1))
    if dist in ("uniform", "quniform", "loguniform", "qloguniform"):
        value = draw(st.floats(args[0], args[1]))
    elif dist in ("lognormal", "qlognormal"):
        value = draw(st.floats(0.5, 20.0))
    else:
        value = draw(st.floats(-20.0, 20.0))
    if dist.startswith("q"):
        value = quantise(dist, args, value)
    return value


def _data(namespace: dict) -> dict:
    """The data a fixture left, without the temporaries of a layer that raised (named apart)."""
    return {
        k: v for k, v in namespace.items()
        if isinstance(v, (str, int, float, list, tuple, dict)) and not k.startswith(("__", "_nas_annotate_")) and not re.fullmatch(r"_t\d+", k)
    }


def _run_fixture(code: bytes, path: str) -> tuple[list, dict, object]:
    """Run a fixture against the stand-ins: its calls, its data, and what it raised (a chosen
    `boom()` raises) or, for the hyperparameter mix, what its net and schedule give."""
    recorder = Recorder()
    namespace = recorder.namespace()
    try:
        run(code, path, namespace)
    except Exception as exc:  # noqa: BLE001 - compared between the forms
        return recorder.calls, _data(namespace), repr(exc)
    extra = None
    if path.endswith("mixed.py"):  # build a net, make a schedule
        net = namespace["Net"](8)
        extra = (net.width, getattr(net.act, "__name__", net.act), net.build("image"), namespace["schedule"]({}))
    return recorder.calls, _data(namespace), extra


@pytest.mark.parametrize("name", FIXTURE_FILES)
@PROPERTY
@given(data=st.data())
def test_frozen_and_expanded_fixtures_behave_alike(name, data):
    path = str(FIXTURES / name)
    analysis = analyse_file(path)
    choice: dict = {}
    for layer in analysis.layers:
        lo, hi = layer.input_num
        count = data.draw(st.integers(lo, hi))
        inputs = data.draw(st.permutations(range(len(layer.input_candidates))))[:count]
        choice[layer.key] = {"layer": data.draw(st.integers(0, len(layer.layer_choice) - 1)), "inputs": inputs}
    for param in analysis.params:
        value = _value(data.draw, param)
        assert not isinstance(decide_param(Param.of(param), value), str)
        choice[param.key] = value
    document = json.dumps(choice)
    expanded = _run_fixture(expand(path, document), path)
    frozen = _run_fixture(freeze(path, document), path)
    assert frozen[0] == expanded[0]  # the same calls, in the same order
    assert frozen[2] == expanded[2]
    assert set(frozen[1]) <= set(expanded[1])  # pruning may remove; it never adds
    assert {k: expanded[1][k] for k in frozen[1]} == frozen[1]


# --- random layers against the oracle --------------------------------------------------------


@st.composite
def layers(draw):  # type: ignore[no-untyped-def]
    """A layer with pure (`v3`) and impure (`tap('v3', v3)`) expressions, its fields in any
    order, and a valid choice for it."""
    counter = iter(range(1, 60))

    def expression() -> tuple[str, bool]:
        name = f"v{next(counter)}"
        return name, draw(st.booleans())

    def call(callee: str) -> tuple[str, list, list]:
        args = [expression() for _ in range(draw(st.integers(0, 2)))]
        kwargs = [expression() for _ in range(draw(st.integers(0, 2)))]
        return callee, args, kwargs

    candidates = [call(f"op{i}") for i in range(draw(st.integers(1, 3)))]
    fixed = [expression() for _ in range(draw(st.integers(0, 2)))]
    inputs = [expression() for _ in range(draw(st.integers(0, 3)))]
    lo = draw(st.integers(0, len(inputs)))
    hi = draw(st.integers(lo, len(inputs)))
    aggregate = call("agg") if draw(st.booleans()) else None
    post = call("post") if draw(st.booleans()) else None
    order = draw(st.permutations(["layer_choice", "fixed_inputs", "input_candidates", "input_num", "input_aggregate", "post_process", "layer_output"]))
    chosen = draw(st.integers(0, len(candidates) - 1))
    picked = draw(st.permutations(range(len(inputs))))[: draw(st.integers(lo, hi))]
    return candidates, fixed, inputs, (lo, hi), aggregate, post, order, chosen, picked


def _text(expression: tuple[str, bool]) -> str:
    name, pure = expression
    return name if pure else f"tap({name!r}, {name})"


def _call_text(spec) -> str:  # type: ignore[no-untyped-def]
    callee, args, kwargs = spec
    parts = [_text(a) for a in args] + [f"k{i}={_text(v)}" for i, v in enumerate(kwargs)]
    return f"{callee}({', '.join(parts)})"


def _oracle(layer) -> tuple[list, object]:  # type: ignore[no-untyped-def]
    candidates, fixed, inputs, _, aggregate, post, order, chosen, picked = layer
    log: list = []
    values = {
        "layer_choice": candidates[chosen][1] + candidates[chosen][2],
        "fixed_inputs": fixed,
        "input_candidates": [inputs[i] for i in sorted(set(picked))],
        "input_aggregate": (aggregate[1] + aggregate[2]) if aggregate else [],
        "post_process": (post[1] + post[2]) if post else [],
    }
    for field in order:
        log += [("eval", name) for name, pure in values.get(field, []) if not pure]

    def call(spec, first):  # type: ignore[no-untyped-def]
        callee, args, kwargs = spec
        log.append((callee, first, tuple(name for name, _ in args), tuple(sorted((f"k{i}", v[0]) for i, v in enumerate(kwargs)))))
        return (callee, first)

    c = [inputs[i][0] for i in picked]
    first: object = [[name for name, _ in fixed], c]
    if aggregate:
        first = call(aggregate, first)
    out = call(candidates[chosen], first)
    if post:
        out = call(post, [out, list(c)])
    return log, out


def _namespace(log: list) -> dict:
    def tap(name, value):  # type: ignore[no-untyped-def]
        log.append(("eval", name))
        return value

    def op(callee):  # type: ignore[no-untyped-def]
        def apply(first, *args, **kwargs):  # type: ignore[no-untyped-def]
            log.append((callee, first, args, tuple(sorted(kwargs.items()))))
            return (callee, first)

        return apply

    names: dict = {f"v{i}": f"v{i}" for i in range(1, 60)}
    names.update({f"op{i}": op(f"op{i}") for i in range(3)}, agg=op("agg"), post=op("post"), tap=tap)
    return names


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(layer=layers())
def test_random_layers_compute_what_the_language_says(layer, tmp_path):
    candidates, fixed, inputs, (lo, hi), aggregate, post, order, chosen, picked = layer
    values = {
        "layer_choice": "[" + ", ".join(_call_text(c) for c in candidates) + "]",
        "fixed_inputs": "[" + ", ".join(_text(e) for e in fixed) + "]",
        "input_candidates": "[" + ", ".join(_text(e) for e in inputs) + "]" if inputs else None,
        "input_num": f"[{lo}, {hi}]" if inputs else None,
        "input_aggregate": _call_text(aggregate) if aggregate else None,
        "post_process": _call_text(post) if post else None,
        "layer_output": "result",
    }
    fields = "\n".join(f"    {name}: {values[name]}" for name in order if values[name] is not None)
    path = tmp_path / "layer_case.py"
    path.write_text('"""@nni.mutable_layer\n{\n' + fields + '\n}"""\n')
    frozen = freeze(str(path), {"layer_case/result": {"layer": chosen, "inputs": picked}})
    log: list = []
    namespace = _namespace(log)
    exec(compile(frozen, str(path), "exec"), namespace)
    assert (log, namespace["result"]) == _oracle(layer)
    statements = frozen.decode().splitlines()
    assert statements[-1 if "del " not in frozen.decode() else -2].startswith("result = ")
    specs = [*candidates, *(spec for spec in (aggregate, post) if spec)]
    if all(pure for spec in specs for _, pure in spec[1] + spec[2]) and all(p for _, p in fixed + inputs):
        assert len(statements) == 1  # nothing impure: one statement, no temporary


# --- fuzzing: whatever expand takes, freeze takes ------------------------------------------

from test_freeze import libcst_printing  # noqa: E402
from test_fuzz import encode, file_text  # noqa: E402

from nas_annotate.api import check  # noqa: E402
from nas_annotate.diagnostics import CompileError  # noqa: E402


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=file_text(), newline=st.sampled_from(["\n", "\r\n", "\r"]), bom=st.booleans())
def test_whatever_expand_takes_freeze_takes(text, newline, bom, tmp_path):
    """Random files of annotations in every position: where `expand --choice` gives code,
    `freeze` gives valid Python without annotations, or no traceback at all."""
    data = encode(text + "\n", newline, bom)
    path = tmp_path / "fuzzed.py"
    path.write_bytes(data)
    try:
        analysis = analyse_file(str(path))
        choice = json.dumps({layer.key: {"layer": 0, "inputs": list(range(layer.input_num[0]))} for layer in analysis.layers})
        expand(str(path), choice)
    except CompileError:
        return
    frozen = freeze(str(path), choice)
    if not analysis.annotations:  # passed through as it is, compiling or not
        assert frozen == data
        return
    with libcst_printing():  # the file's text for untouched code is what libcst prints
        assert freeze(str(path), choice) == frozen
    compile(frozen, str(path), "exec", dont_inherit=True)
    out = tmp_path / "frozen.py"
    out.write_bytes(frozen)
    assert [d for d in check([str(out)]) if d.severity == "error"] == []
    assert analyse_file(str(out)).annotations == []


# --- random programs: the file's text for untouched code is what libcst prints -------------

SIMPLE = [
    "x = 1", "y = [1,\n    2]  # a list", "z = 1 + \\\n    2", "a = 1; b = 2", "print(x)  # says x", "'''a string'''",
    "import os", "total = helper(3)", "w = {\n  'k': (1,\n        2)}", "pass", "# a comment", "", "    # indented comment",
]


@st.composite
def programs(draw, depth: int = 0, counter=None):  # type: ignore[no-untyped-def]
    """Valid Python with layer annotations (string and comment form) among statements of every
    layout, in nested blocks: a list of lines, without indentation of its own."""
    counter = counter if counter is not None else iter(range(10**6))
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["simple", "simple", "layer", "comment layer"] + (["block"] * 2 if depth < 2 else [])))
        if kind == "simple":
            lines += draw(st.sampled_from(SIMPLE)).split("\n")
        elif kind == "layer":
            number = next(counter)
            lines.append(f'"""@nni.mutable_layer {{layer_choice: [conv, helper(k={number})], layer_output: out{number}}}"""'
                         + draw(st.sampled_from(["", "  # after"])))
        elif kind == "comment layer":
            number = next(counter)
            lines += ["# @nni.mutable_layer", f"# {{layer_choice: [pool, conv], layer_output: c{number}}}"]
        else:
            header = draw(st.sampled_from([
                "def f{n}(x):", "class C{n}:  # a class", "@deco\ndef g{n}():", "if x:", "for i in range(2):", "while x:", "try:", "with m as n:",
            ])).format(n=next(counter)).split("\n")
            body = draw(programs(depth + 1, counter))
            if not any(line.strip() and not line.lstrip().startswith("#") for line in body):
                body.append("pass")
            lines += header + ["    " + line if line else "" for line in body]
            tail = {"if x:": ["else:", "    y = 2"], "try:": ["except E:", "    z = 3"], "for i in range(2):": ["else: done = 1"]}
            lines += tail.get(header[-1], [])
    return lines


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lines=programs(), newline=st.sampled_from(["\n", "\r\n"]), pick=st.integers(0, 1))
@example(  # libcst drops the blank line before an indented comment at the module's end: its footer is the file's last lines
    lines=["x = 1", "", "    # indented comment", "# @nni.mutable_layer", "# {layer_choice: [pool, conv], layer_output: c0}"],
    newline="\n", pick=0,
)
def test_random_programs_freeze_as_libcst_prints_them(lines, newline, pick, tmp_path):
    """Whether libcst parses the whole file or a hollowed one (when nothing will be pruned:
    the candidates name `helper`, defined or not), and untouched code is taken from the file,
    the output is what libcst prints from the whole file's nodes."""
    text = "\n".join(lines) + "\n"
    if pick:
        text = "def helper(k):\n    return k\n\n\n" + text
    path = tmp_path / "program.py"
    path.write_bytes(text.replace("\n", newline).encode())
    analysis = analyse_file(str(path))
    assert analysis.diagnostics == []
    choice = json.dumps({layer.key: {"layer": 0} for layer in analysis.layers})
    frozen = freeze(str(path), choice)
    with libcst_printing():
        assert freeze(str(path), choice) == frozen
    compile(frozen, str(path), "exec", dont_inherit=True)

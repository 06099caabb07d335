"""Fuzzing (hypothesis): annotation bodies, whole annotated files, choice documents and the
parser's fast path for lists.

Every outcome must be valid output — Python that compiles, with every line outside the
annotations byte-identical on its own line number — or clean diagnostics (a CompileError
whose positions lie in the file); never another exception.  The suite runs a short campaign;
`NAS_ANNOTATE_FUZZ=campaign` runs the long one recorded in docs/fuzzing.md.
"""

from __future__ import annotations

import ast
import json
import os
import re
import tempfile
import warnings

import pytest
from conftest import require

require("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_quick_parse import positions  # noqa: E402

from nas_annotate import api
from nas_annotate.choice import parse_choice, resolve
from nas_annotate.diagnostics import CompileError
from nas_annotate.lint import misspelt_markers
from nas_annotate.locate import KINDS
from nas_annotate.parse import _atom_list
from nas_annotate.source import Source

CAMPAIGN = os.environ.get("NAS_ANNOTATE_FUZZ") == "campaign"
settings.register_profile("suite", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("campaign", max_examples=20000, deadline=None, suppress_health_check=list(HealthCheck))
PROFILE = settings.get_profile("campaign" if CAMPAIGN else "suite")
WORKDIR = tempfile.mkdtemp(prefix="nas-annotate-fuzz-")
# generated files may hold invalid escapes: Python warns when the test compiles them, rightly
pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence")

TOKENS = [
    "layer_choice", "fixed_inputs", "input_candidates", "input_num", "input_aggregate", "post_process",
    "layer_output", "name", "optional_inputs", "optional_input_size", "layer_choise",
    ":", ",", "[", "]", "{", "}", "(", ")", "=", "*", "**", ".", " ", "\n", "\t", "#", "'", '"', "\\",
    "conv", "pool", "f(x, k=3)", "g()", "x", "y", "out", "out2", "a.b", "x[0]", "lambda: 1", "1", "-2", "0",
    "(1, 2)", "[0, 1]", "3.5", "None", "await y", "(yield)", "z := 1", "'''", '"""', "@nni.mutable_layer",
    "é", "\x00", "\u2028", "\f",
]
PREFIXES = ['"""@nni.mutable_layer\n', '"""@nni.mutable_layers(\n', "'''@nni.mutable_layer ", '"""@nni.report_final_result(']
SUFFIXES = ['"""', ')"""', "'''"]


def body() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)


def wrapped_body() -> st.SearchStrategy[str]:
    valid = st.sampled_from([
        "{layer_choice: [conv, pool], input_candidates: [x, y], input_num: [0, 2], layer_output: out}",
        "{layer_choice: [f(x, k=3)], fixed_inputs: [x], layer_output: out}{layer_choice: [g], layer_output: out2}",
        "{layer_choice: [conv], input_aggregate: agg, post_process: pp(1), layer_output: out, name: cell}",
    ])
    return st.one_of(body(), valid, st.builds(lambda v, b: v[: len(v) // 2] + b, valid, body()))


def annotation() -> st.SearchStrategy[str]:
    return st.builds(lambda p, b, s: p + b + s, st.sampled_from(PREFIXES), wrapped_body(), st.sampled_from(SUFFIXES))


def comment_annotation() -> st.SearchStrategy[str]:
    return wrapped_body().map(lambda b: "# @nni.mutable_layer\n" + "\n".join("# " + line for line in b.split("\n")))


LINES = ["x = 1", "y = [1,", "  2]", "def f():", "    return 1", "class C:", "    pass", "if x:", "for i in []:", "pass",
         "# a comment", "'''doc'''", "print(out)", "\tz = 3", "import os", "try:", "except E:", "with m:", "match x:"]


def file_text() -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(LINES), annotation(), comment_annotation())
    indented = st.builds(lambda indent, text: "\n".join(indent + line for line in text.split("\n")), st.sampled_from(["", "    ", "\t"]), piece)
    return st.lists(indented, max_size=12).map("\n".join)


def encode(text: str, newline: str, bom: bool) -> bytes:
    data = text.replace("\n", newline).encode("utf-8", "surrogatepass")
    return (b"\xef\xbb\xbf" if bom else b"") + data


_counter = iter(range(10**9))


def write(data: bytes) -> str:
    path = os.path.join(WORKDIR, f"f{next(_counter)}.py")
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def check_diagnostics(error: CompileError, data: bytes) -> None:
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
    assert error.diagnostics
    for diagnostic in error.diagnostics:
        assert 0 <= diagnostic.line <= lines + 1, diagnostic
        assert diagnostic.col >= 0, diagnostic
        assert diagnostic.render()


LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def check_expansion(path: str, data: bytes, output: bytes) -> None:
    """The output compiles, and every line outside an annotation is the source's own line
    (a file without annotations is passed through as it is, compiling or not)."""
    analysis = api.analyse_file(path)
    if not analysis.annotations:
        assert output == data
        return
    with warnings.catch_warnings():  # Python's own warnings about the generated user code, e.g. `(1, 2)(1, 2)`
        warnings.simplefilter("ignore", SyntaxWarning)
        compile(output, path, "exec", dont_inherit=True)
    source_lines, output_lines = LINE_BREAK.split(data), LINE_BREAK.split(output)
    assert len(output_lines) == len(source_lines)
    inside = {n for a in analysis.annotations for n in range(a.region.line, a.region.end_line + 1)}
    for number, (before, after) in enumerate(zip(source_lines, output_lines), 1):
        if number not in inside:
            assert before == after, (number, before, after)


def exercise(data: bytes) -> None:
    path = write(data)
    try:
        found = api.check([path])
    except CompileError as error:  # pragma: no cover - check returns diagnostics
        check_diagnostics(error, data)
        return
    warnings_ = [d for d in found if d.severity == "warning"]
    if warnings_:
        check_diagnostics(CompileError(warnings_), data)
    diagnostics = [d for d in found if d.severity == "error"]
    try:
        runtime_form = api.expand(path, None)
        space = json.loads(api.extract([path]))
    except CompileError as error:
        assert diagnostics, "expand failed where check found nothing"
        check_diagnostics(error, data)
        return
    if diagnostics and runtime_form == data:  # check parses every file; expand leaves one without annotations alone
        assert all("invalid Python syntax" in d.message for d in diagnostics), diagnostics
        return
    assert not diagnostics, "check found problems that expand did not"
    check_expansion(path, data, runtime_form)
    first = {key: {"layer": 0, "inputs": list(range(entry["_value"]["input_num"][0]))} for key, entry in space.items()
             if entry["_type"] == "mutable_layer"}
    check_expansion(path, data, api.expand(path, json.dumps(first)))


@PROFILE
@given(annotation(), st.sampled_from(["\n", "\r\n"]))
def test_annotation_bodies(text, newline):
    exercise(encode("x = y = 0\n" + text + "\nprint(1)\n", newline, False))


@PROFILE
@given(file_text(), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_whole_files(text, newline, bom):
    exercise(encode(text, newline, bom))


@PROFILE
@given(st.binary(max_size=200))
def test_arbitrary_bytes_after_a_marker(data):
    exercise(b'"""@nni.mutable_layer\n' + data)


LAYER_FILE = (
    '"""@nni.mutable_layer\n'
    "{layer_choice: [conv, pool], input_candidates: [x, y], input_num: [0, 2], layer_output: out}"
    "{layer_choice: [f(k=1)], fixed_inputs: [out], layer_output: out2}\"\"\"\n"
)
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(), st.text(max_size=12),
              st.sampled_from(["conv", "pool", "x", "y", "f(k=1)", "__import__('os')"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(
        st.one_of(st.text(max_size=8), st.sampled_from(["layer", "inputs", "m/out", "m/out2", "chosen_layer", "chosen_inputs"])),
        inner, max_size=4)),
    max_leaves=12,
)


@PROFILE
@given(st.one_of(
    JSONISH.map(lambda v: json.dumps(v, allow_nan=True)),
    st.text(max_size=80),
    st.dictionaries(st.sampled_from(["m/out", "m/out2", "m/other"]), JSONISH, max_size=3).map(json.dumps),
))
def test_choice_documents(text):
    path = os.path.join(WORKDIR, "m.py")
    if not os.path.exists(path):
        with open(path, "w") as handle:
            handle.write(LAYER_FILE)
    analysis = api.analyse_file(path)
    try:
        document = parse_choice(text, "choice.json")
        decisions = resolve(document, analysis.module, analysis.layers)
        output = api.expand(path, document)
    except CompileError as error:
        assert error.diagnostics and all(d.render() for d in error.diagnostics)
        return
    for layer in analysis.layers:
        decision = decisions[layer.key]
        assert 0 <= decision.layer < len(layer.layer_choice)
        lo, hi = layer.input_num
        assert lo <= len(decision.inputs) <= hi and len(set(decision.inputs)) == len(decision.inputs)
    assert b"__import__('os')" not in output
    compile(output, path, "exec")


def test_campaign_finding_await_and_yield_outside_their_functions():
    """Found by the long campaign: an annotation's `await` at module level expanded to code
    that does not compile. Now a diagnostic, and still allowed where Python allows it."""
    path = write(
        b'x = y = 0\n"""@nni.report_final_result(await y)"""\n'
        b'async def f():\n    """@nni.report_final_result(await y)"""\n    # @nni.report_final_result((yield y))\n'
        b'def g():\n    """@nni.report_final_result((yield y))"""\n    """@nni.report_final_result(await y)"""\n'
    )
    messages = [(d.line, d.col, d.message) for d in api.check([path])]
    assert messages == [(2, 29, "'await' outside an async function"), (8, 33, "'await' outside an async function")]


MARKER_LINES = [
    '"""@nni.mutable_layr\n{layer_choice: [f(x)], layer_output: y}"""', "# @nni.varible(nni.choice(1, 2), name=w)",
    '"""@nni.mutable_layer\n{layer_choice: [f(x)], layer_output: z}"""', "w = 1", '"""doc\n# @nni.typo\n"""',
    "x = '@nni.foo'  # @nni.bar", "def f():", "    '''@nni.report_final_reslt(acc)'''", "    # @nni.x", "\t#@nni.y",
    '"""   \n  @nni.get_next_parametr()"""', "if True:", "    pass", "é = '@nni.'", '"""@nni.', "#@nni.", "\f# @nni.z",
]


@PROFILE
@given(st.lists(st.sampled_from(MARKER_LINES), max_size=10), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
def test_misspelt_marker_warnings(lines, newline, bom):
    """Warnings point at an `@nni.` whose name is no annotation, whatever the file around it."""
    data = encode("\n".join(lines) + "\n", newline, bom)
    path = write(data)
    exercise(data)
    try:
        source = Source.from_bytes(path, data)
    except CompileError:
        return
    for warning in misspelt_markers(source):
        at = source.line(warning.line)[warning.col - 1 :]
        assert at.startswith("@nni.") and at[5:].split("(")[0].split()[0] not in KINDS, warning


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["a", "b.c", "1", "0", "00", " ", ",", "None", "if", "x.None", "\t", "_9", "9a", "é", "."]), max_size=7))
def test_the_list_fast_path_agrees_with_the_parser(pieces):
    text = "[" + "".join(pieces) + "]"
    quick = _atom_list(text)
    if quick is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = ast.parse(text, mode="eval").body
    assert ast.dump(quick) == ast.dump(reference)
    assert positions(quick) == positions(reference)

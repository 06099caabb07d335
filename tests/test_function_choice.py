"""`@nni.function_choice` with any expression as an option (docs/language.md,
"@nni.function_choice"), as NNI's own annotation generator takes them: calls, constants,
arithmetic, lambdas, names and attribute chains.

Each case is an annotation NNI's generator accepted, with the statement after it. NNI's
generator (nni/tools/annotation/code_generator.py, NNI 2.x; NNI 3 dropped it) turns every call
of that statement equal to an option into `nni.function_choice({label: lambda: option, ...},
name=...)`, and NNI's trial runtime returns `funcs[chosen label]()` (nni/smartparam.py).
`nni_form` and `nni_labels` are what that generator printed for the case (its code and its
search space's `_value`), pasted as printed; `nni_value` runs the code with NNI's runtime rule.
For every option, ours must compute the same value and make the same calls: `expand --choice`,
the run-time form under each way of choosing, and `nas-annotate run`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import SEARCH, needs

from nas_annotate import runtime
from nas_annotate.api import analyse_file, check, expand, extract
from nas_annotate.choice import Param, decide_param

NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")

# What every case's script defines before the annotation: functions that log their calls.
PRELUDE = '''\
CALLS = []


def logged(name, value):
    CALLS.append(name)
    return value


def max_pool(h, k):
    return logged("max_pool", h * k)


def avg_pool(h, k):
    return logged("avg_pool", h / k)


def max_poo(h):
    return logged("max_poo", h * 100)


def act(h):
    return logged("act", -h)


def scale(h):
    return logged("scale", h * 10)


def make(h):
    return logged("make", lambda x: x - h)


def relu(h):
    return logged("relu", max(h, 0))


def identity(x):
    return x


class Pool:
    size = 3

    def apply(self, h):
        return logged("apply", h + self.size)


class Net:
    pool = Pool()


net = Net()
h = h_conv1 = -7


def probe(value):
    """What a case compares: the value, or what a function returns for 5."""
    return ("called", value(5)) if callable(value) else value


'''
EPILOGUE = "RESULT = probe(out)\nprint(repr((RESULT, CALLS)))\n"


@dataclass
class Case:
    id: str
    source: str  # the annotation and its statement, written as NNI documents them
    name: str  # the function choice's key in module `fc`
    labels: list[Any]  # our search space's `_value`
    nni_labels: list[Any]  # NNI's search space's `_value`
    nni_form: str  # NNI's generated code for `source`


CASES = [
    Case(
        "calls",
        '"""@nni.function_choice(max_pool(h, 2), avg_pool(h, 2), name=pool)"""\nout = max_pool(h, 2)\n',
        "fc/pool",
        ["max_pool(h, 2)", "avg_pool(h, 2)"],
        ["max_pool(h, 2)", "avg_pool(h, 2)"],
        """\
out = nni.function_choice({'max_pool(h, 2)': lambda : max_pool(h, 2),
    'avg_pool(h, 2)': lambda : avg_pool(h, 2)}, name='pool')
""",
    ),
    Case(
        "nni-test-call-arithmetic-lambda",
        '"""@nni.function_choice(max_poo(h_conv1), 2 * 3 + 4, lambda x: 1+x, name=max_poo)"""\nout = max_poo(h_conv1)\n',
        "fc/max_poo",
        ["max_poo(h_conv1)", "2 * 3 + 4", "lambda x: 1 + x"],
        ["max_poo(h_conv1)", "(2 * 3 + 4)", "(lambda x: 1 + x)"],
        """\
out = nni.function_choice({'max_poo(h_conv1)': lambda : max_poo(h_conv1),
    '(2 * 3 + 4)': lambda : 2 * 3 + 4, '(lambda x: 1 + x)': lambda : lambda
    x: 1 + x}, name='max_poo')
""",
    ),
    Case(
        "constants-two-occurrences",
        '"""@nni.function_choice(act(h), 0, -1.5, \'same\', None, True, name=act)"""\nout = [act(h),\n       act(h)]\n',
        "fc/act",
        ["act(h)", 0, -1.5, "same", "None", "True"],
        ["act(h)", 0, "(-1.5)", "same", None, True],
        """\
out = [nni.function_choice({'act(h)': lambda : act(h), (0): lambda : 0,
    '(-1.5)': lambda : -1.5, 'same': lambda : 'same', None: lambda : None,
    (True): lambda : True}, name='act'), nni.function_choice({'act(h)': lambda
    : act(h), 0: lambda : 0, '(-1.5)': lambda : -1.5, 'same': lambda :
    'same', None: lambda : None, True: lambda : True}, name='act')]
""",
    ),
    Case(
        "arithmetic",
        '"""@nni.function_choice(scale(h), h * 2 + 1, -h, h ** 2 / 4, (h, h), name=arith)"""\nout = (scale(h), h - 1)\n',
        "fc/arith",
        ["scale(h)", "h * 2 + 1", "-h", "h ** 2 / 4", "(h, h)"],
        ["scale(h)", "(h * 2 + 1)", "(-h)", "(h ** 2 / 4)", "(h, h)"],
        """\
out = nni.function_choice({'scale(h)': lambda : scale(h), '(h * 2 + 1)': lambda
    : h * 2 + 1, '(-h)': lambda : -h, '(h ** 2 / 4)': lambda : h ** 2 / 4,
    '(h, h)': lambda : (h, h)}, name='arith'), h - 1
""",
    ),
    Case(
        "lambdas",
        '"""@nni.function_choice(make(h), lambda x: x + h, lambda x, k=2: x * k, lambda *a: len(a), name=fn)"""\nout = make(h)\n',
        "fc/fn",
        ["make(h)", "lambda x: x + h", "lambda x, k=2: x * k", "lambda *a: len(a)"],
        ["make(h)", "(lambda x: x + h)", "(lambda x, k=2: x * k)", "(lambda *a: len(a))"],
        """\
out = nni.function_choice({'make(h)': lambda : make(h), '(lambda x: x + h)':
    lambda : lambda x: x + h, '(lambda x, k=2: x * k)': lambda : lambda x,
    k=2: x * k, '(lambda *a: len(a))': lambda : lambda *a: len(a)}, name='fn')
""",
    ),
    Case(
        "names",
        '"""@nni.function_choice(relu(h), h, identity, name=act)"""\nout = relu(h)\n',
        "fc/act",
        ["relu(h)", "h", "identity"],
        ["relu(h)", "h", "identity"],
        """\
out = nni.function_choice({'relu(h)': lambda : relu(h), 'h': lambda : h,
    'identity': lambda : identity}, name='act')
""",
    ),
    Case(
        "attribute-chains",
        '"""@nni.function_choice(net.pool.apply(h), net.pool.size, net.pool.apply, str(h).zfill(4), name=op)"""\n'
        "out = net.pool.apply(h)\n",
        "fc/op",
        ["net.pool.apply(h)", "net.pool.size", "net.pool.apply", "str(h).zfill(4)"],
        ["net.pool.apply(h)", "net.pool.size", "net.pool.apply", "str(h).zfill(4)"],
        """\
out = nni.function_choice({'net.pool.apply(h)': lambda : net.pool.apply(h),
    'net.pool.size': lambda : net.pool.size, 'net.pool.apply': lambda : net
    .pool.apply, 'str(h).zfill(4)': lambda : str(h).zfill(4)}, name='op')
""",
    ),
    Case(
        "function-loop-body",
        'def cell(h):\n    """@nni.function_choice(relu(h), h * 2, abs(h), name=cell_act)"""\n'
        "    for _ in range(2):\n        h = relu(h) + 1\n    return h\nout = cell(h)\n",
        "fc/cell.cell_act",
        ["relu(h)", "h * 2", "abs(h)"],
        ["relu(h)", "(h * 2)", "abs(h)"],
        """\
def cell(h):
    for _ in range(2):
        h = nni.function_choice({'relu(h)': lambda : relu(h), '(h * 2)': lambda
            : h * 2, 'abs(h)': lambda : abs(h)}, name='cell_act') + 1
    return h


out = cell(h)
""",
    ),
]
IDS = [case.id for case in CASES]
OPTIONS = [pytest.param(case, i, id=f"{case.id}-{i}") for case in CASES for i in range(len(case.labels))]


class NNITrial:
    """NNI's `nni` module in a trial (nni/smartparam.py): `function_choice` calls the lambda
    listed under the label the tuner chose; the final result is kept."""

    def __init__(self, label: Any) -> None:
        self.label = label
        self.final: Any = None

    def function_choice(self, funcs: dict, name: str | None = None, key: str | None = None) -> Any:
        return funcs[self.label]()

    def report_final_result(self, value: Any) -> None:
        self.final = value


def observed(code: str, filename: str, **names: Any) -> tuple[Any, list[str]]:
    """Run a script; what it computed and the functions it called, in order."""
    namespace: dict[str, Any] = {"__name__": "__main__", **names}
    exec(compile(code, filename, "exec"), namespace)
    return namespace["RESULT"], namespace["CALLS"]


def nni_value(case: Case, index: int) -> tuple[Any, list[str]]:
    """What NNI's generated code computes when its tuner chooses option `index`."""
    return observed(PRELUDE + case.nni_form + EPILOGUE, "nni_generated.py", nni=NNITrial(case.nni_labels[index]))


def script(tmp_path: Path, case: Case) -> Path:
    path = tmp_path / "fc.py"
    path.write_text(PRELUDE + case.source + EPILOGUE, encoding="utf-8")
    return path


def nni_key(case: Case) -> str:
    """NNI's key of the case's function choice: `<module>/<name>/function_choice`."""
    return f"fc/{case.name.partition('/')[2].rpartition('.')[2]}/function_choice"


@pytest.fixture
def fresh_runtime(monkeypatch):
    monkeypatch.delenv(runtime.ENV, raising=False)
    monkeypatch.delenv("NNI_PLATFORM", raising=False)
    runtime.reset()
    yield
    runtime.reset()


# ----------------------------------------------------------------------------------------
# The same values as NNI, option by option
# ----------------------------------------------------------------------------------------


def sendable(label: Any) -> bool:
    """Whether a choice takes NNI's label as it is: a string or a number (NNI lists None and
    True as JSON null and true, which a choice refuses)."""
    return isinstance(label, str) or type(label) in (int, float)


def ways_to_choose(case: Case, index: int) -> list[Any]:
    """The option's label, and its index unless a number option is equal to it (then the
    number is what it picks)."""
    numbers = [label for label in case.labels if not isinstance(label, str)]
    return [case.labels[index]] + ([index] if index not in numbers else [])


@pytest.mark.parametrize("case, index", OPTIONS)
def test_chosen_form_computes_what_nni_computes(tmp_path, case, index):
    path = script(tmp_path, case)
    expected = nni_value(case, index)
    for value in ways_to_choose(case, index):
        code = expand(str(path), json.dumps({case.name: value})).decode()
        assert observed(code, str(path)) == expected


@pytest.mark.parametrize("case, index", OPTIONS)
def test_run_time_form_computes_what_nni_computes(tmp_path, fresh_runtime, case, index):
    """Chosen by our label, and by NNI's label under NNI's key, as NNI's tuners send it (by
    index where a choice does not take NNI's label)."""
    path = script(tmp_path, case)
    code = expand(str(path), None).decode()
    expected = nni_value(case, index)
    nni_label = case.nni_labels[index]
    by_nni = {nni_key(case): nni_label if sendable(nni_label) else index}
    for document in ({case.name: case.labels[index]}, by_nni):
        runtime.set_choice(document)
        assert observed(code, str(path)) == expected, document
        assert runtime.decisions() == {case.name: case.labels[index]}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_nas_annotate_run_computes_what_nni_computes(tmp_path, case):
    """The last option (a constant, an expression, a lambda, a name: never the call the code makes)."""
    path = script(tmp_path, case)
    index = len(case.labels) - 1
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAS_ANNOTATE_", "NNI_"))}
    result = subprocess.run(
        [NAS, "run", path.name, "--choice", json.dumps({case.name: case.labels[index]})],
        check=False, cwd=tmp_path, env=env, capture_output=True, text=True,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == repr(nni_value(case, index)) + "\n"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_search_spaces_list_every_option(tmp_path, case):
    """Our labels are canonical spellings (NNI's are astor's, parenthesised); NNI's labels
    choose the same options as ours."""
    path = script(tmp_path, case)
    entry = {"_type": "choice", "_value": case.labels}
    assert json.loads(extract([str(path)], "nni")) == {case.name: entry}
    assert json.loads(extract([str(path)], "nni-flat")) == {case.name: entry}
    param = Param(case.name, "function_choice", tuple(case.labels))
    for index, nni_label in enumerate(case.nni_labels):
        if sendable(nni_label):
            assert decide_param(param, nni_label) == index


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_only_the_annotation_and_the_replaced_calls_change(tmp_path, case):
    """Every line keeps its number; the lines that change are the annotation's and those of
    the calls replaced."""
    path = script(tmp_path, case)
    source = path.read_text().splitlines(keepends=True)
    (param,) = analyse_file(str(path)).params
    changing = {param.pos.line} | {line for span in param.spans for line in range(span.line, span.end_line + 1)}
    for choice in (None, json.dumps({case.name: len(case.labels) - 1})):
        lines = expand(str(path), choice).decode().splitlines(keepends=True)
        assert len(lines) == len(source)
        assert {i for i, (old, new) in enumerate(zip(source, lines), 1) if old != new} == changing


SEARCHED = '''\
import math

x = 3


def score(v):
    return v * 10


"""@nni.function_choice(score(x), 2 * 3 + 4, -1.5, x, math.pi, (lambda v: v * 2)(x), name=op)"""
out = score(x)
"""@nni.report_final_result(float(out))"""
'''
# NNI's generator on SEARCHED: the script, then its search space's `_value`
NNI_SEARCHED = """\
import math
x = 3


def score(v):
    return v * 10


out = nni.function_choice({'score(x)': lambda : score(x), '(2 * 3 + 4)': lambda
    : 2 * 3 + 4, '(-1.5)': lambda : -1.5, 'x': lambda : x, 'math.pi': lambda :
    math.pi, '(lambda v: v * 2)(x)': lambda : (lambda v: v * 2)(x)}, name='op')
nni.report_final_result(float(out))
"""
NNI_SEARCHED_LABELS = ["score(x)", "(2 * 3 + 4)", "(-1.5)", "x", "math.pi", "(lambda v: v * 2)(x)"]


@needs(*SEARCH)
def test_a_grid_search_tries_every_option_and_gets_what_nni_reports(tmp_path):
    """Each trial reports the value NNI's generated trial reports for the same option."""
    (tmp_path / "trial.py").write_text(SEARCHED)
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAS_ANNOTATE_", "NNI_"))}
    result = subprocess.run([NAS, "search", "trial.py", "-o", str(out), "-s", "grid", "--no-progress", "-q"],
                            check=False, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    labels = ["score(x)", "2 * 3 + 4", -1.5, "x", "math.pi", "(lambda v: v * 2)(x)"]
    reported = {}
    for trial in json.loads((out / "results.json").read_text())["trials"]:
        reported[labels.index(trial["choice"]["trial/op"])] = trial["value"]
    assert sorted(reported) == list(range(len(labels)))
    for index, value in reported.items():
        nni = NNITrial(NNI_SEARCHED_LABELS[index])
        exec(compile(NNI_SEARCHED, "nni_generated.py", "exec"), {"nni": nni})
        assert value == nni.final


# NNI's own annotation test input (test/ut/tools/annotation/testcase/usercode/dir/simple.py,
# verbatim) and the entries its expected search space (testcase/searchspace.json) gives it
NNI_SIMPLE = '''\
def max_pool(k):
    pass
h_conv1=1
"""@nni.variable(nni.choice(2,3,5,7),name=conv_size)"""
conv_size = 5
"""@nni.variable(nni.choice('2',3,5*6,{1:2, '3':4},[1,2,3]),name=abc)"""
abc = 5
"""@nni.function_choice(max_pool(h_conv1), avg_pool(h_conv2,h_conv3), name=max_pool)"""
h_pool1 = max_pool(h_conv1)
"""@nni.function_choice(max_poo(h_conv1), 2 * 3 + 4, lambda x: 1+x, name=max_poo)"""
h_pool2 = max_poo(h_conv1)
test_acc=1
\'\'\'@nni.report_intermediate_result(test_acc)\'\'\'
test_acc=2
\'\'\'@nni.report_final_result(test_acc)\'\'\'
'''
NNI_SIMPLE_SPACE = {
    "dir.simple/conv_size/choice": {"_type": "choice", "_value": [2, 3, 5, 7]},
    "dir.simple/abc/choice": {"_type": "choice", "_value": ["2", 3, "(5 * 6)", "{(1): 2, '3': 4}", "[1, 2, 3]"]},
    "dir.simple/max_pool/function_choice": {"_type": "choice", "_value": ["max_pool(h_conv1)", "avg_pool(h_conv2, h_conv3)"]},
    "dir.simple/max_poo/function_choice": {"_type": "choice", "_value": ["max_poo(h_conv1)", "(2 * 3 + 4)", "(lambda x: 1 + x)"]},
}


def test_nnis_own_test_file_is_taken_as_it_is(tmp_path):
    """It checks, and each of NNI's labels chooses the option in the same place in ours."""
    path = tmp_path / "simple.py"
    path.write_text(NNI_SIMPLE)
    assert check([str(path)]) == []
    ours = json.loads(extract([str(path)], "nni"))
    assert list(ours) == ["simple/conv_size", "simple/abc", "simple/max_pool", "simple/max_poo"]
    for nni_key, entry in NNI_SIMPLE_SPACE.items():
        name, dist = nni_key.split("/")[1:]
        mine = ours[f"simple/{name}"]
        assert mine["_type"] == entry["_type"]
        param = Param(f"simple/{name}", dist, tuple(mine["_value"]))
        assert [decide_param(param, label) for label in entry["_value"]] == list(range(len(mine["_value"])))
    choice = {"simple/conv_size/choice": 7, "simple/abc/choice": "(5 * 6)", "simple/max_pool/function_choice": 0,
              "simple/max_poo/function_choice": "(lambda x: 1 + x)"}
    lines = expand(str(path), json.dumps(choice)).decode().splitlines()
    assert lines[3:11] == ["pass", "conv_size = (7)", "pass", "abc = (5*6)", "pass", "h_pool1 = (max_pool(h_conv1))",
                           "pass", "h_pool2 = (lambda x: 1+x)"]


# ----------------------------------------------------------------------------------------
# The generated code
# ----------------------------------------------------------------------------------------

R = "__import__('nas_annotate.runtime').runtime"
INDEX = f"{R}.index('m/max_poo', ('max_poo(h_conv1)', '2 * 3 + 4', 'lambda x: 1 + x'), 'm/max_poo/function_choice')"


def test_nni_test_case_expands_to_a_chain_that_evaluates_only_the_chosen_option(tmp_path):
    """Non-atomic options are parenthesised; each is pasted as written."""
    path = tmp_path / "m.py"
    path.write_text('"""@nni.function_choice(max_poo(h_conv1), 2 * 3 + 4, lambda x: 1+x, name=max_poo)"""\nh_pool2 = max_poo(h_conv1)\n')
    assert expand(str(path), None).decode() == (
        f"pass\nh_pool2 = (max_poo(h_conv1) if {INDEX} == 0 else (2 * 3 + 4) if {INDEX} == 1 else (lambda x: 1+x))\n"
    )
    chosen = {0: "(max_poo(h_conv1))", 1: "(2 * 3 + 4)", 2: "(lambda x: 1+x)"}
    for index, pasted in chosen.items():
        assert expand(str(path), json.dumps({"m/max_poo": index})).decode() == f"pass\nh_pool2 = {pasted}\n"


def test_only_calls_are_replaced(tmp_path):
    """A constant, name or lambda option is an alternative to the call, never looked for in the
    statement: `h` and `2` stay where the statement writes them."""
    path = tmp_path / "m.py"
    path.write_text('# @nni.function_choice(f(h), h, 2, name=op)\ny = f(h) + h * 2\n')
    assert expand(str(path), '{"m/op": "h"}').decode() == "pass\ny = (h) + h * 2\n"


def test_class_bodies_see_their_names(tmp_path, fresh_runtime):
    """Options are evaluated where the call stood, not in a lambda: a class body's names
    resolve (in NNI's generated lambda they would not)."""
    path = tmp_path / "m.py"
    path.write_text('class C:\n    k = 3\n    """@nni.function_choice(abs(k), k * 2, name=op)"""\n    v = abs(k)\n')
    for value, expected in ((0, 3), (1, 6)):
        runtime.set_choice({"m/C.op": value})
        namespace: dict[str, Any] = {}
        exec(compile(expand(str(path), None), str(path), "exec"), namespace)
        assert namespace["C"].v == expected


# ----------------------------------------------------------------------------------------
# What cannot work
# ----------------------------------------------------------------------------------------

STATEMENT = "is a statement, and an option of @nni.function_choice is an expression: list a value such as f(x), 2 * k or lambda x: x + 1"

DIAGNOSTICS = [
    pytest.param(
        '"""@nni.function_choice(f(x), return x, name=op)"""\ny = f(x)\n',
        [(1, 31, f"'return x' {STATEMENT}")],
        id="statement-return",
    ),
    pytest.param(
        "# @nni.function_choice(f(x),\n#     import os, name=op)\ny = f(x)\n",
        [(2, 7, f"'import os' {STATEMENT}")],
        id="statement-import-comment-second-line",
    ),
    pytest.param(
        '"""@nni.function_choice(f(x), g([1, 2]), x += 1, name=op)"""\ny = f(x)\n',
        [(1, 42, f"'x += 1' {STATEMENT}")],
        id="statement-augmented-assignment",
    ),
    pytest.param(
        '"""@nni.function_choice(f(x), raise E(\'no\'), name=op)"""\ny = f(x)\n',
        [(1, 31, f"\"raise E('no')\" {STATEMENT}")],
        id="statement-raise",
    ),
    pytest.param(
        '"""@nni.function_choice(f(x), x = 1, name=op)"""\ny = f(x)\n',
        [(1, 31, "@nni.function_choice takes only the keyword argument name=, not 'x=1'; an option is an expression, not an assignment")],
        id="assignment",
    ),
    pytest.param(
        '"""@nni.function_choice(f(x), *others, name=op)"""\ny = f(x)\n',
        [(1, 31, "@nni.function_choice cannot unpack '*others'; list each item")],
        id="starred",
    ),
    pytest.param(
        '"""@nni.function_choice(f(x), f( x ), \'g\', g, 2, 2.0, name=op)"""\ny = f(x)\n',
        [
            (1, 31, "duplicate option 'f(x)' (also at line 1, column 25)"),
            (1, 44, "duplicate option 'g' (also at line 1, column 39)"),
            (1, 50, "duplicate option '2.0' (also at line 1, column 47)"),
        ],
        id="duplicate-labels",
    ),
    pytest.param(
        '"""@nni.function_choice(relu, 2 * 3, lambda x: x, name=op)"""\ny = relu(x)\n',
        [(1, 9, "@nni.function_choice has no call among its options: list the call the next statement makes (such as f(x)); the chosen option replaces it there")],
        id="no-call-among-options",
    ),
    pytest.param(
        '"""@nni.function_choice(f(x), g(x), 0, name=op)"""\ny = h(x) + f(y)\n',
        [(1, 4, "@nni.function_choice: none of its calls (f(x), g(x)) occurs in the next statement; write one of them there, "
                "or put the annotation just before the statement that makes it")],
        id="no-listed-call-occurs",
    ),
    pytest.param(
        '"""@nni.function_choice(name=op)"""\ny = f(x)\n',
        [(1, 9, "@nni.function_choice lists no options: list the call the next statement makes and its alternatives, such as (f(x), g(x), name=op)")],
        id="no-options",
    ),
    pytest.param(
        'async def main(x):\n    """@nni.function_choice(f(x), await g(x), name=op)"""\n    y = [f(x) for _ in range(2)]\n',
        [(2, 35, "the option 'await g(x)' uses 'await', so it cannot replace 'f(x)' at line 3, column 10, inside a lambda, "
                 "comprehension or function of the next statement; compute it in a statement before the annotation")],
        id="await-into-a-comprehension",
    ),
    pytest.param(
        'def main(x):\n    """@nni.function_choice(f(x), (z := 1), name=op)"""\n    y = sorted(x, key=lambda v: f(x))\n',
        [(2, 36, "the option '(z := 1)' uses ':=', so it cannot replace 'f(x)' at line 3, column 33, inside a lambda, "
                 "comprehension or function of the next statement; compute it in a statement before the annotation")],
        id="walrus-into-a-lambda",
    ),
]


@pytest.mark.parametrize("source, expected", DIAGNOSTICS)
def test_diagnostics(tmp_path, source, expected):
    path = tmp_path / "model.py"
    path.write_text(source)
    assert [(d.line, d.col, d.message) for d in check([str(path)])] == expected


def test_scope_bound_options_work_in_the_annotations_own_scope(tmp_path):
    """`await`, `yield` and `:=` are fine where the call is not in a scope of its own, and
    inside an option's own lambda."""
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent('''\
        async def main(x):
            """@nni.function_choice(f(x), await g(x), (z := 1), name=op)"""
            y = f(x) + 1
            """@nni.function_choice(f(x), lambda: (z := 2), name=op2)"""
            y = [f(x) for _ in range(2)]
    '''))
    assert check([str(path)]) == []
    compile(expand(str(path), None), str(path), "exec")

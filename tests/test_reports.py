"""Report annotations (SPEC §11): `@nni.report_intermediate_result(x)` and
`@nni.report_final_result(x)`, as string statements and `#` comments, wherever a statement may stand.

- Expansion, table-driven: source → the exact output of `expand` in both forms, the run-time
  form (calls to `nas_annotate.reporting`) and the chosen form (`expand --choice`: plain code
  that reports when nas_annotate is importable and does nothing otherwise).
- Diagnostics, table-driven: a bad report annotation → exactly these (line, col, message).
- Execution, in subprocesses: `nas-annotate run` with `NAS_ANNOTATE_REPORT` writes the reports
  as JSON lines; the `expand --choice` output runs under plain python, with and without
  nas_annotate importable; line numbers are those of the source.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import needs

from nas_annotate import importhook, locate
from nas_annotate.api import analyse_file, check, expand, extract

NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
FIXTURES = Path(__file__).parent / "fixtures" / "reports"
REPORTING = "__import__('nas_annotate.reporting').reporting"


def src(text: str) -> str:
    """A test source: dedented, without the leading newline of the triple-quoted literal."""
    return textwrap.dedent(text).lstrip("\n")


def runtime_call(function: str, value: str) -> str:
    return f"{REPORTING}.{function}({value})"


def chosen_call(function: str, value: str) -> str:
    return (
        f"getattr(__import__('importlib.util').util.find_spec('nas_annotate') and {REPORTING}, "
        f"{function!r}, lambda value: None)({value})"
    )


_PLACEHOLDER = re.compile(r"<(intermediate|final)\((.*)\)>")


def fill(expected: str, form: str) -> str:
    """`<final(acc)>` in an expected output → the code of that report in `form`."""
    make = runtime_call if form == "runtime" else chosen_call
    return _PLACEHOLDER.sub(lambda m: make(m.group(1), m.group(2)), expected)


# ----------------------------------------------------------------------------------------
# Expansion: source → expected output (placeholders stand for the form's call)
# ----------------------------------------------------------------------------------------

EXPANSIONS = [
    pytest.param(
        src('''
            acc = 0.5
            """@nni.report_final_result(acc)"""
            print(acc)
        '''),
        src('''
            acc = 0.5
            <final(acc)>
            print(acc)
        '''),
        id="module-level-string",
    ),
    pytest.param(
        src('''
            def train(epochs):
                for epoch in range(epochs):
                    acc = step(epoch)
                    \'\'\'@nni.report_intermediate_result(acc)\'\'\'
                return acc
        '''),
        src('''
            def train(epochs):
                for epoch in range(epochs):
                    acc = step(epoch)
                    <intermediate(acc)>
                return acc
        '''),
        id="string-in-loop-in-function",
    ),
    pytest.param(
        src('''
            while running():
                if epoch % 10 == 0:
                    # @nni.report_intermediate_result(acc)
                    # an ordinary comment stays
                    log(acc)
        '''),
        src('''
            while running():
                if epoch % 10 == 0:
                    <intermediate(acc)>
                    # an ordinary comment stays
                    log(acc)
        '''),
        id="comment-in-if-in-while",
    ),
    pytest.param(
        src('''
            def evaluate():
                """@nni.report_final_result(
                    best_acc
                )"""
                return best_acc
        '''),
        src('''
            def evaluate():
                <final(best_acc)>


                return best_acc
        '''),
        id="multi-line-string",
    ),
    pytest.param(
        src('''
            for batch in data:
                # @nni.report_intermediate_result(
                #     loss * 2  # scaled
                # )
                # not part of the annotation
                pass
        '''),
        src('''
            for batch in data:
                <intermediate(loss * 2)>


                # not part of the annotation
                pass
        '''),
        id="multi-line-comment",
    ),
    pytest.param(
        src('''
            if done: """@nni.report_final_result(acc)"""
            x = 1
        '''),
        src('''
            if done: <final(acc)>
            x = 1
        '''),
        id="sharing-a-line",
    ),
    pytest.param(
        src('''
            """@nni.report_final_result(acc)"""  # the end
        '''),
        src('''
            <final(acc)>  # the end
        '''),
        id="comment-after-the-string",
    ),
    pytest.param(
        src('''
            class Trainer:
                def finish(self, data):
                    r"""@nni.report_final_result(self.evaluate( data ,split = "test" ))"""
        '''),
        src('''
            class Trainer:
                def finish(self, data):
                    <final(self.evaluate(data, split='test'))>
        '''),
        id="method-canonical-spelling",
    ),
    pytest.param(
        'async def run():\n\tfor x in xs:\n\t\t"@nni.report_intermediate_result(await score(x))"\n\t\t# @nni.report_final_result(x)\n',
        "async def run():\n\tfor x in xs:\n\t\t<intermediate(await score(x))>\n\t\t<final(x)>\n",
        id="tabs-async-await",
    ),
    pytest.param(
        src('''
            try:
                with ctx:
                    # @nni.report_intermediate_result(acc)
                    train()
            except ValueError:
                # @nni.report_final_result(0.0)
                raise
        '''),
        src('''
            try:
                with ctx:
                    <intermediate(acc)>
                    train()
            except ValueError:
                <final(0.0)>
                raise
        '''),
        id="with-and-except",
    ),
    pytest.param(
        src('''
            """@nni.report_intermediate_result(acc)"""
            # @nni.report_final_result(acc)
        '''),
        src('''
            <intermediate(acc)>
            <final(acc)>
        '''),
        id="adjacent",
    ),
]


@pytest.mark.parametrize("form", ["runtime", "chosen"])
@pytest.mark.parametrize("source, expected", EXPANSIONS)
def test_expansion(tmp_path, source, expected, form):
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    output = expand(str(path), None if form == "runtime" else "{}").decode("utf-8")
    assert output == fill(expected, form)
    compile(output, str(path), "exec")


@pytest.mark.parametrize("form", ["runtime", "chosen"])
def test_crlf_file_keeps_its_line_endings(tmp_path, form):
    source = 'def f(acc):\r\n    """@nni.report_final_result(\r\n        acc)"""\r\n    # @nni.report_intermediate_result(acc)\r\n    return acc\r\n'
    expected = "def f(acc):\r\n    <final(acc)>\r\n\r\n    <intermediate(acc)>\r\n    return acc\r\n"
    path = tmp_path / "model.py"
    path.write_bytes(source.encode())
    assert expand(str(path), None if form == "runtime" else "{}") == fill(expected, form).encode()


def test_reports_beside_a_mutable_layer(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(
        src('''
            def cell(x):
                """@nni.mutable_layer {layer_choice: [f, g], fixed_inputs: [x], layer_output: y}"""
                # @nni.report_intermediate_result(y)
                return y
        '''),
        encoding="utf-8",
    )
    chosen = expand(str(path), '{"model/cell.y": {"layer": "g"}}').decode()
    assert chosen.splitlines() == ["def cell(x):", "    y = g([[x], []])", "    " + chosen_call("intermediate", "y"), "    return y"]
    runtime = expand(str(path), None).decode().splitlines()
    assert "runtime.decide('model/cell.y'" in runtime[1]
    assert runtime[2] == "    " + runtime_call("intermediate", "y")
    assert [a.kind for a in analyse_file(str(path)).annotations] == ["mutable_layer", "report"]


def test_reports_are_not_in_the_search_space():
    assert json.loads(extract([str(FIXTURES / "train.py"), str(FIXTURES / "trainer.py")])) == {
        "train/model.out": {
            "_type": "mutable_layer",
            "_value": {
                "layer_choice": ["scale(factor=0.5)", "scale(factor=0.25)"],
                "fixed_inputs": ["x"],
                "input_candidates": [],
                "input_num": [0, 0],
                "input_aggregate": None,
                "post_process": None,
                "layer_output": "out",
            },
            "_source": {"file": str(FIXTURES / "train.py"), "line": 14},
        }
    }
    assert extract([str(FIXTURES / "only_reports.py")]) == "{}\n"
    assert check([str(FIXTURES)]) == []


def test_a_misspelt_marker_is_left_alone(tmp_path):
    """A string or comment naming no annotation NNI defines is not an annotation (`check` warns)."""
    source = src('''
        """@nni.report_finalresult(acc)"""
        # @nni.varaible(nni.choice(0.1, 0.01), name=lr)
        lr = 0.1
    ''')
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    assert [(d.severity, d.line) for d in check([str(path)])] == [("warning", 1), ("warning", 2)]
    assert expand(str(path), None) == source.encode()
    assert not importhook.has_annotations(source.encode())


@pytest.mark.parametrize(
    "text, claimed",
    [
        ('"""@nni.report_final_result(acc)"""\n', True),
        ("def f():\n    # @nni.report_intermediate_result(acc)\n    pass\n", True),
        ("x = 1  # see @nni.report_final_result(acc)\n", False),
        ('message = "use @nni.report_final_result(acc)"\n', False),
        ("x = 1\n", False),
    ],
)
def test_a_file_with_only_reports_is_claimed(text, claimed):
    """The import hook and the pre-scan claim files whose only annotations are reports."""
    assert importhook.has_annotations(text.encode()) is claimed
    if claimed:
        assert locate.has_annotations(text)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"@",
        b"@nni.mutable_laye",
        b"x = 1\n# @nni.mutable_layer {}\n",
        b"@decorator\n" * 500 + b"# @nni.report_final_result(acc)\n",
        b"a" * 3000 + b"@x " * 10 + b"'@nni.report_intermediate_result'",
        b"@" * 5000,
        b"@" * 5000 + b"nni.report_final_result",
    ],
    ids=lambda data: f"{len(data)}-bytes",
)
def test_the_byte_pre_scan_finds_every_marker(data):
    """`mentions_marker` visits the '@'s while they are sparse, then searches: either way the
    answer is whether a marker occurs."""
    assert importhook.mentions_marker(data) is any(marker in data for marker in importhook.MARKERS)


# ----------------------------------------------------------------------------------------
# Diagnostics
# ----------------------------------------------------------------------------------------

ONE_ARG = "@nni.report_final_result takes exactly one argument, the value to report ({} given)"


def syntax_error(text: str) -> tuple[int, str]:
    """Column offset and message of the SyntaxError Python gives for the expression `text`."""
    try:
        compile(text, "<test>", "eval")
    except SyntaxError as exc:
        return exc.offset or 0, exc.msg
    raise AssertionError(f"{text!r} is valid Python")


_BAD_OFFSET, _BAD_MSG = syntax_error("report_final_result(acc +)")

DIAGNOSTICS = [
    pytest.param('"""@nni.report_final_result()"""\n', [(1, 9, ONE_ARG.format(0))], id="no-argument"),
    pytest.param('"""@nni.report_final_result(acc, loss)"""\n', [(1, 34, ONE_ARG.format(2))], id="two-arguments"),
    pytest.param(
        '"""@nni.report_final_result(acc, step=3)"""\n',
        [(1, 34, "@nni.report_final_result takes no keyword arguments, not 'step=3'")],
        id="keyword",
    ),
    pytest.param(
        '"""@nni.report_final_result(value=acc)"""\n',
        [(1, 29, "@nni.report_final_result takes no keyword arguments, not 'value=acc'")],
        id="keyword-only",
    ),
    pytest.param(
        '"""@nni.report_intermediate_result(*accs)"""\n',
        [(1, 36, "@nni.report_intermediate_result cannot unpack '*accs'; report one value")],
        id="starred",
    ),
    pytest.param(
        "# @nni.report_final_result(**kw)\n",
        [(1, 28, "@nni.report_final_result takes no keyword arguments, not '**kw'")],
        id="double-starred-comment",
    ),
    pytest.param(
        '"""@nni.report_final_result(acc +)"""\n',
        [(1, 8 + _BAD_OFFSET, f"invalid expression in @nni.report_final_result(...): {_BAD_MSG}")],
        id="not-an-expression",
    ),
    pytest.param(
        '"""@nni.report_final_result acc"""\n',
        [(1, 29, "expected '(' after @nni.report_final_result")],
        id="no-parenthesis",
    ),
    pytest.param(
        '"""@nni.report_final_result(acc) extra"""\n',
        [(1, 34, "unexpected text after the annotation")],
        id="text-after",
    ),
    pytest.param(
        '"""@nni.report_final_result(acc"""\n',
        [(1, 28, "unbalanced brackets: '(' is never closed")],
        id="unclosed",
    ),
    pytest.param(
        "# @nni.report_intermediate_result(\n#     acc,\n#     loss)\n",
        [(3, 7, "@nni.report_intermediate_result takes exactly one argument, the value to report (2 given)")],
        id="multi-line-comment",
    ),
    pytest.param(
        "x = (1 +\n     # @nni.report_final_result(acc)\n     2)\n",
        [(2, 6, "an annotation must stand where a statement may stand, not inside an expression")],
        id="inside-an-expression",
    ),
    pytest.param(
        "def f():\n    x = 1\n  # @nni.report_final_result(x)\n    return x\n",
        [(3, 3, "this annotation is not indented like any enclosing block")],
        id="mis-indented-comment",
    ),
    pytest.param(
        'def f(acc):\n    """@nni.report_final_result()"""\n    # @nni.report_intermediate_result(acc, 1)\n    return acc\n',
        [
            (2, 13, ONE_ARG.format(0)),
            (3, 44, "@nni.report_intermediate_result takes exactly one argument, the value to report (2 given)"),
        ],
        id="all-problems-together",
    ),
]


@pytest.mark.parametrize("source, expected", DIAGNOSTICS)
def test_diagnostics(tmp_path, source, expected):
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    assert [(d.line, d.col, d.message) for d in check([str(path)])] == expected


def test_diagnostics_from_the_command_line(tmp_path):
    (tmp_path / "model.py").write_text('acc = 1\n"""@nni.report_final_result(acc, step=3)"""\n', encoding="utf-8")
    result = subprocess.run([NAS, "check", "model.py"], check=False, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert (
        "model.py:2:34: error: @nni.report_final_result takes no keyword arguments, not 'step=3'\n"
        '    """@nni.report_final_result(acc, step=3)"""\n'
        "                                     ^"
    ) in result.stdout + result.stderr
    for form in ([], ["--choice", "{}"]):
        result = subprocess.run([NAS, "expand", "model.py", *form], check=False, cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 1 and result.stdout == ""


# ----------------------------------------------------------------------------------------
# Execution
# ----------------------------------------------------------------------------------------


def environment(report: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAS_ANNOTATE_", "NNI_")) and k != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if report is not None:
        env["NAS_ANNOTATE_REPORT"] = str(report)
    return env


def reports(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def line_of(path: Path, text: str) -> int:
    """The line number of the first line of `path` holding `text`."""
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


@pytest.fixture
def project(tmp_path) -> Path:
    for name in ("train.py", "trainer.py", "only_reports.py"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def test_run_writes_the_reports(project):
    """train.py has a layer and a final report; the module it imports has only a report, so
    the import hook must claim it for the intermediate reports to happen."""
    report = project / "reports.jsonl"
    choice = '{"train/model.out": {"layer": "scale(factor=0.5)"}}'
    result = subprocess.run(
        [NAS, "run", "train.py", "--choice", choice], check=False, cwd=project, env=environment(report), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"final 1.5 at line {line_of(project / 'train.py', 'print(')}\n"
    assert reports(report) == [
        {"step": 0, "value": 0.5},
        {"step": 1, "value": 1.0},
        {"step": 2, "value": 1.5},
        {"step": None, "value": 1.5},
    ]


ONLY_REPORTS = [
    {"step": 0, "value": 0.25},
    {"step": 1, "value": 0.5},
    {"step": 2, "value": 0.75},
    {"step": None, "value": 0.75},
]


def test_run_a_script_with_only_reports(project):
    report = project / "reports.jsonl"
    result = subprocess.run(
        [NAS, "run", "only_reports.py", "--sample", "first"], check=False, cwd=project, env=environment(report), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"acc 0.75 at line {line_of(project / 'only_reports.py', 'print(')}\n"
    assert reports(report) == ONLY_REPORTS


def test_run_a_script_with_only_reports_needs_no_choice(project):
    report = project / "reports.jsonl"
    result = subprocess.run([NAS, "run", "only_reports.py"], check=False, cwd=project, env=environment(report), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert reports(report) == ONLY_REPORTS


@pytest.fixture
def chosen_script(project) -> Path:
    """only_reports.py expanded with `expand --choice`, written under another name."""
    target = project / "expanded.py"
    result = subprocess.run([NAS, "expand", "only_reports.py", "--choice", "{}", "-o", str(target)], check=False, cwd=project)
    assert result.returncode == 0
    return target


def test_chosen_form_reports_when_nas_annotate_is_there(project, chosen_script):
    report = project / "reports.jsonl"
    expected = f"acc 0.75 at line {line_of(project / 'only_reports.py', 'print(')}\n"
    quiet = subprocess.run([sys.executable, chosen_script.name], check=False, cwd=project, env=environment(None), capture_output=True, text=True)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, expected, "")
    assert not report.exists()
    loud = subprocess.run([sys.executable, chosen_script.name], check=False, cwd=project, env=environment(report), capture_output=True, text=True)
    assert (loud.returncode, loud.stdout, loud.stderr) == (0, expected, "")
    assert reports(report) == ONLY_REPORTS


def test_chosen_form_runs_without_nas_annotate(project, chosen_script):
    """`-E -S` (no PYTHONPATH, no site-packages): nas_annotate cannot be imported, and the
    expanded script runs as if its reports were not there, even with a channel set."""
    bare = [sys.executable, "-E", "-S"]
    probe = subprocess.run([*bare, "-c", "import nas_annotate"], check=False, cwd=project, env=environment(None), capture_output=True)
    assert probe.returncode != 0, "nas_annotate must not be importable in this interpreter setting"
    report = project / "reports.jsonl"
    result = subprocess.run([*bare, chosen_script.name], check=False, cwd=project, env=environment(report), capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"acc 0.75 at line {line_of(project / 'only_reports.py', 'print(')}\n"
    assert not report.exists()


def test_reporting_numbers_intermediate_steps():
    """`intermediate` counts 0, 1, 2, ... per process; a value it refuses takes no step."""
    code = textwrap.dedent(
        """
        from nas_annotate import reporting
        reporting.intermediate(1)
        try:
            reporting.intermediate("high")
        except TypeError:
            pass
        reporting.intermediate(2.5)
        reporting.final(3)
        print(reporting.reported())
        """
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, env=environment(None), capture_output=True, text=True)
    assert result.stdout == "[(0, 1.0), (1, 2.5), (None, 3.0)]\n", result.stderr


# --- mappings (NNI's convention: "default" the primary value) and bad values ------------------

DICTS = src(
    '''
    loss = 2.0
    for step in range(2):
        """@nni.report_intermediate_result({"default": 0.5 * step, "loss": loss})"""
    # @nni.report_final_result({"default": 0.75, "loss": 1.5, "params": 120})
    '''
)


def run_reports(tmp_path: Path, text: str, **extra: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """`nas-annotate run` of `text` (as script.py) with a report channel and `extra` variables."""
    script = tmp_path / "script.py"
    script.write_text(text)
    report = tmp_path / "reports.jsonl"
    report.unlink(missing_ok=True)
    env = {**environment(report), **extra}
    result = subprocess.run([NAS, "run", str(script)], check=False, cwd=tmp_path, env=env, capture_output=True, text=True)
    return result, reports(report) if report.exists() else []


def test_a_report_may_be_a_mapping_of_names_to_numbers(tmp_path):
    result, lines = run_reports(tmp_path, DICTS)
    assert result.returncode == 0, result.stderr
    assert lines == [
        {"step": 0, "value": {"default": 0.0, "loss": 2.0}},
        {"step": 1, "value": {"default": 0.5, "loss": 2.0}},
        {"step": None, "value": {"default": 0.75, "loss": 1.5, "params": 120.0}},
    ]


def test_under_a_search_the_final_report_gives_each_objective(tmp_path):
    """A search names its objectives (NAS_ANNOTATE_OBJECTIVES); the report's line carries their values."""
    result, lines = run_reports(tmp_path, DICTS, NAS_ANNOTATE_OBJECTIVES='["loss", "params"]')
    assert result.returncode == 0, result.stderr
    assert lines[-1]["objectives"] == [1.5, 120.0]
    plain = 'accuracy = 0.5\n"""@nni.report_final_result(accuracy)"""\n'
    result, lines = run_reports(tmp_path, plain, NAS_ANNOTATE_OBJECTIVES='["accuracy"]')
    assert lines == [{"step": None, "value": 0.5, "objectives": [0.5]}], "a number is the first objective's value"


BAD_REPORTS = [
    ('"""@nni.report_final_result("high")"""', "[]",
     "a report takes a real number or a mapping of names to real numbers, not str ('high')"),
    ('"""@nni.report_intermediate_result({"default": 1.0, "loss": None})"""', "[]",
     "the report's 'loss' is NoneType (None), not a real number"),
    ('"""@nni.report_final_result({1: 1.0})"""', "[]", "a report's keys are names (str), not int (1)"),
    ('"""@nni.report_final_result({"accuracy": 0.9})"""', '["default"]',
     "the report has no 'default', the primary value that this single-objective search optimizes (it has 'accuracy'): "
     "add one, or search an entry with --objective NAME:max|min"),
    ('"""@nni.report_final_result({"accuracy": 0.9})"""', '["accuracy", "latency"]',
     "the report has no 'latency', an objective of this search (accuracy, latency); it has 'accuracy'"),
    ('"""@nni.report_final_result({"accuracy": float("nan"), "latency": 3})"""', '["accuracy", "latency"]',
     "the report's 'accuracy' is NaN, and it is an objective of this search (accuracy, latency)"),
    ('"""@nni.report_final_result(float("nan"))"""', '["default"]', "the final result is NaN: the search needs a number"),
    ('"""@nni.report_final_result(0.9)"""', '["default", "params"]',
     "the objective 'params' is not in the report, and the trial imported no Keras, so there is no model to count: report it "
     "yourself: report_final_result({'default': accuracy, 'params': model.count_params()})"),
]


@pytest.mark.parametrize(("report", "objectives", "message"), BAD_REPORTS)
def test_a_bad_report_is_an_error_naming_its_line_and_entry(tmp_path, report, objectives, message):
    result, lines = run_reports(tmp_path, f"x = 1\n{report}\nprint('after')\n", NAS_ANNOTATE_OBJECTIVES=objectives)
    assert (result.returncode, result.stdout, lines) == (1, "", [])
    assert result.stderr == f"{tmp_path / 'script.py'}:2: error: {message}\n"


def test_nan_is_recorded_where_it_is_no_objective(tmp_path):
    text = '"""@nni.report_final_result({"default": 0.5, "spread": float("nan")})"""\n'
    result, lines = run_reports(tmp_path, text, NAS_ANNOTATE_OBJECTIVES='["default"]')
    assert result.returncode == 0, result.stderr
    assert lines == [{"step": None, "value": {"default": 0.5, "spread": "nan"}, "objectives": [0.5]}]


COUNTED = src(
    '''
    import numpy as np
    import keras
    from nas_annotate.counting import NoModel, model_params

    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inner(inputs)))
    spare = keras.Sequential([keras.Input((4,)), keras.layers.Dense(50)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((4, 4)), np.zeros((4, 2)), verbose=0)
    """@nni.report_final_result(0.5)"""
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    other.compile(optimizer="sgd", loss="mse")
    other.fit(np.zeros((4, 4)), np.zeros((4, 1)), verbose=0)
    try:
        model_params()
    except NoModel as exc:
        print(exc)
    '''
)


@needs("tensorflow")
def test_params_is_counted_from_the_model_the_script_trained(tmp_path):
    """`inner` is part of `model`; `spare` is built but never trained; then a second trained
    model of another size makes the count ambiguous."""
    result, lines = run_reports(tmp_path, COUNTED, NAS_ANNOTATE_OBJECTIVES='["default", "params"]', TF_CPP_MIN_LOG_LEVEL="3")
    assert result.returncode == 0, result.stderr
    assert lines == [{"step": None, "value": {"default": 0.5, "params": 23.0}, "objectives": [0.5, 23.0]}]
    assert re.fullmatch(r"2 Keras models of different sizes are alive at this report \(\w+: 23, \w+: 5\): report it yourself: .*\n",
                        result.stdout)

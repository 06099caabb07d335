"""Hyperparameter annotations (SPEC §11): `@nni.variable(nni.<dist>(...), name=x)`,
`@nni.function_choice(f(a), g(b), name=x)` and `@nni.get_next_parameter()`, as string
statements and `#` comments, wherever a statement may stand (function choices among options
of every kind, compared with NNI: tests/test_function_choice.py).

- Expansion, table-driven: source → the exact output of `expand` in the run-time form and
  the chosen form; only the replaced expressions of the target statement change, and every
  line keeps its number.
- Diagnostics, table-driven: a bad annotation → exactly these (line, col, message).
- Choice documents, table-driven: a value for each distribution → the value pasted, or the error.
- Golden search spaces (ours and NNI's) for a fixture mixing hyperparameters and mutable layers.
- Execution, in subprocesses: `nas-annotate run` and the `expand --choice` output under
  plain python, for several choices; tracebacks name the source's lines.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nas_annotate import importhook, locate, runtime
from nas_annotate.api import check, expand, extract
from nas_annotate.choice import Param, decide_param
from nas_annotate.diagnostics import CompileError

NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
FIXTURES = Path(__file__).parent / "fixtures" / "hyperparameters"
R = "__import__('nas_annotate.runtime').runtime"


def src(text: str) -> str:
    """A test source: dedented, without the leading newline of the triple-quoted literal."""
    return textwrap.dedent(text).lstrip("\n")


def write(tmp_path: Path, source: str, name: str = "model.py") -> Path:
    path = tmp_path / name
    path.write_bytes(source.encode("utf-8"))
    return path


# ----------------------------------------------------------------------------------------
# Expansion: source, choice → run-time form, chosen form ("R." stands for the runtime)
# ----------------------------------------------------------------------------------------

POOL = "R.index('model/pool', ('max_pool(h, 2)', 'avg_pool(h, 2)'), 'model/pool/function_choice')"
POOL_CHAIN = f"(max_pool(h, 2) if {POOL} == 0 else avg_pool( h ,2 ))"
ACT = "R.index(\"model/args['act']\", ('relu', 'tanh', 'lambda x: x'), \"model/args['act']/choice\")"

EXPANSIONS = [
    pytest.param(
        src('''
            """@nni.variable(nni.choice(0.1, 0.01, 0.001), name=learning_rate)"""
            learning_rate = 0.1
            print(learning_rate)
        '''),
        {"model/learning_rate": 0.01},
        src('''
            pass
            learning_rate = (R.value('model/learning_rate', 'choice', (0.1, 0.01, 0.001), 'model/learning_rate/choice'))
            print(learning_rate)
        '''),
        src('''
            pass
            learning_rate = (0.01)
            print(learning_rate)
        '''),
        id="module-string-literal-choice",
    ),
    pytest.param(
        src('''
            def f():
                # @nni.variable(nni.uniform(-0.5, 0.5), name=shift)
                shift: float = 0.0  # a comment stays
                return shift
        '''),
        {"model/f.shift": 0.25},
        src('''
            def f():
                pass
                shift: float = (R.value('model/f.shift', 'uniform', (-0.5, 0.5), 'model/shift/uniform'))  # a comment stays
                return shift
        '''),
        src('''
            def f():
                pass
                shift: float = (0.25)  # a comment stays
                return shift
        '''),
        id="function-comment-annotated-assignment",
    ),
    pytest.param(
        src('''
            class Net:
                def __init__(self):
                    """@nni.variable(nni.quniform(16, 64, 16), name=self.width)"""
                    self.width = max(
                        16,
                        32)  # trailing
                    self.depth = 2
        '''),
        {"model/Net.__init__.self.width": 48},
        src('''
            class Net:
                def __init__(self):
                    pass
                    self.width = (R.value('model/Net.__init__.self.width', 'quniform', (16, 64, 16), 'model/self.width/quniform')

            )  # trailing
                    self.depth = 2
        '''),
        src('''
            class Net:
                def __init__(self):
                    pass
                    self.width = (48.0

            )  # trailing
                    self.depth = 2
        '''),
        id="method-attribute-multi-line-value",
    ),
    pytest.param(
        src('''
            for i in range(3):
                # @nni.function_choice(max_pool(h, 2), avg_pool( h ,2 ), name=pool)
                h = max_pool(h,
                             2) + max_pool(h, 2) * avg_pool(h, 2) - f(h, 2)
        '''),
        {"model/pool": "avg_pool(h, 2)"},
        src(f'''
            for i in range(3):
                pass
                h = {POOL_CHAIN[:-1]}
            ) + {POOL_CHAIN} * {POOL_CHAIN} - f(h, 2)
        '''),
        src('''
            for i in range(3):
                pass
                h = (avg_pool( h ,2 )
            ) + (avg_pool( h ,2 )) * (avg_pool( h ,2 )) - f(h, 2)
        '''),
        id="loop-function-choice-multi-line-call-and-repeats",
    ),
    pytest.param(
        src('''
            with ctx:
                """@nni.variable(nni.choice(relu, 'tanh', lambda x: x), name=args['act'])"""
                args["act"] = relu
        '''),
        {"model/args['act']": 2},
        src(f'''
            with ctx:
                pass
                args["act"] = (relu if {ACT} == 0 else 'tanh' if {ACT} == 1 else (lambda x: x))
        '''),
        src('''
            with ctx:
                pass
                args["act"] = (lambda x: x)
        '''),
        id="with-subscript-expression-choice",
    ),
    pytest.param(
        src('''
            if fast:
                # @nni.variable(nni.randint(8), name=batch)
                batch = 4
            else:
                """@nni.variable(nni.normal(0, 1), name=noise)"""
                noise = 0
        '''),
        {"model/batch": 7, "model/noise": -1.5},
        src('''
            if fast:
                pass
                batch = (R.value('model/batch', 'randint', (0, 8), 'model/batch/randint'))
            else:
                pass
                noise = (R.value('model/noise', 'normal', (0, 1), 'model/noise/normal'))
        '''),
        src('''
            if fast:
                pass
                batch = (7)
            else:
                pass
                noise = (-1.5)
        '''),
        id="if-else-randint-upper-and-normal",
    ),
    pytest.param(
        src('''
            def g(x):
                # @nni.function_choice(square(x), cube(x), name=power)
                return square(x)
        '''),
        {"model/g.power": "cube(x)"},
        src('''
            def g(x):
                pass
                return (square(x) if R.index('model/g.power', ('square(x)', 'cube(x)'), 'model/power/function_choice') == 0 else cube(x))
        '''),
        src('''
            def g(x):
                pass
                return (cube(x))
        '''),
        id="function-choice-return",
    ),
    pytest.param(
        '"""@nni.variable(nni.choice(-1, 0, 1), name=n)"""; n = 1\n',
        {"model/n": -1},
        "pass; n = (R.value('model/n', 'choice', (-1, 0, 1), 'model/n/choice'))\n",
        "pass; n = (-1)\n",
        id="sharing-a-line-negative-options",
    ),
    pytest.param(
        src('''
            """@nni.get_next_parameter()"""
            def f():
            \t# @nni.get_next_parameter()
            \tpass
        '''),
        {},
        "R.get_next_parameter()\ndef f():\n\tR.get_next_parameter()\n\tpass\n",
        "None\ndef f():\n\tNone\n\tpass\n",
        id="get-next-parameter-tabs",
    ),
    pytest.param(
        src('''
            # @nni.variable(nni.choice(f(a,
            #                            b), g), name=op)
            # an ordinary comment stays
            op = f(a, b)
        '''),
        {"model/op": 0},
        src('''
            pass

            # an ordinary comment stays
            op = (f(a, b) if R.index('model/op', ('f(a, b)', 'g'), 'model/op/choice') == 0 else g)
        '''),
        src('''
            pass

            # an ordinary comment stays
            op = (f(a, b))
        '''),
        id="multi-line-comment-option-uses-its-canonical-spelling",
    ),
    pytest.param(
        src('''
            """@nni.variable(nni.choice(only), name=x)"""
            x = only
        '''),
        {"model/x": "only"},
        "pass\nx = ((R.index('model/x', ('only',), 'model/x/choice'), only)[1])\n",
        "pass\nx = (only)\n",
        id="one-expression-option",
    ),
]


@pytest.mark.parametrize("source, choice, runtime_form, chosen_form", EXPANSIONS)
def test_expansion(tmp_path, source, choice, runtime_form, chosen_form):
    path = write(tmp_path, source)
    runtime_output = expand(str(path), None).decode("utf-8")
    assert runtime_output == runtime_form.replace("R.", R + ".")
    chosen_output = expand(str(path), json.dumps(choice)).decode("utf-8")
    assert chosen_output == chosen_form
    for output in (runtime_output, chosen_output):
        compile(output, str(path), "exec")
        assert output.count("\n") == source.count("\n")


def test_crlf_file_keeps_its_line_endings(tmp_path):
    source = (
        'def f(h):\r\n    """@nni.function_choice(a(h), b(h), name=op)"""\r\n    return a(\r\n        h)\r\n'
        "    # @nni.variable(nni.loguniform(0.001, 1), name=lr)\r\n    lr = (0.1 +\r\n          0.2)  # end\r\n"
    )
    path = tmp_path / "model.py"
    path.write_bytes(source.encode())
    chosen = expand(str(path), '{"model/f.op": "b(h)", "model/f.lr": 0.5}')
    assert chosen == (
        b"def f(h):\r\n    pass\r\n    return (b(h)\r\n)\r\n    pass\r\n    lr = ((0.5\r\n))  # end\r\n"
    )
    assert expand(str(path), None).count(b"\r\n") == source.count("\r\n")


def test_target_lines_stay_byte_identical_outside_the_value(tmp_path):
    """Unicode before the value: the columns are characters, not bytes."""
    source = '"""@nni.variable(nni.choice(1, 2), name=x)"""\nx = 1 if "é" else 2; print("ü")\n'
    path = write(tmp_path, source)
    assert expand(str(path), '{"model/x": 2}').decode() == 'pass\nx = (2); print("ü")\n'


# ----------------------------------------------------------------------------------------
# Diagnostics
# ----------------------------------------------------------------------------------------

NO_TARGET = "@nni.variable: annotation has no target statement (the next statement of its block)"

DIAGNOSTICS = [
    pytest.param(
        'def f():\n    x = 1\n    """@nni.variable(nni.choice(1, 2), name=x)"""\n',
        [(3, 8, NO_TARGET)],
        id="no-target-end-of-block",
    ),
    pytest.param("x = 1\n# @nni.variable(nni.choice(1, 2), name=x)\n", [(2, 3, NO_TARGET)], id="no-target-end-of-file"),
    pytest.param(
        '"""@nni.variable(nni.choice(1, 2), name=x)"""\n# @nni.variable(nni.choice(1, 2), name=y)\ny = 1\n',
        [(1, 4, NO_TARGET)],
        id="no-target-another-annotation-follows",
    ),
    pytest.param(
        "if a:\n    y = 0\n    # @nni.variable(nni.choice(1, 2), name=x)\n\nelse:\n    x = 1\n",
        [(3, 7, NO_TARGET)],
        id="no-target-block-ends",
    ),
    pytest.param(
        '"""@nni.variable(nni.choice(1, 2), name=lr)"""\nlearning_rate = 1\n',
        [(1, 41, "@nni.variable is named 'lr' but the next statement assigns 'learning_rate'")],
        id="wrong-target-name",
    ),
    pytest.param(
        '"""@nni.variable(nni.choice(1, 2), name=lr)"""\nlr += 1\n',
        [(2, 1, "the statement after @nni.variable must assign 'lr', such as lr = ...")],
        id="not-an-assignment",
    ),
    pytest.param(
        'def f():\n    # @nni.variable(nni.choice(1, 2), name=lr)\n    lr = lr2 = 1\n',
        [(3, 5, "the statement after @nni.variable must assign 'lr', such as lr = ...")],
        id="two-targets",
    ),
    pytest.param(
        '"""@nni.variable(nni.choice(1, 2), name=lr)"""\nlr: float\n',
        [(2, 1, "the statement after @nni.variable must assign 'lr', such as lr = ...")],
        id="annotation-without-value",
    ),
    pytest.param(
        '"""@nni.variable(nni.uniforn(0, 1), name=lr)"""\nlr = 1\n',
        [(1, 18, "unknown distribution 'nni.uniforn'; did you mean 'nni.uniform'?")],
        id="unknown-distribution-suggestion",
    ),
    pytest.param(
        '"""@nni.variable(nni.zzz(0, 1), name=lr)"""\nlr = 1\n',
        [(1, 18, ("unknown distribution 'nni.zzz'; distributions are choice, randint, uniform, quniform, "
          "loguniform, qloguniform, normal, qnormal, lognormal, qlognormal"))],
        id="unknown-distribution-listed",
    ),
    pytest.param(
        '"""@nni.variable(uniform(0, 1), name=lr)"""\nlr = 1\n',
        [(1, 18, "the value of @nni.variable must be a distribution such as nni.choice(...), not 'uniform(0, 1)'")],
        id="not-a-distribution",
    ),
    pytest.param(
        '"""@nni.variable(nni.randint(0, 2.5), name=n)"""\nn = 1\n',
        [(1, 33, "the bounds of nni.randint must be integers, not '2.5'")],
        id="randint-float",
    ),
    pytest.param(
        '"""@nni.variable(nni.randint(3, 3), name=n)"""\nn = 1\n',
        [(1, 33, "nni.randint needs lower < upper (upper is excluded), not [3, 3)")],
        id="randint-empty",
    ),
    pytest.param(
        '"""@nni.variable(nni.randint(0), name=n)"""\nn = 1\n',
        [(1, 30, "nni.randint needs lower < upper (upper is excluded), not [0, 0)")],
        id="randint-upper-only-empty",
    ),
    pytest.param(
        '"""@nni.variable(nni.uniform(1, -1), name=u)"""\nu = 1\n',
        [(1, 33, "nni.uniform needs low < high, not low=1, high=-1")],
        id="uniform-reversed",
    ),
    pytest.param(
        '"""@nni.variable(nni.quniform(0, 1, -0.5), name=u)"""\nu = 1\n',
        [(1, 37, "nni.quniform needs q > 0, not -0.5")],
        id="quniform-q",
    ),
    pytest.param(
        '"""@nni.variable(nni.loguniform(0, 1), name=u)"""\nu = 1\n',
        [(1, 33, "nni.loguniform needs 0 < low, not low=0")],
        id="loguniform-low",
    ),
    pytest.param(
        '"""@nni.variable(nni.lognormal(0, 0), name=u)"""\nu = 1\n',
        [(1, 35, "nni.lognormal needs sigma > 0, not 0")],
        id="lognormal-sigma",
    ),
    pytest.param(
        '"""@nni.variable(nni.qlognormal(0, 1), name=u)"""\nu = 1\n',
        [(1, 18, "nni.qlognormal takes (mu, sigma, q), not 2 argument(s)")],
        id="argument-count",
    ),
    pytest.param(
        '"""@nni.variable(nni.normal(mu, True), name=u)"""\nu = 1\n',
        [
            (1, 29, "the arguments of nni.normal must be number literals, not 'mu'"),
            (1, 33, "the arguments of nni.normal must be number literals, not 'True'"),
        ],
        id="not-number-literals",
    ),
    pytest.param(
        '"""@nni.variable(nni.uniform(0, 1e999), name=u)"""\nu = 1\n',
        [(1, 33, "the arguments of nni.uniform must be finite, not '1e999'")],
        id="infinite",
    ),
    pytest.param(
        '"""@nni.variable(nni.choice(), name=c)"""\nc = 1\n',
        [(1, 18, "nni.choice needs at least one option")],
        id="empty-choice",
    ),
    pytest.param(
        '"""@nni.variable(nni.choice(0.1, 1e-1, f( x ), f(x)), name=c)"""\nc = 1\n',
        [
            (1, 34, "duplicate option '0.1' (also at line 1, column 29)"),
            (1, 48, "duplicate option 'f(x)' (also at line 1, column 40)"),
        ],
        id="duplicate-option-labels",
    ),
    pytest.param(
        '"""@nni.variable(nni.choice(1, 2, k=3), name=c)"""\nc = 1\n',
        [(1, 35, "nni.choice takes no keyword arguments, not 'k=3'")],
        id="distribution-keyword",
    ),
    pytest.param(
        '"""@nni.variable(nni.choice(1, 2))"""\nc = 1\n',
        [(1, 9, "@nni.variable needs name=, the variable it assigns")],
        id="missing-name",
    ),
    pytest.param(
        '"""@nni.variable(nni.choice(1, 2), name=f(x))"""\nc = 1\n',
        [(1, 41, "name must be the variable the next statement assigns, such as name=learning_rate")],
        id="bad-variable-name",
    ),
    pytest.param(
        '"""@nni.variable(nni.choice(1, 2), nni.choice(3), name=c)"""\nc = 1\n',
        [(1, 36, "@nni.variable takes one distribution, such as nni.choice(...), and name= (2 given)")],
        id="two-distributions",
    ),
    pytest.param(
        '"""@nni.function_choice(f(x), g(x), name=op)"""\ny = h(x) + f(y)\n',
        [(1, 4, "@nni.function_choice: none of its calls (f(x), g(x)) occurs in the next statement; write one of them there, "
                "or put the annotation just before the statement that makes it")],
        id="function-choice-call-absent",
    ),
    pytest.param(
        '# @nni.function_choice(f, g, name=op)\ny = f(x)\n',
        [(1, 8, "@nni.function_choice has no call among its options: list the call the next statement makes (such as f(x)); "
                "the chosen option replaces it there")],
        id="function-choice-no-call",
    ),
    pytest.param(
        '# @nni.function_choice(f(x), g(x), name=op.x[0])\ny = f(x)\n',
        [(1, 41, "name must be an identifier such as name=pool (dots allowed)")],
        id="function-choice-bad-name",
    ),
    pytest.param(
        '# @nni.function_choice(name=op)\ny = f(x)\n',
        [(1, 8, "@nni.function_choice lists no options: list the call the next statement makes and its alternatives, "
                "such as (f(x), g(x), name=op)")],
        id="function-choice-empty",
    ),
    pytest.param(
        'def f():\n    """@nni.variable(nni.choice(1, 2), name=x)"""\n    x = 1\n    # @nni.variable(nni.uniform(0, 1), name=x)\n    x = 2\n',
        [(4, 7, "two annotations have the key 'model/f.x' (the other is at line 2); rename one of them")],
        id="duplicate-key-variables",
    ),
    pytest.param(
        '"""@nni.mutable_layer {layer_choice: [f], layer_output: out}"""\n"""@nni.variable(nni.choice(1, 2), name=out)"""\nout = 1\n',
        [(2, 4, "two annotations have the key 'model/out' (the other is at line 1); rename one of them")],
        id="duplicate-key-layer-and-variable",
    ),
    pytest.param(
        '# @nni.function_choice(f(x), g(x), name=op)\nfor i in r:\n    """@nni.variable(nni.choice(f(x), 1), name=y)"""\n    y = f(x)\n',
        [(3, 8, "this annotation replaces code that the annotation at line 1 replaces too")],
        id="overlapping-replacements",
    ),
    pytest.param(
        '"""@nni.get_next_parameter(timeout=3)"""\n',
        [(1, 28, "@nni.get_next_parameter takes no arguments")],
        id="get-next-parameter-arguments",
    ),
    pytest.param(
        '"""@nni.variable nni.choice(1)"""\nx = 1\n',
        [(1, 18, "expected '(' after @nni.variable")],
        id="not-a-call",
    ),
    pytest.param(
        'def f():\n    # @nni.variable(nni.uniform(1, 0), name=a)\n    a = 1\n    """@nni.function_choice(f(x), g(x), name=op)"""\n',
        [
            (2, 36, "nni.uniform needs low < high, not low=1, high=0"),
            (4, 8, "@nni.function_choice: annotation has no target statement (the next statement of its block)"),
        ],
        id="all-problems-together",
    ),
]


@pytest.mark.parametrize("source, expected", DIAGNOSTICS)
def test_diagnostics(tmp_path, source, expected):
    path = write(tmp_path, source)
    assert [(d.line, d.col, d.message) for d in check([str(path)])] == expected


def test_diagnostics_from_the_command_line(tmp_path):
    write(tmp_path, 'lr = 1\n"""@nni.variable(nni.choise(0.1, 0.01), name=lr)"""\nlr = 0.1\n')
    result = subprocess.run([NAS, "check", "model.py"], check=False, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout + result.stderr == (
        "model.py:2:18: error: unknown distribution 'nni.choise'; did you mean 'nni.choice'?\n"
        '    """@nni.variable(nni.choise(0.1, 0.01), name=lr)"""\n'
        "                     ^\n"
    )


def test_the_pre_scans_claim_hyperparameter_annotations():
    for text in ('"""@nni.variable(nni.choice(1), name=x)"""\nx = 1\n', "# @nni.function_choice(f(), name=g)\ny = f()\n",
                 '"""@nni.get_next_parameter()"""\n'):
        assert importhook.has_annotations(text.encode()) and locate.has_annotations(text)
    assert not importhook.has_annotations(b"x = 1  # see @nni.variable(...)\n")


# ----------------------------------------------------------------------------------------
# Choice documents
# ----------------------------------------------------------------------------------------

CHOICES = [
    # (distribution, value in the choice, the pasted code or the error)
    ("choice(0.1, 0.01, 0.001)", 0.001, "(0.001)"),
    ("choice(0.1, 0.01, 0.001)", 1, "(0.01)"),
    ("choice(1, 2, 3)", 1, "(1)"),
    ("choice(1, 2, 3)", 1.0, "(1)"),
    ("choice(1, 2, 3)", 0, "(1)"),
    ("choice(1, 2, 3)", 3, "(3)"),
    ("choice(1e-1, 'tanh', relu, f( x ))", "tanh", "('tanh')"),
    ("choice(1e-1, 'tanh', relu, f( x ))", "relu", "(relu)"),
    ("choice(1e-1, 'tanh', relu, f( x ))", 0.1, "(1e-1)"),
    ("choice(1e-1, 'tanh', relu, f( x ))", "f(x)", "(f( x ))"),
    ("choice(1e-1, 'tanh', relu, f( x ))", "f( x)", "(f( x ))"),
    ("choice(1e-1, 'tanh', relu, f( x ))", 2, "(relu)"),
    ("choice(-1, 0, 1)", "(-1)", "(-1)"),  # as NNI's search space spells it
    ("choice(-1, 0, 1)", "-1", "(-1)"),
    ("choice(1, 2)", 2.5, "expected one of 1, 2 (or an index 0..1), not 2.5"),
    ("choice(1, 2)", 5, "expected one of 1, 2 (or an index 0..1), not 5"),
    ("choice(1, 2)", True, "expected one of 1, 2 (or an index 0..1), not True"),
    ("choice(relu, tanh)", "__import__('os')", "expected one of 'relu', 'tanh' (or an index 0..1), not \"__import__('os')\""),
    ("randint(2, 6)", 5, "(5)"),
    ("randint(2, 6)", 6, "expected an integer in [2, 6), not 6"),
    ("randint(2, 6)", 3.0, "expected an integer in [2, 6), not 3.0"),
    ("randint(6)", 0, "(0)"),
    ("uniform(0, 1)", 1, "(1.0)"),
    ("uniform(0, 1)", 0.25, "(0.25)"),
    ("uniform(0, 1)", 1.5, "expected a number in [0, 1], not 1.5"),
    ("uniform(0, 1)", "0.5", "expected a number in [0, 1], not '0.5'"),
    ("uniform(0, 1)", float("nan"), "expected a number in [0, 1], not nan"),
    ("uniform(0, 1)", False, "expected a number in [0, 1], not False"),
    ("quniform(1, 10, 3)", 1, "(1.0)"),
    ("quniform(1, 10, 3)", 9, "(9.0)"),
    ("quniform(1, 10, 3)", 10, "expected a number in [1, 10] on the grid of q=3, not 10"),
    ("quniform(0, 10, 5)", 10, "(10.0)"),
    ("quniform(1, 10, 3)", 4, "expected a number in [1, 10] on the grid of q=3, not 4"),
    ("quniform(0, 1, 0.1)", 0.30000000000000004, "(0.30000000000000004)"),
    ("quniform(0, 1, 0.1)", 0.3, "(0.3)"),
    ("loguniform(0.001, 1)", 0.0001, "expected a number in [0.001, 1], not 0.0001"),
    ("qloguniform(1, 1000, 10)", 500, "(500.0)"),
    ("qloguniform(1, 1000, 10)", 505, "expected a number in [1, 1000] on the grid of q=10, not 505"),
    ("normal(0, 1)", -1e6, "(-1000000.0)"),
    ("normal(0, 1)", float("inf"), "expected a finite number, not inf"),
    ("qnormal(0, 1, 0.5)", -1.5, "(-1.5)"),
    ("qnormal(0, 1, 0.5)", 0.7, "expected a finite number on the grid of q=0.5, not 0.7"),
    ("lognormal(0, 1)", 2.5, "(2.5)"),
    ("qlognormal(0, 1, 2)", 4, "(4.0)"),
    ("qlognormal(0, 1, 2)", 3, "expected a number >= 0 on the grid of q=2, not 3"),
    ("qlognormal(0, 1, 2)", -2, "expected a number >= 0 on the grid of q=2, not -2"),
    ("lognormal(0, 1)", 0, "expected a positive number, not 0"),
    ("lognormal(0, 1)", -1.5, "expected a positive number, not -1.5"),
    ("uniform(0, 1)", {"value": 0.5}, "expected a number in [0, 1], not {'value': 0.5}"),
]


@pytest.mark.parametrize("dist, value, expected", CHOICES)
def test_choice_values(tmp_path, dist, value, expected):
    path = write(tmp_path, f'def f():\n    """@nni.variable(nni.{dist}, name=x)"""\n    x = None\n')
    document = json.dumps({"model/f.x": value})
    if expected.startswith("("):
        assert expand(str(path), document).decode().splitlines()[2] == f"    x = {expected}"
        return
    with pytest.raises(CompileError) as error:
        expand(str(path), document)
    assert [d.message for d in error.value.diagnostics] == [f"model/f.x: {expected}"]
    assert error.value.diagnostics[0].line == 1


def test_nni_keys_are_aliases(tmp_path):
    """NNI's spelling `<module>/<name>/<dist>` (what NNI's annotation search space and its
    tuners use) chooses when our key is absent; ours wins when both are given."""
    path = write(
        tmp_path,
        src('''
            class Net:
                def build(self, h):
                    """@nni.variable(nni.choice(0.1, 0.01), name=self.lr)"""
                    self.lr = 0.1
                    # @nni.function_choice(f(h), g(h), name=pool)
                    return f(h)
        '''),
    )
    nni_form = {"model/self.lr/choice": 0.01, "model/pool/function_choice": "g(h)"}
    lines = expand(str(path), json.dumps(nni_form)).decode().splitlines()
    assert lines[3:] == ["        self.lr = (0.01)", "        pass", "        return (g(h))"]
    both = {**nni_form, "model/Net.build.self.lr": 0.1, "model/Net.build.pool": 0}
    lines = expand(str(path), json.dumps(both)).decode().splitlines()
    assert lines[3:] == ["        self.lr = (0.1)", "        pass", "        return (f(h))"]


@pytest.mark.parametrize(
    "document, messages",
    [
        ({"model/out": {"layer": "g"}, "model/f.x": 1, "model/x": 1},
         ["'model/x' names no layer or hyperparameter of module 'model'; did you mean 'model/f.x'?"]),
        ({"model/out": {"layer": "g"}, "model/f.x": 1, "model/zzzzzzzzzzzz": 1},
         ["'model/zzzzzzzzzzzz' names no layer or hyperparameter of module 'model'; its keys are model/out, model/f.x"]),
        ({"model/out": {"layer": "g"}, "model/f.x": 1, "model/x/normal": 1},
         ["'model/x/normal' names no layer or hyperparameter of module 'model'; did you mean 'model/x/uniform'?"]),
        ({"model/out": {"layer": "g"}}, ["no choice for 'model/f.x' (a number in [0, 1])"]),
        ({"model/out": 1, "model/f.x": 0.5}, ['model/out: expected a mapping such as {"layer": ..., "inputs": [...]}, not 1']),
        ({"model/out": {"layer": "g"}, "model/f.x": {"layer": 0}}, ["model/f.x: expected a number in [0, 1], not {'layer': 0}"]),
        ({"model/out": {"layer": "g"}, "model/x/uniform": 2}, ["model/x/uniform: expected a number in [0, 1], not 2"]),
    ],
)
def test_document_errors(tmp_path, document, messages):
    path = write(
        tmp_path,
        '"""@nni.mutable_layer {layer_choice: [f, g], layer_output: out}"""\n'
        'def f():\n    # @nni.variable(nni.uniform(0, 1), name=x)\n    x = 0\n',
    )
    with pytest.raises(CompileError) as error:
        expand(str(path), json.dumps(document))
    assert [d.message for d in error.value.diagnostics] == messages


def test_decide_param_prefers_values_and_labels_over_indices():
    options = Param("m/x", "choice", (2, 0, "0", "1"))
    assert [decide_param(options, v) for v in (0, 2, "0", "1", 1, 3)] == [1, 0, 2, 3, 1, 3]
    assert decide_param(Param("m/f", "function_choice", ("f(x)", "g(x)")), "g( x )") == 1


# ----------------------------------------------------------------------------------------
# Golden search spaces
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, golden", [("json", "mixed.json"), ("nni", "mixed.nni.json")])
def test_golden_search_spaces(monkeypatch, fmt, golden):
    monkeypatch.chdir(FIXTURES)
    assert extract(["mixed.py"], fmt) == (FIXTURES / golden).read_text(encoding="utf-8")


def test_yaml_search_space_is_the_json_one(monkeypatch):
    import yaml

    monkeypatch.chdir(FIXTURES)
    assert yaml.safe_load(extract(["mixed.py"], "yaml")) == json.loads(extract(["mixed.py"]))


def test_nni_search_space_goes_through_nni_conventions():
    """Every hyperparameter entry is a `_type` NNI's tuners know, with its `_value` list."""
    space = json.loads((FIXTURES / "mixed.nni.json").read_text(encoding="utf-8"))
    kinds = {key: entry["_type"] for key, entry in space.items()}
    assert set(kinds.values()) == {"choice", "randint", "uniform", "quniform", "loguniform", "qloguniform", "normal",
                                   "qnormal", "lognormal", "qlognormal", "mutable_layer"}
    assert space["mixed/schedule.seed"]["_value"] == [0, 10]


# ----------------------------------------------------------------------------------------
# Run time
# ----------------------------------------------------------------------------------------


@pytest.fixture
def fresh_runtime(monkeypatch):
    monkeypatch.delenv(runtime.ENV, raising=False)
    monkeypatch.delenv("NNI_PLATFORM", raising=False)
    runtime.reset()
    yield
    runtime.reset()


def test_runtime_values_are_decided_once(fresh_runtime):
    runtime.set_choice({"m/lr": 0.5, "m/op": "g(x)", "m/n/randint": 3})
    assert runtime.value("m/lr", "uniform", (0, 1), "m/lr/uniform") == 0.5
    assert runtime.index("m/op", ("f(x)", "g(x)"), "m/op/function_choice") == 1
    assert runtime.value("m/n", "randint", (0, 5), "m/n/randint") == 3
    assert runtime.value("m/lr", "uniform", (0, 1)) == 0.5
    assert runtime.decisions() == {"m/lr": 0.5, "m/op": "g(x)", "m/n": 3}


def test_runtime_errors_name_the_key_and_what_is_allowed(fresh_runtime):
    runtime.set_choice({"m/lr": 2})
    with pytest.raises(runtime.ChoiceError, match=r"error: m/lr: expected a number in \[0, 1\], not 2 \(in the choice from set_choice\(\)\)"):
        runtime.value("m/lr", "uniform", (0, 1), "m/lr/uniform")
    with pytest.raises(runtime.ChoiceError, match=r"no choice for 'm/op'.*Allowed: one of 'f\(x\)', 'g\(x\)'"):
        runtime.index("m/op", ("f(x)", "g(x)"), "m/op/function_choice")


DISTS = [
    ("choice", (0.1, 0.01, "relu")),
    ("randint", (2, 6)),
    ("uniform", (-1, 1)),
    ("quniform", (1, 10, 3)),
    ("loguniform", (0.001, 1)),
    ("qloguniform", (1, 1000, 10)),
    ("normal", (5, 2)),
    ("qnormal", (5, 2, 0.5)),
    ("lognormal", (0, 1)),
    ("qlognormal", (0, 1, 0.5)),
]


@pytest.mark.parametrize("dist, args", DISTS)
def test_sampled_values_are_valid_choices(fresh_runtime, dist, args):
    """What `--sample first|random` draws passes the choice's own validation, so the printed
    choice can be given back."""
    param = Param("m/x", dist, args)
    runtime.set_choice(sample="first")
    first = runtime.value("m/x", dist, args)
    expected_first = {"choice": 0.1, "randint": 2, "uniform": -1, "quniform": 1, "loguniform": 0.001,
                      "qloguniform": 1, "normal": 5, "qnormal": 5, "lognormal": 1, "qlognormal": 1}[dist]
    assert first == expected_first
    for seed in range(30):
        runtime.set_choice(sample="random", seed=seed)
        drawn = runtime.value("m/x", dist, args)
        decided = runtime.decisions()["m/x"]
        made = decide_param(param, decided)
        assert not isinstance(made, str), made
        assert (args[made] if dist == "choice" else made) == drawn
        if dist in ("loguniform", "qloguniform", "lognormal"):
            assert drawn > 0
        if dist != "choice":
            assert math.isfinite(drawn)


def test_random_draws_spread_over_the_range(fresh_runtime):
    draws = []
    for seed in range(200):
        runtime.set_choice(sample="random", seed=seed)
        draws.append(runtime.value("m/x", "loguniform", (0.001, 1)))
    assert min(draws) < 0.01 and max(draws) > 0.1
    ints = set()
    for seed in range(100):
        runtime.set_choice(sample="random", seed=seed)
        ints.add(runtime.value("m/n", "randint", (2, 6)))
    assert ints == {2, 3, 4, 5}


def test_get_next_parameter_returns_the_choice(fresh_runtime, monkeypatch):
    assert runtime.get_next_parameter() == {}
    runtime.set_choice({"m/lr": 0.5})
    assert runtime.get_next_parameter() == {"m/lr": 0.5}
    runtime.reset()
    monkeypatch.setenv(runtime.ENV, '{"m/x": 1}')
    assert runtime.get_next_parameter() == {"m/x": 1}


def test_class_bodies_work_in_the_run_time_form(tmp_path, fresh_runtime):
    """The run-time chain uses no lambda or walrus: names of the class body resolve."""
    path = write(
        tmp_path,
        src('''
            class Config:
                small, large = 8, 64
                """@nni.variable(nni.choice(small, large), name=width)"""
                width = small
                # @nni.function_choice(max(small, 2), min(large, 2), name=op)
                value = max(small, 2)
        '''),
    )
    runtime.set_choice({"model/Config.width": "large", "model/Config.op": 1})
    namespace: dict = {}
    exec(compile(expand(str(path), None), str(path), "exec"), namespace)
    assert (namespace["Config"].width, namespace["Config"].value) == (64, 2)


# ----------------------------------------------------------------------------------------
# Execution in subprocesses
# ----------------------------------------------------------------------------------------


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAS_ANNOTATE_", "NNI_")) and k != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


@pytest.fixture
def project(tmp_path) -> Path:
    for name in ("train.py", "helpers.py"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def choice_for(lr=0.01, epochs=3, activation="cube", power=1, dropout=0.25, factor=3, nni_keys=False) -> dict:
    if nni_keys:
        return {"train/lr/choice": lr, "train/epochs/randint": epochs, "train/activation/choice": activation,
                "train/power/function_choice": power, "train/dropout/uniform": dropout, "helpers/factor/choice": factor}
    return {"train/main.lr": lr, "train/main.epochs": epochs, "train/main.activation": activation,
            "train/main.power": power, "train/main.dropout": dropout, "helpers/factor": factor}


RUNS = [
    (choice_for(), "lr=0.01 epochs=3 act=cube value=28 dropout=0.25 scale=6\n"),
    (choice_for(lr=0, epochs=1, activation=2, power="square(epochs)", dropout=0, factor=2),
     "lr=0.1 epochs=1 act=abs value=2 dropout=0.0 scale=4\n"),
    (choice_for(nni_keys=True, activation="square", dropout=0.75), "lr=0.01 epochs=3 act=square value=28 dropout=0.75 scale=6\n"),
]


@pytest.mark.parametrize("choice, expected", RUNS)
def test_run(project, choice, expected):
    result = subprocess.run([NAS, "run", "train.py", "--choice", json.dumps(choice)], check=False, cwd=project,
                            env=environment(), capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, expected, "")


@pytest.mark.parametrize("choice, expected", RUNS)
def test_chosen_form_runs_under_plain_python(project, choice, expected):
    """`expand --choice` of the script; its import (not expanded) keeps its written value."""
    target = project / "expanded.py"
    subprocess.run([NAS, "expand", "train.py", "--choice", json.dumps(choice), "-o", str(target)], check=True, cwd=project)
    assert b"nas_annotate" not in target.read_bytes()
    result = subprocess.run([sys.executable, "expanded.py"], check=False, cwd=project, env=environment(), capture_output=True, text=True)
    unexpanded_import = expected.rsplit("scale=", 1)[0] + "scale=2\n"
    assert (result.returncode, result.stdout, result.stderr) == (0, unexpanded_import, "")


def run_form(project: Path, form: str, choice: dict) -> subprocess.CompletedProcess:
    """The trial under `nas-annotate run`, or its `expand --choice` output under python."""
    if form == "run":
        command = [NAS, "run", "train.py", "--choice", json.dumps(choice)]
    else:
        expanded = ["expand", "train.py", "--choice", json.dumps(choice), "-o", str(project / "expanded.py")]
        subprocess.run([NAS, *expanded], check=True, cwd=project)
        command = [sys.executable, "expanded.py"]
    return subprocess.run(command, check=False, cwd=project, env=environment(), capture_output=True, text=True)


@pytest.mark.parametrize("form", ["run", "chosen"])
def test_tracebacks_name_the_source_lines(project, form):
    train = project / "train.py"
    failed = run_form(project, form, choice_for(power="fail(epochs)"))
    assert failed.returncode == 1 and "ZeroDivisionError" in failed.stderr
    assert f'line {line_of(train, "value = (square(epochs)")}, in main\n    value = (' in failed.stderr
    assert f'line {line_of(train, "return x / 0")}, in fail' in failed.stderr
    raised = run_form(project, form, choice_for(dropout=0.95))
    assert raised.returncode == 1
    assert f"ValueError: dropout 0.95 at line {line_of(train, 'raise ValueError')}" in raised.stderr
    assert f'line {line_of(train, "raise ValueError")}, in main' in raised.stderr


def test_sampled_choice_is_printed_and_reusable(project):
    result = subprocess.run([NAS, "run", "train.py", "--sample", "random", "--seed", "7"], check=False, cwd=project,
                            env=environment(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    printed = result.stderr.rsplit("nas-annotate: choice used: ", 1)[1]
    choice = json.loads(printed)
    assert set(choice) == set(choice_for())
    again = subprocess.run([NAS, "run", "train.py", "--choice", printed.strip()], check=False, cwd=project,
                           env=environment(), capture_output=True, text=True)
    assert (again.returncode, again.stdout) == (0, result.stdout)


def test_run_without_a_choice_is_a_usage_error(project):
    result = subprocess.run([NAS, "run", "train.py"], check=False, cwd=project, env=environment(), capture_output=True, text=True)
    assert result.returncode == 2 and "no choice was given" in result.stderr


def test_a_bad_value_at_run_time_names_the_file_line_and_key(project):
    result = subprocess.run([NAS, "run", "train.py", "--choice", json.dumps(choice_for(epochs=9))], check=False, cwd=project,
                            env=environment(), capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == (
        f"{project / 'train.py'}:{line_of(project / 'train.py', 'epochs = 0')}: error: train/main.epochs: "
        "expected an integer in [1, 4), not 9 (in the choice from <choice>)\n"
    )

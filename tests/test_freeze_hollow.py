"""freeze/hollow.py, table-driven: which statements libcst is spared (`...` on the same lines),
and when freeze must parse the whole text because pruning may run."""

from __future__ import annotations

import textwrap

import pytest

from nas_annotate.freeze.bindings import prunable_names
from nas_annotate.freeze.hollow import hollowed, pruning_may_run
from nas_annotate.pipeline import analyse
from nas_annotate.source import Source

LAYER = '"""@nni.mutable_layer {layer_choice: [a, b], layer_output: out}"""'


def _(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n").replace("LAYER", LAYER)


def analysis_of(text: str):  # type: ignore[no-untyped-def]
    analysed = analyse(Source("m.py", text), "m")
    assert analysed.diagnostics == []
    return analysed


CASES = [
    (
        "simple statements, one line or several, keep their lines and comments",
        _('''
            x = compute(1)  # a comment
            y = [1,
                 2]
            LAYER
        '''),
        _('''
            ...  # a comment
            (
            )
            LAYER
        '''),
    ),
    (
        "compound headers, strings, imports and docstrings stay; their blocks are hollowed",
        _('''
            """The module."""
            import os
            def f(x=os.sep):
                """Its docstring."""
                y = x
                LAYER
                return out
        '''),
        _('''
            """The module."""
            import os
            def f(x=os.sep):
                """Its docstring."""
                ...
                LAYER
                ...
        '''),
    ),
    (
        "lines of several statements and one-line suites stay (libcst prints those)",
        _('''
            a = 1; b = 2
            if a: c = 3
            for i in []:
                pass
            else: d = 4
            LAYER
        '''),
        _('''
            a = 1; b = 2
            if a: c = 3
            for i in []:
                ...
            else: d = 4
            LAYER
        '''),
    ),
    (
        "a statement holding a hyperparameter's value stays",
        _('''
            """@nni.variable(nni.choice(1, 2), name=width)"""
            width = 1
            depth = 3
        '''),
        _('''
            """@nni.variable(nni.choice(1, 2), name=width)"""
            width = 1
            ...
        '''),
    ),
    (
        "Windows line endings stay on every hollowed line",
        "x = (1,\r\n     2)  # c\r\n" + LAYER + "\r\n",
        "(\r\n)  # c\r\n" + LAYER + "\r\n",
    ),
]


@pytest.mark.parametrize("name, source, expected", CASES, ids=[case[0] for case in CASES])
def test_hollowed(name, source, expected):
    assert hollowed(analysis_of(source)) == expected


def test_nothing_to_hollow_is_none():
    assert hollowed(analysis_of(_("import os\nLAYER\n"))) is None


@pytest.mark.parametrize(
    "source, may",
    [
        (_("LAYER\n"), False),  # a, b are defined nowhere
        (_("def a(x):\n    return x\nLAYER\n"), True),  # a lost candidate names a function
        (_("import b\nLAYER\n"), True),  # ... or an import
        (_("a = 1\na = 2\nLAYER\n"), False),  # bound twice at module level: never pruned
        (_("def f():\n    def a(x):\n        return x\n    LAYER\n    return out\n"), True),  # a nested definition
    ],
)
def test_pruning_may_run(source, may):
    analysis = analysis_of(source)
    assert pruning_may_run(analysis, prunable_names(analysis.tree)) is may

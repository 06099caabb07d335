"""Diagnostics, table-driven (SPEC §2, §3, §7, §9).

Table A: a bad annotation gives exactly these (line, col, message) diagnostics from
`nas_annotate.api.check`.  Table B: a bad choice for a valid annotated file gives exactly
these diagnostics from `nas_annotate.api.expand`, each naming the key and what was allowed.
A few rows of each table also go through the `nas-annotate` command in a subprocess.

Rows marked `xfail(strict=True, reason="BUG: ...")` state the behaviour we want and the
compiler does not have yet; when one starts passing, pytest fails, so remove the mark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nas_annotate.api import check, expand
from nas_annotate.diagnostics import CompileError


def src(text: str) -> str:
    """A test source: dedented, without the leading newline of the triple-quoted literal."""
    return textwrap.dedent(text).lstrip("\n")


def bug(reason: str):
    return pytest.mark.xfail(strict=True, reason=f"BUG: {reason}")


def python_syntax_error(text: str, mode: str = "exec") -> tuple[int, int, str]:
    """(line, column, message) of the SyntaxError Python itself raises for `text`.

    Messages and offsets of Python's parser differ between Python versions, so the rows
    that relay them compute the expectation from the running interpreter.
    """
    try:
        compile(text, "<test>", mode)
    except SyntaxError as exc:
        return exc.lineno or 0, exc.offset or 0, exc.msg
    raise AssertionError(f"{text!r} is valid Python")


def field_syntax_error(line: int, value_col: int, value: str, field: str) -> tuple[int, int, str]:
    """The diagnostic for a one-line field value that is not a Python expression."""
    _, offset, msg = python_syntax_error(value, "eval")
    offset = min(max(offset, 1), len(value))  # Python gives 0 for "at the end"; the caret stays on the value
    return line, value_col + offset - 1, f"invalid expression in field '{field}': {msg}"


def file_syntax_error(text: str) -> tuple[int, int, str]:
    line, col, msg = python_syntax_error(text)
    return line, col, f"invalid Python syntax: {msg}"


def triples(diagnostics) -> list[tuple[int, int, str]]:
    return [(d.line, d.col, d.message) for d in diagnostics]


NNI_FIELDS = "layer_choice, fixed_inputs, input_candidates, input_num, input_aggregate, post_process, layer_output, name"
NOT_A_CALL = "candidate '{}' is neither a call nor a reference to a function"
BAD_OUTPUT = "layer_output must be a name, or an attribute such as self.out"
BAD_NAME = "name must be an identifier such as stem_conv (dots allowed)"
BAD_INPUT_NUM = "input_num must be an int k or a range [lo, hi], not '{}'"

# ----------------------------------------------------------------------------------------
# Table A: bad annotations
# ----------------------------------------------------------------------------------------


def one_layer(*fields: str, form: str = "string") -> str:
    """A module holding one seed-form annotation: line 1 is the marker, line 2 the `{`,
    the fields from line 3 on (4 spaces in), then the `}`."""
    body = "".join(f"    {f}\n" for f in fields)
    if form == "string":
        return f'"""@nni.mutable_layer\n{{\n{body}}}"""\n'
    lines = ["@nni.mutable_layer", "{", *(f"    {f}" for f in fields), "}"]
    return "".join(f"# {line}\n" if line else "#\n" for line in lines)


def input_num_layer(value: str) -> str:
    """input_num on line 5, its value at column 16; two input candidates."""
    return one_layer("layer_choice: [conv],", "input_candidates: [a, b],", f"input_num: {value},", "layer_output: out")


ESCAPED_STRING = (
    '"""@nni.mutable_layer\n'
    "{\n"
    "    layer_choice: [conv(sep='\\\\t'), 3],\n"  # the file holds conv(sep='\\t'): an escape
    "    layer_output: out\n"
    '}"""\n'
)

PY_SYNTAX_DEF = one_layer("layer_choice: [conv],", "layer_output: out") + "def f(:\n    pass\n"
PY_SYNTAX_PAREN = one_layer("layer_choice: [conv],", "layer_output: out") + "x = (1,\ny = 2\n"
PY_SYNTAX_INDENT = one_layer("layer_choice: [conv],", "layer_output: out") + "if x:\ny = 2\n"

TWO_LAYERS_ONE_KEY = src(
    '''
    """@nni.mutable_layer
    {
        layer_choice: [conv],
        layer_output: layer_out
    }"""
    y = layer_out
    """@nni.mutable_layer
    {
        layer_choice: [pool],
        layer_output: layer_out
    }"""
    '''
)

ANNOTATION_ROWS = [
    # --- fields: unknown, duplicated, missing -------------------------------------------
    pytest.param(
        one_layer("layer_choice: [conv],", "layer_ouptut: out"),
        [(4, 5, "unknown field 'layer_ouptut'; did you mean 'layer_output'?")],
        id="unknown-field-did-you-mean",
    ),
    pytest.param(
        one_layer("layer_choice: [conv],", "layer_output: out,", "zzz: 1"),
        [(5, 5, f"unknown field 'zzz'; fields are {NNI_FIELDS}")],
        id="unknown-field-lists-fields",
    ),
    pytest.param(
        src(
            '''
            """@nni.mutable_layers(
                {layer_choice: [conv], optional_input: [a], optional_input_size: 1, layer_output: out}
            )"""
            '''
        ),
        [(2, 28, "unknown field 'optional_input'; did you mean 'optional_inputs'?")],
        id="unknown-field-nni-alias-did-you-mean",
),
    pytest.param(
        one_layer("layer_choice: [conv],", "layer_choice: [pool],", "layer_output: out"),
        [(4, 5, "duplicated field 'layer_choice': already given on line 3")],
        id="duplicated-field",
    ),
    pytest.param(
        one_layer("layer_choice: [conv],", "input_candidates: [a],", "optional_inputs: [b],", "input_num: 1,", "layer_output: out"),
        [(5, 5, "duplicated field 'optional_inputs': already given (as 'input_candidates') on line 4")],
        id="duplicated-field-via-alias-seed-form",
    ),
    pytest.param(
        src(
            '''
            """@nni.mutable_layers(
                {layer_choice: [conv], optional_inputs: [a], input_candidates: [b], optional_input_size: 1, layer_output: out}
            )"""
            '''
        ),
        [(2, 50, "duplicated field 'input_candidates': already given (as 'optional_inputs') on line 2")],
        id="duplicated-field-via-alias-nni-form",
    ),
    pytest.param(
        one_layer("layer_choice: [conv],", "optional_input_size: 1,", "input_candidates: [a],", "input_num: 1,", "layer_output: out"),
        [(6, 5, "duplicated field 'input_num': already given (as 'optional_input_size') on line 4")],
        id="duplicated-field-input-num-alias",
    ),
    pytest.param(
        one_layer("layer_output: out"),
        [(2, 1, "missing field 'layer_choice'")],
        id="missing-layer-choice",
    ),
    pytest.param(
        one_layer("layer_choice: [conv]"),
        [(2, 1, "missing field 'layer_output'")],
        id="missing-layer-output",
    ),
    pytest.param(
        '"""@nni.mutable_layer\n{}"""\n',
        [(2, 1, "missing field 'layer_choice'"), (2, 1, "missing field 'layer_output'")],
        id="empty-block-misses-both",
    ),
    pytest.param(
        src(
            '''
            """@nni.mutable_layer
            {
                layer_choice: [conv],
                layer_output: out
            }{
                layer_choice: [pool]
            }"""
            '''
        ),
        [(5, 2, "missing field 'layer_output'")],
        id="missing-field-in-second-block",
    ),
    pytest.param(
        one_layer("layer_choice: ,", "layer_output: out"),
        [(3, 19, "field 'layer_choice' has no value")],
        id="field-without-value",
    ),
    pytest.param(
        one_layer("layer_choice [conv],", "layer_output: out"),
        [(3, 18, "expected ':' after the field name 'layer_choice'")],
        id="field-without-colon",
    ),
    # --- layer_choice and its candidates -------------------------------------------------
    pytest.param(
        one_layer("layer_choice: [],", "layer_output: out"),
        [(3, 19, "layer_choice is empty: list at least one candidate")],
        id="empty-layer-choice",
    ),
    pytest.param(
        one_layer("layer_choice: conv,", "layer_output: out"),
        [(3, 19, "layer_choice must be a list, such as [a, b]")],
        id="layer-choice-not-a-list",
    ),
    pytest.param(
        one_layer("layer_choice: [conv, 3],", "layer_output: out"),
        [(3, 26, NOT_A_CALL.format("3"))],
        id="candidate-int",
    ),
    pytest.param(
        one_layer("layer_choice: [conv, a + b],", "layer_output: out"),
        [(3, 26, NOT_A_CALL.format("a + b"))],
        id="candidate-binop",
    ),
    pytest.param(
        one_layer("layer_choice: [x[0], conv],", "layer_output: out"),
        [(3, 20, NOT_A_CALL.format("x[0]"))],
        id="candidate-subscript",
    ),
    pytest.param(
        one_layer("layer_choice: [conv, 'pool'],", "layer_output: out"),
        [(3, 26, NOT_A_CALL.format("'pool'").replace("''pool''", "\"'pool'\""))],
        id="candidate-string",
),
    pytest.param(
        one_layer("layer_choice: [f()(ch=1)],", "layer_output: out"),
        [(3, 20, "the function of candidate 'f()(ch=1)' must be a name or a dotted name")],
        id="candidate-call-of-call",
    ),
    pytest.param(
        one_layer("layer_choice: [ops[0](ch=1)],", "layer_output: out"),
        [(3, 20, "the function of candidate 'ops[0](ch=1)' must be a name or a dotted name")],
        id="candidate-call-of-subscript",
    ),
    pytest.param(
        one_layer("layer_choice: [conv, 3, a + b, x[0], f()()],", "layer_output: out"),
        [
            (3, 26, NOT_A_CALL.format("3")),
            (3, 29, NOT_A_CALL.format("a + b")),
            (3, 36, NOT_A_CALL.format("x[0]")),
            (3, 42, "the function of candidate 'f()()' must be a name or a dotted name"),
        ],
        id="every-bad-candidate-reported",
    ),
    pytest.param(
        one_layer("layer_choice: [conv(ch = 128), conv(ch=128), pool],", "layer_output: out"),
        [(3, 36, "duplicate candidate 'conv(ch=128)' (also at line 3, column 20)")],
        id="duplicate-candidate-different-spacing",
    ),
    pytest.param(
        one_layer("layer_choice: [pool, conv,", "               pool],", "layer_output: out"),
        [(4, 20, "duplicate candidate 'pool' (also at line 3, column 20)")],
        id="duplicate-candidate-across-lines",
    ),
    pytest.param(
        one_layer("layer_choice: [conv],", "input_candidates: [a, b, a],", "input_num: 1,", "layer_output: out"),
        [(4, 30, "duplicate input candidate 'a' (also at line 4, column 24)")],
        id="duplicate-input-candidate",
    ),
    pytest.param(
        one_layer("layer_choice: [conv],", "input_candidates: [x[ 0 ], x[0]],", "input_num: 1,", "layer_output: out"),
        [(4, 32, "duplicate input candidate 'x[0]' (also at line 4, column 24)")],
        id="duplicate-input-candidate-different-spacing",
    ),
    pytest.param(
        one_layer("layer_choice: [conv],", "fixed_inputs: [a, a],", "layer_output: out"),
        [(4, 23, "duplicate fixed input 'a' (also at line 4, column 20)")],
        id="duplicate-fixed-input",
    ),
    pytest.param(
        one_layer("layer_choice: [conv],", "input_aggregate: 3,", "post_process: f()(),", "layer_output: out"),
        [
            (4, 22, "input_aggregate '3' is neither a call nor a reference to a function"),
            (5, 19, "the function of post_process 'f()()' must be a name or a dotted name"),
        ],
        id="bad-input-aggregate-and-post-process",
    ),
    # --- input_num ----------------------------------------------------------------------
    *(
        pytest.param(input_num_layer(value), [(5, 16, BAD_INPUT_NUM.format(value))], id=f"input-num-{name}")
        for name, value in [
            ("float", "1.5"),
            ("bool", "True"),
            ("one-element-list", "[1]"),
            ("three-element-list", "[1, 2, 3]"),
            ("range-of-floats", "[1, 2.0]"),
            ("name", "k"),
        ]
    ),
    pytest.param(
        input_num_layer("'a'"),
        [(5, 16, "input_num must be an int k or a range [lo, hi], not \"'a'\"")],
        id="input-num-string",
),
    pytest.param(
        input_num_layer("[2, 1]"),
        [(5, 16, "input_num [2, 1] is an empty range: lo must not exceed hi")],
        id="input-num-reversed-range",
    ),
    pytest.param(input_num_layer("-1"), [(5, 16, "input_num cannot be negative: '-1'")], id="input-num-negative"),
    pytest.param(
        input_num_layer("[-1, 1]"), [(5, 16, "input_num cannot be negative: '[-1, 1]'")], id="input-num-negative-range"
    ),
    pytest.param(
        input_num_layer("3"),
        [(5, 16, "input_num '3' asks for more inputs than the 2 input candidate(s)")],
        id="input-num-more-than-candidates",
    ),
    pytest.param(
        input_num_layer("[0, 5]"),
        [(5, 16, "input_num '[0, 5]' asks for more inputs than the 2 input candidate(s)")],
        id="input-num-range-more-than-candidates",
    ),
    pytest.param(
        one_layer("layer_choice: [conv],", "input_num: 1,", "layer_output: out"),
        [(4, 16, "input_num is given but there are no input_candidates to choose from")],
        id="input-num-without-candidates",
    ),
    pytest.param(
        one_layer("layer_choice: [conv],", "input_candidates: [a],", "layer_output: out"),
        [(4, 23, "input_num is required when there are input_candidates: an int k or a range [lo, hi]")],
        id="candidates-without-input-num",
    ),
    pytest.param(
        input_num_layer("1 +"),
        [field_syntax_error(5, 16, "1 +", "input_num")],
        id="input-num-syntax-error",
),
    pytest.param(
        one_layer("layer_choice: [conv],", "input_candidates: a,", "input_num: 1,", "layer_output: out"),
        [(4, 23, "input_candidates must be a list, such as [a, b]")],
        id="input-candidates-not-a-list",
),
    # --- layer_output and name ----------------------------------------------------------
    *(
        pytest.param(
            one_layer("layer_choice: [conv],", f"layer_output: {value}"), [(4, 19, BAD_OUTPUT)], id=f"layer-output-{name}"
        )
        for name, value in [("binop", "a + b"), ("call", "f()"), ("subscript", "x[0]"), ("string", "'out'"), ("int", "3")]
    ),
    *(
        pytest.param(
            one_layer("layer_choice: [conv],", "layer_output: out,", f"name: {value}"), [(5, 11, BAD_NAME)], id=f"name-{name}"
        )
        for name, value in [("int", "3"), ("string-with-space", "'a b'"), ("call", "f()"), ("empty-string", "''"), ("digit-first", "'1x'")]
    ),
    pytest.param(
        TWO_LAYERS_ONE_KEY,
        [(8, 1, "two layers have the key 'm/layer_out' (the other is at line 2); give one of them a 'name:' field")],
        id="two-layers-one-key",
),
    # --- brackets, strings and Python syntax inside an annotation -----------------------
    pytest.param(
        '"""@nni.mutable_layer\n{\n    layer_choice: [conv],\n    layer_output: out\n"""\n',
        [(2, 1, "unbalanced braces: '{' is never closed")],
        id="unbalanced-brace-string-form",
    ),
    pytest.param(
        "# @nni.mutable_layer\n# {\n#     layer_choice: [conv],\n#     layer_output: out\nx = 1\n",
        [(2, 3, "unbalanced braces: '{' is never closed")],
        id="unbalanced-brace-comment-form",
    ),
    pytest.param(
        src(
            '''
            """@nni.mutable_layer
            {
                layer_choice: [conv],
                layer_output: out
            }{
                layer_choice: [conv],
                layer_output: out2
            """
            '''
        ),
        [(5, 2, "unbalanced braces: '{' is never closed")],
        id="unbalanced-brace-second-block",
    ),
    pytest.param(
        one_layer("layer_choice: [conv(ch=1], pool],", "layer_output: out"),
        [(3, 29, "']' does not match '('")],
        id="mismatched-brackets",
    ),
    pytest.param(
        one_layer("layer_choice: [conv],", "layer_output: out)"),
        [(4, 22, "unmatched ')'")],
        id="unmatched-closing-paren",
    ),
    pytest.param(
        one_layer("layer_choice: [conv(ch=1), pool,", "layer_output: out"),
        [(3, 19, "unbalanced brackets: '[' is never closed")],
        id="unclosed-bracket-before-closing-brace",
),
    pytest.param(
        one_layer("layer_choice: [conv(s='abc), pool],", "layer_output: out"),
        [(3, 27, "unterminated string")],
        id="unterminated-string",
    ),
    pytest.param(
        one_layer("layer_choice: [conv(ch=), pool],", "layer_output: out"),
        [field_syntax_error(3, 19, "[conv(ch=), pool]", "layer_choice")],
        id="python-syntax-error-in-value",
    ),
    pytest.param(
        one_layer("layer_choice: [conv pool],", "layer_output: out"),
        [field_syntax_error(3, 19, "[conv pool]", "layer_choice")],
        id="python-syntax-error-missing-comma",
    ),
    # --- the annotation's frame ---------------------------------------------------------
    pytest.param(
        one_layer("layer_choice: [conv],", "layer_output: out").replace('}"""', '} trailing"""'),
        [(5, 3, "unexpected text after the annotation")],
        id="text-after-annotation",
    ),
    pytest.param(
        '"""@nni.mutable_layers(\n    {layer_choice: [conv], layer_output: out}\n) trailing"""\n',
        [(3, 3, "unexpected text after the annotation")],
        id="text-after-annotation-nni-form",
    ),
    pytest.param(
        '"""@nni.mutable_layer\n    layer_choice: [conv], layer_output: out\n"""\n',
        [(2, 5, "expected '{' after @nni.mutable_layer")],
        id="seed-form-missing-brace",
    ),
    pytest.param(
        '"""@nni.mutable_layers\n    {layer_choice: [conv], layer_output: out}\n"""\n',
        [(2, 5, "expected '(' after @nni.mutable_layers")],
        id="nni-form-missing-open-paren",
    ),
    pytest.param(
        '"""@nni.mutable_layers(\n    {layer_choice: [conv], layer_output: out}\n"""\n',
        [(1, 23, "unbalanced parentheses: '(' is never closed")],
        id="nni-form-missing-close-paren",
    ),
    pytest.param(
        "# @nni.mutable_layers(\n#     {layer_choice: [conv], layer_output: out}\nx = 1\n",
        [(1, 22, "unbalanced parentheses: '(' is never closed")],
        id="nni-form-missing-close-paren-comment",
    ),
    pytest.param(
        '"""@nni.mutable_layers(\n    {layer_choice: [conv], layer_output: out} x\n)"""\n',
        [(2, 47, "expected '{' or ')' in @nni.mutable_layers(...)")],
        id="nni-form-junk-between-blocks",
    ),
    # --- the file around the annotation -------------------------------------------------
    pytest.param(PY_SYNTAX_DEF, [file_syntax_error(PY_SYNTAX_DEF)], id="python-syntax-error-in-file"),
    pytest.param(PY_SYNTAX_PAREN, [file_syntax_error(PY_SYNTAX_PAREN)], id="python-syntax-error-unclosed-paren"),
    pytest.param(PY_SYNTAX_INDENT, [file_syntax_error(PY_SYNTAX_INDENT)], id="python-syntax-error-indentation"),
    pytest.param(
        "x = foo(\n    # @nni.mutable_layer\n    # {layer_choice: [conv], layer_output: out}\n    1)\n",
        [(2, 5, "an annotation must stand where a statement may stand, not inside an expression")],
        id="comment-annotation-inside-call",
    ),
    pytest.param(
        "x = [\n# @nni.mutable_layer\n# {layer_choice: [conv], layer_output: out}\n]\n",
        [(2, 1, "an annotation must stand where a statement may stand, not inside an expression")],
        id="comment-annotation-inside-list",
    ),
    pytest.param(
        src(
            """
            for i in range(3):
                a = 1
            # @nni.mutable_layer
            # {layer_choice: [conv], layer_output: out}
                b = 2
            """
        ),
        [(3, 1, "this annotation is indented less than the statement after it (column 5)")],
        id="comment-annotation-col0-inside-loop-body",
    ),
    pytest.param(
        src(
            """
            for i in range(3):
            # @nni.mutable_layer
            # {layer_choice: [conv], layer_output: out}
                b = 2
            """
        ),
        [(2, 1, "this annotation must be indented like the block it opens (column 5)")],
        id="comment-annotation-not-indented-after-header",
    ),
    pytest.param(
        "x = 1\n    # @nni.mutable_layer\n    # {layer_choice: [conv], layer_output: out}\ny = 2\n",
        [(2, 5, "this annotation is not indented like any enclosing block")],
        id="comment-annotation-over-indented",
    ),
    pytest.param(
        src(
            """
            def f():
                if x:
                    a = 1
                  # @nni.mutable_layer
                  # {layer_choice: [conv], layer_output: out}
                b = 2
            """
        ),
        [(4, 7, "this annotation is not indented like any enclosing block")],
        id="comment-annotation-between-indents",
    ),
    # --- positions are exact whatever the form and the characters -----------------------
    pytest.param(
        one_layer("layer_choice: [conv(name='héllo'), 3],", "layer_output: out"),
        [(3, 40, NOT_A_CALL.format("3"))],
        id="position-after-non-ascii",
    ),
    pytest.param(
        one_layer("layer_choice: [conv,", "               3],", "layer_output: out"),
        [(4, 20, NOT_A_CALL.format("3"))],
        id="position-in-multiline-value",
    ),
    pytest.param(
        "def f():\n" + textwrap.indent(one_layer("layer_choice: [conv, 3],", "layer_output: out", form="comment"), "    ") + "    return out\n",
        [(4, 32, NOT_A_CALL.format("3"))],
        id="position-in-comment-form",
    ),
    pytest.param(
        one_layer("layer_choice: [conv, 3],", "layer_output: out").replace("\n", "\r\n"),
        [(3, 26, NOT_A_CALL.format("3"))],
        id="position-with-crlf",
    ),
    pytest.param(
        'def f():\n\t"""@nni.mutable_layer\n\t{\n\t\tlayer_choice: [3],\n\t\tlayer_output: out\n\t}"""\n',
        [(4, 18, NOT_A_CALL.format("3"))],
        id="position-with-tabs",
    ),
    pytest.param(
        ESCAPED_STRING,
        [(3, 37, NOT_A_CALL.format("3"))],
        id="position-in-string-with-escape",
),
]


@pytest.mark.parametrize("source, expected", ANNOTATION_ROWS)
def test_bad_annotation(tmp_path: Path, source: str, expected: list[tuple[int, int, str]]) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(source.encode("utf-8"))
    diagnostics = check([str(path)])
    assert triples(diagnostics) == expected
    assert all(d.path == str(path) for d in diagnostics)


def test_duplicate_key_hint_names_the_name_field(tmp_path: Path) -> None:
    """The message for two layers with one key says how to fix it (the row above pins the exact list)."""
    path = tmp_path / "m.py"
    path.write_text(TWO_LAYERS_ONE_KEY)
    expected = (8, 1, "two layers have the key 'm/layer_out' (the other is at line 2); give one of them a 'name:' field")
    assert expected in triples(check([str(path)]))


def test_duplicate_key_in_function_scope(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(textwrap.indent(TWO_LAYERS_ONE_KEY, "    ").join(["def build():\n", "    return layer_out\n"]))
    expected = (9, 5, "two layers have the key 'm/build.layer_out' (the other is at line 3); give one of them a 'name:' field")
    assert expected in triples(check([str(path)]))


def test_name_field_resolves_duplicate_key(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(TWO_LAYERS_ONE_KEY.replace("layer_output: layer_out\n}\"\"\"\n", "layer_output: layer_out,\n    name: second\n}\"\"\"\n", 1))
    assert check([str(path)]) == []


# --- all problems of a file at once ---------------------------------------------------------

MANY_PROBLEMS = src(
    '''
    import os
    """@nni.mutable_layer
    {
        layer_choice: [conv, 3],
        fixed_inputs: [a, a],
        layer_output: out
    }"""


    def f():
        """@nni.mutable_layer
        {
            layer_choice: [],
            layer_ouptut: out
        }"""
        # @nni.mutable_layer
        # {
        #     layer_choice: [conv(ch = 1), conv(ch=1)],
        #     input_candidates: [out],
        #     input_num: [2, 1],
        #     layer_output: x[0]
        # }


    """@nni.mutable_layers(
        {layer_choice: [conv], layer_output: out2, nme: n}
    )"""
    '''
)

MANY_EXPECTED = [
    (4, 26, NOT_A_CALL.format("3")),
    (5, 23, "duplicate fixed input 'a' (also at line 5, column 20)"),
    (13, 23, "layer_choice is empty: list at least one candidate"),
    (14, 9, "unknown field 'layer_ouptut'; did you mean 'layer_output'?"),
    (18, 40, "duplicate candidate 'conv(ch=1)' (also at line 18, column 26)"),
    (20, 22, "input_num [2, 1] is an empty range: lo must not exceed hi"),
    (21, 25, BAD_OUTPUT),
    (26, 48, "unknown field 'nme'; did you mean 'name'?"),
]


def test_all_problems_of_a_file_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(MANY_PROBLEMS)
    assert sorted(triples(check([str(path)]))) == MANY_EXPECTED


def test_check_returns_diagnostics_sorted_by_position(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(
        one_layer("layer_choice: [conv, 3],", "input_candidates: [a, b +],", "input_num: 0,", "layer_output: out")
    )
    diagnostics = triples(check([str(path)]))
    assert len(diagnostics) == 2
    assert diagnostics == sorted(diagnostics)


# --- the CLI: FILE:LINE:COL: error: message, source line, caret, exit 1 -------------------

_SCRIPT = Path(sys.executable).with_name("nas-annotate")
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "nas_annotate"]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NAS_ANNOTATE_DEBUG"}
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def rendered(name: str, source: str, expected: list[tuple[int, int, str]]) -> str:
    lines = source.splitlines()
    return "".join(
        f"{name}:{line}:{col}: error: {message}\n    {lines[line - 1]}\n    {' ' * (col - 1)}^\n"
        for line, col, message in sorted(expected)
    )


CLI_CHECK_ROWS = [
    pytest.param(
        one_layer("layer_choice: [conv],", "layer_ouptut: out"),
        [(4, 5, "unknown field 'layer_ouptut'; did you mean 'layer_output'?")],
        id="unknown-field",
    ),
    pytest.param(PY_SYNTAX_DEF, [file_syntax_error(PY_SYNTAX_DEF)], id="python-syntax-error"),
    pytest.param(
        "x = foo(\n    # @nni.mutable_layer\n    # {layer_choice: [conv], layer_output: out}\n    1)\n",
        [(2, 5, "an annotation must stand where a statement may stand, not inside an expression")],
        id="comment-inside-expression",
    ),
    pytest.param(MANY_PROBLEMS, MANY_EXPECTED, id="many-problems-sorted"),
]


def test_cli_check_prints_diagnostics_with_caret(tmp_path: Path) -> None:
    """Several rows in one `nas-annotate check` run (a subprocess costs more than a row)."""
    expected_stderr = ""
    for i, row in enumerate(CLI_CHECK_ROWS):
        source, expected = row.values
        name = f"bad{i}.py"
        (tmp_path / name).write_text(source)
        expected_stderr += rendered(name, source, expected)
    result = cli("check", *(f"bad{i}.py" for i in range(len(CLI_CHECK_ROWS))), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == expected_stderr
    assert "Traceback" not in result.stderr


# ----------------------------------------------------------------------------------------
# Table B: bad choices for a valid annotated file
# ----------------------------------------------------------------------------------------

MODEL = src(
    '''
    out3 = 1
    """@nni.mutable_layer
    {
        layer_choice: [conv(ch=128), conv(ch=256), pool],
        input_candidates: [out3],
        input_num: 1,
        layer_output: layer_out
    }"""


    def build(a, b, c):
        """@nni.mutable_layer
        {
            layer_choice: [concat, add(scale=2)],
            input_candidates: [a, b, c],
            input_num: [1, 2],
            layer_output: merged
        }{
            layer_choice: [relu, tanh],
            fixed_inputs: [merged],
            layer_output: act
        }"""
        return act
    '''
)

L, M, A = "model/layer_out", "model/build.merged", "model/build.act"
GOOD = {L: {"layer": "pool", "inputs": ["out3"]}, M: {"layer": 0, "inputs": ["a"]}, A: {"layer": "relu"}}
DROP = object()

LAYERS_L = "'conv(ch=128)', 'conv(ch=256)', 'pool'"
INPUTS_M = "'a', 'b', 'c'"


def choice(*changes: tuple[str, object]) -> str:
    """The good choice as JSON, one key per line (the key of line n is at column 3), with `changes`
    applied: a key of GOOD keeps its line; a new key is appended; DROP removes one."""
    entries = dict(GOOD)
    for key, value in changes:
        if value is DROP:
            del entries[key]
        else:
            entries[key] = value
    return "{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in entries.items()) + "\n}\n"


def json_error(text: str) -> tuple[int, int, str]:
    try:
        json.loads(text)
    except ValueError as exc:
        return exc.lineno, exc.colno, f"invalid choice document: {exc.msg}"  # type: ignore[attr-defined]
    raise AssertionError("valid JSON")


FLAT = "_mutable_layer/model/layer_out/layer/"


def flat_choice(**fields: object) -> str:
    """The good choice with model/layer_out given in NNI's flat form, on lines 2..4 in field order."""
    flat = {"layer_choice": "pool", "optional_input_size": 1, "optional_input_chosen_state": 0}
    flat.update(fields)
    lines = [f"  {json.dumps(FLAT + k)}: {json.dumps(v)}" for k, v in flat.items() if v is not DROP]
    lines += [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in GOOD.items() if k != L]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def nested(layer: object = "pool", inputs: object = ("out3",), **extra: object) -> dict:
    entry = {"chosen_layer": layer, "chosen_inputs": list(inputs) if isinstance(inputs, tuple) else inputs}
    entry.update(extra)
    return {"layer": entry}


YAML_GOOD_REST = "model/build.merged: {layer: 1, inputs: [c, a]}\nmodel/build.act: {layer: tanh}\n"

CHOICE_ROWS = [
    pytest.param(choice(), "json", [], id="good-choice"),
    # --- the layer ----------------------------------------------------------------------
    pytest.param(
        choice((L, {"layer": "conv(ch=512)", "inputs": ["out3"]})),
        "json",
        [(2, 3, f"{L}: layer 'conv(ch=512)' names none of {LAYERS_L} (or an index 0..2)")],
        id="label-names-no-candidate",
    ),
    pytest.param(
        choice((L, {"layer": "__import__('os').system('touch pwned')", "inputs": ["out3"]})),
        "json",
        [(2, 3, f"{L}: layer \"__import__('os').system('touch pwned')\" names none of {LAYERS_L} (or an index 0..2)")],
        id="code-is-just-an-unknown-label",
    ),
    pytest.param(choice((L, {"layer": "conv(ch = 256)", "inputs": ["out3"]})), "json", [], id="non-canonical-spelling-matches"),
    pytest.param(choice((M, {"layer": "add( scale=2 )", "inputs": ["c", "a"]})), "json", [], id="non-canonical-spelling-matches-2"),
    *(
        pytest.param(
            choice((L, {"layer": value, "inputs": ["out3"]})),
            "json",
            [(2, 3, f"{L}: layer index {shown} is out of range 0..2")],
            id=f"index-out-of-range-{name}",
        )
        for name, value, shown in [("3", 3, "3"), ("huge", 10**30, str(10**30)), ("negative", -1, "-1")]
    ),
    *(
        pytest.param(
            choice((L, {"layer": value, "inputs": ["out3"]})),
            "json",
            [(2, 3, f"{L}: layer must be a label or an index, not {shown}")],
            id=f"layer-is-a-{name}",
        )
        for name, value, shown in [("bool", True, "True"), ("float", 1.0, "1.0"), ("list", ["pool"], "['pool']")]
    ),
    pytest.param(
        choice((L, {"inputs": ["out3"]})),
        "json",
        [(2, 3, f"{L}: no 'layer' given; allowed: {LAYERS_L}")],
        id="layer-missing",
    ),
    # --- the inputs ---------------------------------------------------------------------
    pytest.param(
        choice((L, {"layer": "pool", "inputs": "out3"})),
        "json",
        [(2, 3, f"{L}: inputs must be a list of labels or indices, not 'out3'")],
        id="inputs-not-a-list",
    ),
    pytest.param(
        choice((L, {"layer": "pool", "inputs": ["out4"]})),
        "json",
        [(2, 3, f"{L}: input 'out4' names none of 'out3' (or an index 0..0)")],
        id="input-label-names-no-candidate",
    ),
    pytest.param(
        choice((L, {"layer": "pool", "inputs": [1]})),
        "json",
        [(2, 3, f"{L}: input index 1 is out of range 0..0")],
        id="input-index-out-of-range",
    ),
    pytest.param(
        choice((M, {"layer": "concat", "inputs": ["a", "a"]})),
        "json",
        [(3, 3, f"{M}: input 'a' is chosen twice")],
        id="input-repeated",
    ),
    pytest.param(
        choice((M, {"layer": "concat", "inputs": ["b", 1]})),
        "json",
        [(3, 3, f"{M}: input 'b' is chosen twice")],
        id="input-repeated-label-and-index",
    ),
    pytest.param(
        choice((M, {"layer": "concat", "inputs": ["a", "b", "c"]})),
        "json",
        [(3, 3, f"{M}: 3 input(s) chosen; input_num allows 1 to 2 of {INPUTS_M}")],
        id="too-many-inputs",
    ),
    pytest.param(
        choice((M, {"layer": "concat", "inputs": []})),
        "json",
        [(3, 3, f"{M}: 0 input(s) chosen; input_num allows 1 to 2 of {INPUTS_M}")],
        id="too-few-inputs",
    ),
    pytest.param(
        choice((L, {"layer": "pool"})),
        "json",
        [(2, 3, f"{L}: 0 input(s) chosen; input_num allows 1 of 'out3'")],
        id="inputs-absent-means-none",
    ),
    pytest.param(
        choice((A, {"layer": "relu", "inputs": ["merged"]})),
        "json",
        [(4, 3, f"{A}: there are no input candidates to choose")],
        id="inputs-for-a-layer-without-candidates",
    ),
    # --- the keys -----------------------------------------------------------------------
    pytest.param(
        choice((M, DROP)),
        "json",
        [(0, 0, f"no choice for '{M}' (layer: one of 'concat', 'add(scale=2)'; inputs: 1 to 2 of {INPUTS_M})")],
        id="missing-key",
    ),
    pytest.param(
        choice((A, DROP)),
        "json",
        [(0, 0, f"no choice for '{A}' (layer: one of 'relu', 'tanh')")],
        id="missing-key-no-inputs",
    ),
    pytest.param(
        choice(("model/build.merge", {"layer": "concat"})),
        "json",
        [(5, 3, f"'model/build.merge' names no layer of module 'model'; did you mean '{M}'?")],
        id="module-key-naming-no-layer-did-you-mean",
    ),
    pytest.param(
        choice(("model/zzzzzz", {"layer": "concat"})),
        "json",
        [(5, 3, f"'model/zzzzzz' names no layer of module 'model'; its layers are {L}, {M}, {A}")],
        id="module-key-naming-no-layer-lists-layers",
    ),
    pytest.param(
        choice((L, {"layer": "pool", "inputs": ["out3"], "input": ["out3"]})),
        "json",
        [(2, 3, f"{L}: unknown field(s) input; a choice has 'layer' and 'inputs'")],
        id="unknown-field-in-entry",
    ),
    pytest.param(
        choice(("other/layer_out", {"layer": 99}), ("pkg.model/layer_out", "junk"), ("modelx/foo", 1), ("model", 3)),
        "json",
        [],
        id="keys-of-other-modules-ignored",
    ),
    pytest.param(
        choice((L, "pool")),
        "json",
        [(2, 3, f'{L}: expected a mapping such as {{"layer": ..., "inputs": [...]}}, not \'pool\'')],
        id="entry-not-a-mapping",
),
    pytest.param(
        choice(
            (L, {"layer": 5, "inputs": ["out3"]}),
            (M, {"layer": "concat", "inputs": ["a", "a"]}),
            (A, {"layer": "gelu"}),
        ),
        "json",
        [
            (2, 3, f"{L}: layer index 5 is out of range 0..2"),
            (3, 3, f"{M}: input 'a' is chosen twice"),
            (4, 3, f"{A}: layer 'gelu' names none of 'relu', 'tanh' (or an index 0..1)"),
        ],
        id="every-problem-reported",
    ),
    pytest.param(
        '{\n  "model/layer_out": {"layer": 0, "inputs": ["out3"]},\n  "model/layer_out": {"layer": 1, "inputs": ["out3"]},\n'
        '  "model/build.merged": {"layer": 0, "inputs": ["a"]},\n  "model/build.act": {"layer": "relu"}\n}\n',
        "json",
        [(3, 3, f"'{L}' is chosen twice")],
        id="key-given-twice",
),
    pytest.param(
        "pkg.model/layer_out: {layer: 0}\nmodel/layer_out: {layer: 9, inputs: [out3]}\n" + YAML_GOOD_REST,
        "yaml",
        [(2, 1, f"{L}: layer index 9 is out of range 0..2")],
        id="position-of-key-that-ends-another-key",
),
    # --- the document -------------------------------------------------------------------
    pytest.param(
        '{\n  "model/layer_out": {"layer": "pool",, "inputs": []}\n}\n',
        "json",
        [json_error('{\n  "model/layer_out": {"layer": "pool",, "inputs": []}\n}\n')],
        id="invalid-json",
    ),
    pytest.param(
        '{\n  "model/layer_out": {"layer": "pool"}\n',
        "json",
        [json_error('{\n  "model/layer_out": {"layer": "pool"}\n')],
        id="invalid-json-unclosed",
    ),
    pytest.param(
        "model/layer_out:\n  layer: [pool\n  inputs: [out3]\n",
        "yaml",
        [(3, 9, "invalid choice document: expected ',' or ']', but got ':'")],
        id="invalid-yaml",
    ),
    pytest.param(
        "model/layer_out: pool\n  inputs: [out3]\n",
        "yaml",
        [(2, 9, "invalid choice document: mapping values are not allowed here")],
        id="invalid-yaml-indentation",
    ),
    pytest.param("[1, 2]\n", "json", [(1, 1, "a choice document must map layer keys to choices")], id="document-is-a-list"),
    pytest.param("- model/layer_out\n- pool\n", "yaml", [(1, 1, "a choice document must map layer keys to choices")], id="yaml-document-is-a-list"),
    pytest.param("3\n", "json", [(1, 1, "a choice document must map layer keys to choices")], id="document-is-a-number"),
    pytest.param("1: pool\n", "yaml", [(1, 1, "a choice document must map layer keys to choices")], id="document-key-not-a-string"),
    pytest.param(
        'model/layer_out: {layer: "conv(ch = 256)", inputs: [out3]}\n' + YAML_GOOD_REST, "yaml", [], id="yaml-good"
    ),
    pytest.param(
        "model/layer_out: {layer: conv(ch=512), inputs: [out3]}\n" + YAML_GOOD_REST,
        "yaml",
        [(1, 1, f"{L}: layer 'conv(ch=512)' names none of {LAYERS_L} (or an index 0..2)")],
        id="yaml-label-names-no-candidate",
    ),
    # --- NNI's nested form --------------------------------------------------------------
    pytest.param(choice((L, nested())), "json", [], id="nni-nested-good"),
    pytest.param(
        choice((L, nested("pool2"))),
        "json",
        [(2, 3, f"{L}: layer 'pool2' names none of {LAYERS_L} (or an index 0..2)")],
        id="nni-nested-bad-layer",
    ),
    pytest.param(
        choice((L, nested(7))), "json", [(2, 3, f"{L}: layer index 7 is out of range 0..2")], id="nni-nested-index-out-of-range"
    ),
    pytest.param(
        choice((L, nested("pool", ("out4",)))),
        "json",
        [(2, 3, f"{L}: input 'out4' names none of 'out3' (or an index 0..0)")],
        id="nni-nested-bad-input",
    ),
    pytest.param(
        choice((M, nested("concat", ("a", "b", "c")))),
        "json",
        [(3, 3, f"{M}: 3 input(s) chosen; input_num allows 1 to 2 of {INPUTS_M}")],
        id="nni-nested-too-many-inputs",
    ),
    pytest.param(
        choice((M, nested("concat", ("c", "c")))),
        "json",
        [(3, 3, f"{M}: input 'c' is chosen twice")],
        id="nni-nested-input-repeated",
    ),
    pytest.param(
        choice((L, nested("pool", ("out3",), extra=1))),
        "json",
        [(2, 3, f"{L}: unknown field(s) extra; a choice has 'layer' and 'inputs'")],
        id="nni-nested-unknown-field",
    ),
    # --- NNI's flat form ----------------------------------------------------------------
    pytest.param(flat_choice(), "json", [], id="nni-flat-good"),
    pytest.param(
        flat_choice(layer_choice="pool2"),
        "json",
        [(2, 3, f"{L}: layer 'pool2' names none of {LAYERS_L} (or an index 0..2)")],
        id="nni-flat-bad-layer",
    ),
    pytest.param(
        flat_choice(optional_input_size=2),
        "json",
        [(2, 3, f"{L}: optional_input_size 2 or optional_input_chosen_state 0 is out of range")],
        id="nni-flat-size-out-of-range",
    ),
    pytest.param(
        flat_choice(optional_input_chosen_state=-1),
        "json",
        [(2, 3, f"{L}: optional_input_size 1 or optional_input_chosen_state -1 is out of range")],
        id="nni-flat-negative-state",
    ),
    pytest.param(
        flat_choice(optional_input_size="x"),
        "json",
        [(2, 3, f"{L}: optional_input_size and optional_input_chosen_state must be integers, not 'x', 0")],
        id="nni-flat-size-not-an-int",
    ),
    pytest.param(
        flat_choice(optional_input_size=DROP, optional_input_chosen_state=DROP),
        "json",
        [(2, 3, f"{L}: the flat form lacks optional_input_size, optional_input_chosen_state")],
        id="nni-flat-missing-fields",
    ),
    pytest.param(
        flat_choice(foo=1),
        "json",
        [(5, 3, f"'{FLAT}foo': the flat form has only layer_choice, optional_input_size, optional_input_chosen_state")],
        id="nni-flat-unknown-field",
    ),
    pytest.param(
        flat_choice().replace("{\n", '{\n  "_mutable_layer/model/nope/layer/layer_choice": "pool",\n', 1),
        "json",
        [(2, 3, f"'model/nope' names no layer of module 'model'; its layers are {L}, {M}, {A}")],
        id="nni-flat-unknown-block",
    ),
    pytest.param(
        flat_choice().replace("{\n", '{\n  "_mutable_layer/other/x/layer/layer_choice": 99,\n', 1),
        "json",
        [],
        id="nni-flat-other-module-ignored",
    ),
    pytest.param(
        choice((L, {"layer": 0, "inputs": ["out3"]})).replace(
            "\n}\n", f',\n  "{FLAT}layer_choice": "pool",\n  "{FLAT}optional_input_size": 1,\n  "{FLAT}optional_input_chosen_state": 0\n}}\n'
        ),
        "json",
        [(5, 3, f"'{L}' is chosen twice, in two forms")],
        id="ours-then-flat-form",
),
    pytest.param(
        flat_choice().replace("\n}\n", f',\n  "{L}": {{"layer": 0, "inputs": ["out3"]}}\n}}\n'),
        "json",
        [(7, 3, f"'{L}' is chosen twice, in two forms")],
        id="flat-then-ours-form",
),
]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("project") / "model.py"
    path.write_text(MODEL)
    assert check([str(path)]) == []
    return path


@pytest.mark.parametrize("document, suffix, expected", CHOICE_ROWS)
def test_bad_choice(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document: str, suffix: str, expected: list[tuple[int, int, str]]
) -> None:
    monkeypatch.chdir(tmp_path)  # anything a choice managed to run would land here
    choice_path = tmp_path / f"choice.{suffix}"
    choice_path.write_text(document)
    if not expected:
        assert b"@nni" not in expand(str(model), str(choice_path))
        return
    with pytest.raises(CompileError) as info:
        expand(str(model), str(choice_path))
    assert triples(info.value.diagnostics) == expected
    assert all(d.path == str(choice_path) for d in info.value.diagnostics)
    assert os.listdir(tmp_path) == [choice_path.name]


def test_choice_code_is_never_evaluated(model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Strings that would do something if evaluated are only compared with labels."""
    monkeypatch.chdir(tmp_path)
    sentinel = tmp_path / "pwned"
    payloads = [
        f"__import__('os').system('touch {sentinel}')",
        f"open({str(sentinel)!r}, 'w')",
        f"conv(ch=open({str(sentinel)!r}, 'w'))",
    ]
    for payload in payloads:
        document = choice((L, {"layer": payload, "inputs": [payload]}), (M, {"layer": 0, "inputs": [payload]}))
        with pytest.raises(CompileError) as info:
            expand(str(model), document)
        assert len(info.value.diagnostics) == 2
        assert not sentinel.exists()


def test_inline_json_choice_error_has_position(model: Path) -> None:
    text = '{"model/layer_out": {"layer": 7, "inputs": ["out3"]}}'
    with pytest.raises(CompileError) as info:
        expand(str(model), text)
    assert [(d.path, d.line, d.col, d.message) for d in info.value.diagnostics] == [
        ("<choice>", 0, 0, f"no choice for '{M}' (layer: one of 'concat', 'add(scale=2)'; inputs: 1 to 2 of {INPUTS_M})"),
        ("<choice>", 0, 0, f"no choice for '{A}' (layer: one of 'relu', 'tanh')"),
        ("<choice>", 1, 2, f"{L}: layer index 7 is out of range 0..2"),
    ]


# --- the CLI: expand with a bad choice ------------------------------------------------------


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "bad.json").write_text(choice((L, {"layer": 7, "inputs": ["out3"]}), (M, {"layer": "concat", "inputs": ["a", "a"]})))
    return tmp_path


BAD_JSON_STDERR = (
    f"bad.json:2:3: error: {L}: layer index 7 is out of range 0..2\n"
    f'      "{L}": {{"layer": 7, "inputs": ["out3"]}},\n'
    "      ^\n"
    f"bad.json:3:3: error: {M}: input 'a' is chosen twice\n"
    f'      "{M}": {{"layer": "concat", "inputs": ["a", "a"]}},\n'
    "      ^\n"
)


def test_cli_expand_bad_choice(project: Path) -> None:
    result = cli("expand", "model.py", "--choice", "bad.json", cwd=project)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == BAD_JSON_STDERR
    assert "Traceback" not in result.stderr


def test_cli_expand_bad_choice_writes_no_output(project: Path) -> None:
    result = cli("expand", "model.py", "--choice", "bad.json", "-o", "out.py", cwd=project)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == BAD_JSON_STDERR
    assert sorted(os.listdir(project)) == ["bad.json", "model.py"]


def test_cli_expand_bad_choice_leaves_existing_output_alone(project: Path) -> None:
    (project / "out.py").write_text("previous\n")
    (project / "bad.yaml").write_text("model/layer_out:\n  layer: [pool\n  inputs: [out3]\n")
    result = cli("expand", "model.py", "--choice", "bad.yaml", "-o", "out.py", cwd=project)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "bad.yaml:3:9: error: invalid choice document: expected ',' or ']', but got ':'\n"
        "      inputs: [out3]\n"
        "            ^\n"
    )
    assert (project / "out.py").read_text() == "previous\n"
    assert sorted(os.listdir(project)) == ["bad.json", "bad.yaml", "model.py", "out.py"]

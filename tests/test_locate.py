"""Comment annotations in the headers of compound statements: inside an expression is an
error; between a header and its block, or between clauses, it is a statement position."""

from __future__ import annotations

import textwrap

import pytest

from nas_annotate.api import check, expand

LAYER = "# @nni.mutable_layer {layer_choice: [f], fixed_inputs: [x], layer_output: y}"
INSIDE = "an annotation must stand where a statement may stand, not inside an expression"


def write(tmp_path, text: str):
    path = tmp_path / "m.py"
    path.write_text(textwrap.dedent(text).replace("ANNOTATION", LAYER))
    return path


@pytest.mark.parametrize(
    "text, line",
    [
        ("try:\n    x = 1\nexcept (ValueError,\n        ANNOTATION\n        KeyError):\n    pass\n", 4),
        ("@decorate(\n    ANNOTATION\n)\ndef g():\n    pass\n", 2),
        ("class C(\n    ANNOTATION\n    object):\n    pass\n", 2),
        ("match x:\n    case (1 |\n          ANNOTATION\n          2):\n        pass\n", 3),
        ("def g(a,\n      ANNOTATION\n      b):\n    pass\n", 2),
        ("x = [\n    ANNOTATION\n]\n", 2),
    ],
    ids=["except-header", "decorator", "class-bases", "case-pattern", "def-parameters", "list-display"],
)
def test_inside_an_expression_is_an_error(tmp_path, text, line):
    path = write(tmp_path, text)
    [diagnostic] = check([str(path)])
    assert (diagnostic.line, diagnostic.message) == (line, INSIDE)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_inside_an_expression_whatever_the_line_endings(tmp_path, newline):
    """The tokenizer gets the lines Python sees (a lone CR ends one too); Python 3.12's tokenizer
    also fails on a lone CR followed by non-ASCII text, as `é` here."""
    path = tmp_path / "m.py"
    path.write_bytes(f"y = f(\n    {LAYER}\né)\n".replace("\n", newline).encode())
    [diagnostic] = check([str(path)])
    assert (diagnostic.line, diagnostic.message) == (2, INSIDE)


@pytest.mark.parametrize(
    "text",
    [
        "x = 1\ntry:\n    pass\nexcept (ValueError,\n        KeyError):\n    ANNOTATION\n    pass\n",
        "x = 1\nmatch x:\n    case (1 |\n          2):\n        ANNOTATION\n        pass\n    case _:\n        pass\n",
        "x = 1\ntry:\n    pass\nexcept KeyError:\n    pass\nANNOTATION\n",
        "x = 1\nif x:\n    pass\nelse:\n    ANNOTATION\n    pass\n",
    ],
    ids=["after-except-header", "in-case-block", "after-handler", "else-block"],
)
def test_clause_blocks_are_statement_positions(tmp_path, text):
    path = write(tmp_path, text)
    assert check([str(path)]) == []
    output = expand(str(path), '{"m/y": {"layer": "f"}}')
    compile(output, str(path), "exec")
    assert b"y = f([[x], []])" in output


def test_case_clause_at_the_wrong_indentation_is_an_error(tmp_path):
    path = write(tmp_path, "x = 1\nmatch x:\n    case 1:\n        pass\n  ANNOTATION\n    case 2:\n        pass\n")
    [diagnostic] = check([str(path)])
    assert diagnostic.line == 5 and "indented" in diagnostic.message


@pytest.mark.parametrize(
    "text",
    [
        "x = 1; z = 2\nANNOTATION\n",
        "x = (1,\n     2); z = 3\nANNOTATION\nprint(y)\n",
        "def g(x):\n    a = 1; b = 2\n    ANNOTATION\n    return y\n",
        "def g(x):\n    if x: a = 1; b = 2\n    ANNOTATION\n    return y\n",
        "def g(x):\n    for i in x:\n        pass\n        ANNOTATION\n        print(y)\n    else: z = 1\n",
    ],
    ids=["module", "continued-line", "function", "after-a-one-line-suite", "before-a-one-line-else"],
)
def test_after_a_line_of_several_statements(tmp_path, text):
    """The block's column is that of its line's first statement, not of the last one's; a
    one-line clause after the annotation is no statement indented more than it."""
    path = write(tmp_path, text)
    assert check([str(path)]) == []
    key = "m/y" if text.startswith("x") else "m/g.y"
    expanded = expand(str(path), f'{{"{key}": {{"layer": 0}}}}').decode()
    compile(expanded, str(path), "exec")
    assert "y = f([[x], []])" in expanded

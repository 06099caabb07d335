"""The parser's fast paths for names, dotted names, ints and lists of them must agree with
`ast.parse`, positions included (and, for generated lists, in test_fuzz.py)."""

from __future__ import annotations

import ast

import pytest

from nas_annotate.parse import _atom, _atom_list

SIMPLE = ["a", "b1", "_", "self.x", "x.y.z", "tf.nn.relu", "0", "7", "10", "True", "None", "False"]
NOT_SIMPLE = ["a.True", "if", "x.if", "lambda", "01", "-3", "1.5", "a b", "ä", "None.x", "'s'", "f()", "[a]", ""]


@pytest.mark.parametrize("text", SIMPLE)
def test_simple_values_match_the_parser(text):
    quick, reference = _atom(text), ast.parse(text, mode="eval").body
    assert quick is not None and ast.dump(quick) == ast.dump(reference)
    assert all(getattr(q, "col_offset", 0) == getattr(r, "col_offset", 0) for q, r in zip(ast.walk(quick), ast.walk(reference)))


@pytest.mark.parametrize("text", NOT_SIMPLE)
def test_other_values_go_to_the_parser(text):
    assert _atom(text) is None


LISTS = ["[]", "[ ]", "[a]", "[a, b, c]", "[ a ,b.c.d,  3 ]", "[a,]", "[a, b, ]", "[\ta]", "[None, True, x.y]", "[0]"]
NOT_LISTS = ["[a,,b]", "[,]", "[ , a]", "[a, ,]", "[lambda]", "[a b]", "[-1]", "[01]", "[a.if]", "[None.x]", "[a .b]",
             "[a,\rb]", "[a,\nb]", "[\x0ca]", "[f()]", "[[a]]", "[é]", "[a] ", "(a, b)"]
POSITIONED = (ast.Name, ast.Attribute, ast.Constant, ast.List)


def positions(node: ast.AST) -> list[tuple[int, int]]:
    return [(n.lineno, n.col_offset) for n in ast.walk(node) if isinstance(n, POSITIONED)]


@pytest.mark.parametrize("text", LISTS)
def test_lists_of_simple_values_match_the_parser(text):
    quick, reference = _atom_list(text), ast.parse(text, mode="eval").body
    assert quick is not None and ast.dump(quick) == ast.dump(reference)
    assert positions(quick) == positions(reference)


@pytest.mark.parametrize("text", NOT_LISTS)
def test_other_lists_go_to_the_parser(text):
    assert _atom_list(text) is None

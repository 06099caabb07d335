"""The parser's fast path for names, dotted names and ints must agree with `ast.parse`."""

from __future__ import annotations

import ast

import pytest

from nas_annotate.parse import _atom

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

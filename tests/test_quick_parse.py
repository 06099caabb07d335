"""The parser's fast path for simple values must agree with `ast.parse`, positions included."""

from __future__ import annotations

import ast
import random

from nas_annotate.parse import _quick

ATOMS = ["a", "b1", "self.x", "x.y.z", "0", "7", "-3", "-0", "10", "True", "None", "False", "_"]
NOT_ATOMS = ["a.True", "if", "01", "x.if", "lambda", "a b", "1.5", "'s'", "f()", "ä"]


def _same(quick: ast.AST, reference: ast.AST) -> bool:
    if ast.dump(quick) != ast.dump(reference):
        return False
    pairs = zip(ast.walk(quick), ast.walk(reference))
    return all(getattr(q, "col_offset", None) == r.col_offset for q, r in pairs if hasattr(r, "col_offset"))


def test_fast_path_agrees_with_the_parser():
    rng = random.Random(7)
    taken = 0
    for _ in range(5000):
        if rng.random() < 0.3:
            text = rng.choice(ATOMS + NOT_ATOMS)
        else:
            pool = ATOMS if rng.random() < 0.8 else ATOMS + NOT_ATOMS
            separator = rng.choice([",", " ,", ", ", "  ,  "])
            items = separator.join(rng.choice(pool) for _ in range(rng.randint(0, 4)))
            text = "[" + rng.choice(["", " "]) + items + rng.choice(["", ",", " ", ", "]) + "]"
        quick = _quick(text)
        try:
            reference = ast.parse(text, mode="eval").body
        except SyntaxError:
            reference = None
        if quick is not None:
            taken += 1
            assert reference is not None and _same(quick, reference), text
    assert taken > 2500

"""Annotations at every statement position (SPEC §1, §5, §8): keys, expansion, line numbers.

The generic tests run over every fixture in tests/fixtures/ (the seed figures too) and over
a CRLF copy of each: for several choices derived from the file's own layers, the expansion
has as many lines as the source, and every line outside an annotation is byte-identical on
the same line number.  The fixture directory holds no __init__.py, so a fixture's module
name (the first part of its keys) is its file stem.
"""

from __future__ import annotations

import glob
import json
import os
import shutil

import pytest

from nas_annotate.api import analyse_file, check, expand, extract
from nas_annotate.diagnostics import CompileError

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def fixture(name: str) -> str:
    return os.path.join(FIXTURES, name)


def _clean(name: str) -> bool:
    try:
        return check([fixture(name)]) == []
    except Exception:
        return False


ALL_FIXTURES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(FIXTURES, "*.py")))
# This file's own fixtures (other test files may keep fixtures, even erroneous ones, beside them).
OWN = [name for name in ALL_FIXTURES if name.startswith(("seed_", "positions_"))]
# The generic tests run over every fixture that checks clean, whoever wrote it.
CLEAN = [name for name in ALL_FIXTURES if _clean(name)]
ANNOTATED = [name for name in CLEAN if analyse_file(fixture(name)).annotations]
UNANNOTATED = [name for name in CLEAN if not analyse_file(fixture(name)).annotations]
OWN_UNANNOTATED = ["positions_plain.py", "positions_marker_strings.py"]
# Self-contained fixtures: they define their own stand-ins and can be run as they are expanded.
RUNNABLE = ["positions_adjacent.py", "positions_comments.py", "positions_edge.py", "positions_strings.py", "positions_tabs.py"]


def read(path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def lines_of(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def ending(line: bytes) -> bytes:
    return line[len(line.rstrip(b"\r\n")) :]


def choices_for(path: str) -> list[dict]:
    """Choices that exercise every layer: first/last/middle candidate, fewest/most/some inputs."""
    layers = analyse_file(path).layers
    out = []
    for variant in range(3):
        doc = {}
        for layer in layers:
            n, (lo, hi) = len(layer.choice_labels), layer.input_num
            count = len(layer.input_labels)
            if variant == 0:
                doc[layer.key] = {"layer": 0, "inputs": list(range(lo))}
            elif variant == 1:
                doc[layer.key] = {"layer": n - 1, "inputs": list(reversed(range(count)))[:hi]}
            else:
                k = (lo + hi + 1) // 2
                doc[layer.key] = {"layer": layer.choice_labels[n // 2], "inputs": [layer.input_labels[count - 1 - j] for j in range(k)]}
        out.append(doc)
    return out


def annotation_lines(path: str) -> set[int]:
    lines: set[int] = set()
    for annotation in analyse_file(path).annotations:
        lines.update(range(annotation.region.line, annotation.region.end_line + 1))
    return lines


def assert_lines_preserved(path: str, expanded: bytes) -> None:
    """SPEC §8: same line count; lines outside annotations byte-identical; endings kept."""
    source = lines_of(read(path))
    output = lines_of(expanded)
    assert len(output) == len(source), f"{path}: {len(source)} lines became {len(output)}"
    inside = annotation_lines(path)
    for number, (before, after) in enumerate(zip(source, output), start=1):
        if number not in inside:
            assert after == before, f"{path}:{number} changed: {before!r} -> {after!r}"
        assert ending(after) == ending(before), f"{path}:{number} line ending changed"
    for number in inside:
        assert b"@nni." not in output[number - 1], f"{path}:{number} still holds an annotation"


def to_crlf(path: str, directory) -> str:
    copy = os.path.join(str(directory), os.path.basename(path))
    data = read(path).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with open(copy, "wb") as handle:
        handle.write(data)
    return copy


def keys(path: str) -> list[str]:
    return list(json.loads(extract([path])))


def run(path: str, choice: dict) -> dict:
    code = expand(path, json.dumps(choice))
    ns = {"__name__": "positions_fixture"}
    exec(compile(code, path, "exec"), ns)
    return ns


# ---------------------------------------------------------------------------------------------
# Keys at every position (SPEC §5)

STRING_KEYS = [
    "top",
    "raw_single",
    "sq",
    "dq",
    "upper_r",
    "released",
    "func.f_out",
    "outer.inner.i_out",
    "coroutine.co_out",
    "Net.width",
    "Net.build.m_out",
    "Only.only_w",
    "factory.Inner.inner_w",
    "control.for_out",
    "control.for_else",
    "control.while_out",
    "control.if_out",
    "control.elif_out",
    "control.else_out",
    "control.with_out",
    "control.try_out",
    "control.except_out",
    "control.try_else",
    "control.finally_out",
]
COMMENT_KEYS = [
    "top",
    "tight",
    "released",
    "first_stmt.first_out",
    "last_stmt.last_out",
    "outer.inner.i_out",
    "Net.width",
    "Net.build.m_out",
    "Net.after_method",
    "control.for_out",
    "control.while_out",
    "control.if_out",
    "control.if_end",
    "control.else_out",
    "control.with_out",
    "control.dead_out",
    "control.except_out",
    "control.finally_out",
    "control.after_return",
    "at_end",
]
EDGE_KEYS = [
    "after_semicolon",
    "before_semicolon",
    "on_header",
    "concatenated",
    "trailing_comment",
    "ü",
    "matcher.case_one",
    "matcher.case_other",
    "holder_value",
]
TAB_KEYS = ["tabbed.t_out", "tabbed.t2"]
ADJACENT_KEYS = ["c1", "c2", "c3", "c4", "c5", "c6", "c7"]
EXPECTED_KEYS = {
    "positions_adjacent.py": ADJACENT_KEYS,
    "positions_strings.py": STRING_KEYS,
    "positions_comments.py": COMMENT_KEYS,
    "positions_edge.py": EDGE_KEYS,
    "positions_tabs.py": TAB_KEYS,
}


@pytest.mark.parametrize("name", list(EXPECTED_KEYS))
def test_keys_at_every_position(name):
    stem = name[:-3]
    expected = [f"{stem}/{suffix}" for suffix in EXPECTED_KEYS[name]]
    assert keys(fixture(name)) == expected
    assert [layer.key for layer in analyse_file(fixture(name)).layers] == expected


@pytest.mark.parametrize("name", OWN)
def test_every_fixture_checks_clean(name):
    assert check([fixture(name)]) == []


def test_the_generic_tests_cover_the_own_fixtures():
    assert set(OWN) <= set(CLEAN)
    assert set(OWN_UNANNOTATED) <= set(UNANNOTATED)
    assert set(RUNNABLE) <= set(ANNOTATED) and len(OWN) == 14


def test_a_copy_in_a_package_gets_the_dotted_module(tmp_path):
    package = tmp_path / "proj" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    shutil.copy(fixture("positions_tabs.py"), package / "model.py")
    assert keys(str(package / "model.py")) == ["pkg.model/tabbed.t_out", "pkg.model/tabbed.t2"]


# ---------------------------------------------------------------------------------------------
# The line-number property, generically, over every fixture, LF and CRLF


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("name", ANNOTATED)
def test_expansion_preserves_lines(name, crlf, tmp_path):
    path = to_crlf(fixture(name), tmp_path) if crlf else fixture(name)
    assert analyse_file(path).annotations, "an annotated fixture must have annotations"
    for choice in choices_for(path):
        expanded = expand(path, json.dumps(choice))
        compile(expanded, path, "exec")
        assert_lines_preserved(path, expanded)
        if crlf:
            assert all(line.endswith(b"\r\n") for line in lines_of(expanded)[:-1])
            assert b"\n" not in expanded.replace(b"\r\n", b"")


@pytest.mark.parametrize("name", ANNOTATED)
def test_crlf_copy_has_the_same_keys(name, tmp_path):
    assert keys(to_crlf(fixture(name), tmp_path)) == keys(fixture(name))


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("name", RUNNABLE)
def test_expansion_runs(name, crlf, tmp_path):
    path = to_crlf(fixture(name), tmp_path) if crlf else fixture(name)
    for choice in choices_for(path):
        ns = run(path, choice)
        assert ns["calls"], "the chosen layers ran"
        assert ns["results"]


@pytest.mark.parametrize("name", UNANNOTATED)
def test_a_file_without_annotations_expands_to_itself(name, tmp_path):
    path = fixture(name)
    assert analyse_file(path).layers == []
    assert expand(path, "{}") == read(path)
    crlf = to_crlf(path, tmp_path)
    assert expand(crlf, "{}") == read(crlf)


def test_plain_fixture_is_really_odd():
    """The control for the identity test: the plain fixture has what a re-renderer would lose."""
    data = read(fixture("positions_plain.py"))
    assert not data.endswith(b"\n")
    assert b"   \n" in data and b"\t#" in data and b"(a,b) :" in data


# ---------------------------------------------------------------------------------------------
# What runs


def uniform(path: str, layer: int) -> dict:
    """Every layer of `path` picks candidate `layer` and its fewest inputs."""
    return {spec.key: {"layer": layer, "inputs": list(range(spec.input_num[0]))} for spec in analyse_file(path).layers}


@pytest.mark.parametrize("index, tag", [(0, "a"), (1, "b")])
def test_string_positions_run(index, tag):
    ns = run(fixture("positions_strings.py"), uniform(fixture("positions_strings.py"), index))
    seen = ns["results"]
    assert seen[:4] == [tag] * 4
    assert seen[4] == [tag] * 10  # for x2, for-else, while x2, if, with, try, except, finally
    assert seen[5] == [tag] * 8  # for-else, while x2, else, with, try, except, finally
    assert seen[6:] == [tag, tag]  # a class whose body is the annotation; a class in a function
    firsts = [c[1] for c in ns["calls"]]
    for value in ("x1", "x2", "x3", "p", "q", 1, 2):
        assert [[value], []] in firsts
    coroutine = ns["coroutine"]("x5")
    with pytest.raises(StopIteration) as stop:
        coroutine.send(None)
    assert stop.value.value == tag
    assert ns["calls"][-1][1] == [["x5"], []]


@pytest.mark.parametrize("index, tag", [(0, "a"), (1, "b")])
def test_comment_positions_run(index, tag):
    ns = run(fixture("positions_comments.py"), uniform(fixture("positions_comments.py"), index))
    assert ns["results"][:5] == [tag, None, tag, tag, tag]
    # for_out, while x2, if, with, except, finally's n
    assert ns["results"][5] == [tag, tag, tag, tag, tag, tag, 2]
    assert ns["at_end"] == tag
    firsts = [c[1] for c in ns["calls"]]
    assert [["x2"], []] in firsts  # the comment block after the last statement of last_stmt
    assert [["x1"], []] in firsts  # the comment block as the first statement of first_stmt


def test_edge_positions_run():
    path = fixture("positions_edge.py")
    choice = uniform(path, 0)
    ns = run(path, choice)
    assert ns["results"] == ["a"] * 9
    assert ("op_a", [["x0"], []], (), {"k": 2}) in ns["calls"]
    assert ("op_a", [["a"], []], (), {}) in ns["calls"]  # concatenated takes on_header
    assert ("op_a", [["é"], []], (), {}) in ns["calls"]


def test_adjacent_annotations_run_in_order():
    path = fixture("positions_adjacent.py")
    ns = run(path, {f"positions_adjacent/c{i}": {"layer": "op_a"} for i in range(1, 8)})
    assert ns["results"] == [f"a{i}" for i in range(1, 8)]
    assert [c[1] for c in ns["calls"]] == [[["x0"], []]] + [[[f"a{i}"], []] for i in range(1, 7)]
    source = lines_of(read(path))
    regions = [(a.region.line, a.region.end_line) for a in analyse_file(path).annotations]
    assert len(regions) == 7
    # the block whose text spans a bare `#` line ends on its closing brace; the ordinary
    # comment after it is no part of it
    third = regions[2]
    assert third[1] - third[0] == 2 and source[third[1]] == b"# an ordinary comment\n"


def test_tab_positions_run():
    path = fixture("positions_tabs.py")
    choice = {"positions_tabs/tabbed.t_out": {"layer": "op_b"}, "positions_tabs/tabbed.t2": {"layer": "op_a"}}
    ns = run(path, choice)
    assert ns["results"] == ["a", "b"]
    assert ns["calls"] == [("op_b", [["x1"], []]), ("op_a", [["b"], []]), ("op_b", [[""], []])]


def test_a_layer_in_a_function_called_three_times_is_one_decision():
    path = fixture("positions_strings.py")
    choice = uniform(path, 0)
    choice["positions_strings/func.f_out"] = {"layer": "op_b"}
    ns = run(path, choice)
    ns["calls"].clear()
    assert [ns["func"](f"call{i}") for i in range(3)] == ["b", "b", "b"]
    assert ns["calls"] == [("op_b", [[f"call{i}"], []], (), {}) for i in range(3)]
    # and a method of a class instantiated three times
    ns["calls"].clear()
    choice["positions_strings/Net.build.m_out"] = {"layer": 1}
    ns = run(path, choice)
    ns["calls"].clear()
    assert [ns["Net"]().build(i) for i in range(3)] == ["b", "b", "b"]
    assert [c[0] for c in ns["calls"]] == ["op_b"] * 3


# ---------------------------------------------------------------------------------------------
# Comments, blank lines and the extent of a comment block


def test_comments_and_blank_lines_elsewhere_survive():
    for name in ("positions_strings.py", "positions_comments.py"):
        path = fixture(name)
        source = read(path)
        expanded = expand(path, json.dumps(uniform(path, 1)))
        inside = annotation_lines(path)
        for number, line in enumerate(lines_of(source), start=1):
            if number not in inside and (line.strip().startswith(b"#") or not line.strip()):
                assert lines_of(expanded)[number - 1] == line
    comments = expand(fixture("positions_comments.py"), json.dumps(uniform(fixture("positions_comments.py"), 0)))
    assert b"# An ordinary comment right after the block: not part of it, and it must survive.\n" in comments
    strings = expand(fixture("positions_strings.py"), json.dumps(uniform(fixture("positions_strings.py"), 0)))
    assert b"import contextlib  # a comment that must survive\n" in strings
    assert b'"just a string statement, left alone"\n' in strings
    assert b'    """A docstring; ordinary strings are left alone."""\n' in strings


def test_a_comment_block_ends_where_its_braces_close():
    path = fixture("positions_comments.py")
    source = lines_of(read(path))
    regions = {a.layers[0].key.rpartition("/")[2]: a.region for a in analyse_file(path).annotations}
    top = regions["top"]
    assert source[top.line - 1].startswith(b"# @nni.mutable_layer")
    assert source[top.end_line - 1] == b"# }\n"
    released = regions["released"]
    assert source[released.end_line - 1] == b"#    )\n"
    assert regions["tight"].line == regions["tight"].end_line


def test_every_layer_of_a_multi_layer_annotation_lands_on_its_lines():
    path = fixture("seed_enas_macro.py")
    annotation = analyse_file(path).annotations[0]
    choice = {layer.key: {"layer": 0} for layer in annotation.layers}
    expanded = lines_of(expand(path, json.dumps(choice)))
    generated = b"".join(expanded[annotation.region.line - 1 : annotation.region.end_line])
    assert generated.count(b"conv3(") == 4 and generated.count(b"concat(") == 1
    assert expanded[annotation.region.end_line] == b"Out = softmax(out5)\n"


# ---------------------------------------------------------------------------------------------
# Stable keys: editing other lines never changes a key


def edited_copy(path: str, directory) -> str:
    """A copy with lines inserted above and between annotations, and unrelated lines deleted."""
    source = lines_of(read(path))
    newline = ending(source[0]) or b"\n"
    analysis = analyse_file(path)
    starts = {}
    inside: set[int] = set()
    for annotation in analysis.annotations:
        region = annotation.region
        inside.update(range(region.line, region.end_line + 1))
        prefix = source[region.line - 1][: region.col]
        if not prefix.strip():
            starts[region.line] = prefix
    out = [b"# a comment added on top" + newline, newline, b"_added_on_top = 0" + newline, newline]
    for number, line in enumerate(source, start=1):
        if number in starts:
            indent = starts[number]
            out += [indent + b"_added_between = 1" + newline, indent + b"# an added comment" + newline, newline]
        if number not in inside:
            stripped = line.strip()
            if not stripped or stripped.startswith(b"#") or stripped.endswith(b"# unrelated"):
                continue
        out.append(line)
    copy = os.path.join(str(directory), os.path.basename(path))
    with open(copy, "wb") as handle:
        handle.write(b"".join(out))
    return copy


@pytest.mark.parametrize("name", [name for name in OWN if name not in OWN_UNANNOTATED])
def test_editing_other_lines_keeps_every_key(name, tmp_path):
    path = fixture(name)
    copy = edited_copy(path, tmp_path)
    assert read(copy) != read(path)
    assert len(lines_of(read(copy))) != len(lines_of(read(path)))
    assert keys(copy) == keys(path)
    for choice in choices_for(path):
        expanded = expand(copy, json.dumps(choice))
        assert_lines_preserved(copy, expanded)


def test_editing_moves_the_annotations(tmp_path):
    """The control for the test above: the edit really moves the annotations to other lines."""
    path = fixture("positions_comments.py")
    copy = edited_copy(path, tmp_path)
    before = [a.region.line for a in analyse_file(path).annotations]
    after = [a.region.line for a in analyse_file(copy).annotations]
    assert len(before) == len(after) and all(x != y for x, y in zip(before, after))


# ---------------------------------------------------------------------------------------------
# Regressions: found while writing this file (see the commit fixing them), now held to SPEC


def test_adjacent_comment_annotations_are_two_annotations(tmp_path):
    path = tmp_path / "adjacent.py"
    path.write_text(
        "calls = []\n"
        "def op_a(inputs):\n"
        "    calls.append(inputs)\n"
        "    return 'a'\n"
        "x0 = 'x0'\n"
        "# @nni.mutable_layer {layer_choice: [op_a], fixed_inputs: [x0], layer_output: first}\n"
        "# @nni.mutable_layer {layer_choice: [op_a], fixed_inputs: [first], layer_output: second}\n"
        "print(second)\n"
    )
    assert keys(str(path)) == ["adjacent/first", "adjacent/second"]
    expanded = expand(str(path), json.dumps({"adjacent/first": {"layer": 0}, "adjacent/second": {"layer": 0}}))
    assert_lines_preserved(str(path), expanded)
    assert b"second = op_a([[first], []])" in expanded


def test_a_parenthesised_string_statement(tmp_path):
    path = tmp_path / "paren.py"
    path.write_text(
        "x0 = 'x0'\n"
        '("""@nni.mutable_layer {layer_choice: [op_a, op_b], fixed_inputs: [x0], layer_output: first}""")\n'
        "print(first)\n"
    )
    assert keys(str(path)) == ["paren/first"]
    expanded = expand(str(path), json.dumps({"paren/first": {"layer": 1}}))
    assert_lines_preserved(str(path), expanded)
    assert b"first = op_b([[x0], []])" in expanded


def test_two_string_annotations_on_one_line(tmp_path):
    path = tmp_path / "two_on_a_line.py"
    path.write_text(
        "x0 = 'x0'\n"
        '"""@nni.mutable_layer {layer_choice: [op_a], fixed_inputs: [x0], layer_output: s1}"""; '
        '"""@nni.mutable_layer {layer_choice: [op_a], fixed_inputs: [s1], layer_output: s2}"""\n'
        "print(s2)\n"
    )
    assert keys(str(path)) == ["two_on_a_line/s1", "two_on_a_line/s2"]
    expanded = expand(str(path), json.dumps({"two_on_a_line/s1": {"layer": 0}, "two_on_a_line/s2": {"layer": 0}}))
    assert_lines_preserved(str(path), expanded)
    assert lines_of(expanded)[1] == b"s1 = op_a([[x0], []]); s2 = op_a([[s1], []])\n"


def test_a_bad_choice_never_produces_output():
    path = fixture("positions_tabs.py")
    with pytest.raises(CompileError):
        expand(path, json.dumps({"positions_tabs/tabbed.t_out": {"layer": "op_c"}, "positions_tabs/tabbed.t2": {"layer": 0}}))

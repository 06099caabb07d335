"""Awkward files (issue 7 item 3): line endings, tabs, BOMs, coding cookies, bytes that are not
text, form feeds, very long lines, very long files, deep nesting, empty files, files that are
only an annotation.

Each gives correct output (the expanded file compiles, and every line outside an annotation is
byte-identical on its own line number) or a clean diagnostic.  BOM/cookie/CRLF round trips of
`expand` are in test_cli.py (test_expand_preserves_encoding_bom_and_line_endings); these cases
add the other commands, the other shapes, and run time.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from nas_annotate import api
from nas_annotate.cli import main
from nas_annotate.diagnostics import CompileError

LAYER = '"""@nni.mutable_layer\n{layer_choice: [conv, pool], layer_output: y}"""\n'
OPS = "def conv(inputs):\n    return 'conv'\ndef pool(inputs):\n    return 'pool'\n"


def lines(data: bytes) -> list[bytes]:
    """The lines of `data` as Python numbers them (\\n, \\r\\n or \\r), with their endings; a
    file ending in a line break has an empty last line, so `b"a\\n"` and `b"a\\nb"` both count 2."""
    found = data.splitlines(keepends=True)
    if not found or found[-1].endswith((b"\n", b"\r")):
        found.append(b"")
    return found


def annotation_lines(path: Path) -> set[int]:
    """The lines (1-based) that the annotations of `path` and the values they replace occupy."""
    analysis = api.analyse_file(os.fspath(path))
    assert not analysis.diagnostics, analysis.diagnostics
    taken = set()
    for annotation in analysis.annotations:
        taken.update(range(annotation.region.line, annotation.region.end_line + 1))
        for param in annotation.params:
            for span in param.spans:
                taken.update(range(span.line, span.end_line + 1))
    return taken


def expand_checked(path: Path, choice: dict | None, expected_annotation_lines: int | None = None) -> bytes:
    """`expand` `path` (for `choice`, or the run-time form), and check the output: it compiles,
    has the source's line count, and differs from it only on annotation lines."""
    data = path.read_bytes()
    out = api.expand(os.fspath(path), json.dumps(choice) if choice is not None else None)
    compile(out, os.fspath(path), "exec", dont_inherit=True)
    old, new = lines(data), lines(out)
    assert len(new) == len(old)
    taken = annotation_lines(path)
    if expected_annotation_lines is not None:
        assert len(taken) == expected_annotation_lines, sorted(taken)
    for number, (before, after) in enumerate(zip(old, new), 1):
        if number not in taken:
            assert after == before, number
    assert b"@nni." not in out
    return out


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def cli(*args):
    return CliRunner().invoke(main, [os.fspath(a) for a in args], catch_exceptions=False)


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("NAS_ANNOTATE", "NNI_"))}
    full.update(env, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "nas_annotate", "run", *args], cwd=tmp_path, env=full, capture_output=True, timeout=60
    )


def clean_diagnostic(excinfo, path: Path, line: int) -> str:
    """The single message of a CompileError about `path` at `line` (no traceback, no crash)."""
    (diagnostic,) = excinfo.value.diagnostics
    assert (diagnostic.path, diagnostic.line) == (os.fspath(path), line)
    return diagnostic.message


# --- line endings -------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", [b"\r", b"\r\n"], ids=["cr", "crlf"])
def test_old_mac_and_windows_line_endings_in_both_forms(tmp_path, newline):
    text = (
        OPS
        + "def f(a, b):\n"
        + '    """@nni.mutable_layer\n    {\n        layer_choice: [conv, pool]\n'
        + "        input_candidates: [a, b]\n        input_num: 1\n        layer_output: y\n    }\"\"\"\n"
        + "    # @nni.mutable_layer\n    # {layer_choice: [conv, pool],\n    #  layer_output: z}\n"
        + "    return y + z\n"
        + "print(f('a', 'b'))\n"
    )
    path = write(tmp_path, "endings.py", text.encode().replace(b"\n", newline))
    space = api.extract([os.fspath(path)])
    assert json.loads(space)["endings/f.y"]["_source"]["line"] == 7  # the '{' line: lines counted as Python counts them
    out = expand_checked(path, {"endings/f.y": {"layer": 1, "inputs": ["b"]}, "endings/f.z": {"layer": 0}}, 10)
    assert out.count(newline) == text.count("\n")
    if newline == b"\r\n":
        assert b"\r\r" not in out and re.search(rb"[^\r]\n", out) is None
    else:
        assert b"\n" not in out
    runtime_form = expand_checked(path, None)
    assert runtime_form.count(newline) == text.count("\n")
    proc = run(tmp_path, "endings.py", "--choice", json.dumps({"endings/f.y": {"layer": 1, "inputs": ["b"]}, "endings/f.z": {"layer": 0}}))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"poolconv\n", b"")


def test_mixed_line_endings_keep_each_lines_own(tmp_path):
    data = b"x = 1\r\n" + b'"""@nni.mutable_layer\r\n{layer_choice: [conv, pool],\n layer_output: y}"""\r' + b"z = 2\n"
    path = write(tmp_path, "mixed.py", data)
    out = expand_checked(path, {"mixed/y": {"layer": "pool"}}, 3)
    assert [line[len(line.rstrip(b"\r\n")):] for line in lines(out)] == [b"\r\n", b"\r\n", b"\n", b"\r", b"\n", b""]


# --- tabs ---------------------------------------------------------------------------------------


def test_tab_indented_annotations_expand_and_run(tmp_path):
    text = (
        OPS
        + "class Net:\n"
        + "\tdef build(self, a):\n"
        + '\t\t"""@nni.mutable_layer\n\t\t{\n\t\t\tlayer_choice:\t[conv,\tpool],\n\t\t\tlayer_output:\ty\n\t\t}"""\n'
        + "\t\t# @nni.mutable_layer\n\t\t# {layer_choice: [conv, pool],\n\t\t#\tlayer_output: z}\n"
        + "\t\treturn y + z\n"
        + "print(Net().build(1))\n"
    )
    path = write(tmp_path, "tabs.py", text)
    choice = {"tabs/Net.build.y": {"layer": "pool"}, "tabs/Net.build.z": {"layer": "conv"}}
    out = expand_checked(path, choice, 8)
    assert b"\t\ty = pool([[], []])\n" in out
    assert b"\t\tz = conv([[], []])\n" in out
    expand_checked(path, None)
    proc = run(tmp_path, "tabs.py", "--choice", json.dumps(choice))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"poolconv\n", b"")


def test_a_diagnostic_on_a_tab_indented_line_puts_its_caret_under_the_problem(tmp_path):
    path = write(tmp_path, "tabbed.py", 'def f():\n\t"""@nni.mutable_layer\n\t{layer_choice: [conv, pool],\tlayer_ouput: y}"""\n')
    result = cli("check", path)
    assert result.exit_code == 1 and result.stdout == ""
    header, shown, caret = result.stderr.splitlines()
    assert header == f"{path}:3:31: error: unknown field 'layer_ouput'; did you mean 'layer_output'?"
    # each tab is shown as one space, so the caret sits under the first letter of the field
    assert shown[4:] == " {layer_choice: [conv, pool], layer_ouput: y}\"\"\""
    assert shown[4 + 30 :].startswith("layer_ouput") and caret == " " * (4 + 30) + "^"


def test_a_comment_block_mixing_tab_and_space_indentation_is_not_one_block(tmp_path):
    """Python itself refuses tab/space mixes that change meaning; a block whose lines are
    indented differently ends at the first different line, and the truncated body is reported."""
    path = write(tmp_path, "mixtabs.py", "if True:\n\t# @nni.mutable_layer\n\t# {layer_choice: [conv],\n        #  layer_output: y}\n\tpass\n")
    with pytest.raises(CompileError) as info:
        api.expand(os.fspath(path), None)
    assert info.value.diagnostics[0].line == 3
    assert "never closed" in info.value.diagnostics[0].message


# --- BOM and coding cookies ---------------------------------------------------------------------


def test_a_bom_does_not_shift_columns_and_survives_every_command(tmp_path):
    bom = codecs.BOM_UTF8
    path = write(tmp_path, "bom.py", bom + ('x = "\u00e9"\n' + LAYER.replace("layer_output", "layer_ouptut")).encode())
    result = cli("check", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"{path}:3:30: error: unknown field 'layer_ouptut'; did you mean 'layer_output'?"
    assert "\ufeff" not in result.stderr
    path.write_bytes(bom + ('x = "\u00e9"\n' + LAYER).encode())
    assert json.loads(cli("extract", path).stdout)["bom/y"]["_source"]["line"] == 3
    out = expand_checked(path, {"bom/y": {"layer": 1}}, 2)
    assert out.startswith(bom) and not out.startswith(bom + bom)
    target = tmp_path / "copy.py"
    assert cli("expand", path, "--choice", '{"bom/y": {"layer": 1}}', "-o", target).exit_code == 0
    assert target.read_bytes() == out


def test_a_latin1_cookie_with_a_non_ascii_label_everywhere(tmp_path):
    """The label is text ('caf\u00e9'): the same in the search space, in a choice, in the output
    (encoded back as latin-1), and when the hook imports the module."""
    source = (
        "#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\n"
        "def conv(inputs, tag):\n    return tag\n"
        "def pool(inputs):\n    return 'pool'\n"
        '"""@nni.mutable_layer\n{layer_choice: [conv(tag="caf\u00e9"), pool], layer_output: y}"""\n'
        "print(y == 'caf\\xe9')\n"
    )
    path = write(tmp_path, "cookie.py", source.encode("latin-1"))
    space = json.loads(cli("extract", path).stdout_bytes.decode("utf-8"))
    label = "conv(tag='caf\u00e9')"
    assert space["cookie/y"]["_value"]["layer_choice"] == [label, "pool"]
    out = expand_checked(path, {"cookie/y": {"layer": label}}, 2)
    assert "y = conv([[], []], tag='caf\u00e9')\n".encode("latin-1") in out
    proc = run(tmp_path, "cookie.py", "--choice", json.dumps({"cookie/y": {"layer": label}}))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"True\n", b"")


def test_a_cookie_after_line_two_does_not_count(tmp_path):
    """As in Python: only lines 1 and 2 may hold the cookie, so line 4's latin-1 byte is not UTF-8."""
    path = write(tmp_path, "late.py", b"\n\n# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n" + LAYER.encode())
    with pytest.raises(CompileError) as info:
        api.expand(os.fspath(path), None)
    assert clean_diagnostic(info, path, 4).startswith("cannot decode the file: 'utf-8' codec can't decode byte 0xe9")


def test_non_utf8_bytes_without_a_cookie_are_a_clean_diagnostic_in_every_command(tmp_path):
    path = write(tmp_path, "latin.py", b"x = 1\nname = 'caf\xe9'\n" + LAYER.encode())
    message = "cannot decode the file: 'utf-8' codec can't decode byte 0xe9 in position 17: invalid continuation byte"
    for args in (["check", path], ["extract", path], ["expand", path], ["expand", path, "--choice", '{"latin/y": {"layer": 0}}']):
        result = cli(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"{path}:2: error: {message}\n"), args
    proc = run(tmp_path, "latin.py", "--sample", "first")
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith(f"{tmp_path / 'latin.py'}:2: error: {message}\n")
    assert b"Traceback" not in proc.stderr
    # and imported: the hook reports it the same way, the script's own lines untouched
    write(tmp_path, "main.py", "import latin\n")
    proc = run(tmp_path, "main.py", "--sample", "first")
    assert proc.returncode == 1 and f"latin.py:2: error: {message}".encode() in proc.stderr
    assert b"nas_annotate" not in proc.stderr.split(b"\n", 1)[0]


def test_bytes_that_python_refuses_are_a_diagnostic(tmp_path):
    path = write(tmp_path, "nul.py", b"x = 1\n\x00\n" + LAYER.encode())
    with pytest.raises(CompileError) as info:
        api.expand(os.fspath(path), None)
    (diagnostic,) = info.value.diagnostics
    assert "null bytes" in diagnostic.message


# --- form feeds ---------------------------------------------------------------------------------


def test_form_feeds_before_annotations_and_statements(tmp_path):
    """A form feed in the leading whitespace resets Python's indentation count: a comment block
    or a statement after one is still in its block (this used to lose the comment block)."""
    text = (
        OPS
        + "\f\n"
        + "def f():\n"
        + "    x = 1\n"
        + "\f    # @nni.mutable_layer\n"
        + "\f    # {layer_choice: [conv, pool],\n"
        + "    #  layer_output: y}\n"
        + '\f    """@nni.mutable_layer\n    {layer_choice: [conv, pool], layer_output: z}"""\n'
        + '    """@nni.variable(nni.choice(1, 2), name=n)"""\n'
        + "\f    n = 1\n"
        + "    # @nni.variable(nni.choice(3, 4), name=m)\n"
        + "  \f    m = 3\n"
        + "    return y + z + str(n + m)\n"
        + "print(f())\n"
    )
    path = write(tmp_path, "ff.py", text)
    analysis = api.analyse_file(os.fspath(path))
    assert not analysis.diagnostics
    assert [layer.key for layer in analysis.layers] == ["ff/f.y", "ff/f.z"]
    assert [param.key for param in analysis.params] == ["ff/f.n", "ff/f.m"]
    choice = {"ff/f.y": {"layer": "pool"}, "ff/f.z": {"layer": "conv"}, "ff/f.n": 2, "ff/f.m": 1}
    out = expand_checked(path, choice)
    assert b"\f    y = pool([[], []])\n" in out and b"\f    n = (2)\n" in out and b"  \f    m = (4)\n" in out
    proc = run(tmp_path, "ff.py", "--choice", json.dumps(choice))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"poolconv6\n", b"")


# --- size ---------------------------------------------------------------------------------------


def test_lines_of_100k_characters(tmp_path):
    long_string = "a" * 100_000
    long_arg = "b" * 100_000
    text = (
        OPS.replace("def conv(inputs)", "def conv(inputs, s='')")
        + f"x = '{long_string}'\n"
        + f'"""@nni.mutable_layer\n{{layer_choice: [conv(s="{long_arg}"), pool], layer_output: y}}"""\n'
        + "z = [" + "1, " * 33_000 + "]\n"
        + f"# {long_string}\n"
    )
    path = write(tmp_path, "long.py", text)
    label = f"conv(s='{long_arg}')"
    assert json.loads(api.extract([os.fspath(path)]))["long/y"]["_value"]["layer_choice"] == [label, "pool"]
    out = expand_checked(path, {"long/y": {"layer": 0}}, 2)
    assert f"y = conv([[], []], s='{long_arg}')\n".encode() in out
    # a choice may name the long label, up to the length labels are normalised at
    expand_checked(path, {"long/y": {"layer": label}})
    # a diagnostic on a long line still points at the problem
    path.write_text(text.replace(", pool]", ", pool, 3]"))
    with pytest.raises(CompileError) as info:
        api.expand(os.fspath(path), None)
    (diagnostic,) = info.value.diagnostics
    assert (diagnostic.line, diagnostic.col) == (7, len(label) + 25)
    assert diagnostic.message == "candidate '3' is neither a call nor a reference to a function"


def test_a_50000_line_file_with_annotations_throughout(tmp_path):
    blocks = []
    for i in range(50):
        blocks.append(f"def cell{i}(h):\n")
        blocks.append(f"    # filler {i}\n" * 480)
        blocks.append('    """@nni.mutable_layer\n    {\n        layer_choice: [conv, pool],\n')
        blocks.append("        fixed_inputs: [h],\n        layer_output: out\n    }\"\"\"\n")
        blocks.append('    """@nni.variable(nni.choice(1, 2, 3), name=width)"""\n    width = 1\n')
        blocks.append("    return out, width\n")
        blocks.append("x = 0\n" * 510)
    text = OPS + "".join(blocks)
    assert text.count("\n") >= 50_000
    path = write(tmp_path, "big.py", text)
    choice = {}
    for i in range(50):
        choice[f"big/cell{i}.out"] = {"layer": i % 2}
        choice[f"big/cell{i}.width"] = i % 3
    started = time.monotonic()
    space = json.loads(api.extract([os.fspath(path)]))
    assert len(space) == 100
    out = expand_checked(path, choice, 50 * 8)
    runtime_form = expand_checked(path, None)
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"extract + 2 expands of 50,000 lines took {elapsed:.1f}s"
    assert out.count(b"out = pool([[h], []])") == 25 and runtime_form.count(b"runtime.decide(") == 50


# --- nesting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["string", "comment"])
def test_annotations_at_the_deepest_nesting_python_allows_in_practice(tmp_path, form):
    depth = 90  # CPython refuses 100 nested blocks ("too many statically nested blocks")
    text = OPS
    for i in range(depth):
        pad = "    " * i
        text += f"{pad}def f{i}(a):\n" if i % 2 == 0 else f"{pad}if a:\n"
    pad = "    " * depth
    if form == "string":
        text += f'{pad}"""@nni.mutable_layer\n{pad}{{layer_choice: [conv, pool], layer_output: y}}"""\n'
    else:
        text += f"{pad}# @nni.mutable_layer\n{pad}# {{layer_choice: [conv, pool], layer_output: y}}\n"
    text += f"{pad}return y\n"
    for i in range(depth - 2, -1, -2):
        text += "    " * (i + 1) + f"return f{i + 2}(a)\n" if i + 2 < depth else ""
    text += "print(f0(1))\n"
    path = write(tmp_path, "deep.py", text)
    compile(text, "deep.py", "exec")
    scope = ".".join(f"f{i}" for i in range(0, depth, 2))
    key = f"deep/{scope}.y"
    assert list(json.loads(api.extract([os.fspath(path)]))) == [key]
    out = expand_checked(path, {key: {"layer": "pool"}}, 2)
    assert f"{pad}y = pool([[], []])\n".encode() in out
    proc = run(tmp_path, "deep.py", "--choice", json.dumps({key: {"layer": "pool"}}))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"pool\n", b"")


# --- nearly nothing -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n", b"\xef\xbb\xbf", b"   \n\t\n\f\n", b"# just a comment"], ids=["empty", "newline", "bom", "blank", "comment"])
def test_empty_files(tmp_path, data):
    path = write(tmp_path, "empty.py", data)
    assert cli("extract", path).stdout == "{}\n"
    result = cli("check", path)
    assert (result.exit_code, result.stdout) == (0, "ok: 0 mutable layer(s) and 0 hyperparameter(s) in 0 annotated file(s)\n")
    assert cli("expand", path).stdout_bytes == data
    assert cli("expand", path, "--choice", "{}").stdout_bytes == data
    proc = run(tmp_path, "empty.py")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")


@pytest.mark.parametrize(
    "data",
    [
        LAYER,
        LAYER.rstrip("\n"),
        "# @nni.mutable_layer\n# {layer_choice: [conv, pool], layer_output: y}\n",
        "# @nni.mutable_layer\n# {layer_choice: [conv, pool], layer_output: y}",
        '"""@nni.report_final_result(1.5)"""',
        "# @nni.report_intermediate_result(2)\n",
    ],
    ids=["string", "string-no-eol", "comment", "comment-no-eol", "report", "report-comment"],
)
def test_a_file_that_is_only_an_annotation(tmp_path, data):
    path = write(tmp_path, "only.py", data)
    if "mutable_layer" in data:
        out = expand_checked(path, {"only/y": {"layer": "pool"}}, 2)
        assert out.startswith(b"y = pool([[], []])")
        path.write_text(OPS + data)  # now it can run
        proc = run(tmp_path, "only.py", "--choice", '{"only/y": {"layer": 0}}')
        assert (proc.returncode, proc.stderr) == (0, b"")
    else:
        expand_checked(path, {}, 1)
        report = tmp_path / "reports.jsonl"
        proc = run(tmp_path, "only.py", NAS_ANNOTATE_REPORT=os.fspath(report))
        assert (proc.returncode, proc.stderr) == (0, b"")
        assert json.loads(report.read_text())["value"] in (1.5, 2)
    expand_checked(path, None)


def test_a_marker_alone_is_a_diagnostic_not_an_empty_layer(tmp_path):
    for name, data in {"a.py": "# @nni.mutable_layer\n", "b.py": '"""@nni.mutable_layer"""\n'}.items():
        path = write(tmp_path, name, data)
        with pytest.raises(CompileError) as info:
            api.expand(os.fspath(path), None)
        assert "expected '{' after @nni.mutable_layer" in clean_diagnostic(info, path, 1)

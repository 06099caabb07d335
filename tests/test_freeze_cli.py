"""`nas-annotate freeze` on the command line: bad input is a diagnostic (never a traceback),
`-o` is atomic, sources are never written, directories of modules; and libcst is imported by
`freeze` alone (`--help`, extract, expand, check, run and the import hook never load it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import libcst
import pytest
from click.testing import CliRunner

from nas_annotate.cli import main

LAYER = '''\
def conv(x, ch=8):
    return ("conv", ch, x)


def pool(x):
    return ("pool", x)


x = 1
"""@nni.mutable_layer {layer_choice: [conv(ch=16), pool], fixed_inputs: [x], layer_output: out}"""
print(out)
'''
CHOICE = json.dumps({"m/out": {"layer": 0}})


def cli(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(LAYER)
    return path


def test_freeze_prints_the_frozen_file(script):
    result = cli("freeze", script, "-c", CHOICE)
    assert result.exit_code == 0, result.output
    assert result.stdout == 'def conv(x, ch=8):\n    return ("conv", ch, x)\n\n\nx = 1\nout = conv([[x], []], ch=16)\nprint(out)\n'


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ('{"m/out": {"layer": 7}}', '<choice>:1:2: error: m/out: layer index 7 is out of range 0..1\n    {"m/out": {"layer": 7}}\n     ^'),
        ('{"m/out": {"layer": 0}, "m/ouT": {}}', "<choice>:1:25: error: 'm/ouT' names no layer of module 'm'; did you mean 'm/out'?"),
        ('{"m/out": {"layer": 0}', "<choice>:1:23: error: invalid choice document:"),
        ("{}", "<choice>: error: no choice for 'm/out' (layer: one of 'conv(ch=16)', 'pool')"),
    ],
    ids=["invalid choice", "unknown key", "broken document", "missing layer"],
)
def test_a_bad_choice_is_a_diagnostic(script, choice, message):
    result = CliRunner().invoke(main, ["freeze", str(script), "-c", choice])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert message.split("\n")[0].rstrip() in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_a_syntax_error_is_a_diagnostic(tmp_path):
    path = tmp_path / "m.py"
    path.write_text('"""@nni.report_final_result(1)"""\ndef broken(:\n    pass\n')
    result = CliRunner().invoke(main, ["freeze", str(path), "-c", "{}"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:2:12: error: invalid Python syntax"), result.stderr
    assert "def broken(:" in result.stderr and "^" in result.stderr


def test_a_file_libcst_cannot_parse_is_a_diagnostic_naming_its_syntax(script, monkeypatch):
    """Python's parser accepted the file but libcst does not (syntax newer than it reads)."""
    try:
        libcst.parse_module("x = (\n")
    except libcst.ParserSyntaxError as exc:
        error = exc

    def refuse(text, config=None):  # noqa: ARG001
        raise error

    monkeypatch.setattr(libcst, "parse_module", refuse)
    result = CliRunner().invoke(main, ["freeze", str(script), "-c", CHOICE])
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{script}:1:1: error: freeze cannot rewrite this file: libcst "), first
    assert "which reads Python 3." in first and "syntax) cannot parse it: error at 2:0" in first, first
    assert "Traceback" not in result.output


def test_output_is_atomic_and_absent_on_errors(script, tmp_path):
    out = tmp_path / "out.py"
    assert cli("freeze", script, "-c", CHOICE, "-o", out).exit_code == 0
    assert out.read_text() == cli("freeze", script, "-c", CHOICE).stdout
    out.write_text("old")
    result = CliRunner().invoke(main, ["freeze", str(script), "-c", "{}", "-o", str(out)])
    assert result.exit_code == 1
    assert out.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["m.py", "out.py"]  # no temporary left
    assert not CliRunner().invoke(main, ["freeze", str(script), "-c", "{}", "-o", str(tmp_path / "new.py")]).exit_code == 0
    assert not (tmp_path / "new.py").exists()


def test_sources_are_never_written(script, tmp_path):
    before = script.read_bytes()
    result = CliRunner().invoke(main, ["freeze", str(script), "-c", CHOICE, "-o", str(script)])
    assert result.exit_code == 1
    assert "refusing to write over the source file" in result.stderr
    result = CliRunner().invoke(main, ["freeze", str(tmp_path), "-c", CHOICE, "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "refusing to write over the source file" in result.stderr
    assert script.read_bytes() == before


def test_a_directory_needs_an_output_directory(tmp_path):
    result = CliRunner().invoke(main, ["freeze", str(tmp_path), "-c", "{}"])
    assert result.exit_code == 2
    assert "give -o DIR" in result.stderr


PACKAGE = {
    "pkg/__init__.py": '"""A package."""\nfrom .ops import exported\n\n__all__ = ["exported"]\n',
    "pkg/ops.py": textwrap.dedent('''\
        """Ops, some used by other modules."""
        import math


        def shared(x):
            return math.floor(x)


        def only_lost(x):
            return math.ceil(x)


        def exported(x):
            return x


        def conv(x, ch=8):
            return x * ch
        '''),
    "pkg/model.py": textwrap.dedent('''\
        from . import cells, ops
        from .cells import helper2
        from .ops import conv, exported, only_lost, shared


        def build(x):
            # @nni.mutable_layer
            # {layer_choice: [conv(ch=16), shared, only_lost, exported, ops.conv, helper2, cells.helper3],
            #  fixed_inputs: [x], layer_output: out}
            return out
        '''),
    "pkg/cells.py": textwrap.dedent('''\
        from pkg.ops import shared as helper


        def helper2(x):  # pkg.model imports it
            return helper(x)


        def helper3(x):  # pkg.model's annotation reads cells.helper3
            return helper(x)


        def helper4(x):
            return helper(x)


        def unused_before(x):
            return x


        def cell(x):
            """@nni.mutable_layer {layer_choice: [helper2, helper3, helper4, abs], fixed_inputs: [x], layer_output: y}"""
            return y
        '''),
    "pkg/plain.py": "VALUE = 1  # no annotation: copied as it is\n",
}


def test_a_package_keeps_what_its_modules_import_from_each_other(tmp_path):
    root = tmp_path / "src"
    for name, text in PACKAGE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    choice = {"pkg.model/build.out": {"layer": 0}, "pkg.cells/cell.y": {"layer": 3}}
    out = tmp_path / "out"
    result = cli("freeze", root, "-c", json.dumps(choice), "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote 5 file(s) into {out}\n"
    written = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*.py")}
    assert set(written) == set(PACKAGE)
    for name in ("pkg/__init__.py", "pkg/ops.py", "pkg/plain.py"):  # nothing to freeze there
        assert written[name] == PACKAGE[name]
    assert written["pkg/model.py"] == textwrap.dedent('''\
        from .ops import conv


        def build(x):
            out = conv([[x], []], ch=16)
            return out
        ''')
    assert written["pkg/cells.py"] == textwrap.dedent('''\
        from pkg.ops import shared as helper


        def helper2(x):  # pkg.model imports it
            return helper(x)


        def helper3(x):  # pkg.model's annotation reads cells.helper3
            return helper(x)


        def unused_before(x):
            return x


        def cell(x):
            y = abs([[x], []])
            return y
        ''')
    for text in written.values():
        compile(text, "frozen.py", "exec")
    assert cli("check", out).stdout == "ok: 0 mutable layer(s) and 0 hyperparameter(s) in 0 annotated file(s)\n"


def test_only_freeze_imports_libcst(tmp_path, script):
    """--help, extract, expand, check, run and the import hook never load libcst; freeze does."""
    hooked = tmp_path / "hooked"
    hooked.mkdir()
    (hooked / "cells.py").write_text(LAYER.replace("print(out)\n", ""))
    runner = tmp_path / "run_me.py"
    runner.write_text(LAYER.replace("x = 1", "import sys\nx = 1") + "print('libcst' in sys.modules)\n")
    snippet = textwrap.dedent(
        f"""
        import json, sys
        from nas_annotate import entry
        loaded = {{}}
        for argv in (["--help"], ["freeze", "--help"], ["extract", {str(script)!r}], ["check", {str(script)!r}],
                     ["expand", {str(script)!r}], ["expand", {str(script)!r}, "-c", {CHOICE!r}]):
            sys.argv = ["nas-annotate"] + argv
            try:
                entry.main()
            except SystemExit as exc:
                assert not exc.code, (argv, exc.code)
            loaded[" ".join(argv)] = "libcst" in sys.modules
        import nas_annotate
        sys.path.insert(0, {str(hooked)!r})
        with nas_annotate.install_import_hook(packages=["cells"], choice={json.dumps({"cells/out": {"layer": 1}})!r}):
            import cells
        loaded["import hook"] = ["libcst" in sys.modules, cells.out]
        sys.argv = ["nas-annotate", "freeze", {str(script)!r}, "-c", {CHOICE!r}]
        try:
            entry.main()
        except SystemExit as exc:
            assert not exc.code
        loaded["freeze"] = "libcst" in sys.modules
        sys.stderr.write(json.dumps(loaded))
        """
    )
    proc = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stderr)
    assert loaded.pop("import hook") == [False, ["pool", [[1], []]]]
    assert loaded.pop("freeze") is True
    assert loaded == dict.fromkeys(loaded, False) and len(loaded) == 6
    ran = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "nas-annotate"), "run", str(runner), "-c", json.dumps({"run_me/out": {"layer": 0}})],
        capture_output=True, text=True, timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "('conv', 16, [[1], []])\nFalse\n"


def test_a_syntax_error_anywhere_in_a_directory_writes_nothing(tmp_path):
    root = tmp_path / "src"
    root.mkdir()
    (root / "m.py").write_text(LAYER)
    (root / "broken.py").write_text("def broken(:\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["freeze", str(root), "-c", CHOICE, "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{root / 'broken.py'}:1:12: error: invalid Python syntax"), result.stderr
    assert not out.exists()

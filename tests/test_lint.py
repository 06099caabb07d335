"""Warnings for what looks like an annotation but is not one (a misspelt marker)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from nas_annotate import api
from nas_annotate.cli import main
from nas_annotate.lint import misspelt_markers
from nas_annotate.source import Source

LAYER = '"""@nni.mutable_layer\n{layer_choice: [f(x)], layer_output: y}"""\n'

# source → (line, col, message tail) of each warning
CASES = [
    ('"""@nni.mutable_layr\n{layer_choice: [f(x)], layer_output: y}"""\n', [(1, 4, "did you mean '@nni.mutable_layer'?")]),
    ("def f():\n    '''\n    @nni.mutablelayer\n    {layer_choice: [g()], layer_output: y}'''\n", [(3, 5, "did you mean '@nni.mutable_layer'?")]),
    ('r"""@nni.varible(nni.choice(1, 2), name=w)"""\nw = 1\n', [(1, 5, "did you mean '@nni.variable'?")]),
    ("# @nni.mutable_layerz(\n#   {layer_choice: [f(x)], layer_output: y})\n", [(1, 3, "did you mean '@nni.mutable_layer'?")]),
    ("if x:\n\t#@nni.report_final_reslt(acc)\n\tpass\n", [(2, 3, "did you mean '@nni.report_final_result'?")]),
    ('"""@nni.average_weights(x)"""\n', [(1, 4, "left as it is")]),
    ('"""   \n   @nni.funtion_choice(a(), b(), name=a)"""\nh = a()\n', [(2, 4, "did you mean '@nni.function_choice'?")]),
    ('x = "é"; """@nni.mutabel_layer\n{layer_choice: [f(x)], layer_output: y}"""\n', [(1, 13, "did you mean '@nni.mutable_layer'?")]),
    # not warned: real annotations, strings that are not statements, comments after code or in strings
    (LAYER, []),
    ('"""@nni.report_intermediate_result(acc)"""\n"""@nni.get_next_parameter()"""\n"""@nni.training_update"""\n', []),
    ('x = """@nni.mutable_layr"""\nf("@nni.mutable_layr")\n', []),
    ("y = 1  # @nni.mutable_layr\n", []),
    ('"""Docs:\n# @nni.mutable_layr\n"""\n', []),
    ('"""see @nni.mutable_layr"""\n', []),
    ("email = 'a@nni.org'\n", []),
    ("def (:\n    '''@nni.mutable_layr'''\n", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_misspelt_markers(text: str, expected: list[tuple[int, int, str]]) -> None:
    found = misspelt_markers(Source("m.py", text))
    assert [(d.line, d.col) for d in found] == [(line, col) for line, col, _ in expected]
    for diagnostic, (_, _, tail) in zip(found, expected):
        assert diagnostic.severity == "warning"
        assert diagnostic.message.startswith("'@nni.") and diagnostic.message.endswith(tail)
        assert diagnostic.render().splitlines()[0].startswith(f"m.py:{diagnostic.line}:{diagnostic.col}: warning: ")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_comment_and_string_warnings_whatever_the_line_endings(newline: str) -> None:
    """The tokenizer gets the lines Python sees (a lone CR ends one too); Python 3.12's tokenizer
    also fails on a lone CR followed by non-ASCII text, as `é` here."""
    text = '# @nni.mutable_layr\né = 1\n"""@nni.report_finalresult(x)"""\n'.replace("\n", newline)
    assert [(d.line, d.col) for d in misspelt_markers(Source("m.py", text))] == [(1, 3), (3, 4)]


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.py").write_text(LAYER)
    (tmp_path / "typo.py").write_text('"""@nni.mutable_layr\n{layer_choice: [g(x)], layer_output: z}"""\n')
    return tmp_path


def test_check_warns_and_succeeds(project) -> None:
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 0
    assert result.stdout == "ok: 1 mutable layer(s) and 0 hyperparameter(s) in 1 annotated file(s), 1 warning(s)\n"
    assert result.stderr == (
        "./typo.py:1:4: warning: '@nni.mutable_layr' is not an annotation, so this is left as it is; "
        "did you mean '@nni.mutable_layer'?\n"
        '    """@nni.mutable_layr\n'
        "       ^\n"
    )
    assert [d.severity for d in api.check(["."])] == ["warning"]


def test_errors_and_warnings_are_reported_together(project) -> None:
    (project / "bad.py").write_text('"""@nni.mutable_layer\n{layer_choice: [], layer_output: w}"""\n')
    for args in (["check", "."], ["extract", "."]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        lines = [line for line in result.stderr.splitlines() if line.startswith(("./bad.py", "./typo.py"))]
        assert [line.split(": ")[1] for line in lines] == ["error", "warning"], result.stderr
        assert result.stdout == ""


def test_extract_and_expand_warn_on_stderr_only(project) -> None:
    result = CliRunner().invoke(main, ["extract", "typo.py", "good.py"])
    assert result.exit_code == 0
    assert '"good/y"' in result.stdout and "mutable_layr" not in result.stdout
    assert result.stderr.startswith("typo.py:1:4: warning: ")
    result = CliRunner().invoke(main, ["expand", "typo.py"])
    assert (result.exit_code, result.stdout) == (0, (project / "typo.py").read_text())
    assert result.stderr.startswith("typo.py:1:4: warning: ")
    result = CliRunner().invoke(main, ["expand", "good.py", "--choice", '{"good/y": {"layer": 0}}'])
    assert (result.exit_code, result.stderr) == (0, "")

"""`search` writes the best architecture frozen (`best_<stem>.py`, the form `nas-annotate freeze`
gives) and says so in its summary, with the command that gives the line-preserving form; a
script libcst cannot parse falls back to that form, saying why."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import libcst
import pytest
from conftest import SEARCH, needs

pytestmark = needs(*SEARCH)

TOY = Path(__file__).resolve().parent.parent / "examples" / "toy" / "score.py"


@pytest.fixture
def trial(tmp_path: Path) -> Path:
    path = tmp_path / "score.py"
    shutil.copy(TOY, path)
    return path


def test_the_best_script_is_frozen_and_the_summary_says_so(trial, tmp_path, capsys):
    from nas_annotate.search import Options, search

    options = Options(script=str(trial), out=str(tmp_path / "out"), trials=4, sampler="random", seed=3, progress=False)
    search(options, echo=lambda text: None)
    out = tmp_path / "out"
    best = json.loads((out / "results.json").read_text())["best"]
    script = (out / "best_score.py").read_text()
    assert '"""@nni.' not in script and "nas_annotate" not in script  # frozen, no report left
    assert "cell1 = " in script and "cell4 = " in script
    ran = subprocess.run([sys.executable, str(out / "best_score.py")], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == f"score: {best['value']:.2f}\n"
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("best script: "))
    choice = out / "best_choice.json"
    assert line == f"best script: {out / 'best_score.py'} (frozen for the best choice; line for line: nas-annotate expand {trial} -c {choice})"


def test_a_script_libcst_cannot_parse_gets_the_line_preserving_form(trial, monkeypatch):
    from nas_annotate.api import expand
    from nas_annotate.search.rows import best_script

    choice = {f"score/main.cell{i}": {"layer": "best", "inputs": ["good_skip"] if i in (2, 3) else []} for i in range(1, 5)}
    data, form = best_script(str(trial), choice, "best_choice.json")
    assert form.startswith("frozen for the best choice") and b"cell1 = best([[], []])" in data
    try:
        libcst.parse_module("x = (\n")
    except libcst.ParserSyntaxError as exc:
        error = exc
    monkeypatch.setattr(libcst, "parse_module", lambda text, config=None: (_ for _ in ()).throw(error))
    data, form = best_script(str(trial), choice, "best_choice.json")
    assert data == expand(str(trial), json.dumps(choice))
    assert form.startswith(f"line for line, as nas-annotate expand {trial} -c best_choice.json writes it: freeze cannot rewrite this file: libcst ")

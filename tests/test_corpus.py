"""A corpus of bad inputs, each with the exact diagnostic it must give (SPEC §9, issue 7 item 2).

Every case is a file `tests/corpus/NAME.expected`:

    ! mkdir adir                      optional set-up lines, see SETUP below
    $ expand model.py --choice X.json the command line, after `nas-annotate` (shell quoting)
    ? 1                               the exit status: 1 for diagnostics, 2 for usage errors
    X.json:1:2: error: ...            the rest is the exact stderr, caret lines included

The command runs in a fresh copy of `tests/corpus/`, so it names its inputs by their plain file
names: most cases have their own `NAME.py` (or `NAME.json`, `NAME.yaml`), and the choice cases
share the valid `model.py` and `hp.py`.  `$DIR` in the expected text stands for that directory
(`run` reports absolute paths).  Whatever the case, stdout stays empty and no Python traceback
appears.

Where CPython's own text differs between versions (a `SyntaxError` message and offset, say),
`NAME.expected` holds what the oldest supported Python gives and `NAME.expected-3.X` what
Python 3.X and later give, up to the next such file: the same command, Python's newer text.

Adding a case: write its input and a `NAME.expected` with the `$` line and a `? 0` line, run
`CORPUS_UPDATE=1 pytest tests/test_corpus.py -k NAME` to fill in the status and stderr the tool
gives now, then read the result: it is the contract from then on.

`run` cases go through a subprocess (they start the user's script); the others run in-process
through click's test runner, which keeps 140 cases within a few seconds.
"""

from __future__ import annotations

import builtins
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEARCH, needs

from nas_annotate.cli import main

CORPUS = Path(__file__).with_name("corpus")
UPDATE = bool(os.environ.get("CORPUS_UPDATE"))
AMBIENT = ("NAS_ANNOTATE_CHOICE", "NAS_ANNOTATE_REPORT", "NAS_ANNOTATE_DEBUG", "NNI_PLATFORM", "PYTHONPYCACHEPREFIX")


@dataclass
class Case:
    name: str
    args: list[str]
    status: int
    stderr: str
    setup: list[list[str]] = field(default_factory=list)


def load(path: Path) -> Case:
    text = path.read_text(encoding="utf-8")
    setup, args, status = [], None, None
    while args is None or status is None:
        line, _, text = text.partition("\n")
        if line.startswith("! "):
            setup.append(shlex.split(line[2:]))
        elif line.startswith("$"):
            args = shlex.split(line[1:])
        elif line.startswith("? "):
            status = int(line[2:])
        else:
            raise ValueError(f"{path.name}: expected '!', '$' or '?' before the stderr, got {line!r}")
    return Case(path.name.partition(".expected")[0], args, status, text, setup)


CASES = sorted(CORPUS.glob("*.expected"))


def for_this_python(path: Path) -> Path:
    """The expectation in force on the running Python: `path` or its newest `-3.X` variant
    for a version at most the running one."""
    chosen, since = path, (3, 0)
    for variant in path.parent.glob(path.name + "-3.*"):
        version = (3, int(variant.name.rpartition("-3.")[2]))
        if since < version <= sys.version_info[:2]:
            chosen, since = variant, version
    return chosen


def test_the_corpus_is_large_and_distinct():
    cases = [load(path) for path in CASES]
    assert len(cases) >= 40
    runs = {(repr(c.setup), tuple(c.args)) for c in cases}
    assert len(runs) == len(cases), "two cases run the same command on the same files"
    commands = {c.args[0] if c.args else "" for c in cases}
    assert {"", "extract", "check", "expand", "run", "search"} <= commands


def test_each_version_variant_runs_its_case_command():
    for variant in CORPUS.glob("*.expected-3.*"):
        base = variant.with_name(variant.name.rpartition("-3.")[0])
        assert base.exists(), variant.name
        assert (load(variant).setup, load(variant).args) == (load(base).setup, load(base).args), variant.name


def _unreadable(path: Path, monkeypatch) -> None:
    """Make `path` unreadable: mode 000, and, for root (who reads it anyway), an `open` that
    refuses it as the kernel would refuse anyone else."""
    path.chmod(0)
    if os.geteuid() != 0:
        return
    real_open = builtins.open
    target = os.path.realpath(path)

    def guarded(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and os.path.realpath(os.fsdecode(file)) == target:
            raise PermissionError(13, "Permission denied", os.fsdecode(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)


def _invoke(case: Case, directory: Path, env: dict[str, str], monkeypatch) -> tuple[int, str, str]:
    if case.args[:1] == ["run"]:
        full = {k: v for k, v in os.environ.items() if k not in AMBIENT}
        full.update(env, PYTHONDONTWRITEBYTECODE="1")
        proc = subprocess.run(
            [sys.executable, "-m", "nas_annotate", *case.args], cwd=directory, env=full, capture_output=True, text=True, timeout=60
        )
        return proc.returncode, proc.stdout, proc.stderr
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, case.args, catch_exceptions=False, prog_name="nas-annotate")
    return result.exit_code, result.stdout, result.stderr


def marks(case: Case) -> list[pytest.MarkDecorator]:
    """A `search` past its options (not a usage error) needs the search extra to get further."""
    return [needs(*SEARCH)] if case.args[:1] == ["search"] and case.status != 2 else []


@pytest.mark.parametrize("path", [pytest.param(p, marks=marks(load(p)), id=p.name[: -len(".expected")]) for p in CASES])
def test_case(path: Path, tmp_path: Path, monkeypatch) -> None:
    path = for_this_python(path)
    case = load(path)
    directory = tmp_path / "corpus"
    shutil.copytree(CORPUS, directory, ignore=shutil.ignore_patterns("*.expected", "*.expected-3.*", "__pycache__"))
    for name in AMBIENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(directory)
    env: dict[str, str] = {}
    for action, *operands in case.setup:
        if action == "mkdir":
            (directory / operands[0]).mkdir()
        elif action == "unreadable":
            _unreadable(directory / operands[0], monkeypatch)
        elif action == "env":
            name, _, value = operands[0].partition("=")
            env[name] = value
        else:
            raise ValueError(f"{path.name}: unknown set-up {action!r}")
    before = sorted(p.relative_to(directory) for p in directory.rglob("*"))
    status, stdout, stderr = _invoke(case, directory, env, monkeypatch)
    stderr = stderr.replace(os.fspath(directory), "$DIR")
    if UPDATE:
        header = "".join(f"! {shlex.join(s)}\n" for s in case.setup) + f"$ {shlex.join(case.args)}".rstrip() + "\n"
        path.write_text(f"{header}? {status}\n{stderr}", encoding="utf-8")
        case.status, case.stderr = status, stderr
    assert "Traceback" not in stderr
    assert "internal error" not in stderr
    assert stdout == ""
    assert (status, stderr) == (case.status, case.stderr)
    assert status in (1, 2)
    if status == 1:
        assert re.search(r": error: ", stderr)
    # a failed command leaves the directory as it was: no output, no temporary file
    after = sorted(p.relative_to(directory) for p in directory.rglob("*") if "__pycache__" not in p.parts)
    created = set(after) - set(before)
    assert not created, created
    assert not (directory / "PWNED").exists()



@pytest.mark.parametrize(
    "source",
    [
        'x = 0\n"""@nni.report_final_result(await x)"""\n',
        'x = 0\n"""@nni.mutable_layer\n{layer_choice: [conv(k=await x)], layer_output: y}"""\n',
        'def f(x):\n    """@nni.report_final_result(await x)"""\n',
    ],
    ids=["report-at-module-level", "layer-at-module-level", "report-in-a-plain-function"],
)
def test_await_outside_an_async_function_is_a_diagnostic(tmp_path: Path, source: str) -> None:
    """The expansion would not compile (found by tests/test_fuzz.py, fixed in d64c4b1)."""
    from nas_annotate.api import check

    path = tmp_path / "aw.py"
    path.write_text(source)
    assert [d.message for d in check([os.fspath(path)])] == ["'await' outside an async function"]

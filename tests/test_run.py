"""`nas-annotate run` (SPEC §4, §5, §7, §8): a multi-file project run against the chosen form.

Every run is a subprocess (the runner touches `sys.meta_path`, `sys.modules`, `__main__`, `sys.argv`).
The reference for "what a run must print" is always plain `python` running the files that
`nas-annotate expand FILE --choice C` emits, laid out like the project in another directory.

`PYTHONDONTWRITEBYTECODE` is chosen explicitly for every subprocess, never inherited: set by
default (no cache written, every run compiles), unset in the `cold-then-warm` case of the main
comparison, whose second run uses the cache. The cache itself is tested in test_importhook.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import nas_annotate
from nas_annotate.cli import main as cli_main

NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
PACKAGE_DIR = os.path.dirname(os.path.abspath(nas_annotate.__file__))
EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "basics", "enas_macro.py")
MARKER = b"@nni.mutable_layer"

OPS = (Path(__file__).parent / "fixtures" / "stand_ins" / "ops.py").read_text()  # written beside the scripts under test

UTIL = '''\
"""Un-annotated helpers inside the package."""


def loader_of(module):
    kind = type(module.__loader__)
    return f"{kind.__module__}.{kind.__name__}"
'''

CELLS = '''\
"""A cell the caller repeats: one decision, applied at every call."""
from ops import conv, sep, pool


def cell(h, skip):
    """@nni.mutable_layer
    {
        layer_choice: [conv(k=3), sep(k=5), pool],
        fixed_inputs: [h],
        input_candidates: [skip],
        input_num: [0, 1],
        layer_output: out
    }"""
    return out


def explode(value):
    raise RuntimeError(f"exploded on {value}")  # the user's own line
'''

TRAIN = '''\
"""The annotated training script."""
import sys

import ops
from ops import conv, pool
from pkg import cells, util

x = "x"
"""@nni.mutable_layer
{
    layer_choice: [conv(k=1), pool],
    input_candidates: [x],
    input_num: [0, 1],
    layer_output: stem
}"""
h = stem
for _ in range(3):
    h = cells.cell(h, x)
print("name", __name__)
print("argv", sys.argv)
print("out", h)
print("calls", ops.CALLS)
print("helpers", util.loader_of(ops), util.loader_of(util))
if "--explode" in sys.argv:
    cells.explode(len(h))
'''

FILES = {"proj/ops.py": OPS, "proj/pkg/__init__.py": "", "proj/pkg/util.py": UTIL, "proj/pkg/cells.py": CELLS, "proj/train.py": TRAIN}

CHOICE = {
    "train/stem": {"layer": "pool", "inputs": ["x"]},
    "pkg.cells/cell.out": {"layer": "sep(k=5)", "inputs": ["skip"]},
}
FIRST = {
    "train/stem": {"layer": "conv(k=1)", "inputs": []},
    "pkg.cells/cell.out": {"layer": "conv(k=3)", "inputs": []},
}
NORMAL_LOADER = "_frozen_importlib_external.SourceFileLoader"
EXPECTED = f"""\
name __main__
argv ['proj/train.py', '--epochs', '1']
out sep(sep(sep(pool(x)+x,k=5)+x,k=5)+x,k=5)
calls ['pool', 'sep', 'sep', 'sep']
helpers {NORMAL_LOADER} {NORMAL_LOADER}
"""


# --- helpers ---------------------------------------------------------------------------------------


def write_tree(root, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def env(write_bytecode: bool = False, **extra: str) -> dict[str, str]:
    """The environment of a subprocess: no ambient choice, NNI or debug; bytecode writing explicit."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NAS_ANNOTATE_CHOICE", "NNI_PLATFORM", "NAS_ANNOTATE_DEBUG", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    if not write_bytecode:
        base["PYTHONDONTWRITEBYTECODE"] = "1"
    base.update(extra)
    return base


def nas(*args, cwd, module: bool = False, **env_extra) -> subprocess.CompletedProcess:
    """`nas-annotate ARGS` (or `python -m nas_annotate ARGS`) in `cwd`."""
    if not module and not os.path.exists(NAS):
        pytest.skip(f"no console script at {NAS}")
    write = env_extra.pop("write_bytecode", False)
    command = [sys.executable, "-m", "nas_annotate"] if module else [NAS]
    return subprocess.run(
        command + [os.fspath(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env=env(write, **env_extra),
    )


def python(*args, cwd, **env_extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *map(os.fspath, args)], cwd=cwd, capture_output=True, text=True, timeout=60, env=env(**env_extra)
    )


def expand_cli(path, choice: str | None) -> bytes:
    """What `nas-annotate expand PATH [--choice C]` prints (the command run in-process)."""
    args = ["expand", os.fspath(path)] + (["--choice", choice] if choice is not None else [])
    result = CliRunner().invoke(cli_main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


def chosen_copy(source_root, target_root, choice: dict) -> None:
    """`target_root` mirrors `source_root`, each annotated file replaced by its `expand --choice` output."""
    text = json.dumps(choice)
    for directory, dirs, files in os.walk(source_root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            source = os.path.join(directory, name)
            target = os.path.join(target_root, os.path.relpath(source, source_root))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(source, "rb") as handle:
                data = handle.read()
            if name.endswith(".py") and MARKER in data:
                data = expand_cli(source, text)
            with open(target, "wb") as handle:
                handle.write(data)


def same_run(ours: subprocess.CompletedProcess, plain: subprocess.CompletedProcess, ours_root, plain_root) -> None:
    """Same exit status, stdout and stderr, the two roots' paths aside."""
    mask = lambda text, root: text.replace(os.fspath(root), "<ROOT>")  # noqa: E731
    assert (ours.returncode, ours.stdout, mask(ours.stderr, ours_root)) == (
        plain.returncode,
        plain.stdout,
        mask(plain.stderr, plain_root),
    )


def reported_choice(stderr: str) -> dict:
    (line,) = [line for line in stderr.splitlines() if line.startswith("nas-annotate: choice used: ")]
    return json.loads(line.partition("choice used: ")[2])


def assert_clean_error(proc: subprocess.CompletedProcess, status: int, *needles: str) -> None:
    assert proc.returncode == status, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr)


@pytest.fixture
def root(tmp_path):
    """tmp/run/proj/{train.py, ops.py, pkg/{__init__, util, cells}.py}; runs start in tmp/run."""
    write_tree(tmp_path / "run", FILES)
    return tmp_path / "run"


@pytest.fixture
def plain(root, tmp_path):
    """The reference: plain python on the `expand --choice` outputs, laid out the same way."""

    def reference(choice: dict, *args: str) -> subprocess.CompletedProcess:
        target = tmp_path / "plain"
        shutil.rmtree(target, ignore_errors=True)
        chosen_copy(root, target, choice)
        return python("proj/train.py", *args, cwd=target)

    reference.root = tmp_path / "plain"  # type: ignore[attr-defined]
    return reference


# --- 1, 2: the multi-file project, against the chosen form ----------------------------------------------


def test_the_reference_itself(plain):
    """Sanity of the oracle: plain python on the chosen form of each file prints what SPEC §4 says."""
    proc = plain(CHOICE, "--epochs", "1")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, EXPECTED, "")


@pytest.mark.parametrize("where", ["run", "run/proj", "run/proj/pkg"])
def test_keys_are_those_extract_prints_from_any_cwd(root, monkeypatch, where):
    monkeypatch.chdir(root.parent / where)
    result = CliRunner().invoke(cli_main, ["extract", os.fspath(root / "proj")], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert sorted(json.loads(result.stdout)) == sorted(CHOICE) == ["pkg.cells/cell.out", "train/stem"]


@pytest.mark.parametrize("write_bytecode", [False, True], ids=["no-cache", "cold-then-warm"])
def test_run_from_another_cwd_equals_the_chosen_form(root, plain, write_bytecode):
    (root / "c.json").write_text(json.dumps(CHOICE))
    reference = plain(CHOICE, "--epochs", "1")
    for _ in range(2 if write_bytecode else 1):
        proc = nas("run", "proj/train.py", "--choice", "c.json", "--", "--epochs", "1", cwd=root, write_bytecode=write_bytecode)
        same_run(proc, reference, root, plain.root)
        assert proc.stdout == EXPECTED
    assert (root / "proj" / "__pycache__").exists() == write_bytecode


def test_one_decision_for_every_call_of_a_cell(root):
    """The cell runs three times: one decision (pool) at every call, ops recorded in call order."""
    choice = {"train/stem": {"layer": 0}, "pkg.cells/cell.out": {"layer": 2, "inputs": [0]}}
    proc = nas("run", "proj/train.py", "--choice", json.dumps(choice), cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "out pool(pool(pool(conv(,k=1)+x)+x)+x)\n" in proc.stdout
    assert "calls ['conv', 'pool', 'pool', 'pool']\n" in proc.stdout


@pytest.mark.parametrize(
    "script, cwd, argv0",
    [
        ("../proj/train.py", "elsewhere", "../proj/train.py"),
        ("<abs>", "elsewhere", "<abs>"),
    ],
    ids=["from-a-sibling", "absolute"],
)
def test_argv_and_name_as_the_script_sees_them(root, script, cwd, argv0):
    (root / "elsewhere").mkdir()
    absolute = os.fspath(root / "proj" / "train.py")
    script, argv0 = (absolute if s == "<abs>" else s for s in (script, argv0))
    proc = nas("run", script, "--choice", json.dumps(CHOICE), "--", "--epochs", "1", "--choice", "x", cwd=root / cwd)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "name __main__"
    assert lines[1] == "argv " + repr([argv0, "--epochs", "1", "--choice", "x"])
    assert lines[2] == "out sep(sep(sep(pool(x)+x,k=5)+x,k=5)+x,k=5)"


def test_script_options_go_after_the_separator(root):
    """docs/cli.md: an option `run` does not know, before `--`, is a usage error (as under
    `search`), not silently the script's; plain arguments still pass without `--`."""
    proc = nas("run", "proj/train.py", "--epochs", "1", "--choice", json.dumps(CHOICE), cwd=root)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "No such option '--epochs'" in proc.stderr and "nas-annotate run [OPTIONS] SCRIPT -- --epochs" in proc.stderr
    proc = nas("run", "proj/train.py", "--choice", json.dumps(CHOICE), "--", "--epochs", "1", cwd=root)
    assert (proc.returncode, proc.stdout) == (0, EXPECTED), proc.stderr


YAML_CHOICE = "train/stem: {layer: pool, inputs: [x]}\npkg.cells/cell.out:\n  layer: sep(k=5)\n  inputs: [skip]\n"


@pytest.mark.parametrize(
    "how", ["json-file", "yaml-file", "yml-abs-path", "inline-json", "env-path", "env-inline-json", "env-inline-yaml"]
)
def test_every_way_of_giving_the_choice(root, how):
    (root / "c.json").write_text(json.dumps(CHOICE, indent=2))
    (root / "c.yaml").write_text(YAML_CHOICE)
    assert yaml.safe_load(YAML_CHOICE) == CHOICE
    (root / "sub").mkdir()
    (root / "sub" / "c.yml").write_text(YAML_CHOICE)
    options, extra_env = {
        "json-file": (["--choice", "c.json"], {}),
        "yaml-file": (["-c", "c.yaml"], {}),
        "yml-abs-path": (["--choice=" + os.fspath(root / "sub" / "c.yml")], {}),
        "inline-json": (["--choice", json.dumps(CHOICE)], {}),
        "env-path": ([], {"NAS_ANNOTATE_CHOICE": "c.yaml"}),
        "env-inline-json": ([], {"NAS_ANNOTATE_CHOICE": json.dumps(CHOICE)}),
        "env-inline-yaml": ([], {"NAS_ANNOTATE_CHOICE": YAML_CHOICE}),
    }[how]
    proc = nas("run", "proj/train.py", *options, "--", "--epochs", "1", cwd=root, **extra_env)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, EXPECTED, "")


def test_choice_option_wins_over_the_environment(root):
    other = {"train/stem": {"layer": "conv(k=1)"}, "pkg.cells/cell.out": {"layer": "conv(k=3)"}}
    proc = nas(
        "run", "proj/train.py", "--choice", json.dumps(CHOICE), "--", "--epochs", "1", cwd=root,
        NAS_ANNOTATE_CHOICE=json.dumps(other),
    )
    assert (proc.returncode, proc.stdout) == (0, EXPECTED), proc.stderr


API_DRIVER = '''\
import json, sys
import nas_annotate
sys.path.insert(0, "proj")
how, choice = sys.argv[1], sys.argv[2]
if how == "hook-mapping":
    hook = nas_annotate.install_import_hook(roots=["proj"], choice=json.loads(choice))
elif how == "hook-path":
    hook = nas_annotate.install_import_hook(roots=["proj"], choice="c.json")
else:
    hook = nas_annotate.install_import_hook(roots=["proj"])
    nas_annotate.set_choice(json.loads(choice) if how == "set_choice-mapping" else choice)
with hook:
    import ops
    from pkg import cells
h = "h"
for _ in range(3):
    h = cells.cell(h, "s")
print(h, ops.CALLS)
'''


@pytest.mark.parametrize("how", ["hook-mapping", "hook-path", "set_choice-mapping", "set_choice-inline"])
def test_choice_through_the_api(root, how):
    (root / "c.json").write_text(json.dumps(CHOICE))
    (root / "driver.py").write_text(API_DRIVER)
    proc = python("driver.py", how, json.dumps(CHOICE), cwd=root)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "sep(sep(sep(h+s,k=5)+s,k=5)+s,k=5) ['sep', 'sep', 'sep']\n", "")


# --- sampling ----------------------------------------------------------------------------------------


def test_sample_first(root, plain):
    proc = nas("run", "proj/train.py", "--sample", "first", "--", "--epochs", "1", cwd=root)
    reference = plain(FIRST, "--epochs", "1")
    assert (proc.returncode, proc.stdout) == (0, reference.stdout), proc.stderr
    assert reported_choice(proc.stderr) == FIRST


def test_sample_random_is_deterministic_for_a_seed_and_reports_its_choice(root):
    runs = {seed: nas("run", "proj/train.py", "--sample", "random", "--seed", str(seed), cwd=root) for seed in (1, 2, 3)}
    again = nas("run", "proj/train.py", "--sample=random", "--seed=1", cwd=root)
    assert all(p.returncode == 0 for p in [*runs.values(), again]), [p.stderr for p in runs.values()]
    assert (again.stdout, again.stderr) == (runs[1].stdout, runs[1].stderr)
    assert len({p.stdout for p in runs.values()}) > 1, "three seeds, one architecture"
    for proc in runs.values():
        assert sorted(reported_choice(proc.stderr)) == sorted(CHOICE)
    for seed in (1, 2):  # the reported choice, given back, reproduces the run
        used = json.dumps(reported_choice(runs[seed].stderr))
        replay = nas("run", "proj/train.py", "--choice", used, cwd=root)
        assert (replay.returncode, replay.stdout, replay.stderr) == (0, runs[seed].stdout, "")


def test_sample_fills_only_what_the_choice_leaves_out(root):
    partial = {"pkg.cells/cell.out": CHOICE["pkg.cells/cell.out"]}
    proc = nas("run", "proj/train.py", "--choice", json.dumps(partial), "--sample", "first", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "out sep(sep(sep(conv(,k=1)+x,k=5)+x,k=5)+x,k=5)\n" in proc.stdout
    assert reported_choice(proc.stderr) == {"train/stem": FIRST["train/stem"], **partial}


# --- missing and bad choices ---------------------------------------------------------------------------


@pytest.mark.parametrize("module", [False, True], ids=["nas-annotate", "python-m"])
def test_no_choice_at_all_is_a_usage_error(root, module):
    proc = nas("run", "proj/train.py", "--", "--epochs", "1", cwd=root, module=module)
    assert_clean_error(proc, 2, "--choice", "NAS_ANNOTATE_CHOICE", "--sample")
    assert proc.stdout == ""


@pytest.mark.parametrize(
    "choice, needles",
    [
        ({**CHOICE, "pkg.cells/cell.out": {"layer": "sepp(k=5)"}}, ["pkg.cells/cell.out", "sepp(k=5)", "sep(k=5)"]),
        ({**CHOICE, "pkg.cells/cell.out": {"layer": 3}}, ["pkg.cells/cell.out", "3"]),
        ({**CHOICE, "pkg.cells/cell.out": {"layer": 0, "inputs": ["h"]}}, ["pkg.cells/cell.out", "'h'", "skip"]),
        ({"train/stem": CHOICE["train/stem"]}, ["pkg.cells/cell.out", "conv(k=3)"]),
        ({**CHOICE, "pkg.cells/cell.typo": {"layer": 0}}, ["pkg.cells/cell.typo", "pkg.cells/cell.out"]),
    ],
    ids=["unknown-label", "index-out-of-range", "unknown-input", "missing-key", "unknown-key"],
)
def test_bad_choice_is_a_clean_error_naming_the_key(root, choice, needles):
    proc = nas("run", "proj/train.py", "--choice", json.dumps(choice), cwd=root)
    assert_clean_error(proc, 1, *needles)
    assert "error" in proc.stderr


def test_missing_key_stops_at_first_use_not_before(root):
    """The script's own layer and its prints before the cell run; the cell's missing key stops it."""
    (root / "proj" / "early.py").write_text(TRAIN.replace("h = stem\n", "h = stem\nprint('stem', stem, flush=True)\n"))
    proc = nas("run", "proj/early.py", "--choice", json.dumps({"early/stem": CHOICE["train/stem"]}), cwd=root)
    assert_clean_error(proc, 1, "pkg.cells/cell.out", "cells.py:6")
    assert proc.stdout == "stem pool(x)\n"


@pytest.mark.parametrize(
    "choice, needles",
    [("missing.json", ["missing.json"]), ("{not json", ["{not json"])],
    ids=["missing-file", "bad-json"],
)
def test_unreadable_choice_is_a_clean_error(root, choice, needles):
    proc = nas("run", "proj/train.py", "--choice", choice, cwd=root)
    assert_clean_error(proc, 1, *needles)
    assert proc.stdout == ""


def test_unannotated_script_importing_an_annotated_module_without_a_choice(root):
    (root / "proj" / "plainmain.py").write_text("from pkg import cells\nprint(cells.cell('h', 's'))\n")
    proc = nas("run", "proj/plainmain.py", cwd=root)
    assert_clean_error(proc, 1, "pkg.cells/cell.out", "--choice")


# --- 3: exit status and exceptions pass through ------------------------------------------------------------

LAYER = '''\
def op(inputs):
    return inputs
"""@nni.mutable_layer
{
    layer_choice: [op],
    layer_output: value
}"""
'''


@pytest.mark.parametrize(
    "tail, status",
    [
        ("import sys\nsys.exit(3)\n", 3),
        ("import sys\nsys.exit('giving up: %r' % (value,))\n", 1),
        ("import sys\nsys.exit()\n", 0),
        ("def deep(v):\n    return {}[v[0][0]]\ndeep(value)\n", 1),
        ("try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    raise ValueError('bad') from e\n", 1),
    ],
    ids=["exit-3", "exit-msg", "exit-none", "exception", "chained-exception"],
)
def test_exit_status_and_exceptions_pass_through(tmp_path, tail, status):
    """Exit status, stdout and stderr (tracebacks included) are those of plain python on the chosen form."""
    choice = {"script/value": {"layer": "op"}}
    write_tree(tmp_path / "run", {"script.py": LAYER + tail})
    chosen_copy(tmp_path / "run", tmp_path / "plain", choice)
    ours = nas("run", "script.py", "--choice", json.dumps(choice), cwd=tmp_path / "run")
    reference = python("script.py", cwd=tmp_path / "plain")
    assert ours.returncode == status, ours.stderr
    same_run(ours, reference, tmp_path / "run", tmp_path / "plain")
    if "giving up" in tail:
        assert ours.stderr == "giving up: [[], []]\n"
    if status == 1 and "exit" not in tail:
        assert ours.stderr.startswith("Traceback (most recent call last):\n")
        assert PACKAGE_DIR not in ours.stderr


# --- 4: true tracebacks -----------------------------------------------------------------------------------


def test_traceback_points_at_the_users_files_and_lines(root, plain):
    cells = root / "proj" / "pkg" / "cells.py"
    line = CELLS.splitlines().index('    raise RuntimeError(f"exploded on {value}")  # the user\'s own line') + 1
    proc = nas("run", "proj/train.py", "--choice", json.dumps(CHOICE), "--", "--explode", cwd=root)
    assert proc.returncode == 1
    assert proc.stdout.startswith("name __main__\n")
    assert f'File "{cells}", line {line}, in explode\n' in proc.stderr
    assert "    raise RuntimeError(f\"exploded on {value}\")  # the user's own line\n" in proc.stderr
    assert f'File "{root / "proj" / "train.py"}", line {TRAIN.count(chr(10))}, in <module>\n    cells.explode(len(h))\n' in proc.stderr
    assert proc.stderr.rstrip().endswith("RuntimeError: exploded on 40")
    assert PACKAGE_DIR not in proc.stderr
    for name in ("runner.py", "importhook.py", "runtime.py", "entry.py", "<frozen"):
        assert name not in proc.stderr
    # frame for frame what python shows for the chosen form
    same_run(proc, plain(CHOICE, "--explode"), root, plain.root)


def test_traceback_from_inside_a_layer_points_into_the_annotation(root):
    """A chosen op that fails: the frame is the annotated file, on one of the annotation's lines."""
    (root / "proj" / "ops.py").write_text(OPS + "\n\ndef sep(inputs, k):\n    raise ArithmeticError('sep broke')\n")
    proc = nas("run", "proj/train.py", "--choice", json.dumps(CHOICE), cwd=root)
    assert proc.returncode == 1
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', proc.stderr)
    assert [(os.path.basename(f), name) for f, _, name in frames] == [("train.py", "<module>"), ("cells.py", "cell"), ("ops.py", "sep")]
    assert frames[1][0] == os.fspath(root / "proj" / "pkg" / "cells.py")
    first = CELLS.splitlines().index('    """@nni.mutable_layer') + 1
    last = CELLS.splitlines().index('    }"""') + 1
    assert first <= int(frames[1][1]) <= last
    shown = CELLS.splitlines()[int(frames[1][1]) - 1].strip()
    after = proc.stderr.split(f"\n    {shown}\n", 1)[1]
    assert not after.lstrip(" ").startswith("^"), "carets pointing into generated code"
    assert PACKAGE_DIR not in proc.stderr


IMPORT_FAILS = '''\
from ops import conv, pool
x = "x"
"""@nni.mutable_layer
{
    layer_choice: [conv(k=3), pool],
    fixed_inputs: [x],
    layer_output: out
}"""
raise KeyError(out)
'''


def test_traceback_of_an_exception_at_import_time_is_pythons(root, tmp_path):
    write_tree(root, {"proj/pkg/bad.py": IMPORT_FAILS, "proj/imports_bad.py": "import pkg.bad\n"})
    choice = {**CHOICE, "pkg.bad/out": {"layer": 0}}
    chosen_copy(root, tmp_path / "plain", choice)
    ours = nas("run", "proj/imports_bad.py", "--choice", json.dumps(choice), cwd=root)
    reference = python("proj/imports_bad.py", cwd=tmp_path / "plain")
    assert ours.returncode == 1
    assert f'File "{root / "proj" / "pkg" / "bad.py"}", line 9, in <module>\n    raise KeyError(out)\n' in ours.stderr
    assert PACKAGE_DIR not in ours.stderr
    same_run(ours, reference, root, tmp_path / "plain")


SPAWN = LAYER + '''\
import multiprocessing
import sys

from cells import cell


def work(i):
    return f"{value}{i}{cell(i)}"


if __name__ == "__main__":
    with multiprocessing.get_context(sys.argv[1]).Pool(1) as pool:
        print(pool.map(work, [1, 2]))
'''
SPAWN_CELLS = '''\
def conv(inputs, x):
    return f"conv{x}"


def pool(inputs, x):
    return f"pool{x}"


def cell(x):
    """@nni.mutable_layer
    {layer_choice: [conv(x), pool(x)], layer_output: y}"""
    return y
'''


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_fresh_worker_processes_run_the_expanded_script(tmp_path, method):
    """multiprocessing's spawn (macOS and Windows's default) and forkserver children import the
    script again, as __mp_main__, and its annotated modules: expanded, with the same choice."""
    choice = {"script/value": {"layer": "op"}, "cells/cell.y": {"layer": "pool(x)"}}
    write_tree(tmp_path / "run", {"script.py": SPAWN, "cells.py": SPAWN_CELLS})
    chosen_copy(tmp_path / "run", tmp_path / "plain", choice)
    ours = nas("run", "script.py", "--choice", json.dumps(choice), "--", method, cwd=tmp_path / "run")
    reference = python("script.py", method, cwd=tmp_path / "plain")
    assert reference.stdout == "['[[], []]1pool1', '[[], []]2pool2']\n", reference.stderr
    same_run(ours, reference, tmp_path / "run", tmp_path / "plain")


SAMPLED = '''\
import multiprocessing
import sys


def conv(inputs):
    return "conv"


pool, sep = conv, conv
"""@nni.mutable_layer
{layer_choice: [conv, pool, sep], layer_output: first}"""


def work(i):
    """@nni.mutable_layer
    {layer_choice: [conv, pool, sep], layer_output: later}"""
    return first, later


if __name__ == "__main__":
    seen = work(0)
    with multiprocessing.get_context("spawn").Pool(2) as workers:
        print(seen, workers.map(work, range(4)))
'''


@pytest.mark.parametrize("seed", range(4))
def test_fresh_workers_keep_the_decisions_of_a_sampled_run(tmp_path, seed):
    write_tree(tmp_path, {"script.py": SAMPLED})
    proc = nas("run", "script.py", "--sample", "random", "--seed", str(seed), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    seen, results = proc.stdout.rsplit(" [", 1)[0], proc.stdout
    assert results.count(seen) == 5, proc.stdout
    used = json.loads(proc.stderr.split("nas-annotate: choice used: ", 1)[1])
    assert set(used) == {"script/first", "script/work.later"}


def test_a_symlinked_script_imports_its_real_siblings(root):
    (root / "links").mkdir()
    os.symlink(root / "proj" / "train.py", root / "links" / "train.py")
    proc = nas("run", "links/train.py", "--choice", json.dumps(CHOICE), "--", "--epochs", "1", cwd=root)
    assert (proc.returncode, proc.stdout) == (0, EXPECTED.replace("proj/train.py", "links/train.py")), proc.stderr


# --- 6: python -m nas_annotate run is nas-annotate run ------------------------------------------------------


@pytest.mark.parametrize(
    "args, extra_env",
    [
        (["proj/train.py", "--choice", json.dumps(CHOICE), "--", "--epochs", "1"], {}),
        (["proj/train.py"], {}),
        (["proj/train.py", "--choice", json.dumps(CHOICE), "--", "--explode"], {}),
    ],
    ids=["choice", "no-choice", "exception"],
)
def test_python_m_is_the_console_script(root, args, extra_env):
    script, module = (nas("run", *args, cwd=root, module=m, **extra_env) for m in (False, True))
    assert (module.returncode, module.stdout, module.stderr) == (script.returncode, script.stdout, script.stderr)
    assert script.stdout or script.stderr


# --- 8: the run-time form is the chosen form ------------------------------------------------------------------

ENAS_CHOICES = {
    "example": None,  # examples/basics/enas_choice.json
    "widest": {
        "enas_macro/out1": {"layer": "max_pool"},
        "enas_macro/out2": {"layer": 5},
        "enas_macro/out3": {"layer": "avg_pool", "inputs": ["out1"]},
        "enas_macro/out4": {"layer": "conv5", "inputs": ["out2", "out1"]},
        "enas_macro/out5": {"layer": "concat", "inputs": ["out3", "out1", "out2"]},
    },
    "nni-nested": {
        f"enas_macro/out{i}": {"layer": {"chosen_layer": layer, "chosen_inputs": inputs}}
        for i, layer, inputs in [
            (1, "conv3_sep", []),
            (2, "conv3", []),
            (3, "conv5_sep", []),
            (4, "avg_pool", ["out2"]),
            (5, "concat", ["out2", "out3"]),
        ]
    },
}


@pytest.mark.parametrize("name", list(ENAS_CHOICES))
def test_run_time_form_prints_what_the_chosen_form_prints(tmp_path, name):
    choice = ENAS_CHOICES[name]
    text = open(os.path.join(os.path.dirname(EXAMPLE), "enas_choice.json")).read() if choice is None else json.dumps(choice)
    (tmp_path / "runtime").mkdir()
    (tmp_path / "chosen").mkdir()
    (tmp_path / "runtime" / "enas_macro.py").write_bytes(expand_cli(EXAMPLE, None))
    (tmp_path / "chosen" / "enas_macro.py").write_bytes(expand_cli(EXAMPLE, text))
    runtime_form = python("enas_macro.py", cwd=tmp_path / "runtime", NAS_ANNOTATE_CHOICE=text)
    chosen_form = python("enas_macro.py", cwd=tmp_path / "chosen")
    assert chosen_form.returncode == 0 and chosen_form.stdout.startswith("softmax("), chosen_form.stderr
    assert (runtime_form.returncode, runtime_form.stdout, runtime_form.stderr) == (0, chosen_form.stdout, "")
    if name != "example":
        return
    # and `run` on the annotated original (a copy: nothing is written into the repository) agrees
    (tmp_path / "c.json").write_text(text)
    (tmp_path / "original").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "original" / "enas_macro.py")
    ran = nas("run", "original/enas_macro.py", "--choice", "c.json", cwd=tmp_path, write_bytecode=True)
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, chosen_form.stdout, "")


def test_run_time_form_keeps_every_line_outside_annotations():
    """The run-time form of the example keeps line numbers (SPEC §8), like the chosen form."""
    source = open(EXAMPLE, "rb").read().splitlines()
    expanded = expand_cli(EXAMPLE, None).splitlines()
    assert len(expanded) == len(source)
    start = source.index(b'"""@nni.mutable_layer')
    end = source.index(b'"""', start + 1)
    for i, (a, b) in enumerate(zip(source, expanded)):
        if not start <= i <= end:
            assert a == b, i + 1
    assert b"decide('enas_macro/out1'" in b"\n".join(expanded)


def test_script_without_annotations_runs_without_a_choice(tmp_path):
    (tmp_path / "hello.py").write_text(textwrap.dedent(
        """\
        import sys
        print("hello", sys.argv[1:], __name__)
        """
    ))
    proc = nas("run", "hello.py", "--", "a", "b", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "hello ['a', 'b'] __main__\n", "")

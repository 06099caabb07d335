"""Nothing lost (issue 7 item 5): sources are never written, `-o` outputs are all-or-nothing,
a killed `search` keeps the trials it finished, and the import hook's cache survives a process
killed while writing it.

Covered elsewhere, not repeated: extract/check/expand/run leave sources alone
(test_cli.py::test_no_command_writes_a_source, and with search in
test_security.py::test_each_command_writes_only_the_outputs_it_is_given); the output switched
by rename, a failed rename, an error before writing (test_cli.py::test_output_*); a search
killed while a trial runs, its RUNNING trial failed by the next run
(test_search.py::test_a_killed_search_keeps_its_trials_and_the_next_run_clears_its_leftovers);
8 concurrent cold imports (test_importhook.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEARCH, needs

from nas_annotate import files, importhook
from nas_annotate.cli import main

OLD = 1_000_000_000

CELLS = '''\
def op(name):
    return lambda inputs: f"{name}{inputs[0]}"

conv, pool = op("conv"), op("pool")


def cell(h):
    """@nni.mutable_layer
    {layer_choice: [conv, pool], fixed_inputs: [h], layer_output: out}"""
    return out
'''

TRAIN = '''\
import nas_annotate
from pkg import cells

x = "x"
# @nni.mutable_layer
# {layer_choice: [cells.conv, cells.pool], fixed_inputs: [x], layer_output: stem}
print(cells.cell(stem))
nas_annotate.report(len(stem))
'''

CHOICE = {"train/stem": {"layer": "cells.pool"}, "pkg.cells/cell.out": {"layer": "conv"}}
EXPECTED = "conv[\"pool['x']\"]\n"


def env(write_bytecode: bool = False, **extra: str) -> dict[str, str]:
    ambient = ("NAS_ANNOTATE", "NNI_", "PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")
    base = {k: v for k, v in os.environ.items() if not k.startswith(ambient)}
    if not write_bytecode:
        base["PYTHONDONTWRITEBYTECODE"] = "1"
    base.update(extra)
    return base


def kill_while_writing(code: str, args: list[str], cwd: Path, environ: dict[str, str], tmp_path: Path) -> None:
    """Run `python -c code SIGNAL_FILE *args` and SIGKILL it once it has made SIGNAL_FILE (mid-write)."""
    signal_file = tmp_path / "writing"
    process = subprocess.Popen(
        [sys.executable, "-c", code, os.fspath(signal_file), *args],
        cwd=cwd, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not signal_file.exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    signal_file.unlink()


def nas(*args: str, cwd: Path, write_bytecode: bool = False, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nas_annotate", *args], cwd=cwd, env=env(write_bytecode, **extra), capture_output=True, text=True,
        timeout=120,
    )


def sources(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Bytes, mtime and inode of every .py and .json file under `root`, caches and outputs aside."""
    found = {}
    for path in root.rglob("*"):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts and "out" not in path.parts:
            info = path.stat()
            found[os.fspath(path)] = (path.read_bytes(), info.st_mtime_ns, info.st_ino)
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "train.py").write_text(TRAIN)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "cells.py").write_text(CELLS)
    (root / "choice.json").write_text(json.dumps(CHOICE))
    for path in root.rglob("*"):
        os.utime(path, (OLD, OLD))
    return root


# --- sources are never written -------------------------------------------------------------------


@needs(*SEARCH)
def test_no_command_touches_a_source_even_with_bytecode_on_and_imports_expanded(project):
    """With the hook writing its cache (bytecode on), an imported annotated module expanded, a
    search that imports and preloads it, and `-o` next to the sources: every source keeps its
    bytes, its mtime and its inode (so it was not replaced either)."""
    before = sources(project)
    runs = [
        ["run", "train.py", "--choice", "choice.json"],
        ["run", "train.py", "--sample", "random", "--seed", "3"],
        ["expand", "pkg/cells.py", "--choice", "choice.json", "-o", "pkg/cells_expanded.py"],
        ["extract", ".", "-o", "space.json"],
        ["check", "."],
        ["search", "train.py", "--trials", "2", "--sampler", "random", "--seed", "0", "-q", "-o", "out"],
        ["search", "train.py", "--trials", "1", "--sampler", "random", "-q", "-o", "out", "--fresh"],
    ]
    for args in runs:
        proc = nas(*args, cwd=project, write_bytecode=True, MPLCONFIGDIR=os.fspath(project.parent / "mpl"))
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
    assert nas("run", "train.py", "--choice", "choice.json", cwd=project).stdout == EXPECTED
    after = sources(project)
    new = set(after) - set(before)
    assert new == {os.fspath(project / "pkg" / "cells_expanded.py"), os.fspath(project / "space.json")}
    assert {p: after[p] for p in before} == before
    assert len(json.loads((project / "out" / "results.json").read_text())["trials"]) == 3


# --- -o is all or nothing ------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=["enospc", "interrupt"])
@pytest.mark.parametrize("command", ["extract", "expand"])
def test_a_failure_while_writing_the_output_keeps_the_old_one_and_leaves_no_temporary(project, monkeypatch, failure, command):
    """The write itself fails halfway (a full disk, or Ctrl-C): the previous output is intact,
    the half-written temporary is removed, and the error is a diagnostic (an interrupt is left
    to propagate)."""
    monkeypatch.chdir(project)
    out = project.parent / "out.txt"
    out.write_bytes(b"the previous output\n")
    os.utime(out, (OLD, OLD))
    real_fdopen = os.fdopen
    partial = []

    class HalfWriter:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            partial.append(os.listdir(project.parent))
            raise failure

    monkeypatch.setattr(files.os, "fdopen", lambda fd, *a, **k: HalfWriter(real_fdopen(fd, *a, **k)))
    args = [command, "pkg/cells.py", "-o", os.fspath(out)]
    if command == "expand":
        args += ["--choice", "choice.json"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert (result.exit_code, result.stdout) == (1, "")
    if isinstance(failure, KeyboardInterrupt):
        assert result.stderr.strip() == "Aborted!"  # click's own answer to Ctrl-C
    else:
        assert result.stderr == f"{out}: error: cannot write: No space left on device\n"
    assert any(name.endswith(".tmp") for name in partial[0]), "the data went to a temporary file first"
    assert out.read_bytes() == b"the previous output\n" and out.stat().st_mtime_ns == OLD * 10**9
    assert sorted(os.listdir(project.parent)) == ["out.txt", "proj"]


def test_an_output_killed_mid_write_never_shows_a_partial_file(project, tmp_path):
    """SIGKILL while the output is being written: the target holds the old output (or, for a
    new one, does not exist); only an orphaned temporary may remain, under a hidden name."""
    code = textwrap.dedent(
        """
        import os, sys, time
        from nas_annotate import files
        from nas_annotate.cli import main
        real = os.fdopen
        class Stall:
            def __init__(self, handle): self.handle = handle
            def __enter__(self): return self
            def __exit__(self, *exc): self.handle.close()
            def write(self, data):
                self.handle.write(data[: len(data) // 2]); self.handle.flush()
                open(sys.argv[1], "w").close()
                time.sleep(60)
        files.os.fdopen = lambda fd, *a, **k: Stall(real(fd, *a, **k))
        main(sys.argv[2:])
        """
    )
    for target, old in ((tmp_path / "existing.py", b"old\n"), (tmp_path / "new.py", None)):
        if old is not None:
            target.write_bytes(old)
        kill_while_writing(
            code, ["expand", "pkg/cells.py", "--choice", "choice.json", "-o", os.fspath(target)], project, env(), tmp_path
        )
        if old is None:
            assert not target.exists()
        else:
            assert target.read_bytes() == old
        orphans = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
        assert orphans and all(name.startswith(f".{target.name}.") for name in orphans)
        for name in orphans:
            os.unlink(tmp_path / name)
    # the next run writes the whole output
    proc = nas("expand", "pkg/cells.py", "--choice", "choice.json", "-o", os.fspath(tmp_path / "new.py"), cwd=project)
    assert proc.returncode == 0, proc.stderr
    compile((tmp_path / "new.py").read_bytes(), "new.py", "exec")


# --- a killed search keeps its finished trials ------------------------------------------------------

FLAKY_TRIAL = '''\
import os, sys, time
import nas_annotate

def op(v):
    return lambda inputs: v

a, b, c = op(1.0), op(2.0), op(3.0)
"""@nni.mutable_layer
{layer_choice: [a, b, c], layer_output: value}"""
with open(sys.argv[1], "a") as log:
    log.write(f"{os.getpid()}\\n")
with open(sys.argv[1]) as log:
    started = len(log.read().splitlines())
if started > 3:  # the fourth trial hangs, and the search gets killed under it
    time.sleep(60)
nas_annotate.report(value)
'''


@needs(*SEARCH)
def test_a_search_killed_mid_run_keeps_the_trials_it_finished(tmp_path):
    """The existing test kills a search during its first trial of the run; here three trials
    of the killed run itself have finished: their values are in the study and, rebuilt by
    `search -n 0`, in results.json; the results files on disk are never half-written."""
    import optuna

    script = tmp_path / "flaky.py"
    script.write_text(FLAKY_TRIAL)
    log, out = tmp_path / "started.txt", tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "nas_annotate", "search", os.fspath(script), "-n", "6", "-s", "random", "--seed", "0",
         "-q", "-o", os.fspath(out), "--", os.fspath(log)],
        cwd=tmp_path, env=env(MPLCONFIGDIR=os.fspath(tmp_path / "mpl")), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not (log.exists() and len(log.read_text().splitlines()) >= 4):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    hung = int(log.read_text().split()[-1])
    try:  # the trial the worker was running goes with it (or is stopped here, not to linger)
        os.kill(hung, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for name in ("results.json", "results.csv", "best_choice.json"):
        if (out / name).exists():
            (out / name).read_bytes().decode()  # complete files only: written by rename
    study = optuna.load_study(study_name="flaky", storage=f"sqlite:///{out}/study.db")
    states = [t.state.name for t in study.trials]
    assert states == ["COMPLETE", "COMPLETE", "COMPLETE", "RUNNING"]
    values = [t.value for t in study.trials[:3]]
    assert all(v in (1.0, 2.0, 3.0) for v in values)
    proc = subprocess.run(
        [sys.executable, "-m", "nas_annotate", "search", os.fspath(script), "-n", "0", "-q", "-o", os.fspath(out), "--", os.fspath(log)],
        cwd=tmp_path, env=env(MPLCONFIGDIR=os.fspath(tmp_path / "mpl")), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    trials = json.loads((out / "results.json").read_text())["trials"]
    assert [t["state"] for t in trials] == ["complete", "complete", "complete", "fail"]
    assert [t["value"] for t in trials[:3]] == values


# --- the import hook's cache survives a process killed while writing it -----------------------------


def valid_entry(path: Path, module: str) -> bool:
    key = importhook._cache_key(os.fspath(path), module, path.read_bytes())
    return importhook._read_cache(os.fspath(path), key) is not None


def test_a_process_killed_while_writing_the_cache_leaves_nothing_that_is_used(project, tmp_path):
    """A real SIGKILL halfway through writing pkg/cells' entry, then (simulated) a truncated
    entry for train: the next run recompiles both, prints the right thing, and leaves valid
    entries; the dead process's temporary is never taken for an entry."""
    cells = project / "pkg" / "cells.py"
    code = textwrap.dedent(
        """
        import os, sys, time
        from nas_annotate import files, importhook
        real, signal_file = files.atomic_write, sys.argv[1]
        def stall(path, data, mode=None):
            if path.endswith("cells." + sys.implementation.cache_tag + ".nas-annotate.pyc"):
                name = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + f".{os.getpid()}.dead.tmp")
                with open(name, "wb") as handle:
                    handle.write(data[: len(data) // 2])
                open(signal_file, "w").close()
                time.sleep(60)
            real(path, data, mode)
        importhook.atomic_write = stall
        from nas_annotate.cli import main
        main(sys.argv[2:])
        """
    )
    kill_while_writing(code, ["run", "train.py", "--choice", "choice.json"], project, env(write_bytecode=True), tmp_path)
    cells_entry = Path(importhook.cache_path(os.fspath(cells)))
    train_entry = Path(importhook.cache_path(os.fspath(project / "train.py")))
    orphans = [p for p in cells_entry.parent.iterdir() if p.name.endswith(".tmp")]
    assert len(orphans) == 1 and not cells_entry.exists()
    # the script's own entry: written, then cut short as by a crash of the file system
    assert valid_entry(project / "train.py", "train")
    blob = train_entry.read_bytes()
    train_entry.write_bytes(blob[: len(blob) // 3])
    # an orphan that looks like a whole entry is still not the entry
    orphans[0].write_bytes(blob)
    proc = nas("run", "train.py", "--choice", "choice.json", cwd=project, write_bytecode=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, EXPECTED, "")
    assert valid_entry(cells, "pkg.cells") and valid_entry(project / "train.py", "train")
    # and warm: nothing recompiled, same output
    again = nas("run", "train.py", "--choice", "choice.json", cwd=project, write_bytecode=True)
    assert (again.returncode, again.stdout) == (0, EXPECTED)

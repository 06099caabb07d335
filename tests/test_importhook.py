"""The import hook and its cache (SPEC §5, §8): which modules it claims, the API, and the cache.

Everything that installs the hook or runs an annotated module happens in a subprocess, so this
process's `sys.meta_path`, `sys.modules` and `__main__` are never touched.  Each subprocess gets
`PYTHONDONTWRITEBYTECODE` explicitly: set ("1") or unset, never inherited.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nas_annotate import importhook

NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
PACKAGE_DIR = os.path.dirname(os.path.abspath(importhook.__file__))
NORMAL = "_frozen_importlib_external.SourceFileLoader"
OURS = "nas_annotate.importhook.AnnotationLoader"
COMPILER = ["nas_annotate.pipeline", "nas_annotate.locate", "nas_annotate.parse", "nas_annotate.validate", "nas_annotate.codegen", "libcst"]

OPS = (Path(__file__).parent / "fixtures" / "stand_ins" / "ops.py").read_text()  # written beside the scripts under test

CELLS = '''\
"""A cell the caller repeats: one decision, applied at every call."""
from ops import conv, pool
TAG = "aaaa"


def cell(h):
    """@nni.mutable_layer
    {
        layer_choice: [conv(k=3), pool],
        fixed_inputs: [h],
        layer_output: out
    }"""
    return out + TAG
'''

UTIL = '''\
"""Un-annotated helpers inside the package."""


def loader_of(module):
    kind = type(module.__loader__)
    return f"{kind.__module__}.{kind.__name__}"
'''

# The script a cache run executes: its own layer, three calls of the package's cell, and what it loaded.
MAIN = f'''\
import json, sys
from ops import conv, pool, CALLS
from pkg import cells
x = "x"
"""@nni.mutable_layer
{{
    layer_choice: [conv(k=1), pool],
    fixed_inputs: [x],
    layer_output: stem
}}"""
h = stem
for _ in range(3):
    h = cells.cell(h)
print(json.dumps({{"out": h, "calls": CALLS, "compiler": [m for m in {COMPILER!r} if m in sys.modules]}}))
'''

# Index 0 for the cell: swapping its two candidates (same length) changes which one index 0 means.
CHOICE = {
    "main/stem": {"layer": "pool"},
    "pkg.cells/cell.out": {"layer": 0},
    "pkg2.cells/cell.out": {"layer": "pool"},
}


def write_tree(root, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o644)


def env(write_bytecode: bool, **extra: str) -> dict[str, str]:
    """No ambient choice, NNI or pycache prefix; PYTHONDONTWRITEBYTECODE set or unset as asked."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NAS_ANNOTATE_CHOICE", "NNI_PLATFORM", "NAS_ANNOTATE_DEBUG", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    if not write_bytecode:
        base["PYTHONDONTWRITEBYTECODE"] = "1"
    base.update(extra)
    return base


def python(*args, cwd, write_bytecode: bool = False, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *map(os.fspath, args)], cwd=cwd, capture_output=True, text=True, timeout=60,
        env=env(write_bytecode, **extra),
    )


def needs_console_script() -> None:
    if not os.path.exists(NAS):
        pytest.skip(f"no console script at {NAS}")


def run_main(root, write_bytecode: bool, choice: dict = CHOICE, **extra) -> dict:
    """`nas-annotate run main.py --choice ...` in `root`; its JSON report (exit status checked)."""
    needs_console_script()
    proc = subprocess.run(
        [NAS, "run", "main.py", "--choice", json.dumps(choice)], cwd=root, capture_output=True, text=True, timeout=60,
        env=env(write_bytecode, **extra),
    )
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    return json.loads(proc.stdout)


def expected(cell: str = "conv", tag: str = "aaaa") -> dict:
    h = "pool(x)"
    for _ in range(3):
        h = (f"conv({h},k=3)" if cell == "conv" else f"pool({h})") + tag
    return {"out": h, "calls": ["pool"] + [cell] * 3}


def cold(report: dict) -> bool:
    """Whether the run compiled anything (the compiler got imported)."""
    return "nas_annotate.pipeline" in report["compiler"]


def entry(path) -> tuple[int, int, bytes]:
    """(inode, mtime, bytes) of the cache entry of `path`: a rewrite (rename) changes the inode."""
    where = importhook.cache_path(os.fspath(path))
    info = os.stat(where)
    with open(where, "rb") as handle:
        return info.st_ino, info.st_mtime_ns, handle.read()


def entries(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files if "nas-annotate" in f
    )


def leftovers(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f.startswith(".nas-annotate")]


@pytest.fixture
def project(tmp_path):
    """tmp/cp/{main.py, ops.py, pkg/{__init__, cells, util}.py}."""
    root = tmp_path / "cp"
    write_tree(root, {"main.py": MAIN, "ops.py": OPS, "pkg/__init__.py": "", "pkg/cells.py": CELLS, "pkg/util.py": UTIL})
    return root


# --- 5: the cache --------------------------------------------------------------------------------------


def test_first_run_writes_the_cache_and_the_second_reuses_it(project):
    first = run_main(project, write_bytecode=True)
    assert {k: first[k] for k in ("out", "calls")} == expected()
    assert cold(first)
    assert entries(project) == [
        os.path.join("__pycache__", f"main.{sys.implementation.cache_tag}.nas-annotate.pyc"),
        os.path.join("pkg", "__pycache__", f"cells.{sys.implementation.cache_tag}.nas-annotate.pyc"),
    ]
    assert leftovers(project) == []
    before = [entry(project / "main.py"), entry(project / "pkg" / "cells.py")]
    second = run_main(project, write_bytecode=True)
    assert {k: second[k] for k in ("out", "calls")} == expected()
    assert second["compiler"] == [], "a warm run imported the compiler"
    assert [entry(project / "main.py"), entry(project / "pkg" / "cells.py")] == before


def test_dont_write_bytecode_writes_no_cache(project):
    for _ in range(2):
        report = run_main(project, write_bytecode=False)
        assert {k: report[k] for k in ("out", "calls")} == expected()
        assert cold(report)
    assert entries(project) == [] and leftovers(project) == []


def test_a_warm_cache_is_read_even_when_writing_is_off(project):
    run_main(project, write_bytecode=True)
    before = entry(project / "pkg" / "cells.py")
    report = run_main(project, write_bytecode=False)
    assert report["compiler"] == []
    assert {k: report[k] for k in ("out", "calls")} == expected()
    assert entry(project / "pkg" / "cells.py") == before


def test_an_edit_with_the_same_size_and_mtime_recompiles(project):
    cells = project / "pkg" / "cells.py"
    run_main(project, write_bytecode=True)
    before, info = entry(cells), os.stat(cells)
    edited = CELLS.replace('TAG = "aaaa"', 'TAG = "bbbb"').replace("[conv(k=3), pool]", "[pool, conv(k=3)]")
    assert len(edited) == len(CELLS) and edited != CELLS
    cells.write_text(edited)
    os.utime(cells, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (os.stat(cells).st_size, os.stat(cells).st_mtime_ns) == (info.st_size, info.st_mtime_ns)
    report = run_main(project, write_bytecode=True)
    assert {k: report[k] for k in ("out", "calls")} == expected(cell="pool", tag="bbbb")
    assert cold(report)
    after = entry(cells)
    assert after[2] != before[2]
    again = run_main(project, write_bytecode=True)
    assert again["compiler"] == [] and again["out"] == report["out"]


VERSIONED = '''\
import sys
import nas_annotate.importhook
if len(sys.argv) > 1:
    nas_annotate.importhook.__version__ = sys.argv[1]
from nas_annotate import runner
sys.exit(runner.main("main.py", (), choice={choice!r}))
'''


def test_a_new_tool_version_recompiles(project):
    (project / "versioned.py").write_text(VERSIONED.format(choice=json.dumps(CHOICE)))
    cells = project / "pkg" / "cells.py"

    def run(*version: str) -> dict:
        proc = python("versioned.py", *version, cwd=project, write_bytecode=True)
        assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
        report = json.loads(proc.stdout)
        assert {k: report[k] for k in ("out", "calls")} == expected()
        return report

    assert cold(run())
    current = entry(cells)
    assert not cold(run())
    assert cold(run("99.0"))
    newer = entry(cells)
    assert newer[2] != current[2]
    assert not cold(run("99.0"))
    assert cold(run()), "the entry of version 99.0 was used by the real version"


def test_moving_a_module_to_another_package_recompiles(project):
    """`mv pkg pkg2` carries pkg/__pycache__ along: the moved entry (keys pkg.cells/...) is not reused."""
    report = run_main(project, write_bytecode=True)
    assert report["out"] == expected()["out"]
    moved = entry(project / "pkg" / "cells.py")
    os.rename(project / "pkg", project / "pkg2")
    (project / "main.py").write_text(MAIN.replace("from pkg import cells", "from pkg2 import cells"))
    assert entry(project / "pkg2" / "cells.py") == moved
    report = run_main(project, write_bytecode=True)
    assert {k: report[k] for k in ("out", "calls")} == expected(cell="pool"), "pkg2.cells/cell.out chooses pool"
    assert cold(report)
    assert entry(project / "pkg2" / "cells.py")[2] != moved[2]
    # and the choice of the old name no longer applies: the new key is missing from this one
    proc = subprocess.run(
        [NAS, "run", "main.py", "--choice", json.dumps({"main/stem": {"layer": 0}, "pkg.cells/cell.out": {"layer": 0}})],
        cwd=project, capture_output=True, text=True, timeout=60, env=env(True),
    )
    assert proc.returncode == 1 and "pkg2.cells/cell.out" in proc.stderr and "Traceback" not in proc.stderr


def test_same_file_under_another_module_name_recompiles(project, monkeypatch):
    """The module name is part of the key even when the path is the same (compile_annotated in-process)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    path = os.fspath(project / "pkg" / "cells.py")
    data = CELLS.encode()
    _, keys = importhook.compile_annotated(path, "a.cells", data)
    assert keys == ["a.cells/cell.out"]
    first = entry(path)
    assert importhook.compile_annotated(path, "a.cells", data)[1] == ["a.cells/cell.out"]
    assert entry(path) == first, "same name, same source: the entry is reused, not rewritten"
    assert importhook.compile_annotated(path, "b.cells", data)[1] == ["b.cells/cell.out"]
    assert entry(path)[2] != first[2]
    assert importhook.compile_annotated(path, "a.cells", data)[1] == ["a.cells/cell.out"]


def valid_entry(path, module: str) -> bool:
    """Whether the entry of `path` is one this tool would use for `module` (checked in-process)."""
    with open(path, "rb") as handle:
        key = importhook._cache_key(os.fspath(path), module, handle.read())
    return importhook._read_cache(os.fspath(path), key) is not None


DAMAGES = {
    "truncated": lambda blob: blob[: len(blob) // 2],
    "header-cut": lambda blob: blob[:20],
    "inverted": lambda blob: bytes(255 - b for b in blob),
    "wrong-magic": lambda blob: b"XXXXXXXX" + blob[8:],
    # magic (8) + key (32) + size (4) intact, marshalled payload garbage
    "garbage-payload": lambda blob: blob[:44] + b"\xff" * (len(blob) - 44),
    "bad-size": lambda blob: blob[:40] + (10**6).to_bytes(4, "little") + blob[44:],
    "keys-not-a-list": lambda blob: blob[:40] + len(b"N").to_bytes(4, "little") + b"N" + blob[44 + int.from_bytes(blob[40:44], "little") :],
}


def test_a_corrupt_cache_entry_is_ignored_and_rewritten(project):
    cells = project / "pkg" / "cells.py"
    run_main(project, write_bytecode=True)
    where = importhook.cache_path(os.fspath(cells))
    assert valid_entry(cells, "pkg.cells")
    for name, damage in DAMAGES.items():
        with open(where, "rb") as handle:
            blob = handle.read()
        with open(where, "wb") as handle:
            handle.write(damage(blob))
        assert not valid_entry(cells, "pkg.cells"), name
        report = run_main(project, write_bytecode=True)
        assert {k: report[k] for k in ("out", "calls")} == expected(), name
        assert cold(report), name
        assert valid_entry(cells, "pkg.cells"), f"{name}: the entry was not rewritten valid"
    assert leftovers(project) == []
    warm = run_main(project, write_bytecode=True)
    assert warm["compiler"] == [] and {k: warm[k] for k in ("out", "calls")} == expected()


def test_a_corrupt_payload_with_an_intact_header_is_not_run(project):
    cells = project / "pkg" / "cells.py"
    run_main(project, write_bytecode=True)
    where = importhook.cache_path(os.fspath(cells))
    with open(where, "rb") as handle:
        blob = handle.read()
    assert blob.count(b"aaaa") == 1
    with open(where, "wb") as handle:
        handle.write(blob.replace(b"aaaa", b"zzzz"))
    report = run_main(project, write_bytecode=True)
    assert report["out"] == expected()["out"]


def test_a_forged_entry_with_another_key_is_never_used(project):
    cells = project / "pkg" / "cells.py"
    # an entry for another source of the same file: TAG "ffff" (same size, same mtime)
    info = os.stat(cells)
    cells.write_text(CELLS.replace("aaaa", "ffff"))
    assert run_main(project, write_bytecode=True)["out"] == expected(tag="ffff")["out"]
    other_source = entry(cells)[2]
    cells.write_text(CELLS)
    os.utime(cells, ns=(info.st_atime_ns, info.st_mtime_ns))
    where = importhook.cache_path(os.fspath(cells))
    main_entry = importhook.cache_path(os.fspath(project / "main.py"))
    forgeries = {
        "other-source": other_source,
        "other-module": open(main_entry, "rb").read(),
        "random-key": other_source[:8] + os.urandom(32) + other_source[40:],
    }
    for name, forged in forgeries.items():
        with open(where, "wb") as handle:
            handle.write(forged)
        report = run_main(project, write_bytecode=True)
        assert {k: report[k] for k in ("out", "calls")} == expected(), name
        assert entry(cells)[2] != forged, name


def test_concurrent_cold_imports_all_succeed_and_leave_a_valid_entry(project):
    needs_console_script()
    command = [NAS, "run", "main.py", "--choice", json.dumps(CHOICE)]
    procs = [
        subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(True))
        for _ in range(8)
    ]
    results = [(p.communicate(timeout=60), p.returncode) for p in procs]
    for (stdout, stderr), status in results:
        assert (status, stderr) == (0, "")
        assert {k: json.loads(stdout)[k] for k in ("out", "calls")} == expected()
    assert leftovers(project) == []
    assert len(entries(project)) == 2
    assert valid_entry(project / "main.py", "main") and valid_entry(project / "pkg" / "cells.py", "pkg.cells")
    warm = run_main(project, write_bytecode=True)
    assert warm["compiler"] == [] and {k: warm[k] for k in ("out", "calls")} == expected()


def test_an_unwritable_cache_directory_is_not_an_error(project):
    (project / "pkg" / "__pycache__").write_text("a file where the directory would go\n")
    report = run_main(project, write_bytecode=True)
    assert {k: report[k] for k in ("out", "calls")} == expected()
    assert leftovers(project) == []


def test_cache_entries_have_the_mode_of_normal_bytecode(project):
    run_main(project, write_bytecode=True)
    normal = project / "__pycache__" / f"ops.{sys.implementation.cache_tag}.pyc"
    ours = importhook.cache_path(os.fspath(project / "main.py"))
    assert stat.S_IMODE(os.stat(ours).st_mode) == stat.S_IMODE(os.stat(normal).st_mode)


def test_cache_follows_pycache_prefix(project, tmp_path):
    prefix = tmp_path / "prefix"
    report = run_main(project, write_bytecode=True, PYTHONPYCACHEPREFIX=os.fspath(prefix))
    assert {k: report[k] for k in ("out", "calls")} == expected()
    assert entries(project) == [], "entries written into the source tree"
    assert entries(prefix) != []


# --- 1, 7: which modules the hook claims, and the API ---------------------------------------------------

API = '''\
import importlib.machinery, json, os, sys
import nas_annotate
from nas_annotate import importhook
lib, roots, packages = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
sys.path.insert(0, lib)


def loader_of(module):
    kind = type(module.__loader__)
    assert type(module.__spec__.loader) is kind
    return f"{kind.__module__}.{kind.__name__}"


def finders():
    return [type(f).__name__ for f in sys.meta_path if isinstance(f, importhook.AnnotationFinder)]


before = list(sys.meta_path)
report = {}
with nas_annotate.install_import_hook(packages=packages or None, roots=roots, choice=CHOICE) as hook:
    report["installed"] = finders()
    import ops
    from pkg import cells, util
    h = "h"
    for _ in range(3):
        h = cells.cell(h)
    report["out"] = h
    report["loaders"] = {m.__name__: loader_of(m) for m in (ops, cells, util, sys.modules["pkg"])}
    for name in ("pkgx", "notes"):
        try:
            report["loaders"][name] = loader_of(__import__(name))
        except ImportError:
            pass
report["after"] = finders()
report["meta_path_restored"] = sys.meta_path == before
hook.uninstall()  # a second uninstall is harmless
import late
report["loaders"]["late"] = loader_of(late)
print(json.dumps(report))
'''

LATE = '''\
def op(inputs):
    return "op"
"""@nni.mutable_layer
{
    layer_choice: [op],
    layer_output: out
}"""
'''


@pytest.fixture
def api_project(tmp_path):
    """tmp/lib/{ops, late, notes, pkgx}.py + tmp/lib/pkg/...; tmp/elsewhere; runs start in tmp."""
    lib = tmp_path / "lib"
    write_tree(
        lib,
        {
            "ops.py": OPS,
            "late.py": LATE,
            "notes.py": '"""Helpers for code written with @nni.mutable_layer annotations."""\nVALUE = 1\n',
            "pkgx.py": LATE.replace("layer_output: out", "layer_output: x_out"),
            "pkg/__init__.py": "",
            "pkg/cells.py": CELLS,
            "pkg/util.py": UTIL,
        },
    )
    (tmp_path / "elsewhere").mkdir()
    choice = {"pkg.cells/cell.out": {"layer": "pool"}, "pkgx/x_out": {"layer": 0}}
    (tmp_path / "api.py").write_text(API.replace("CHOICE", repr(choice)))

    def run(roots: list[str], packages: list[str] = (), cwd=tmp_path) -> dict:
        proc = python(tmp_path / "api.py", lib, json.dumps(roots), json.dumps(list(packages)), cwd=cwd)
        assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
        return json.loads(proc.stdout)

    return lib, run


def test_hook_in_a_with_block_over_roots(api_project):
    lib, run = api_project
    report = run([os.fspath(lib)])
    assert report["installed"] == ["AnnotationFinder"]
    assert report["out"] == "pool(pool(pool(h)aaaa)aaaa)aaaa"
    assert report["after"] == [] and report["meta_path_restored"]
    loaders = report["loaders"]
    assert loaders["pkg.cells"] == OURS and loaders["pkgx"] == OURS
    assert loaders["ops"] == loaders["pkg.util"] == loaders["pkg"] == NORMAL
    assert loaders["late"] == NORMAL, "imported after the block: not claimed"


def test_packages_claims_a_package_outside_the_roots(api_project, tmp_path):
    lib, run = api_project
    report = run([os.fspath(tmp_path / "elsewhere")], ["pkg"])
    assert report["out"] == "pool(pool(pool(h)aaaa)aaaa)aaaa"
    loaders = report["loaders"]
    assert loaders["pkg.cells"] == OURS
    assert loaders["pkgx"] == NORMAL, "pkgx is not a submodule of pkg"
    assert loaders["ops"] == loaders["pkg.util"] == loaders["pkg"] == NORMAL


def test_default_root_is_the_current_directory(api_project):
    lib, run = api_project
    proc = python(
        "-c",
        "import sys, nas_annotate\nsys.path.insert(0, '')\nnas_annotate.set_choice({'pkg.cells/cell.out': {'layer': 0}})\n"
        "hook = nas_annotate.install_import_hook()\nfrom pkg import cells\nprint(cells.cell('h'), type(cells.__loader__).__name__)\n",
        cwd=lib,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "conv(h,k=3)aaaa AnnotationLoader\n", "")


def test_nothing_outside_the_roots_is_claimed(api_project, tmp_path):
    lib, run = api_project
    proc = python(
        "-c",
        f"import sys, nas_annotate\nsys.path.insert(0, {os.fspath(lib)!r})\n"
        f"with nas_annotate.install_import_hook(roots=[{os.fspath(tmp_path / 'elsewhere')!r}]):\n"
        "    import late\nprint(type(late.__loader__).__name__)\n",
        cwd=tmp_path,
    )
    assert (proc.returncode, proc.stdout) == (0, "SourceFileLoader\n"), proc.stderr


def test_a_module_mentioning_the_marker_without_annotations_is_untouched(api_project):
    lib, run = api_project
    report = run([os.fspath(lib)])
    assert report["loaders"]["notes"] == NORMAL


def test_run_claims_the_scripts_directory_and_leaves_helpers_alone(project):
    """Through `nas-annotate run`: annotated modules use our loader; the others Python's own."""
    needs_console_script()
    (project / "loaders.py").write_text(
        MAIN.split("print(")[0]
        + "import ops\nfrom pkg import util\n"
        + "print(util.loader_of(ops), util.loader_of(util), util.loader_of(sys.modules['pkg']), util.loader_of(cells))\n"
    )
    proc = subprocess.run(
        [NAS, "run", "loaders.py", "--choice", json.dumps({"loaders/stem": {"layer": 0}, **CHOICE})],
        cwd=project, capture_output=True, text=True, timeout=60, env=env(False),
    )
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    assert proc.stdout.split() == [NORMAL, NORMAL, NORMAL, OURS]


def test_run_package_option_claims_an_installed_style_package(api_project, tmp_path):
    needs_console_script()
    lib, _ = api_project
    (tmp_path / "elsewhere" / "script.py").write_text(
        "from pkg import cells\nprint(cells.cell('h'), type(cells.__loader__).__name__)\n"
    )
    command = [NAS, "run", "elsewhere/script.py", "--choice", json.dumps({"pkg.cells/cell.out": {"layer": 1}})]
    extra = {"PYTHONPATH": os.fspath(lib)}
    without = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env(False, **extra))
    assert without.returncode == 1 and "NameError" in without.stderr, "not claimed: the annotation is a bare string"
    claimed = subprocess.run(command + ["--package", "pkg"], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env(False, **extra))
    assert (claimed.returncode, claimed.stdout, claimed.stderr) == (0, "pool(h)aaaa AnnotationLoader\n", "")


def test_a_bad_annotation_fails_the_import_with_every_diagnostic(tmp_path):
    write_tree(tmp_path, {"broken.py": '"""@nni.mutable_layer\n{\n    layer_choice: [],\n}"""\n'})
    proc = python(
        "-c",
        "import nas_annotate\nwith nas_annotate.install_import_hook(roots=['.'], choice={}):\n"
        "    try:\n        import broken\n    except ImportError as exc:\n        print(type(exc).__name__, '|', exc)\n",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("AnnotationError | ")
    assert "broken.py:3:" in proc.stdout and "error:" in proc.stdout


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


def test_traceback_through_the_hook_of_a_runtime_error(api_project):
    """A user function of a hooked module, failing after import: only the user's frames."""
    lib, _ = api_project
    (lib / "pkg" / "cells.py").write_text(CELLS + "\n\ndef fail(x):\n    raise ValueError(x)  # line 17\n")
    proc = python(
        "-c",
        "import nas_annotate\nwith nas_annotate.install_import_hook(roots=['.'], choice={}):\n"
        "    from pkg import cells\ncells.fail('boom')\n",
        cwd=lib,
    )
    assert proc.returncode == 1
    assert f'File "{lib / "pkg" / "cells.py"}", line 17, in fail\n    raise ValueError(x)  # line 17\n' in proc.stderr
    assert PACKAGE_DIR not in proc.stderr


def test_traceback_through_the_hook_at_import_time(api_project):
    lib, _ = api_project
    (lib / "pkg" / "bad.py").write_text(IMPORT_FAILS)
    proc = python(
        "-c",
        "import nas_annotate\nwith nas_annotate.install_import_hook(roots=['.'], choice={'pkg.bad/out': {'layer': 0}}):\n"
        "    import pkg.bad\n",
        cwd=lib,
    )
    assert proc.returncode == 1
    assert f'File "{lib / "pkg" / "bad.py"}", line 9, in <module>\n    raise KeyError(out)\n' in proc.stderr
    assert PACKAGE_DIR not in proc.stderr
    assert "<frozen importlib" not in proc.stderr

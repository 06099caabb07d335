"""Security (issue 7 item 4): a choice document is data, YAML is loaded safely, the import
hook's cache cannot be poisoned into running other code, and nothing is written outside the
outputs the user names.

Already covered elsewhere, and not repeated here: layer and input labels carrying code through
`api.expand` (test_diagnostics.py::test_choice_code_is_never_evaluated); a corrupt, truncated or
forged cache entry, an entry for another source, module or key, an edited payload behind an
intact header (test_importhook.py); sources untouched by extract/check/expand/run
(test_cli.py::test_no_command_writes_a_source).  The exact diagnostics of the hostile documents
are in the corpus (tests/corpus/choice_*).
"""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEARCH, needs

from nas_annotate import api, importhook
from nas_annotate.choice import load_choice
from nas_annotate.diagnostics import CompileError

MODEL = '''\
def conv(inputs, ch):
    return f"conv{ch}{inputs}"

def pool(inputs):
    return f"pool{inputs}"

out1, out2, relu = "out1", "out2", "relu"
"""@nni.mutable_layer
{
    layer_choice: [conv(ch=128), conv(ch=256), pool],
    input_candidates: [out1, out2],
    input_num: [1, 2],
    layer_output: layer_out
}"""
"""@nni.variable(nni.choice(0.1, 'adam', relu), name=opt)"""
opt = 0.1
"""@nni.variable(nni.uniform(0, 1), name=lr)"""
lr = 0.5
"""@nni.variable(nni.qnormal(0, 1, 0.5), name=z)"""
z = 0.0
"""@nni.function_choice(max(1, 2), min(1, 2), name=pick)"""
best = max(1, 2)
print(layer_out, opt, lr, z, best)
"""@nni.report_final_result(lr)"""
'''

GOOD = {"model/layer_out": {"layer": "pool", "inputs": ["out2"]}, "model/opt": 0, "model/lr": 0.25, "model/z": 0.5, "model/pick": 1}
CODE = "__import__('os').system('touch PWNED')"


def env(**extra: str) -> dict[str, str]:
    ambient = ("NAS_ANNOTATE", "NNI_", "PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")
    base = {k: v for k, v in os.environ.items() if not k.startswith(ambient)}
    base.update(extra)
    return base


def nas(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nas_annotate", *args], cwd=cwd, env=env(**extra), capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "model.py").write_text(MODEL)
    return root


@pytest.fixture
def no_eval(monkeypatch):
    """Any eval or exec while the compiler works is a failure (the compiler never needs them)."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"eval/exec called with {args[:1]!r}")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)


def with_(**changes) -> dict:
    document = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        document[f"model/{key}"] = value
    return document


def expand(project: Path, document) -> bytes:
    text = document if isinstance(document, str) else json.dumps(document)
    return api.expand(os.fspath(project / "model.py"), text)


# --- a choice is data -----------------------------------------------------------------------------

HOSTILE = {
    "layer-code": with_(layer_out={"layer": CODE, "inputs": ["out1"]}),
    "input-code": with_(layer_out={"layer": "pool", "inputs": [CODE]}),
    "layer-breaks-out-of-a-string": with_(layer_out={"layer": "pool'), __import__('os').system('touch PWNED'), ('", "inputs": [0]}),
    "label-then-newline-and-code": with_(layer_out={"layer": "pool\nimport os; os.system('touch PWNED')", "inputs": [0]}),
    "choice-option-code": with_(opt=CODE),
    "choice-option-quote": with_(opt="'adam'; import os"),
    "number-as-code": with_(lr=CODE),
    "number-as-expression": with_(lr="1e308 * 10"),
    "function-choice-code": with_(pick=CODE),
    "function-choice-another-call": with_(pick="__import__('os').getcwd()"),
    "nni-nested-code": with_(layer_out={"layer": {"chosen_layer": CODE, "chosen_inputs": ["out1"]}}),
    "nni-flat-code": {
        **{k: v for k, v in GOOD.items() if k != "model/layer_out"},
        "_mutable_layer/model/layer_out/layer/layer_choice": CODE,
        "_mutable_layer/model/layer_out/layer/optional_input_size": 1,
        "_mutable_layer/model/layer_out/layer/optional_input_chosen_state": 0,
    },
    "path-in-a-value": with_(layer_out={"layer": "../../etc/passwd", "inputs": ["/etc/passwd"]}),
    "nan": with_(lr=float("nan")),
    "infinity": with_(z=float("inf")),
    "1e308-off-the-grid": with_(z=1e308),
    "10**400": with_(lr=10**400),
    "10**400-as-an-index": with_(layer_out={"layer": 10**400, "inputs": [0]}),
    "10**400-as-a-choice": with_(opt=10**400),
    "negative-index": with_(layer_out={"layer": -1, "inputs": [0]}),
    "bool-as-index": with_(layer_out={"layer": True, "inputs": [0]}),
    "float-as-index": with_(opt=1.0000001),
    "deeply-nested-value": with_(lr=json.loads("[" * 500 + "]" * 500)),
    "mapping-as-value": with_(opt={"__class__": "os.system"}),
}


@pytest.mark.parametrize("document", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_choice_is_an_error_and_never_runs(project, no_eval, document, monkeypatch):
    monkeypatch.chdir(project)
    with pytest.raises(CompileError) as info:
        expand(project, document)
    assert len(info.value.diagnostics) == 1, info.value
    assert not (project / "PWNED").exists()


def test_a_label_written_another_way_resolves_to_the_candidate_and_only_its_source_text(project, no_eval):
    """Spacing, line breaks and quotes inside a label are normalised, then compared: what ends
    up in the code is the candidate's text from the user's source, never the document's."""
    reference = expand(project, GOOD)
    pool_spellings = [
        {"layer": " pool ", "inputs": ["out2"]},
        {"layer": "pool  # ', __import__('os').system('touch PWNED')", "inputs": [" out2 "]},
        {"layer": "(pool)", "inputs": ["(out2)"]},
    ]
    for spelling in pool_spellings:
        assert expand(project, with_(layer_out=spelling)) == reference, spelling
    canonical = expand(project, with_(layer_out={"layer": "conv(ch=128)", "inputs": ["out2"]}))
    conv_spellings = ["conv( ch = 128 )", "conv(\n  ch=128\n)", "conv(ch=0x80)", "conv(ch=128,)"]
    for spelling in conv_spellings:
        assert expand(project, with_(layer_out={"layer": spelling, "inputs": ["out2"]})) == canonical, spelling
    for other in ["conv(ch=128 + 0)", "conv(ch=128)(x)", "conv(ch=128); pool", "conv(ch=256, ch=128)"]:
        with pytest.raises(CompileError):  # another expression is another label
            expand(project, with_(layer_out={"layer": other, "inputs": ["out2"]}))
    # the generated line is the candidate's text from the source, with our wiring
    assert canonical.decode().splitlines()[7] == "layer_out = conv([[], [out2]], ch=128)"
    assert not (project / "PWNED").exists()


def test_numbers_reach_the_code_only_as_our_own_literals(project, no_eval):
    out = expand(project, with_(lr=1, z=10**30 / 2, opt=2)).decode()
    assert "lr = (1.0)" in out  # a float literal we write, whatever the document's spelling
    assert "z = (5e+29)" in out
    assert "opt = (relu)" in out  # the option's own source text
    compile(out, "model.py", "exec")


YAML_ATTACKS = {
    "apply": "model/layer_out: !!python/object/apply:os.system ['touch PWNED']\n",
    "name": "model/layer_out: !!python/name:os.system\n",
    "new": "model/layer_out: !!python/object/new:os.system [touch PWNED]\n",
    "module": "model/layer_out: !!python/module:os\n",
    "object": "model/layer_out: !!python/object:os.popen {}\n",
    "local-tag": "model/layer_out: !pwn {layer: pool}\n",
    "in-a-key": "? !!python/object/apply:os.system ['touch PWNED']\n: {layer: pool}\n",
    "anchor-bomb": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "model/layer_out: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
}


@pytest.mark.parametrize("text", YAML_ATTACKS.values(), ids=YAML_ATTACKS.keys())
def test_yaml_is_loaded_safely(project, text, monkeypatch):
    monkeypatch.chdir(project)
    path = project / "choice.yaml"
    path.write_text(text)
    with pytest.raises(CompileError) as info:
        expand(project, os.fspath(path))
    assert all(d.path == os.fspath(path) for d in info.value.diagnostics)
    assert not (project / "PWNED").exists()


def test_the_runtime_reads_the_same_documents_as_data(project):
    """`run` (the run-time form and the hook) gets its choice from --choice and from
    NAS_ANNOTATE_CHOICE: hostile documents are errors there too, never a traceback, never run."""
    cases = {
        "code.json": json.dumps(HOSTILE["layer-code"]),
        "huge.json": json.dumps(HOSTILE["10**400"]),
        "grid.json": json.dumps(HOSTILE["1e308-off-the-grid"]),
        "digits.json": '{"model/lr": ' + "9" * 5000 + "}",
        "apply.yaml": YAML_ATTACKS["apply"],
        "date.yaml": "model/lr: 2024-02-30\n",
    }
    for name, text in cases.items():
        (project / name).write_text(text)
        for how in ({"args": ["--choice", name]}, {"env": {"NAS_ANNOTATE_CHOICE": name}}):
            proc = nas("run", "model.py", *how.get("args", []), cwd=project, PYTHONDONTWRITEBYTECODE="1", **how.get("env", {}))
            assert proc.returncode == 1, (name, how, proc.stderr)
            assert proc.stdout == "" and "Traceback" not in proc.stderr and "internal error" not in proc.stderr, (name, proc.stderr)
            assert f"{name}" in proc.stderr, proc.stderr
    assert not (project / "PWNED").exists()
    ok = nas("run", "model.py", "--choice", json.dumps(GOOD), cwd=project, PYTHONDONTWRITEBYTECODE="1")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "pool[[], ['out2']] 0.1 0.25 0.5 1\n", "")


def test_a_choice_file_is_read_only_from_the_path_given(project, monkeypatch):
    """A CHOICE that is not inline is a path, read as given: no search path, no expansion of
    `~` or variables, and a key that looks like a path is only a key."""
    monkeypatch.chdir(project)
    monkeypatch.setenv("HOME", os.fspath(project))
    (project / "choice.json").write_text(json.dumps(GOOD))
    for spec in ("~/choice.json", "$HOME/choice.json", "file://choice.json"):
        with pytest.raises(CompileError) as info:
            load_choice(spec)
        assert "cannot read the choice document" in str(info.value)
    assert load_choice("choice.json").data == GOOD


# --- the import hook's cache --------------------------------------------------------------------


def test_a_symlink_planted_at_the_cache_entry_is_replaced_not_followed(project, tmp_path):
    """The entry is written by rename: a symlink at its path (to a file elsewhere, or to
    nowhere) is replaced by the new entry, and what it pointed at is not written."""
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious\n")
    entry = Path(importhook.cache_path(os.fspath(project / "model.py")))
    entry.parent.mkdir()
    entry.symlink_to(outside)
    proc = nas("run", "model.py", "--choice", json.dumps(GOOD), cwd=project)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert outside.read_bytes() == b"precious\n"
    assert entry.is_file() and not entry.is_symlink()
    entry.unlink()
    entry.symlink_to(tmp_path / "nowhere" / "x.pyc")
    proc = nas("run", "model.py", "--choice", json.dumps(GOOD), cwd=project)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert not (tmp_path / "nowhere").exists()
    assert entry.is_file() and not entry.is_symlink()


def test_an_entry_is_keyed_to_the_python_that_wrote_it(project, monkeypatch):
    """An entry from another interpreter version (whose bytecode this one cannot trust) misses."""
    path = os.fspath(project / "model.py")
    data = (project / "model.py").read_bytes()
    key = importhook._cache_key(path, "model", data)
    monkeypatch.setattr(sys, "hexversion", sys.hexversion + 1)
    assert importhook._cache_key(path, "model", data) != key


# --- nothing is written outside the outputs given ------------------------------------------------


def tree(*roots: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file under `roots` (bytecode caches included)."""
    found = {}
    for root in roots:
        for directory, _, files in os.walk(root):
            for name in files:
                path = os.path.join(directory, name)
                with open(path, "rb") as handle:
                    found[path] = (handle.read(), os.stat(path).st_mtime_ns)
    return found


@needs(*SEARCH)
def test_each_command_writes_only_the_outputs_it_is_given(tmp_path):
    """Every command, successful or not, in a project whose tree (sources, a choice file, an
    existing output, a sibling directory) is compared byte for byte and mtime for mtime: the
    only new or changed files are the `-o` outputs (and, for `run` with bytecode on, the hook's
    cache entries under `__pycache__`)."""
    root = tmp_path / "ws"
    project, outputs, home, sibling = root / "proj", root / "outputs", root / "home", root / "sibling"
    for directory in (project, outputs, home, sibling):
        directory.mkdir(parents=True)
    (project / "model.py").write_text(MODEL)
    (project / "helper.py").write_text("VALUE = 1\n")
    (project / "bad.py").write_text('"""@nni.mutable_layer\n{layer_choice: [], layer_output: y}"""\n')
    (project / "choice.json").write_text(json.dumps(GOOD))
    (project / "hostile.json").write_text(json.dumps(HOSTILE["layer-code"]))
    (sibling / "keep.txt").write_text("keep\n")
    (outputs / "existing.json").write_text("old\n")
    for path in tree(root):
        os.utime(path, ns=(10**18, 10**18))
    commands = [
        (["extract", "model.py", "-o", "../outputs/space.json"], 0, {"space.json"}),
        (["extract", "model.py", "bad.py", "-o", "../outputs/existing.json"], 1, set()),
        (["extract", "--format", "nni", "."], 1, set()),
        (["check", "."], 1, set()),
        (["check", "model.py"], 0, set()),
        (["expand", "model.py", "--choice", "choice.json", "-o", "../outputs/expanded.py"], 0, {"expanded.py"}),
        (["expand", "model.py", "-o", "../outputs/runtime.py"], 0, {"runtime.py"}),
        (["expand", "model.py", "--choice", "hostile.json", "-o", "../outputs/existing.json"], 1, set()),
        (["expand", "model.py", "-o", "model.py"], 1, set()),
        (["run", "model.py", "--choice", "choice.json"], 0, set()),
        (["run", "model.py", "--choice", "hostile.json"], 1, set()),
        (["run", "bad.py", "--sample", "first"], 1, set()),
        (["search", "model.py", "--trials", "2", "--sampler", "random", "--seed", "1", "-q", "-o", "../outputs/search"], 0, None),
        (["search", "bad.py", "--trials", "1", "-q", "-o", "../outputs/search2"], 1, set()),
    ]
    before = tree(root)
    for args, status, created in commands:
        # HOME and MPLCONFIGDIR away from the tree: matplotlib (search's plot) keeps a font cache there
        proc = nas(*args, cwd=project, HOME=os.fspath(home), MPLCONFIGDIR=os.fspath(home / "mpl"), PYTHONDONTWRITEBYTECODE="1")
        assert proc.returncode == status, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, (args, proc.stderr)
        after = tree(project, sibling, outputs)
        changed = {os.path.relpath(p, outputs) if p.startswith(os.fspath(outputs)) else p for p in after if after[p] != before.get(p)}
        if created is None:  # search: everything under its own output directory
            assert all(p.startswith("search" + os.sep) for p in changed), (args, changed)
            assert {"search/results.json", "search/best_choice.json", "search/best_model.py"} <= changed
        else:
            assert changed == created, (args, changed)
        before.update(after)
    assert not (project / "PWNED").exists()
    assert (outputs / "existing.json").read_text() == "old\n"
    leftovers = [p for p in tree(root) if os.path.basename(p).startswith(".") and p.endswith(".tmp")]
    assert leftovers == []

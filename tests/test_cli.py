"""The `nas-annotate` command line (SPEC §8, §9): extract, expand, check, -o, exit codes, encodings.

Most cases run in-process with click's CliRunner; the ones about the installed command itself
(`nas-annotate` vs `python -m nas_annotate`, what `--help` imports, `run`) use subprocesses.
"""

from __future__ import annotations

import ast
import builtins
import codecs
import json
import os
import subprocess
import sys
import textwrap

import pytest
import yaml
from click.testing import CliRunner

from nas_annotate import __version__, api
from nas_annotate.cli import main

SCRIPT = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
OLD = 1_000_000_000  # an mtime in 2001: any write to a file moves it to "now"

TRAIN = '''\
"""A script at the project's top level (no __init__.py beside it)."""
def conv(inputs, ch=0):
    return ("conv", ch, inputs)
def pool(inputs):
    return ("pool", inputs)
out3 = 3
"""@nni.mutable_layer
{
    layer_choice: [conv(ch=128), conv(ch=256), pool],
    input_candidates: [out3],
    input_num: 1,
    layer_output: layer_out
}"""
print(layer_out)
'''

MODEL = '''\
class Net:
    def build(self, x):
        # the comment form, in a method
        # @nni.mutable_layer
        # {layer_choice: [a, b(k=2)],
        #  input_candidates: [x], input_num: [0, 1],
        #  layer_output: y}
        return y


def make(images):
    """@nni.mutable_layers(
        {layer_choice: [add_one(), add_two()], optional_inputs: [images],
         optional_input_size: 1, layer_output: first},
        {layer_choice: [add_one()], fixed_inputs: [first], layer_output: second}
    )"""
    return second
'''

DEEP = '''\
def cell(h, g):
    """@nni.mutable_layer
    {
        layer_choice: [conv3, conv5, max_pool]
        fixed_inputs: [h]
        input_candidates: [h, g]
        input_num: [1, 2]
        input_aggregate: concat
        post_process: reshape(size=4)
        layer_output: out
    }"""
    return out
'''

BAD = '''\
x = 1
"""@nni.mutable_layer
{
    layer_choise: [conv(ch=128), pool],
    layer_output: y
}"""
# @nni.mutable_layer
# {layer_choice: [a], input_candidates: [x], input_num: 3, layer_output: z}
'''

KEYS = [
    "train/layer_out",
    "pkg.model/Net.build.y",
    "pkg.model/make.first",
    "pkg.model/make.second",
    "pkg.sub.deep/cell.out",
]


@pytest.fixture
def project(tmp_path):
    """proj/{train.py, pkg/{__init__, model, plain, broken}.py, pkg/sub/{__init__, deep}.py, notes.txt}."""
    root = tmp_path / "proj"
    files = {
        "train.py": TRAIN,
        "pkg/__init__.py": "",
        "pkg/model.py": MODEL,
        "pkg/plain.py": "x = 1  # no annotation here\n",
        "pkg/broken.py": "def broken(:\n    pass  # not Python, but no annotation: never parsed\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/deep.py": DEEP,
        "notes.txt": '"""@nni.mutable_layer {layer_choice: [a], layer_output: b}"""\n',
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, (OLD, OLD))
    return root


def snapshot(root) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file under `root` that is not a bytecode cache."""
    found = {}
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                found[path] = (handle.read(), os.stat(path).st_mtime_ns)
    return found


def cli(*args: str):
    """Invoke the command in-process; stdout/stderr are kept apart."""
    return CliRunner().invoke(main, [os.fspath(a) for a in args], catch_exceptions=False)


def space_of(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def first_choice(space: dict) -> dict:
    """A valid choice for every layer: its first candidate and the first `lo` inputs."""
    choice = {}
    for key, entry in space.items():
        value = entry["_value"]
        choice[key] = {"layer": value["layer_choice"][0], "inputs": value["input_candidates"][: value["input_num"][0]]}
    return choice


def leftovers(directory) -> list[str]:
    return [name for name in os.listdir(directory) if name.startswith(".nas-annotate")]


def assert_diagnostics_only(result) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


# --- extract ---------------------------------------------------------------------------------


def test_extract_one_file(project):
    space = space_of(cli("extract", project / "train.py"))
    assert list(space) == ["train/layer_out"]
    entry = space["train/layer_out"]
    assert entry["_type"] == "mutable_layer"
    assert entry["_value"] == {
        "layer_choice": ["conv(ch=128)", "conv(ch=256)", "pool"],
        "fixed_inputs": [],
        "input_candidates": ["out3"],
        "input_num": [1, 1],
        "input_aggregate": None,
        "post_process": None,
        "layer_output": "layer_out",
    }
    assert entry["_source"]["file"] == os.fspath(project / "train.py")
    assert 7 <= entry["_source"]["line"] <= 8


def test_extract_several_files_in_the_order_given(project):
    space = space_of(cli("extract", project / "pkg" / "sub" / "deep.py", project / "train.py"))
    assert list(space) == ["pkg.sub.deep/cell.out", "train/layer_out"]
    value = space["pkg.sub.deep/cell.out"]["_value"]
    assert value["input_num"] == [1, 2]
    assert value["input_aggregate"] == "concat"
    assert value["post_process"] == "reshape(size=4)"


def test_extract_directory_recurses_and_skips_files_without_annotations(project):
    # pkg/broken.py is not even Python: extract skips files without a marker, never parsed;
    # notes.txt holds a marker but is not a .py file
    space = space_of(cli("extract", project))
    assert sorted(space) == sorted(KEYS)
    assert {entry["_source"]["file"] for entry in space.values()} == {
        os.fspath(project / "train.py"),
        os.fspath(project / "pkg" / "model.py"),
        os.fspath(project / "pkg" / "sub" / "deep.py"),
    }


@pytest.mark.parametrize("where", [".", "proj", "proj/pkg", "proj/pkg/sub"])
def test_extract_keys_carry_the_package_whatever_the_cwd(project, monkeypatch, where):
    cwd = project.parent / where
    monkeypatch.chdir(cwd)
    rel = lambda p: os.path.relpath(project / p, cwd)  # noqa: E731
    space = space_of(cli("extract", rel("pkg/model.py"), rel("pkg/sub/deep.py"), rel("train.py")))
    assert list(space) == KEYS[1:] + KEYS[:1]
    space = space_of(cli("extract", rel("pkg")))
    assert sorted(space) == sorted(KEYS[1:])


def test_extract_overlapping_paths_count_each_file_once(project):
    space = space_of(cli("extract", project, project / "train.py"))
    assert sorted(space) == sorted(KEYS)
    result = cli("check", project / "train.py", project / "train.py")
    assert result.exit_code == 0, result.stderr


# --- formats ---------------------------------------------------------------------------------


def test_format_json_is_the_default(project):
    plain, explicit = cli("extract", project), cli("extract", "--format", "json", project)
    assert plain.exit_code == explicit.exit_code == 0
    assert plain.stdout_bytes == explicit.stdout_bytes
    assert plain.stdout_bytes.endswith(b"\n")


def test_format_yaml_is_the_same_document(project):
    result = cli("extract", "--format", "yaml", project)
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout) == space_of(cli("extract", project))
    assert list(yaml.safe_load(result.stdout)) == list(space_of(cli("extract", project)))  # source order kept


def test_format_nni_shape(project):
    ours = space_of(cli("extract", project))
    result = cli("extract", "--format", "nni", project)
    assert result.exit_code == 0, result.stderr
    nni = json.loads(result.stdout)
    assert list(nni) == list(ours)
    for key, entry in nni.items():
        assert set(entry) == {"_type", "_value"}
        assert entry["_type"] == "mutable_layer"
        assert list(entry["_value"]) == ["layer"]
        layer = entry["_value"]["layer"]
        assert set(layer) == {"layer_choice", "optional_inputs", "optional_input_size"}
        value = ours[key]["_value"]
        assert layer["layer_choice"] == value["layer_choice"]
        assert layer["optional_inputs"] == value["input_candidates"]
        lo, hi = value["input_num"]
        assert layer["optional_input_size"] in (lo if lo == hi else None, [lo, hi])
    assert nni["train/layer_out"]["_value"]["layer"]["optional_input_size"] == 1
    assert nni["pkg.sub.deep/cell.out"]["_value"]["layer"]["optional_input_size"] == [1, 2]


# --- -o FILE ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["extract", "expand"])
def test_output_is_written_atomically(project, tmp_path, monkeypatch, command):
    args = [command, project / "train.py"]
    if command == "expand":
        args += ["--choice", json.dumps({"train/layer_out": {"layer": "pool", "inputs": ["out3"]}})]
    expected = cli(*args).stdout_bytes
    out = tmp_path / "out.txt"
    out.write_bytes(b"the previous output\n")
    seen = []

    def observe(real):
        def switch(src, dst, *a, **k):
            # at the moment of the switch, the new content is complete and the old one still in place
            seen.append((os.path.dirname(os.path.abspath(src)), open(src, "rb").read(), open(dst, "rb").read()))
            return real(src, dst, *a, **k)

        return switch

    monkeypatch.setattr(os, "replace", observe(os.replace))
    monkeypatch.setattr(os, "rename", observe(os.rename))
    result = cli(*args, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert out.read_bytes() == expected
    assert seen == [(str(tmp_path), expected, b"the previous output\n")]
    assert leftovers(tmp_path) == []


def test_output_file_modes(project, tmp_path):
    """A new output gets the usual mode (not the temporary file's 0600); an old one keeps its own."""
    umask = os.umask(0o022)
    os.umask(umask)
    fresh = tmp_path / "fresh.json"
    assert cli("extract", project, "-o", fresh).exit_code == 0
    assert os.stat(fresh).st_mode & 0o777 == 0o666 & ~umask
    kept = tmp_path / "kept.json"
    kept.write_bytes(b"old")
    os.chmod(kept, 0o640)
    assert cli("extract", project, "-o", kept).exit_code == 0
    assert os.stat(kept).st_mode & 0o777 == 0o640
    assert kept.read_bytes() == fresh.read_bytes()


def test_output_not_created_when_the_input_has_errors(project, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(BAD)
    out = tmp_path / "space.json"
    assert_diagnostics_only(cli("extract", bad, "-o", out))
    assert not out.exists()
    assert_diagnostics_only(cli("expand", bad, "--choice", "{}", "-o", out))
    assert not out.exists()
    # a bad choice: no file either
    assert_diagnostics_only(cli("expand", project / "train.py", "--choice", '{"train/layer_out": {"layer": 7}}', "-o", out))
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_output_left_untouched_on_error(project, tmp_path):
    out = tmp_path / "space.json"
    out.write_bytes(b"previous\n")
    os.utime(out, (OLD, OLD))
    bad = tmp_path / "bad.py"
    bad.write_text(BAD)
    assert_diagnostics_only(cli("extract", bad, "-o", out))
    assert_diagnostics_only(cli("expand", project / "train.py", "--choice", '{"train/layer_out": {"layer": "nope"}}', "-o", out))
    assert out.read_bytes() == b"previous\n"
    assert os.stat(out).st_mtime_ns == OLD * 10**9
    assert leftovers(tmp_path) == []


def test_output_write_failure_leaves_the_old_file_and_no_temporary(project, tmp_path, monkeypatch):
    out = tmp_path / "space.json"
    out.write_bytes(b"previous\n")

    def replace(src, dst, *a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", replace)
    result = cli("extract", project, "-o", out)
    assert_diagnostics_only(result)
    assert "No space left" in result.stderr
    assert out.read_bytes() == b"previous\n"
    assert leftovers(tmp_path) == []


def test_output_into_a_missing_directory_is_an_error(project, tmp_path):
    result = cli("extract", project, "-o", tmp_path / "no" / "such" / "dir" / "space.json")
    assert_diagnostics_only(result)
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["extract", "{f}", "-o", "{f}"],
        ["extract", "{f}", "-o", "{dot}"],
        ["extract", "{f}", "--format", "nni", "-o", "{link}"],
        ["expand", "{f}", "--choice", '{{"train/layer_out": {{"layer": 0, "inputs": [0]}}}}', "-o", "{f}"],
        ["expand", "{f}", "-o", "{dot}"],
        ["expand", "{f}", "-o", "{link}"],
    ],
    ids=["extract", "extract-other-spelling", "extract-symlink", "expand", "expand-runtime-form", "expand-symlink"],
)
def test_output_over_the_source_is_refused(project, monkeypatch, args):
    monkeypatch.chdir(project)
    os.symlink("train.py", project / "link.py")
    before = snapshot(project)
    names = {"f": "train.py", "dot": os.path.join(".", "pkg", "..", "train.py"), "link": "link.py"}
    result = cli(*[a.format(**names) for a in args])
    assert_diagnostics_only(result)
    assert "source" in result.stderr
    assert snapshot(project) == before
    assert os.path.islink(project / "link.py")
    assert leftovers(project) == []


def test_output_over_a_source_found_in_a_directory_is_refused(project):
    before = snapshot(project)
    result = cli("extract", project, "-o", project / "pkg" / "model.py")
    assert snapshot(project) == before
    assert_diagnostics_only(result)


# --- expand ----------------------------------------------------------------------------------


def test_expand_stdout_and_output_file_agree(project, tmp_path):
    choice = json.dumps(first_choice(space_of(cli("extract", project / "pkg" / "model.py"))))
    model = project / "pkg" / "model.py"
    printed = cli("expand", model, "--choice", choice)
    assert printed.exit_code == 0, printed.stderr
    out = tmp_path / "expanded.py"
    written = cli("expand", model, "--choice", choice, "-o", out)
    assert written.exit_code == 0, written.stderr
    assert written.stdout == ""
    assert out.read_bytes() == printed.stdout_bytes
    source_lines = model.read_bytes().splitlines(keepends=True)
    lines = printed.stdout_bytes.splitlines(keepends=True)
    assert len(lines) == len(source_lines)
    annotation_lines = set(range(4, 8)) | set(range(12, 17))  # 1-based: the comment block, the string
    for number, (old, new) in enumerate(zip(source_lines, lines), 1):
        if number not in annotation_lines:
            assert new == old, number
    assert b"@nni" not in printed.stdout_bytes
    ast.parse(printed.stdout_bytes)


def test_expanded_script_runs(project, tmp_path):
    choice = {"train/layer_out": {"layer": "conv(ch=256)", "inputs": ["out3"]}}
    result = cli("expand", project / "train.py", "--choice", json.dumps(choice))
    assert result.exit_code == 0, result.stderr
    run = subprocess.run([sys.executable, "-"], input=result.stdout_bytes, capture_output=True, check=True)
    assert run.stdout.decode().strip() == "('conv', 256, [[], [3]])"


def test_expand_file_without_annotations_prints_it_unchanged(project):
    result = cli("expand", project / "pkg" / "broken.py", "--choice", "{}")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == (project / "pkg" / "broken.py").read_bytes()


def test_expand_missing_file_is_a_diagnostic(tmp_path):
    assert_diagnostics_only(cli("expand", tmp_path / "missing.py", "--choice", "{}"))
    assert_diagnostics_only(cli("extract", tmp_path / "missing.py"))


# --- check -----------------------------------------------------------------------------------


def test_check_ok(project):
    (project / "pkg" / "broken.py").unlink()
    result = cli("check", project)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("ok")
    assert f"{len(KEYS)} mutable layer" in result.stdout
    assert result.stdout.count("\n") == 1


def test_check_problems_exit_1_with_every_diagnostic(project, tmp_path):
    (project / "pkg" / "broken.py").unlink()
    bad = tmp_path / "bad.py"
    bad.write_text(BAD)
    result = cli("check", project, bad)
    assert_diagnostics_only(result)
    headers = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(headers) >= 2  # both annotations' problems, reported together
    for header in headers:
        path, line, col, _ = header.split(":", 3)
        assert path == os.fspath(bad) and line.isdigit() and col.isdigit()
    assert "layer_choise" in result.stderr
    assert "^" in result.stderr


def test_check_parses_every_file_annotated_or_not(project):
    """A pre-commit `check` catches a syntax error in a file without annotations (SPEC §9),
    where extract and expand take their no-parse path (the file has nothing to compile)."""
    result = cli("check", project)
    assert_diagnostics_only(result)
    broken = os.fspath(project / "pkg" / "broken.py")
    assert result.stderr.startswith(f"{broken}:1:12: error: invalid Python syntax"), result.stderr
    assert "def broken(:" in result.stderr and "^" in result.stderr
    assert cli("extract", project).exit_code == 0


def test_commands_on_files_without_annotations_do_not_load_the_compiler(project, tmp_path):
    """extract and expand of files that mention no `@nni.` answer from nas_annotate.files."""
    plain = project / "pkg" / "plain.py"
    snippet = textwrap.dedent(
        f"""
        import json, sys
        from nas_annotate import entry
        loaded = {{}}
        for argv in (["extract", {str(plain)!r}], ["extract", "--format", "yaml", {str(plain)!r}],
                     ["expand", {str(plain)!r}], ["expand", {str(plain)!r}, "-o", {str(tmp_path / "out.py")!r}]):
            sys.argv = ["nas-annotate"] + argv
            try:
                entry.main()
            except SystemExit as exc:
                assert not exc.code, (argv, exc.code)
            loaded[" ".join(argv)] = sorted(sys.modules)
        sys.stderr.write(json.dumps(loaded))
        """
    )
    proc = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "{}\n{}\n" + plain.read_text()
    assert (tmp_path / "out.py").read_bytes() == plain.read_bytes()
    for argv, modules in json.loads(proc.stderr).items():
        assert not set(HEAVY) & set(modules), (argv, sorted(set(HEAVY) & set(modules)))


@pytest.mark.parametrize("fmt", ["json", "yaml", "nni", "nni-flat"])
def test_the_empty_space_without_the_compiler_is_the_compilers(fmt):
    from nas_annotate.cli import EMPTY_SPACE
    from nas_annotate.space import render

    assert render([], fmt).encode() == EMPTY_SPACE


def test_check_missing_path(tmp_path):
    result = cli("check", tmp_path / "nope")
    assert_diagnostics_only(result)
    assert "nope" in result.stderr


# --- usage errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["extract"],
        ["check"],
        ["expand"],
        ["frobnicate"],
        ["extract", "--bogus", "{f}"],
        ["extract", "--format", "xml", "{f}"],
        ["expand", "{f}", "--choice"],
        ["expand", "{f}", "{f}"],
        ["check", "-o"],
    ],
)
def test_usage_errors_exit_2(project, args):
    result = CliRunner().invoke(main, [a.format(f=project / "train.py") for a in args])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Usage" in result.output or "Error" in result.stderr
    assert "Traceback" not in result.stderr


# --- the installed command ---------------------------------------------------------------------


def run_both(args: list[str], cwd) -> list[subprocess.CompletedProcess]:
    if not os.path.exists(SCRIPT):
        pytest.skip(f"no console script at {SCRIPT}")
    return [
        subprocess.run(command + args, cwd=cwd, capture_output=True, timeout=60)
        for command in ([SCRIPT], [sys.executable, "-m", "nas_annotate"])
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["--help"],
        ["extract", "--format", "yaml", "proj"],
        ["check", "bad.py"],
        ["extract", "--format", "xml", "proj"],
    ],
    ids=["version", "help", "extract", "check-errors", "usage-error"],
)
def test_python_m_is_the_console_script(project, args):
    (project.parent / "bad.py").write_text(BAD)
    script, module = run_both(args, project.parent)
    assert (module.returncode, module.stdout, module.stderr) == (script.returncode, script.stdout, script.stderr)
    assert script.returncode == {"check": 1, "extract": 0 if "yaml" in args else 2}.get(args[0], 0)
    assert b"Traceback" not in script.stderr
    if args == ["--version"]:
        assert __version__.encode() in script.stdout.split()


def test_version():
    result = cli("--version")
    assert result.exit_code == 0
    assert "nas-annotate" in result.stdout
    assert __version__ in result.stdout.split()
    # the installed command and `python -m` agree on it: test_python_m_is_the_console_script[version]


HEAVY = [
    "yaml",
    "libcst",
    "nas_annotate.api",
    "nas_annotate.locate",
    "nas_annotate.parse",
    "nas_annotate.validate",
    "nas_annotate.pipeline",
    "nas_annotate.codegen",
    "nas_annotate.choice",
    "nas_annotate.space",
    "nas_annotate.importhook",
]


def test_help_does_not_import_the_compiler():
    """`--help` (and --version, subcommand help) through the installed entry point stays cheap."""
    snippet = textwrap.dedent(
        """
        import json, sys
        from importlib.metadata import entry_points
        (point,) = [e for e in entry_points(group="console_scripts") if e.name == "nas-annotate"]
        entry = point.load()
        loaded = {}
        for argv in (["--help"], ["--version"], ["extract", "--help"], ["expand", "--help"], ["check", "--help"]):
            sys.argv = ["nas-annotate"] + argv
            try:
                status = entry()
            except SystemExit as exc:
                status = exc.code
            assert not status, (argv, status)
            loaded[" ".join(argv)] = sorted(sys.modules)
        sys.stderr.write(json.dumps(loaded))
        """
    )
    proc = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Usage: nas-annotate" in proc.stdout
    for argv, modules in json.loads(proc.stderr).items():
        assert not set(HEAVY) & set(modules), (argv, sorted(set(HEAVY) & set(modules)))


def test_no_command_writes_a_source(project, tmp_path):
    """extract, check, expand (with and without choice, stdout and -o) and run, errors included."""
    (project / "bad.py").write_text(BAD)
    os.utime(project / "bad.py", (OLD, OLD))
    before = snapshot(project)
    assert all(mtime == OLD * 10**9 for _, mtime in before.values())
    choice = json.dumps(first_choice(space_of(cli("extract", project / "train.py", project / "pkg"))))
    out = tmp_path / "out"
    commands = [
        ["extract", project / "train.py", project / "pkg"],
        ["extract", "--format", "yaml", project / "pkg", "-o", out],
        ["extract", "--format", "nni", project / "pkg" / "model.py"],
        ["extract", project],  # fails: bad.py
        ["check", project],
        ["check", project / "pkg"],
        ["expand", project / "pkg" / "model.py", "--choice", choice],
        ["expand", project / "pkg" / "model.py", "--choice", choice, "-o", out],
        ["expand", project / "train.py"],
        ["expand", project / "pkg" / "sub" / "deep.py", "-o", out],
        ["expand", project / "bad.py", "--choice", choice],
        ["expand", project / "pkg" / "plain.py", "--choice", "{}"],
        ["expand", project / "train.py", "--choice", "{}"],  # fails: no choice for the key
        ["expand", project / "train.py", "-o", project / "train.py"],  # refused
    ]
    for args in commands:
        cli(*args)
    proc = subprocess.run(
        [sys.executable, "-m", "nas_annotate", "run", "train.py", "--choice", choice],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "('conv', 128, [[], [3]])"
    assert snapshot(project) == before


# --- the no-annotation fast path -----------------------------------------------------------------


@pytest.fixture
def no_parse(monkeypatch):
    """Make any Python parse (ast.parse, or compile to an AST) fail loudly."""
    real_compile = builtins.compile

    def parse(*args, **kwargs):
        raise AssertionError("ast.parse called")

    def compile_(source, filename, mode, flags=0, *args, **kwargs):
        if flags & ast.PyCF_ONLY_AST:
            raise AssertionError("compile to an AST called")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", parse)
    monkeypatch.setattr(builtins, "compile", compile_)


@pytest.mark.parametrize(
    "data",
    [
        b"import os\n\ndef f(x):\n    return x + 1  # nothing to compile\n",
        codecs.BOM_UTF8 + "s = 'caf\u00e9'\r\nt = 2\r\n".encode("utf-8"),
        "# -*- coding: latin-1 -*-\nname = 'caf\u00e9'\n".encode("latin-1"),
        b"def broken(:\n    this is not Python\n",
        b"",
    ],
    ids=["plain", "bom-crlf", "latin-1", "not-python", "empty"],
)
def test_expand_without_annotations_returns_the_bytes_without_parsing(tmp_path, no_parse, data):
    path = tmp_path / "plain.py"
    path.write_bytes(data)
    assert api.expand(os.fspath(path), '{"plain/x": {"layer": 0}}') == data
    assert api.expand(os.fspath(path), None) == data


# --- encodings and line endings ------------------------------------------------------------------

BEFORE = ["x = 1  # caf\u00e9\n", "def f(a, b):\n", '    s = "\u00e9t\u00e9"  # \u00e9\n']
ANNOTATION = [
    '    """@nni.mutable_layer\n',
    "    {\n",
    '        layer_choice: [conv(tag="\u00e9"), pool]\n',
    "        input_candidates: [a, b]\n",
    "        input_num: [1, 2]\n",
    "        layer_output: y\n",
    '    }"""\n',
]
COMMENT = ["    # @nni.mutable_layer\n", "    # {layer_choice: [op(u='\u00fc'), pool], layer_output: z}\n"]
AFTER = ["    t = y  # \u00fc\n", "    return z\n", "\n", "print('d\u00e9j\u00e0')\n"]


@pytest.mark.parametrize(
    "bom, cookie, encoding, newline",
    [
        (True, False, "utf-8", "\n"),
        (False, True, "latin-1", "\n"),
        (False, False, "utf-8", "\r\n"),
        (True, False, "utf-8", "\r\n"),
        (False, True, "latin-1", "\r\n"),
        (False, True, "cp1252", "\r\n"),
    ],
    ids=["bom", "latin-1", "crlf", "bom-crlf", "latin-1-crlf", "cp1252-crlf"],
)
@pytest.mark.parametrize("form", ["chosen", "runtime"])
def test_expand_preserves_encoding_bom_and_line_endings(tmp_path, bom, cookie, encoding, newline, form):
    lines = ([f"# -*- coding: {encoding} -*-\n"] if cookie else []) + BEFORE + ANNOTATION + COMMENT + AFTER
    first = len(lines) - len(AFTER) - len(COMMENT) - len(ANNOTATION)
    annotation_lines = set(range(first, first + len(ANNOTATION) + len(COMMENT)))  # 0-based
    data = "".join(line.replace("\n", newline) for line in lines).encode(encoding)
    if bom:
        data = codecs.BOM_UTF8 + data
    path = tmp_path / "enc.py"
    path.write_bytes(data)
    choice = None
    if form == "chosen":
        choice = json.dumps({"enc/f.y": {"layer": 'conv(tag="\u00e9")', "inputs": ["b", "a"]}, "enc/f.z": {"layer": 1}})
    out = api.expand(os.fspath(path), choice)
    assert out.startswith(codecs.BOM_UTF8) == bom
    source_lines = data.splitlines(keepends=True)
    out_lines = out.splitlines(keepends=True)
    assert len(out_lines) == len(source_lines)
    for number, (old, new) in enumerate(zip(source_lines, out_lines)):
        if number not in annotation_lines:
            assert new == old, number
        else:  # annotation lines keep their own ending
            assert new.endswith(newline.encode()) and not new.endswith(b"\r\r\n")
    text = (out[3:] if bom else out).decode(encoding)
    compile(out, "enc.py", "exec")  # Python reads the cookie/BOM from the bytes
    if form == "chosen":
        assert "y = conv([[], [b, a]], tag='\u00e9')" in text
        assert "z = pool([[], []])" in text
    assert "@nni" not in text


@pytest.mark.parametrize("command, typo, meant", [("run", "--choise", "--choice"), ("search", "--timeuot", "--timeout")])
def test_an_unknown_option_before_the_separator_is_a_usage_error(project, command, typo, meant):
    """A typo is not handed to the script: exit 2, click's "did you mean", and where the
    script's own options go."""
    result = cli(command, project / "train.py", typo, "x")
    assert result.exit_code == 2, result.output
    assert f"No such option '{typo}'. Did you mean '{meant}'?" in result.stderr
    assert f"options for the script go after `--`: nas-annotate {command} [OPTIONS] SCRIPT -- {typo}" in result.stderr


def test_run_hands_what_follows_the_separator_to_the_script(tmp_path):
    script = tmp_path / "argv.py"
    script.write_text("import sys\nprint(sys.argv[1:])\n")
    for fast in ([SCRIPT, "run"], [sys.executable, "-m", "nas_annotate", "run"]):
        done = subprocess.run([*fast, str(script), "plain", "--", "--epochs", "1", "--choice", "x"],
                              capture_output=True, text=True, timeout=60)
        assert done.stdout == "['plain', '--epochs', '1', '--choice', 'x']\n", done.stderr
        refused = subprocess.run([*fast, str(script), "--epochs", "1"], capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2 and "No such option '--epochs'" in refused.stderr

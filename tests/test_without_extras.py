"""The suite without the optional extras (issue 15 item 6): with only `pip install -e .` and
pytest, the compiler's tests pass and the others skip, each naming the package it needs and
the extra that installs it.

A pytest run in a subprocess, over a selection of test files (not this one), hides the extras'
packages through tests/fixtures/without_extras/sitecustomize.py, from itself and from every
Python it starts."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import EXTRAS, SEARCH, needs

ROOT = Path(__file__).resolve().parent.parent
HIDE = Path(__file__).with_name("fixtures") / "without_extras"
# at least one file per optional package; test_quick_parse, test_corpus's cases, test_supernet's
# code generation and the examples' spaces are the compiler's tests among them
SELECTION = [
    "tests/test_quick_parse.py",
    "tests/test_fuzz.py",
    "tests/test_corpus.py::test_case[opt_search_jobs]",
    "tests/test_corpus.py::test_case[path_search_missing]",
    "tests/test_search.py",
    "tests/test_security.py::test_each_command_writes_only_the_outputs_it_is_given",
    "tests/test_supernet.py",
    "tests/test_oneshot.py",
    "tests/test_examples_seed.py",
    "tests/test_examples_digits.py",
    "tests/test_examples_nni_form.py",
    "tests/test_readme.py",
    "tests/test_nni_interop.py",
    "tests/test_draw.py",
    "tests/test_dashboard.py",
    "tests/test_strategies.py",
    "tests/test_import_graph.py",
]


def pytest_hiding(hidden: list[str], selection: list[str], tmp_path: Path) -> dict[str, str | None]:
    """Run pytest on `selection` with the packages `hidden`: each test's id and, if it
    skipped, the reason (None: it passed).  Any failure or error fails here."""
    paths = [os.fspath(HIDE), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "HIDE_PACKAGES": ",".join(hidden), "PYTHONPATH": os.pathsep.join(paths)}
    report = tmp_path / "report.xml"
    plugins = ["-p", "no:hypothesispytest"] if "hypothesis" in hidden else []  # installed with hypothesis
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugins, "--basetemp", os.fspath(tmp_path / "inner"),
         "--junitxml", os.fspath(report), *selection],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        assert case.find("failure") is None and case.find("error") is None, ET.tostring(case, encoding="unicode")
        skipped = case.find("skipped")
        reason = None if skipped is None else f"{skipped.get('message')} {skipped.text or ''}"
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = reason
    return outcomes


def test_without_the_extras_the_compilers_tests_pass_and_the_others_skip_saying_why(tmp_path):
    outcomes = pytest_hiding([*EXTRAS, "numpy"], SELECTION, tmp_path)  # numpy: the extras bring it
    passed = {test for test, reason in outcomes.items() if reason is None}
    assert {test.split("::")[0] for test in passed} >= {
        "tests.test_quick_parse", "tests.test_corpus", "tests.test_supernet", "tests.test_examples_seed",
        "tests.test_examples_digits", "tests.test_examples_nni_form", "tests.test_readme",
    }
    assert "tests.test_corpus::test_case[opt_search_jobs]" in passed  # a usage error needs no optuna
    reasons = [reason for reason in outcomes.values() if reason is not None]
    assert all("needs " in reason and "pip install -e '.[" in reason for reason in reasons), reasons
    for package, _ in EXTRAS.values():
        if package != "psycopg2-binary":  # its tests need the search extra first: the next test
            assert any(package in reason for reason in reasons), package


@needs(*SEARCH)
def test_without_psycopg2_the_postgres_tests_skip_saying_why(tmp_path):
    outcomes = pytest_hiding(["psycopg2"], ["tests/test_search_postgres.py"], tmp_path)
    assert outcomes and all(reason and "psycopg2" in reason for reason in outcomes.values()), outcomes


def test_the_strategies_are_listed_without_the_extras():
    """`nas-annotate strategies` reads signatures and docstrings: no Optuna, Keras or NumPy needed."""
    env = {**os.environ, "HIDE_PACKAGES": ",".join([*EXTRAS, "numpy", "keras"]), "PYTHONPATH": os.fspath(HIDE)}
    nas = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
    done = subprocess.run([nas, "strategies"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    assert names[:8] == ["tpe", "random", "evolution", "morphism", "grid", "reinforce", "darts", "enas"]

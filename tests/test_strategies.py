"""Strategies as plug-ins: `--sampler MODULE:NAME | PATH.py:NAME | entry point`, their options,
the errors (one line, exit 2, before any trial), our black-box protocol end to end (with --jobs,
resume and two searches on one storage), Optuna samplers named by module path, a strategy that
raises or proposes nonsense, and `nas-annotate strategies`.

The trial is tests/fixtures/search/trial.py (pure Python, 11.0 at best) or examples/toy/score.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import SEARCH, needs, require

require(*SEARCH)
import optuna  # noqa: E402

from nas_annotate.search import Options, SearchProblem, search  # noqa: E402
from nas_annotate.search.optuna_space import load_space  # noqa: E402
from nas_annotate.search.samplers import resolve  # noqa: E402
from nas_annotate.strategies import History, Result, Space, canonical  # noqa: E402
from nas_annotate.strategies.registry import StrategyProblem, available, find, in_file, parse_options  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TRIAL = ROOT / "tests" / "fixtures" / "search" / "trial.py"
TOY = ROOT / "examples" / "toy" / "score.py"
LOCAL = ROOT / "examples" / "strategies" / "local_search.py"
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")

PLUGINS = '''
import random

import optuna
from nas_annotate.strategies import BlackBoxStrategy


class Uniform(BlackBoxStrategy):
    """Every decision drawn at random (our protocol)."""

    def __init__(self, space, seed=None, tries=1):
        super().__init__(space, seed)
        self.tries = tries
        self.told = []

    def ask(self, history):
        return self.space.random(self.rng)

    def tell(self, result):
        self.told.append(result.number)


class Duck:
    """Not a subclass: a class with ask() is one all the same."""

    def __init__(self, space):
        self.space = space

    def ask(self, history):
        return self.space.random(random.Random(len(history)))


class Breaks(BlackBoxStrategy):
    """Raises at its third ask."""

    def ask(self, history):
        if len(history) >= 2:
            raise RuntimeError("boom at three")
        return self.space.random(self.rng)


class Nonsense(BlackBoxStrategy):
    def ask(self, history):
        return {"no such key": 1}


class MySampler(optuna.samplers.RandomSampler):
    """An Optuna sampler of the user's own."""


def brute(seed=None) -> optuna.samplers.BaseSampler:
    """A function returning a sampler."""
    return optuna.samplers.BruteForceSampler(seed=seed)


def helper(x):
    return x


class NotAStrategy:
    pass
'''


@pytest.fixture
def plugins(tmp_path: Path) -> Path:
    path = tmp_path / "plugins.py"
    path.write_text(PLUGINS)
    return path


def run(tmp_path: Path, sampler: str, *args: str, script: Path = TRIAL, **settings) -> dict:
    options = Options(script=str(script), args=args, sampler=sampler, out=str(tmp_path / "out"), quiet=True, progress=False,
                      **settings)
    search(options, echo=lambda text: None)
    return json.loads((tmp_path / "out" / "results.json").read_text())


def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([NAS, *args], capture_output=True, text=True, cwd=cwd, timeout=300, env=env)


# -- finding a strategy and its options ---------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    (("lr=0.1",), {"lr": 0.1}),
    (("n=3", "flag=true", "name=abc", "values=[1, 2]"), {"n": 3, "flag": True, "name": "abc", "values": [1, 2]}),
    (("path=a=b",), {"path": "a=b"}),
    (("empty=",), {"empty": ""}),
    (("quoted=\"3\"",), {"quoted": "3"}),
])
def test_sampler_options_are_json_where_they_parse(text, expected):
    assert parse_options(text) == expected


@pytest.mark.parametrize("text, message", [
    (("lr",), "--sampler-option 'lr': write KEY=VALUE, KEY a Python name"),
    (("2x=1",), "--sampler-option '2x=1': write KEY=VALUE"),
    (("a=1", "a=2"), "--sampler-option 'a' is given twice"),
])
def test_bad_sampler_options(text, message):
    with pytest.raises(StrategyProblem, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_options(text)


@pytest.mark.parametrize("name, options, message", [
    ("nope", {}, "unknown strategy 'nope': use one of tpe, random, evolution, morphism, grid, reinforce, darts, enas, MODULE:NAME or PATH.py:NAME"),
    ("missing.py:A", {}, "strategy file 'missing.py': no such file"),
    ("{plugins}:Nope", {}, "has no 'Nope'; it defines Uniform, Duck, Breaks, Nonsense, MySampler, brute"),
    ("{plugins}:NotAStrategy", {}, "is a class NotAStrategy: neither an Optuna BaseSampler"),
    ("{plugins}:helper", {}, "is a function of x: a strategy function takes only options with defaults"),
    ("{broken}:X", {}, "does not import: ZeroDivisionError: division by zero"),
    ("no_such_module_here:X", {}, "strategy module 'no_such_module_here' does not import: ModuleNotFoundError"),
    ("{plugins}:Uniform", {"trys": 2}, "takes no option 'trys'; did you mean 'tries'?"),
    ("{plugins}:Duck", {"x": 1}, "takes no option 'x'; it takes no options"),
    ("{plugins}:Uniform", {"seed": 1}, "'seed' is not an option (give --seed)"),
    ("tpe", {"n_startup": 3}, "strategy 'tpe' takes no option 'n_startup'; did you mean 'n_startup_trials'?"),
    ("reinforce", {"lr": -1}, "strategy 'reinforce' could not be made: ValueError: reinforce needs lr > 0"),
    ("optuna.samplers:TPESampler", {"n_startup": 1}, "takes no option 'n_startup'; did you mean 'n_startup_trials'?"),
])
def test_a_bad_strategy_is_one_line_before_any_trial(tmp_path, plugins, name, options, message):
    broken = tmp_path / "broken.py"
    broken.write_text("1 / 0\n")
    name = name.format(plugins=plugins, broken=broken)
    with pytest.raises(StrategyProblem) as caught:
        run(tmp_path, name, sampler_options=options)
    text = str(caught.value)
    assert message in text and "\n" not in text
    assert not (tmp_path / "out" / "study.db").exists() or not optuna.load_study(
        study_name="trial", storage=f"sqlite:///{tmp_path / 'out' / 'study.db'}").trials


def test_the_command_line_says_it_in_one_line_with_status_2(tmp_path, plugins):
    done = cli("search", str(TRIAL), "--sampler", f"{plugins}:Uniform", "--sampler-option", "trys=2", "-o", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"{TRIAL}: error: strategy '{plugins}:Uniform' takes no option 'trys'; did you mean 'tries'?"
    ]
    done = cli("search", str(TRIAL), "--sampler-option", "oops", cwd=tmp_path)
    assert done.returncode == 2 and "write KEY=VALUE" in done.stderr and "Traceback" not in done.stderr


def test_what_each_name_is(plugins):
    kinds = {name: find(f"{plugins}:{name}") for name in ("Uniform", "Duck", "MySampler", "brute")}
    assert {name: s.kind for name, s in kinds.items()} == {"Uniform": "black-box", "Duck": "black-box", "MySampler": "optuna",
                                                          "brute": "optuna"}
    assert [o.name for o in kinds["Uniform"].options] == ["tries"] and kinds["Uniform"].takes_seed
    assert kinds["Duck"].options == [] and not kinds["Duck"].takes_seed
    assert find("optuna.samplers:BruteForceSampler").kind == "optuna"
    assert find("reinforce").kind == "black-box" and find("reinforce").builtin
    assert find(f"{os.path.relpath(plugins)}:Uniform").spec == f"{plugins}:Uniform"  # a trial finds it from anywhere


def test_legacy_flags_are_options_of_the_built_ins_and_sampler_options_win():
    _, settings = resolve(Options(script="x.py", sampler="evolution", population=6))
    assert settings == {"population": 6}
    _, settings = resolve(Options(script="x.py", sampler="evolution", population=6, sampler_options={"population": 4}))
    assert settings == {"population": 4}


# -- our protocol -------------------------------------------------------------------------------

def test_the_space_a_strategy_sees():
    space = load_space(str(TRIAL))
    ours = Space(space, space.document)
    assert list(ours.document) == ours.keys and all(ours.document[key]["_type"] == "mutable_layer" for key in ours.keys)
    parts = [(d.key.rpartition(".")[2], d.part, len(d.options)) for d in ours.decisions]
    assert parts == [("cell1", "layer", 5), ("cell2", "layer", 5), ("cell2", "inputs", 3), ("cell3", "layer", 5),
                     ("cell3", "inputs", 2), ("cell4", "layer", 5)]
    import random

    rng = random.Random(0)
    for _ in range(20):
        choice = ours.random(rng)
        assert ours.check(choice) is None
        assert ours.choice(ours.picks(choice)) == choice
        neighbours = list(ours.neighbours(choice))
        assert len(neighbours) == sum(len(d.options) - 1 for d in ours.decisions)
        assert all(ours.check(n) is None and canonical(n) != canonical(choice) for n in neighbours)
    assert "has no" in ours.check({})
    assert "layer 'nope' names none of 'worst'" in ours.check({k: {"layer": "nope", "inputs": []} for k in ours.keys})
    assert "by their labels" in ours.check({k: {"layer": 0, "inputs": []} for k in ours.keys})


def test_history_orders_best_first_by_direction():
    results = [Result(0, {"a": 1}, "complete", 3.0), Result(1, {"a": 2}, "complete", 1.0), Result(2, {"a": 3}, "running"),
               Result(3, {"a": 4}, "failed")]
    assert [r.number for r in History(results, ["maximize"]).best(2)] == [0, 1]
    assert [r.number for r in History(results, ["minimize"]).best(2)] == [1, 0]
    assert len(History(results).seen()) == 4 and len(History(results).completed()) == 2


def test_our_protocol_end_to_end_with_jobs_and_resume(tmp_path, plugins):
    results = run(tmp_path, f"{plugins}:Uniform", trials=6, jobs=2, seed=1, sampler_options={"tries": 2})
    assert [t["state"] for t in results["trials"]].count("complete") == 6
    results = run(tmp_path, f"{plugins}:Uniform", trials=4, seed=1)
    assert len(results["trials"]) == 10  # resumed the study


def test_a_duck_typed_strategy_and_an_example_from_another_directory(tmp_path, plugins):
    results = run(tmp_path, f"{plugins}:Duck", trials=3)
    assert len(results["trials"]) == 3
    done = cli("search", str(TOY), "--sampler", os.path.relpath(LOCAL, tmp_path) + ":LocalSearch", "--sampler-option", "start=3",
               "--trials", "12", "--jobs", "2", "--seed", "0", "-o", "out", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    trials = json.loads((tmp_path / "out" / "results.json").read_text())["trials"]
    choices = [canonical(t["choice"]) for t in trials]
    assert len(trials) == 12 and len(set(choices)) == 12  # never an architecture twice


def test_two_searches_share_one_storage_with_a_plug_in(tmp_path, plugins):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    command = ["search", str(TRIAL), "--sampler", f"{LOCAL}:LocalSearch", "--storage", url, "--trials", "6", "-q"]
    first = subprocess.Popen([NAS, *command, "-o", "a"], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen([NAS, *command, "-o", "b"], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    assert first.wait(300) == 0 and second.wait(300) == 0, (first.stderr.read(), second.stderr.read())
    trials = optuna.load_study(study_name="trial", storage=url).trials
    assert len(trials) == 12 and all(t.state.name == "COMPLETE" for t in trials)
    assert len({canonical(t.user_attrs["choice"]) for t in trials}) >= 11  # each search sees the other's trials


def test_local_search_climbs_on_the_toy(tmp_path):
    results = run(tmp_path, f"{LOCAL}:LocalSearch", trials=40, seed=0, script=TOY)
    best = max(t["value"] for t in results["trials"])
    first = max(t["value"] for t in results["trials"][:5])
    assert best >= 10.0 and best > first


# -- Optuna samplers by module path -------------------------------------------------------------

def test_optuna_samplers_by_module_path_and_the_users_own(tmp_path, plugins):
    results = run(tmp_path, "optuna.samplers:TPESampler", trials=4, seed=0, sampler_options={"n_startup_trials": 2})
    assert len(results["trials"]) == 4
    results = run(tmp_path, f"{plugins}:MySampler", trials=2, seed=0)
    assert len(results["trials"]) == 6


def test_a_sampler_that_is_done_ends_the_search_normally(tmp_path, plugins):
    script = tmp_path / "tiny.py"
    script.write_text(textwrap.dedent('''\
        def a(inputs):
            return 1.0


        def b(inputs):
            return 2.0


        """@nni.mutable_layer {layer_choice: [a(), b()], layer_output: x}"""
        """@nni.report_final_result(x)"""
    '''))
    results = run(tmp_path, f"{plugins}:brute", trials=10, seed=0, script=script)
    assert sorted(t["value"] for t in results["trials"]) == [1.0, 2.0]


# -- a strategy that fails ----------------------------------------------------------------------

def test_a_strategy_that_raises_stops_the_search_and_the_study_resumes(tmp_path, plugins):
    done = cli("search", str(TRIAL), "--sampler", f"{plugins}:Breaks", "--trials", "6", "-o", "out", cwd=tmp_path)
    assert done.returncode == 1
    assert f"error: strategy '{plugins}:Breaks' failed in ask(): RuntimeError: boom at three" in done.stderr
    assert "Traceback" not in done.stderr
    study = optuna.load_study(study_name="trial", storage=f"sqlite:///{tmp_path / 'out' / 'study.db'}")
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE", "FAIL"]
    assert "boom at three" in study.trials[2].user_attrs["error"]
    assert json.loads((tmp_path / "out" / "results.json").read_text())["trials"]
    done = cli("search", str(TRIAL), "--sampler", f"{LOCAL}:LocalSearch", "--trials", "2", "-o", "out", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(optuna.load_study(study_name="trial", storage=f"sqlite:///{tmp_path / 'out' / 'study.db'}").trials) == 5


def test_a_strategy_that_proposes_no_choice_of_the_space(tmp_path, plugins):
    with pytest.raises(SearchProblem, match="asked for what is not a choice of the space: the choice has no"):
        run(tmp_path, f"{plugins}:Nonsense", trials=2)


# -- listing ------------------------------------------------------------------------------------

def test_strategies_lists_the_built_ins_with_kinds_and_options(tmp_path):
    done = cli("strategies", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines()[1:]}
    assert list(rows)[:8] == ["tpe", "random", "evolution", "morphism", "grid", "reinforce", "darts", "enas"]
    assert "black-box" in rows["reinforce"] and "lr=0.5" in rows["reinforce"]
    assert "one-shot" in rows["darts"] and "one-shot" in rows["enas"]
    assert "population=10" in rows["evolution"]
    assert {s.name for s in available()} >= {"tpe", "reinforce", "darts"}


def test_strategies_of_one_file(tmp_path, plugins):
    done = cli("strategies", str(plugins), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    assert names == [f"{plugins}:{n}" for n in ("Uniform", "Duck", "Breaks", "Nonsense", "MySampler", "brute")]
    assert "tries=1" in done.stdout
    assert [s.label for s in in_file(str(LOCAL))] == ["black-box"]
    done = cli("strategies", "nothing_here.py", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.strip() == "nas-annotate: error: strategy file 'nothing_here.py': no such file"


def test_an_installed_package_publishes_strategies_by_entry_point(tmp_path, plugins):
    site = tmp_path / "site"
    (site / "my_strategies-1.0.dist-info").mkdir(parents=True)
    (site / "my_strategies.py").write_text(PLUGINS)
    (site / "my_strategies-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: my-strategies\nVersion: 1.0\n")
    (site / "my_strategies-1.0.dist-info" / "entry_points.txt").write_text(
        "[nas_annotate.strategies]\nuniform = my_strategies:Uniform\nbroken = my_strategies:Missing\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = cli("strategies", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines()[1:]}
    assert "black-box" in rows["uniform"] and "tries=1" in rows["uniform"]
    assert "does not load" in rows["broken"]
    done = cli("search", str(TRIAL), "--sampler", "uniform", "--trials", "3", "-o", "out", "-q", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert len(json.loads((tmp_path / "out" / "results.json").read_text())["trials"]) == 3


# -- every example it applies to ----------------------------------------------------------------

HYPER = ROOT / "tests" / "fixtures" / "search" / "hyper.py"


@pytest.mark.parametrize("sampler", ["reinforce", f"{LOCAL}:LocalSearch"])
def test_our_protocol_on_a_space_of_every_hyperparameter_kind(tmp_path, sampler):
    """Finite hyperparameters are decisions; continuous ones are drawn, within their ranges."""
    space = Space(load_space(str(HYPER)), {})
    assert {d.key.rpartition("/")[2] for d in space.decisions if d.part == "value"} == {"lr", "depth", "width", "power"}
    assert {c.key.rpartition("/")[2] for c in space.continuous} == {
        "dropout", "decay", "batch", "shift", "center", "spread", "ratio"}
    results = run(tmp_path, sampler, trials=8, seed=0, script=HYPER, sampler_options={"start": 3} if ":" in sampler else {})
    trials = results["trials"]
    assert [t["state"] for t in trials] == ["complete"] * 8, [t.get("error") for t in trials]
    for trial in trials:
        choice = {key.rpartition("/")[2]: value for key, value in trial["choice"].items()}
        assert 0 <= choice["dropout"] <= 1 and 1e-4 <= choice["decay"] <= 0.1 and choice["width"] in (0, 2.5, 5, 7.5, 10)


@needs("tensorflow", "sklearn")
@pytest.mark.parametrize("script, args", [
    (ROOT / "examples" / "digits" / "train.py", ("--epochs", "1", "--limit", "128")),
    (ROOT / "examples" / "nni_form" / "mnist_style.py", ("--epochs", "1", "--limit", "128")),
], ids=["digits", "nni_form"])
def test_a_strategy_in_a_file_searches_the_tensorflow_examples(tmp_path, script, args):
    done = cli("search", str(script), "--sampler", f"{LOCAL}:LocalSearch", "--sampler-option", "start=2", "--trials", "3",
               "--seed", "0", "-o", "out", "-q", "--", *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    trials = json.loads((tmp_path / "out" / "results.json").read_text())["trials"]
    assert [t["state"] for t in trials] == ["complete"] * 3
    assert len({canonical(t["choice"]) for t in trials}) == 3
    assert (tmp_path / "out" / f"best_{script.stem}.py").exists()

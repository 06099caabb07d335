"""The built-in strategy `reinforce` and the `--prune` rules: reinforce learns the toy trial's
optimum, its policy is rebuilt from the study (resume, many machines), it runs from the command
line with --jobs; Hyperband prunes, and a bare `--prune` is the median rule.

The trial is tests/fixtures/search/trial.py (11.0 at best: every cell `best`, cells 2 and 3 fed
`good_skip`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import SEARCH, require

require(*SEARCH)
import optuna  # noqa: E402
from click.testing import CliRunner  # noqa: E402

import nas_annotate.search as search_package  # noqa: E402
from nas_annotate.cli import main  # noqa: E402
from nas_annotate.search import Options, search  # noqa: E402
from nas_annotate.search import study as study_module  # noqa: E402
from nas_annotate.search.optuna_space import load_space  # noqa: E402
from nas_annotate.search.options import Outcome  # noqa: E402
from nas_annotate.search.samplers import make_sampler  # noqa: E402
from nas_annotate.strategies.adapter import ProtocolSampler, history  # noqa: E402
from nas_annotate.strategies.registry import find  # noqa: E402
from nas_annotate.strategies.reinforce import Reinforce, most_likely  # noqa: E402

HERE = Path(__file__).parent
ROOT = HERE.parent
TRIAL = HERE / "fixtures" / "search" / "trial.py"
TOY = ROOT / "examples" / "toy" / "score.py"
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
BEST = 11.0
GAIN = {"worst": 0.0, "poor": 0.6, "fair": 1.2, "good": 1.8, "best": 2.5}
SKIP = {"good_skip": 0.5, "bad_skip": -0.5}
OPTIMUM = {"layer": "best", "inputs": ("good_skip",)}  # each decision's best option, by its part


def score(choice: dict[str, Any]) -> float:
    return sum(GAIN[entry["layer"]] + sum(SKIP[i] for i in entry["inputs"]) for entry in choice.values())


def reinforce_study(seed: int, trials: int) -> tuple[ProtocolSampler, optuna.Study, list[float]]:
    """reinforce asked and told in process on the toy trial's encoding, as `search` does."""
    space = load_space(str(TRIAL))
    sampler = make_sampler(find("reinforce"), space.grid(), seed, space=space)
    assert isinstance(sampler, ProtocolSampler)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    values = []
    for _ in range(trials):
        trial = study.ask(fixed_distributions=space.distributions())
        choice = space.choice(trial.params)
        trial.set_user_attr("choice", choice)  # as `search` sets it: the history reads it
        values.append(score(choice))
        study.tell(trial, values[-1])
    return sampler, study, values


def test_reinforce_learns_the_toy_optimum():
    sampler, study, values = reinforce_study(seed=0, trials=60)
    strategy = sampler.strategy
    assert isinstance(strategy, Reinforce)
    strategy.ask(history(study, sampler.search_space))  # brought up to date with every trial
    assert max(values) == BEST
    for decision in sampler.space.decisions:
        probabilities = strategy.probabilities(decision.name)
        uniform = 1 / len(decision.options)
        best = probabilities[decision.options.index(OPTIMUM[decision.part])]
        assert best >= uniform + (1 - uniform) / 2, (decision.name, probabilities)  # over halfway to certain
    assert score(most_likely(strategy)) == BEST


def test_reinforce_is_rebuilt_from_the_study():
    sampler, study, _ = reinforce_study(seed=0, trials=30)
    found = history(study, sampler.search_space)
    running = sampler.strategy
    running.ask(found)
    fresh = find("reinforce").make({}, 7, sampler.space)  # another machine, another seed
    fresh.ask(found)
    assert fresh.learned == running.learned == list(range(30))
    assert fresh.logits == running.logits
    assert fresh.baseline == running.baseline


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAS_ANNOTATE_", "NNI_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_reinforce_from_the_command_line_runs_with_jobs_and_resumes(tmp_path):
    command = [NAS, "search", str(TOY), "--sampler", "reinforce", "--trials", "12", "--jobs", "2", "--seed", "0",
               "-o", str(tmp_path / "out"), "--quiet"]
    for total in (12, 24):
        done = subprocess.run(command, cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        trials = json.loads((tmp_path / "out" / "results.json").read_text())["trials"]
        assert sorted(row["number"] for row in trials) == list(range(total))
        assert {row["state"] for row in trials} == {"complete"}


def test_hyperband_prunes(tmp_path, monkeypatch):
    made = []
    original = study_module.make_pruner

    def recorded(options: Options) -> Any:
        made.append(original(options))
        return made[-1]

    monkeypatch.setattr(study_module, "make_pruner", recorded)
    trial = tmp_path / "trial.py"
    shutil.copy(TRIAL, trial)
    options = Options(script=str(trial), args=("--steps", "4", "--sleep", "0.4"), out=str(tmp_path / "out"), trials=14,
                      prune="hyperband", sampler="random", seed=3, quiet=True, progress=False)
    search(options, echo=lambda text: None)
    assert [type(pruner) for pruner in made] == [optuna.pruners.HyperbandPruner]
    trials = json.loads((tmp_path / "out" / "results.json").read_text())["trials"]
    states = [row["state"] for row in trials]
    assert "pruned" in states and "complete" in states
    for row in trials:
        assert row["intermediate"], "intermediate results reach the study"
    # stopped early: a trial's later reports may reach the driver before it acts on an earlier
    # one on a loaded machine, so not every pruned trial is short, but some are
    assert any(len(row["intermediate"]) < 4 for row in trials if row["state"] == "pruned")


@pytest.mark.parametrize("prune, rule", [(True, optuna.pruners.MedianPruner), ("median", optuna.pruners.MedianPruner),
                                         ("hyperband", optuna.pruners.HyperbandPruner), (None, optuna.pruners.NopPruner)])
def test_each_prune_setting_makes_its_rule(prune, rule):
    assert type(study_module.make_pruner(Options(script="trial.py", prune=prune))) is rule


@pytest.mark.parametrize("args, pruner, script_args", [
    (["--prune", "{script}"], "median", ()),
    (["{script}", "--prune"], "median", ()),
    (["{script}", "--prune", "--", "--epochs", "5"], "median", ("--epochs", "5")),
    (["--prune", "hyperband", "{script}"], "hyperband", ()),
    (["{script}", "--prune", "median"], "median", ()),
    (["{script}"], None, ()),
])
def test_the_command_line_reads_prune_bare_or_with_its_rule(monkeypatch, args, pruner, script_args):
    given = []

    def recorded(options: Options, echo: Any = None) -> Outcome:
        given.append(options)
        return Outcome(out_dir="out", study_name="trial", storage="sqlite://")

    monkeypatch.setattr(search_package, "search", recorded)
    result = CliRunner().invoke(main, ["search", *(arg.format(script=TRIAL) for arg in args)])
    assert result.exit_code == 0, result.output
    (options,) = given
    assert (options.script, options.pruner, tuple(options.args)) == (str(TRIAL), pruner, script_args)

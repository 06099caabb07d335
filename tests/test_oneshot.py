"""`search --sampler darts|enas`: tiny one-shot searches of the unedited examples, from the
supernet to the retrained trials; enas's policy and darts's ranking; and the errors for scripts
one-shot cannot search."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SEARCH, require

require(*SEARCH, "tensorflow", "sklearn")
import optuna  # noqa: E402

from nas_annotate.choice import Shape
from nas_annotate.search import Options, SearchProblem, search
from nas_annotate.search.optuna_space import load_space
from nas_annotate.strategies.darts import Darts
from nas_annotate.strategies.enas import Enas, Policy
from nas_annotate.supernet import Net

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "examples" / "digits" / "train.py"
NNI_FORM = ROOT / "examples" / "nni_form" / "mnist_style.py"
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
QUICK = ("--epochs", "2", "--limit", "256")


def valid(choice: dict, script: Path) -> None:
    """`choice` is a whole, valid choice of the script's space (every key, allowed labels)."""
    space = load_space(str(script))
    assert space.choice(space.params_of(choice)) == choice


def test_darts_on_the_digits_example(tmp_path, capsys):
    out = tmp_path / "out"
    outcome = search(Options(script=str(DIGITS), args=QUICK, sampler="darts", out=str(out), retrain=2, seed=0, quiet=False))
    printed = capsys.readouterr().out
    state = json.loads(Path(outcome.results["oneshot"]).read_text())
    assert state["strategy"] == "darts" and state["epochs"] == 2 and state["trained"] and state["metric"] == "log-probability"
    assert [layer["key"] for layer in state["layers"]] == [
        "train/build_model.cell1", "train/build_model.cell2", "train/build_model.cell3",
    ]
    cell3 = state["layers"][2]
    assert cell3["padded"] == [16, 16, 48, 48]
    for entry in state["history"]:  # a weight per candidate at each epoch, op weights a distribution
        for key, weights in entry["weights"].items():
            assert sum(weights["ops"]) == pytest.approx(1.0, abs=1e-4)
    derived = state["ranked"][0]["choice"]
    for layer in state["layers"]:
        weights = state["history"][-1]["weights"][layer["key"]]
        strongest = max(range(len(weights["ops"])), key=weights["ops"].__getitem__)
        assert derived[layer["key"]]["layer"] == layer["labels"][strongest]
        lo, hi = layer["input_num"]
        assert lo <= len(derived[layer["key"]]["inputs"]) <= hi
    valid(derived, DIGITS)
    assert "weights at the end of training:" in printed and "   1  " in printed
    assert (out / "darts.png").stat().st_size > 10_000
    # the derived architecture and the next most weighted one, retrained as trials of the study
    study = optuna.load_study(study_name="train", storage=f"sqlite:///{out / 'study.db'}")
    trials = study.get_trials()
    assert [t.user_attrs["source"] for t in trials] == ["darts #1", "darts #2"]
    assert trials[0].user_attrs["choice"] == derived
    assert all(t.state.name == "COMPLETE" for t in trials)
    best = json.loads((out / "best_choice.json").read_text())
    assert best == max(trials, key=lambda t: t.value).user_attrs["choice"]
    assert "runtime" not in (out / "best_train.py").read_text()  # the chosen form, not the run-time one


def test_bilevel_darts_steps_the_architecture_on_validation_batches_alone(tmp_path):
    """First-order bilevel: the logits are not the script's to train (not trainable weights of
    its model), yet they move, stepped by ours on validation batches."""
    out = tmp_path / "out"
    outcome = search(Options(script=str(DIGITS), args=QUICK, sampler="darts", darts="bilevel", out=str(out), retrain=0,
                             seed=0, quiet=True))
    state = json.loads(Path(outcome.results["oneshot"]).read_text())
    assert state["options"]["bilevel"] is True and state["trained"]
    for layer in state["layers"]:
        ops = state["history"][-1]["weights"][layer["key"]]["ops"]
        assert sum(ops) == pytest.approx(1.0, abs=1e-4) and max(ops) - min(ops) > 0.01  # moved from uniform
    valid(state["ranked"][0]["choice"], DIGITS)


def test_the_supernet_logits_are_the_scripts_to_train_only_under_one_level_darts():
    pytest.importorskip("keras")
    from nas_annotate.supernet import layers

    shape = Shape("m/f.y", ("a", "b"), ("x",), (0, 1))
    for bilevel in (False, True):
        site = Net(Darts(bilevel=bilevel), "darts").site(shape, "here: ")
        assert layers.OpChoice(site).logits.trainable is not bilevel


def test_enas_on_the_nni_form_example_ranks_paths_and_keeps_its_pick_without_retraining(tmp_path, capsys):
    """nni_form fits one epoch at a time and evaluates by itself: that is where enas finds its
    validation data; its hyperparameters take their first option."""
    out = tmp_path / "out"
    outcome = search(Options(
        script=str(NNI_FORM), args=("--epochs", "2", "--limit", "256"), sampler="enas", out=str(out), retrain=0,
        paths=4, seed=1, quiet=False,
    ))
    printed = capsys.readouterr().out
    state = json.loads(Path(outcome.results["oneshot"]).read_text())
    assert state["validation"] == "what the script evaluates"
    ranked = state["ranked"]
    assert len(ranked) == 4
    assert len({json.dumps(entry["choice"], sort_keys=True) for entry in ranked}) == 4
    assert [entry["score"] for entry in ranked] == sorted((entry["score"] for entry in ranked), reverse=True)
    assert state["hyperparameters"] == {"mnist_style/main.learning_rate": 0.01, "mnist_style/main.batch_size": 16}
    best = json.loads((out / "best_choice.json").read_text())
    assert best == {**ranked[0]["choice"], **state["hyperparameters"]}
    valid(best, NNI_FORM)
    assert optuna.load_study(study_name="mnist_style", storage=f"sqlite:///{out / 'study.db'}").get_trials() == []
    assert "rank    accuracy  architecture (scored with the shared weights on what the script evaluates)" in printed
    assert (out / "best_mnist_style.py").exists()


def test_uniform_enas_with_one_retrained_trial(tmp_path):
    out = tmp_path / "out"
    search(Options(script=str(DIGITS), args=QUICK, sampler="enas", policy="uniform", paths=3, out=str(out), quiet=True))
    study = optuna.load_study(study_name="train", storage=f"sqlite:///{out / 'study.db'}")
    (trial,) = study.get_trials()
    state = json.loads(next((out / "oneshot").glob("enas-*.json")).read_text())
    assert all("policy" not in entry for entry in state["history"]) and state["scored"] == 3
    assert trial.user_attrs["choice"] == state["ranked"][0]["choice"]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([NAS, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_a_script_without_keras_tensors_is_one_clear_error(tmp_path):
    done = cli("search", str(ROOT / "examples" / "toy" / "score.py"), "--sampler", "darts", "-o", "out", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()
    assert any("error: the darts supernet run exited with status 1" in line for line in last)
    assert any("one-shot search (darts) builds a Keras supernet" in line and "score.py:" in line for line in last)


def test_a_script_that_trains_no_model_is_one_clear_error(tmp_path):
    done = cli("search", str(ROOT / "examples" / "seed" / "layer_choice.py"), "--sampler", "enas", "-o", "out", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].endswith(
        "fit no Keras model built from its layers and reached no @nni.training_update (it ran, and its layers were "
        'built, but nothing was trained): in a loop of your own, put """@nni.training_update""" after the training '
        "step; or search it with a black-box sampler (--sampler tpe, evolution, random or grid)"
    )
    assert "the supernet pads them with zeros to 256" in done.stderr  # conv(ch=128), conv(ch=256), pool


def test_retrain_is_for_one_shot_samplers_only(tmp_path):
    with pytest.raises(SearchProblem, match="--retrain applies to one-shot search"):
        search(Options(script=str(DIGITS), sampler="tpe", retrain=3, out=str(tmp_path / "o"), quiet=True))


def net_of(strategy: object, shapes: list[Shape]) -> Net:
    """A supernet of `shapes`' sites (no tensors: what a strategy reads of the sites)."""
    net = Net(strategy, type(strategy).__name__.lower())
    for shape in shapes:
        net.site(shape, "m.py:1: ")
    return net


def policy_over(shapes: list[Shape], seed: int = 0) -> Policy:
    return Policy(net_of(Enas(), shapes).sites, random.Random(seed), lr=0.5, entropy=0.0)


def test_the_policy_samples_only_valid_paths_and_learns_from_rewards():
    shapes = [Shape("m/a", ("p", "q", "r"), (), (0, 0)), Shape("m/b", ("p", "q"), ("x", "y", "z"), (1, 2))]
    policy = policy_over(shapes)
    for _ in range(200):
        path = policy.sample()
        assert path["m/a"][1] == ()
        assert 1 <= len(path["m/b"][1]) <= 2
    good = {"m/a": (2, ()), "m/b": (0, (0, 2))}
    for _ in range(300):
        path = policy.sample()
        policy.update(path, 1.0 if path == good else 0.0)
    assert policy.best() == good


def test_darts_ranks_the_derived_architecture_first_then_the_most_probable_distinct_ones():
    shapes = [Shape("m/a", ("p", "q"), (), (0, 0)), Shape("m/b", ("p", "q"), ("x", "y"), (0, 2))]
    net = net_of(Darts(), shapes)
    weights = {"m/a": {"ops": [0.3, 0.7], "inputs": []}, "m/b": {"ops": [0.6, 0.4], "inputs": [0.9, 0.2]}}
    found = net.likeliest(weights, 4)
    assert found[0][0] == net.derive(weights) == {"m/a": (1, ()), "m/b": (0, (0,))}
    assert len({json.dumps(net.as_choice(path), sort_keys=True) for path, _ in found}) == 4
    # the next: flip the least certain decision (m/b's op, 0.6 against 0.4)
    assert found[1][0] == {"m/a": (1, ()), "m/b": (1, (0,))}
    assert [score for _, score in found] == sorted((score for _, score in found), reverse=True)
    assert found[0][1] == pytest.approx(math.log(0.7) + math.log(0.6) + math.log(0.9) + math.log(0.8))
    assert net.as_choice(found[0][0]) == {"m/a": {"layer": "q", "inputs": []}, "m/b": {"layer": "p", "inputs": ["x"]}}

"""Keras 3 on JAX and PyTorch: the same annotated script (`import keras` only) searched by every
kind of strategy, with TensorFlow hidden (`fixtures/no_tensorflow` on PYTHONPATH makes `import
tensorflow` fail in every process of the search), in a `fit` and in a loop of one's own.

JAX runs wherever its CPU wheel is installed (`.[test]` installs it); PyTorch where it is
installed, else its tests skip saying why (its registry wheel brings gigabytes of CUDA)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SEARCH, missing

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
FIT = FIXTURES / "keras3" / "tiny_fit.py"
JAX_LOOP = FIXTURES / "keras3" / "tiny_jax_loop.py"
TORCH_LOOP = FIXTURES / "keras3" / "tiny_torch_loop.py"
STRATEGIES = ROOT / "examples" / "strategies"
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
WHY = {
    "jax": "needs jax: pip install -e '.[jax]'",
    "torch": "needs torch, which is not installed: its registry wheel brings CUDA (gigabytes), so .ci/run leaves it "
             "out; pip install torch to run these",
}


def why_not(name: str) -> str | None:
    """Why Keras cannot run a search on backend `name` here, or None."""
    return missing(*SEARCH) or (None if importlib.util.find_spec(name) else WHY[name])


def backend(name: str) -> pytest.MarkDecorator:
    """Mark: skip unless Keras can run on `name` and a search can run."""
    reason = why_not(name)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


BACKENDS = [pytest.param(name, marks=backend(name)) for name in ("jax", "torch")]

FIXED_PATH = '''
import numpy as np
from keras import ops

from nas_annotate.strategies import OneShotStrategy


class FixedPath(OneShotStrategy):
    """Sets one path before every batch; at the end, its score is how many of the model's
    trainable variables never changed after the first batch began."""

    def __init__(self, seed=None, op=0):
        super().__init__(seed)
        self.op = int(op)
        self.first = None

    def before_batch(self, net):
        net.set_path({key: (self.op, ()) for key in net.sites})
        if self.first is None:
            self.first = [ops.convert_to_numpy(v) for v in net.model.trainable_variables]

    def finish(self, net, count):
        now = [ops.convert_to_numpy(v) for v in net.model.trainable_variables]
        unchanged = sum(bool(np.array_equal(a, b)) for a, b in zip(self.first, now))
        return [(net.as_choice({key: (self.op, ()) for key in net.sites}), unchanged)]
'''


def environment(name: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "NAS_ANNOTATE_DEBUG"}
    hidden = str(FIXTURES / "no_tensorflow")
    env.update(KERAS_BACKEND=name, PYTHONPATH=os.pathsep.join(filter(None, [hidden, env.get("PYTHONPATH")])))
    return env


def search(name: str, script: Path, out: Path, *options: str) -> tuple[subprocess.CompletedProcess, dict]:
    """`nas-annotate search SCRIPT OPTIONS -o OUT` on backend `name`, TensorFlow hidden; the run
    and the one-shot state (empty for a black-box search)."""
    done = subprocess.run([NAS, "search", str(script), "-o", str(out), "--seed", "0", *options],
                          capture_output=True, text=True, env=environment(name), cwd=out.parent)
    states = sorted((out / "oneshot").glob("*.json")) if (out / "oneshot").is_dir() else []
    return done, json.loads(states[0].read_text()) if states else {}


def ok(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-3000:]


@pytest.mark.parametrize("name", BACKENDS)
def test_tensorflow_is_hidden_and_keras_runs_on_the_backend(name, tmp_path):
    probe = ("import keras, importlib.util\n"
             "try:\n    import tensorflow\nexcept ImportError as e:\n    print('hidden', e.name)\n"
             "print(keras.backend.backend())")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=environment(name))
    assert done.stdout.split() == ["hidden", "tensorflow", name], done.stderr[-2000:]


@pytest.mark.parametrize("name", BACKENDS)
def test_a_black_box_search_and_its_best_script(name, tmp_path):
    out = tmp_path / "out"
    done, _ = search(name, FIT, out, "--sampler", "random", "--trials", "2")
    ok(done)
    results = json.loads((out / "results.json").read_text())
    assert len(results["trials"]) == 2 and all(0.3 < t["value"] <= 1 for t in results["trials"])
    run = subprocess.run([sys.executable, str(out / "best_tiny_fit.py")], capture_output=True, text=True,
                         env=environment(name), cwd=tmp_path)
    assert run.returncode == 0 and f"backend {name}" in run.stdout, run.stderr[-2000:]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("sampler", [
    ("darts",),
    ("darts", "--darts", "bilevel"),
    ("enas",),
    ("enas", "--sampler-option", "policy=uniform"),
    (f"{STRATEGIES / 'gdas.py'}:Gdas",),
    (f"{STRATEGIES / 'spos.py'}:Spos",),
], ids=["darts", "darts-bilevel", "enas", "enas-uniform", "gdas", "spos"])
def test_every_one_shot_strategy_trains_the_supernet_and_retrains_its_pick(name, sampler, tmp_path):
    out = tmp_path / "out"
    done, state = search(name, FIT, out, "--sampler", *sampler, "--retrain", "1")
    ok(done)
    assert state["trained"] and state["epochs"] == 3 and state["steps"] == 24, state
    assert state["validation"] == "the validation_data given to fit"
    labels = state["layers"][0]["labels"]
    assert state["ranked"] and state["ranked"][0]["choice"]["tiny_fit/main.cell"]["layer"] in labels
    results = json.loads((out / "results.json").read_text())
    assert [t["state"] for t in results["trials"]] == ["complete"]
    if sampler[0] == "darts":  # the architecture moved from uniform: the logits were trained
        ops = state["history"][-1]["weights"]["tiny_fit/main.cell"]["ops"]
        assert max(ops) - min(ops) > 1e-3, ops
    if sampler[0] == "enas":  # paths ranked by their scores with the shared weights, BatchNorm recalibrated
        assert state["scored"] >= 6 and [r["score"] for r in state["ranked"]] == sorted(
            (r["score"] for r in state["ranked"]), reverse=True)


@pytest.mark.parametrize("name", BACKENDS)
def test_the_path_set_before_a_batch_is_the_one_trained(name, tmp_path):
    """Under JAX, `fit` keeps the weights in its own state between batches: a path set before a
    batch must reach it. Only `identity` trained: the dense candidates' kernels and biases (and
    dense_bn's BatchNorm scale and offset) never change; with the path lost, every variable would."""
    (tmp_path / "fixed.py").write_text(FIXED_PATH)
    done, state = search(name, FIT, tmp_path / "out", "--sampler", f"{tmp_path / 'fixed.py'}:FixedPath",
                         "--sampler-option", "op=2", "--retrain", "0")
    ok(done)
    assert state["ranked"][0]["score"] == 6, state["ranked"]


def test_a_jax_loop_of_ones_own_given_its_state(tmp_path):
    if reason := why_not("jax"):
        pytest.skip(reason)
    for sampler in ("enas", "darts"):
        done, state = search("jax", JAX_LOOP, tmp_path / sampler, "--sampler", sampler, "--retrain", "0")
        ok(done)
        assert state["trained"] and state["steps"] == 48 and state["validation"] == "the validation_data of @nni.training_update"
        assert state["ranked"][0]["choice"]["tiny_jax_loop/build.cell"]["layer"] == "dense(units=16)", state["ranked"]
    # The path set at an update reaches the loop's next step: with plain SGD (no momentum carried
    # over from the first step, which trains the mix), only identity trained, dense's kernel and
    # bias are held; were the path lost, the mix would train them too.
    (tmp_path / "fixed.py").write_text(FIXED_PATH)
    script = tmp_path / "tiny_jax_loop.py"
    script.write_text(JAX_LOOP.read_text().replace("keras.optimizers.Adam(1e-2)", "keras.optimizers.SGD(0.1)"))
    done, state = search("jax", script, tmp_path / "fixed", "--sampler", f"{tmp_path / 'fixed.py'}:FixedPath",
                         "--sampler-option", "op=1", "--retrain", "0")
    ok(done)
    assert state["ranked"][0]["score"] == 2


def test_a_jax_loop_without_its_state_is_one_clear_error(tmp_path):
    if reason := why_not("jax"):
        pytest.skip(reason)
    script = tmp_path / "tiny_jax_loop.py"
    script.write_text(JAX_LOOP.read_text().replace(', state=state)"""', ')"""'))
    done, _ = search("jax", script, tmp_path / "out", "--sampler", "enas", "--retrain", "0")
    assert done.returncode == 1
    log = next((tmp_path / "out" / "oneshot").glob("*.log")).read_text()
    assert "tiny_jax_loop.py:59: error: on the JAX backend a training loop of one's own keeps the model's state itself" in log
    assert "@nni.training_update(state=state)" in log and "Traceback" not in log + done.stderr


@pytest.mark.parametrize("name", BACKENDS)
def test_bilevel_darts_on_an_uncompiled_loop_model_is_one_clear_error(name, tmp_path):
    script = JAX_LOOP if name == "jax" else TORCH_LOOP
    done, _ = search(name, script, tmp_path / "out", "--sampler", "darts", "--darts", "bilevel", "--retrain", "0")
    assert done.returncode == 1
    log = next((tmp_path / "out" / "oneshot").glob("*.log")).read_text()
    assert "the model of the script's own loop has no compiled loss" in log and "Traceback" not in log


def test_a_torch_loop_of_ones_own(tmp_path):
    if reason := why_not("torch"):
        pytest.skip(reason)
    for sampler in ("enas", "darts"):
        done, state = search("torch", TORCH_LOOP, tmp_path / sampler, "--sampler", sampler, "--retrain", "0")
        ok(done)
        assert state["trained"] and state["steps"] == 48
        assert state["ranked"][0]["choice"]["tiny_torch_loop/build.cell"]["layer"] == "dense(units=16)", state["ranked"]


def test_the_jax_extra_installs_no_tensorflow():
    """`pip install -e '.[jax]'`: Keras 3, JAX and the search, and no TensorFlow among them."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11's")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]

    def packages(extra: str) -> set[str]:
        found: set[str] = set()
        for requirement in extras[extra]:
            name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)
            inner = re.search(r"\[([a-z,]+)\]", requirement)
            found |= set().union(*(packages(e) for e in inner.group(1).split(","))) if name == "nas-annotate" else {name}
        return found

    jax = packages("jax")
    assert {"keras", "jax", "optuna", "scikit-learn"} <= jax
    assert not {name for name in jax if name.startswith("tensorflow")}
    assert "jax" in packages("test")  # CI runs these tests on JAX


def test_a_backend_that_trains_nothing_is_one_clear_error(tmp_path):
    if reason := missing(*SEARCH) or (None if importlib.util.find_spec("keras") else "needs keras: pip install -e '.[jax]'"):
        pytest.skip(reason)
    done, _ = search("numpy", FIT, tmp_path / "out", "--sampler", "darts", "--retrain", "0")
    assert done.returncode == 1
    assert ("error: one-shot search (darts) trains a supernet, and Keras's numpy backend trains nothing (its fit is not "
            "implemented): run the search with KERAS_BACKEND=tensorflow, jax or torch") in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("name", BACKENDS)
def test_the_keras3_example_runs_on_the_backend(name, tmp_path):
    example = ROOT / "examples" / "keras3"
    done = subprocess.run([NAS, "run", str(example / "train.py"), "--choice", str(example / "choice.json"),
                           "--", "--epochs", "1", "--limit", "64"],
                          capture_output=True, text=True, env=environment(name), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("validation accuracy: ")


def test_only_the_methods_that_act_are_handed_jaxs_fit_state():
    """JAX's fit writes every weight back (and Keras reads them all again) before a strategy
    method that acts: one-level darts's batch methods do nothing, so its batches are spared."""
    from nas_annotate.strategies.darts import Darts
    from nas_annotate.strategies.enas import Enas
    from nas_annotate.supernet import Net

    one_level, bilevel, enas = Net(Darts(), "darts"), Net(Darts(bilevel=True), "darts"), Net(Enas(), "enas")
    assert not one_level._acts("after_batch") and not one_level._acts("before_batch") and one_level._acts("after_epoch")
    assert bilevel._acts("after_batch") and not bilevel._acts("before_batch")
    assert enas._acts("before_batch") and enas._acts("after_batch") and enas._acts("finish")

"""One-shot strategies of one's own: the examples (GDAS, SPOS) end to end on tiny data, the
interface's calls as a plug-in sees them, a plug-in's wrong answer as one clear line, and the
framework free of TensorFlow until tensors come (its import circles: test_import_graph.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SEARCH, require

require(*SEARCH, "tensorflow", "sklearn")

from nas_annotate.choice import Shape  # noqa: E402
from nas_annotate.search import Options, SearchProblem, search  # noqa: E402
from nas_annotate.search.optuna_space import load_space  # noqa: E402
from nas_annotate.strategies import OneShotStrategy  # noqa: E402
from nas_annotate.supernet import Net, SupernetError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "examples" / "digits" / "train.py"
STRATEGIES = ROOT / "examples" / "strategies"
QUICK = ("--epochs", "2", "--limit", "256")


def one_shot(tmp_path: Path, sampler: str, **options: object) -> dict:
    """The state of a tiny one-shot search of the digits example with `sampler`."""
    outcome = search(Options(script=str(DIGITS), args=QUICK, sampler=sampler, out=str(tmp_path / "out"), retrain=0,
                             seed=0, quiet=True, **options))
    return json.loads(Path(outcome.results["oneshot"]).read_text())


def valid(choice: dict) -> None:
    space = load_space(str(DIGITS))
    assert space.choice(space.params_of(choice)) == choice


def test_gdas_anneals_its_temperature_and_moves_its_logits(tmp_path):
    state = one_shot(tmp_path, f"{STRATEGIES / 'gdas.py'}:Gdas", sampler_options={"decay": 0.5})
    assert state["strategy"] == "gdas" and state["trained"] and state["metric"] == "log-probability"
    assert [entry["temperature"] for entry in state["history"]] == [0.5, 0.33]
    for layer in state["layers"]:
        ops = state["history"][-1]["weights"][layer["key"]]["ops"]
        assert sum(ops) == pytest.approx(1.0, abs=1e-4) and max(ops) - min(ops) > 1e-3  # trained through the hard samples
    (found,) = state["ranked"]
    valid(found["choice"])
    assert json.loads((tmp_path / "out" / "best_choice.json").read_text()) == found["choice"]
    assert (tmp_path / "out" / "gdas.png").stat().st_size > 10_000


def test_spos_ranks_every_architecture_its_evolution_scored(tmp_path):
    state = one_shot(tmp_path, f"{STRATEGIES / 'spos.py'}:Spos", sampler_options={"population": 4, "generations": 1})
    ranked = state["ranked"]
    assert state["metric"] == "accuracy" and state["scored"] == len(ranked) == 8
    assert len({json.dumps(entry["choice"], sort_keys=True) for entry in ranked}) == 8
    assert [entry["score"] for entry in ranked] == sorted((entry["score"] for entry in ranked), reverse=True)
    for entry in ranked:
        valid(entry["choice"])


RECORDER = '''
import json

from nas_annotate.strategies import OneShotStrategy


class Recorder(OneShotStrategy):
    """Records every call of the interface, and names one random architecture per count."""

    def __init__(self, seed=None, log="calls.json"):
        super().__init__(seed)
        self.log = log
        self.calls = {"build": [], "weights": 0, "before_batch": 0, "after_batch": 0, "after_epoch": [], "finish": []}

    def build(self, decision):
        self.calls["build"].append([decision.key, decision.part, list(decision.labels), decision.count])

    def weights(self, decision):
        self.calls["weights"] += 1
        return decision.mask

    def before_batch(self, net):
        self.calls["before_batch"] += 1
        net.set_path(net.random_path())

    def after_batch(self, net):
        self.calls["after_batch"] += 1
        assert net.steps == self.calls["after_batch"]

    def after_epoch(self, net, logs):
        self.calls["after_epoch"].append([net.epochs, sorted(logs)])
        return {"mine": net.epochs}

    def finish(self, net, count):
        self.calls["finish"].append([count, len(net.decisions()), net.validation_batch() is not None])
        with open(self.log, "w") as handle:
            json.dump(self.calls, handle)
        return [(net.as_choice(net.random_path()), None) for _ in range(count)]
'''


def test_a_plug_in_sees_the_interface_called_as_documented(tmp_path):
    (tmp_path / "recorder.py").write_text(RECORDER)
    log = tmp_path / "calls.json"
    outcome = search(Options(
        script=str(DIGITS), args=QUICK, sampler=f"{tmp_path / 'recorder.py'}:Recorder", sampler_options={"log": str(log)},
        out=str(tmp_path / "out"), retrain=2, seed=0, quiet=True,
    ))
    state = json.loads(Path(outcome.results["oneshot"]).read_text())
    calls = json.loads(log.read_text())
    assert calls["build"] == [  # once per decision layer, as the model is built
        ["train/build_model.cell1", "op", ["conv(kernel=3)", "conv(kernel=5)", "sep_conv(kernel=3)", "max_pool", "avg_pool"], 5],
        ["train/build_model.cell2", "inputs", ["stem"], 1],
        ["train/build_model.cell2", "op", ["conv(kernel=3)", "conv(kernel=5)", "sep_conv(kernel=3)", "max_pool", "identity"], 5],
        ["train/build_model.cell3", "inputs", ["stem", "cell1"], 2],
        ["train/build_model.cell3", "op", ["conv(kernel=3)", "sep_conv(kernel=5)", "max_pool", "avg_pool"], 4],
    ]
    assert calls["weights"] >= 5  # in the forward pass: traced, not called per batch
    assert calls["before_batch"] == calls["after_batch"] == state["steps"] == 16
    assert calls["after_epoch"] == [[1, ["accuracy", "loss", "val_accuracy", "val_loss"]], [2, ["accuracy", "loss", "val_accuracy", "val_loss"]]]
    assert calls["finish"] == [[2, 5, True]]
    assert [entry["mine"] for entry in state["history"]] == [1, 2]
    assert state["strategy"] == "recorder" and state["options"] == {"log": str(log), "seed": 0}
    assert [entry["score"] for entry in state["ranked"]] == [None, None]


def test_a_plug_in_naming_no_architecture_of_the_supernet_is_one_clear_line(tmp_path):
    (tmp_path / "wrong.py").write_text(
        "from nas_annotate.strategies import OneShotStrategy\n\n\n"
        "class Wrong(OneShotStrategy):\n"
        "    def finish(self, net, count):\n"
        "        return [({'train/build_model.cell1': {'layer': 'conv(kernel=7)', 'inputs': []}}, 1.0)]\n"
    )
    with pytest.raises(SearchProblem) as caught:
        search(Options(script=str(DIGITS), args=QUICK, sampler=f"{tmp_path / 'wrong.py'}:Wrong", out=str(tmp_path / "out"),
                       retrain=0, quiet=True))
    message = str(caught.value)
    assert message.startswith("the wrong supernet run exited with status 1")
    assert message.splitlines()[-1] == (
        "error: strategy 'wrong' named an architecture that is not one of the supernet's: train/build_model.cell1: "
        "{'layer': 'conv(kernel=7)', 'inputs': []} names none of its candidates "
        "(conv(kernel=3), conv(kernel=5), sep_conv(kernel=3), max_pool, avg_pool)"
    )
    assert "Traceback" not in message


def test_a_plug_in_that_raises_is_one_line_naming_it_and_where(tmp_path):
    (tmp_path / "boom.py").write_text(
        "from nas_annotate.strategies import OneShotStrategy\n\n\n"
        "class Boom(OneShotStrategy):\n"
        "    def after_epoch(self, net, logs):\n"
        "        return {'ratio': 1 / 0}\n"
    )
    with pytest.raises(SearchProblem) as caught:
        search(Options(script=str(DIGITS), args=("--epochs", "1", "--limit", "64"), sampler=f"{tmp_path / 'boom.py'}:Boom",
                       out=str(tmp_path / "out"), retrain=0, quiet=True))
    message = str(caught.value)
    assert message.splitlines()[-1] == "error: strategy 'boom' failed in after_epoch(): ZeroDivisionError: division by zero"
    assert "Traceback" not in message


class Answers(OneShotStrategy):
    def __init__(self, seed=None, answer=None):
        super().__init__(seed)
        self.answer = answer

    def finish(self, net, count):
        return self.answer


@pytest.mark.parametrize("answer, message", [
    ("abc", "finish() gave 'abc', not a list of (choice, score) pairs with a number or None as the score"),
    ([({"m/a": {"layer": "p", "inputs": []}}, "high")], "finish() gave [({'m/a': {'layer': 'p', 'inputs': []}}, 'high')], not a list"),
    ([({"m/a": {"layer": "r", "inputs": []}}, 1.0)], "named an architecture that is not one of the supernet's: m/a: {'layer': 'r', "),
    ([({"m/a": {"layer": "p", "inputs": ["x", "x"]}}, 1.0)], "m/a: inputs ['x', 'x'] are not a set of 0 to 1 of them"),
    ([({"m/a": {"layer": "p", "inputs": []}, "m/z": {}}, 1.0)], "m/z: not layers of the supernet"),
    ([], "named no architecture at the end of training"),
])
def test_what_finish_gives_is_checked_one_line_each(answer, message):
    net = Net(Answers(answer=answer), "answers")
    net.site(Shape("m/a", ("p", "q"), ("x",), (0, 1)), "m.py:1: ")
    net.model, net.steps = object(), 1
    with pytest.raises(SupernetError) as caught:
        net.finish(1)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_the_framework_and_the_built_in_strategies_load_without_tensorflow():
    code = (
        "import sys, nas_annotate.supernet, nas_annotate.strategies.darts, nas_annotate.strategies.enas; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'optuna') "
        "or m in ('nas_annotate.runtime', 'nas_annotate.supernet.hook', 'nas_annotate.supernet.layers')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

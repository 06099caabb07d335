"""`search`'s pictures: each trial's architecture attached for optuna-dashboard (an SVG
artifact, the choice on one line), the best architecture beside best_choice.json, and the
decisions figure (its panels as data; the PNGs open)."""

from __future__ import annotations

import io
import json
import os
import xml.etree.ElementTree as ElementTree

import pytest

from conftest import SEARCH, needs

pytestmark = needs(*SEARCH)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOY = os.path.join(ROOT, "examples", "toy", "score.py")


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A finished random search of the toy space: 10 trials."""
    from nas_annotate.search import Options, search

    out = tmp_path_factory.mktemp("toy") / "out"
    outcome = search(Options(script=TOY, out=str(out), trials=10, sampler="random", seed=0, quiet=True, progress=False),
                     echo=lambda text: None)
    return out, outcome


def test_each_trial_has_its_picture_and_architecture(toy):
    import optuna

    from nas_annotate.search.rows import summary

    out, _ = toy
    study = optuna.load_study(study_name="score", storage=f"sqlite:///{out / 'study.db'}")
    assert len(study.trials) == 10
    for trial in study.trials:
        choice = trial.user_attrs["choice"]
        assert trial.user_attrs["architecture"] == summary(choice)
        artifacts = [json.loads(v) for k, v in trial.system_attrs.items() if k.startswith("artifacts:")]
        assert [a["filename"] for a in artifacts] == [f"{trial.number:05d}.svg"]
        assert artifacts[0]["mimetype"] == "image/svg+xml"
        stored = out / "artifacts" / artifacts[0]["artifact_id"]
        assert stored.read_bytes() == (out / "trials" / f"{trial.number:05d}.svg").read_bytes()
        svg = ElementTree.fromstring(stored.read_bytes())
        texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
        ops = [entry["layer"] for entry in choice.values()]
        assert sorted(text for text in texts if text in ("worst", "poor", "fair", "good", "best")) == sorted(ops)  # the chosen alone
    assert not [key for key in study._storage.get_study_system_attrs(study._study_id) if key.startswith("dashboard:")]  # no notes: see Pictures.attach


def test_the_best_architecture_and_the_decisions_figure_open(toy):
    from PIL import Image

    out, outcome = toy
    assert outcome.results["best_picture"] == str(out / "best_architecture.png")
    assert outcome.results["decisions"] == str(out / "decisions.png")
    for name in ("best_architecture.png", "decisions.png"):
        image = Image.open(out / name)
        image.verify()
        assert image.format == "PNG" and min(image.size) > 200


def test_decision_panels_as_data():
    import optuna

    from nas_annotate.search.pictures import decision_panels

    study = optuna.create_study(direction="maximize")
    runs = [
        ({"m/f.a": {"layer": "x", "inputs": ["p"]}, "m/lr": 0.1, "m/act": "relu"}, 1.0),
        ({"m/f.a": {"layer": "y", "inputs": []}, "m/lr": 0.01, "m/act": "tanh"}, 2.0),
        ({"m/f.a": {"layer": "x", "inputs": ["q", "p"]}, "m/lr": 0.001, "m/act": "relu"}, 3.0),
    ]
    for choice, value in runs:
        study.add_trial(optuna.trial.create_trial(value=value, user_attrs={"choice": choice}))
    panels = decision_panels(study.trials, {"m/f.a": (["y", "x", "z"], ["p", "q"])})
    assert panels == [
        ("a: op", "strips", {"y": [2.0], "x": [1.0, 3.0]}),  # in the annotation's order; ops no trial chose left out
        ("a: inputs", "inputs", {"p": ([1.0, 3.0], [2.0]), "q": ([3.0], [1.0, 2.0])}),
        ("lr", "numbers", [(0.1, 1.0), (0.01, 2.0), (0.001, 3.0)]),
        ("act", "strips", {"relu": [1.0, 3.0], "tanh": [2.0]}),
    ]
    assert list(panels[0][2]) == ["y", "x"]


def test_importances_join_after_enough_trials(toy):
    import optuna

    from nas_annotate.search.pictures import IMPORTANCE_AFTER, _importances

    out, _ = toy
    study = optuna.load_study(study_name="score", storage=f"sqlite:///{out / 'study.db'}")
    names = {f"score/main.cell{n}": f"cell{n}" for n in range(1, 5)}
    assert _importances(study, IMPORTANCE_AFTER - 1, names) == {}
    found = _importances(study, 10, names)
    assert set(found) == {"cell1:layer", "cell2:layer", "cell2:inputs", "cell3:layer", "cell3:inputs", "cell4:layer"}
    assert abs(sum(found.values()) - 1.0) < 1e-6

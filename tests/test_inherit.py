"""Weight inheritance: places, matching by construction, function-preserving starts, and
`search --inherit` / `--sampler morphism` end to end on a tiny Keras model."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from nas_annotate import importhook, runtime  # noqa: E402
from nas_annotate.inherit.match import identity_start, is_identity, plan  # noqa: E402
from nas_annotate.inherit.record import Place, Recorder, own_variables  # noqa: E402
from nas_annotate.inherit.store import load, save  # noqa: E402
from nas_annotate.strategies.evolution import _preserving  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "inherit" / "tiny_cnn.py"
CELL1, CELL2 = "tiny_cnn/build_model.cell1", "tiny_cnn/build_model.cell2"


def choice(cell1: str, cell2: str, inputs: tuple[str, ...] = ()) -> dict:
    return {CELL1: {"layer": cell1}, CELL2: {"layer": cell2, "inputs": list(inputs)}}


def built(chosen: dict, seed: int = 0):
    """The fixture's model for `chosen`, built in the run-time form while a Recorder records."""
    code, _ = importhook.compile_annotated(str(FIXTURE), "tiny_cnn", FIXTURE.read_bytes(), "runtime")
    namespace = {"__name__": "tiny_cnn", "__file__": str(FIXTURE)}
    exec(code, namespace)
    runtime.set_choice(chosen)
    recorder = Recorder()
    recorder.start()
    try:
        keras.utils.set_random_seed(seed)
        model = namespace["build_model"]()
    finally:
        recorder.stop()
        runtime.reset()
    return model, recorder, namespace


def trained(chosen: dict, tmp_path: Path, seed: int = 0):
    """A parent: built, trained a few steps, saved; its model and file."""
    model, recorder, namespace = built(chosen, seed)
    x, y = namespace["data"]()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(x[:64], y[:64], epochs=1, batch_size=32, verbose=0)
    path = str(tmp_path / "parent.weights.npz")
    save(path, recorder.weighted(), recorder.calls)
    return model, path, x


def given(child_recorder: Recorder, path: str):
    layers, calls = load(path)
    outcome = plan(child_recorder.weighted(), child_recorder.calls, layers, calls)
    for variable, array in outcome.assignments:
        variable.assign(array)
    return outcome


def test_places_name_the_mutable_layer_candidate_call_and_order_never_keras_names():
    _, recorder, _ = built(choice("conv(kernel=5)", "sep_conv(kernel=3)", ("stem",)))
    places = [(place, type(layer).__name__) for place, layer in recorder.weighted()]
    assert places == [
        (Place("", "", 0, 1), "Conv2D"),  # the stem (the Input layer is fixed layer 0)
        (Place(CELL1, "conv(kernel=5)", 0, 0), "Conv2D"),
        (Place("", "", 0, 3), "BatchNormalization"),  # outside every mutable layer (the ReLU wrapping it was made first)
        (Place(CELL2, "sep_conv(kernel=3)", 0, 0), "SeparableConv2D"),  # made before the Add of its inputs (order 1)
        (Place("", "", 0, 5), "Dense"),  # the head, after GlobalAveragePooling2D and the cell's end
    ]
    assert [tuple(call) for call in recorder.calls] == [(CELL1, "conv(kernel=5)", 0), (CELL2, "sep_conv(kernel=3)", 0)]
    names = {layer.name for _, layer in recorder.weighted()}
    _, again, _ = built(choice("conv(kernel=5)", "sep_conv(kernel=3)", ("stem",)))  # new names, the same places
    assert not names & {layer.name for _, layer in again.weighted()}
    assert [p for p, _ in again.weighted()] == [p for p, _ in recorder.weighted()]


def test_inherited_weights_are_the_parents_and_changed_or_reshaped_layers_start_fresh(tmp_path):
    parent, path, _ = trained(choice("conv(kernel=3)", "conv(kernel=3)"), tmp_path)
    child, recorder, _ = built(choice("conv(kernel=3)", "sep_conv(kernel=3)", ("stem",)), seed=1)
    fresh_before = {id(v): np.array(v.numpy()) for _, layer in recorder.weighted() for v in own_variables(layer)}
    outcome = given(recorder, path)
    saved, _ = load(path)
    by_place = {entry.place: entry for entry in saved}
    inherited = fresh = 0
    for place, layer in recorder.weighted():
        entry = by_place.get(place)
        if entry is not None and entry.kind == type(layer).__name__:
            for variable, (name, array) in zip(own_variables(layer), entry.variables):
                np.testing.assert_array_equal(variable.numpy(), array)  # exactly the parent's, by construction
            inherited += 1
        else:
            for variable in own_variables(layer):
                np.testing.assert_array_equal(variable.numpy(), fresh_before[id(variable)])  # untouched
            fresh += 1
    assert (inherited, fresh) == (4, 1)  # stem, cell1's conv, the BatchNormalization, the head; cell2 changed
    assert (outcome.inherited, outcome.total, outcome.preserved) == (4, 5, 0)
    assert outcome.describe(12) == "inherited 4 of 5 layers from trial 12"


def test_a_layer_of_another_shape_at_the_same_place_starts_fresh(tmp_path):
    _, path, _ = trained(choice("conv(kernel=3)", "conv(kernel=3)"), tmp_path)
    child, recorder, _ = built(choice("conv(kernel=3)", "conv(kernel=3)", ("stem",)), seed=1)  # cell2 adds its input
    outcome = given(recorder, path)
    assert (outcome.inherited, outcome.total) == (5, 5)  # an Add of equal shapes keeps the conv's kernel shape
    layers, calls = load(path)
    layers[1].variables[0] = (layers[1].variables[0][0], np.zeros((5, 5, 8, 8), "float32"))  # cell1's kernel, resized
    outcome = plan(recorder.weighted(), recorder.calls, layers, calls)
    assert (outcome.inherited, outcome.total) == (4, 5)


@pytest.mark.parametrize("before, after, kind", [
    (("conv(kernel=3)", "identity"), ("conv(kernel=3)", "conv(kernel=3)"), "identity"),
    (("conv(kernel=3)", "identity"), ("conv(kernel=3)", "sep_conv(kernel=3)"), "identity"),
    (("identity", "conv(kernel=3)"), ("conv(kernel=5)", "conv(kernel=3)"), "identity"),
    (("conv(kernel=3)", "conv(kernel=3)"), ("conv(kernel=5)", "conv(kernel=3)"), "wider kernel"),
])
def test_a_function_preserving_start_computes_the_parents_function(tmp_path, before, after, kind):
    parent, path, x = trained(choice(*before), tmp_path)
    child, recorder, _ = built(choice(*after), seed=1)
    outcome = given(recorder, path)
    assert outcome.preserving == {kind: 1}
    assert outcome.inherited + outcome.preserved == outcome.total
    expected = parent.predict(x[:32], verbose=0)
    np.testing.assert_allclose(child.predict(x[:32], verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_no_function_preserving_start_from_a_layer_that_is_no_identity(tmp_path):
    _, path, _ = trained(choice("max_pool", "conv(kernel=3)"), tmp_path)
    _, recorder, _ = built(choice("conv(kernel=3)", "conv(kernel=3)"), seed=1)
    outcome = given(recorder, path)
    assert (outcome.inherited, outcome.preserved, outcome.total) == (4, 0, 5)


@pytest.mark.parametrize("layer, admits", [
    (keras.layers.Dense(6, activation="relu"), True),
    (keras.layers.Conv2D(6, 3, padding="same"), True),
    (keras.layers.Conv2D(6, 3, padding="valid"), False),
    (keras.layers.Conv2D(6, 3, strides=2, padding="same"), False),
    (keras.layers.Conv2D(6, 2, padding="same"), False),
    (keras.layers.Conv2D(12, 3, padding="same"), False),  # more filters than input channels
    (keras.layers.Conv2D(6, 3, padding="same", activation="tanh"), False),
    (keras.layers.DepthwiseConv2D(3, padding="same"), True),
    (keras.layers.SeparableConv2D(6, 5, padding="same"), True),
    (keras.layers.BatchNormalization(), False),
])
def test_which_layers_can_start_as_the_identity(layer, admits):
    shape = (4, 6) if isinstance(layer, keras.layers.Dense) else (4, 7, 7, 6)
    x = np.abs(np.random.default_rng(0).normal(size=shape)).astype("float32")  # non-negative, as after a relu
    layer(x)
    arrays = identity_start(layer)
    assert (arrays is not None) == admits
    if admits:
        for variable, array in arrays:
            variable.assign(array)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), x, atol=1e-6)


@pytest.mark.parametrize("name, before, after, preserving", [
    ("k:layer", "identity", "conv(kernel=3)", True),
    ("k:layer", "skip_connect", "max_pool", True),
    ("k:layer", "conv(kernel=3)", "conv(kernel=5)", True),
    ("k:layer", "sep_conv(kernel_size=3)", "sep_conv(kernel_size=5)", True),
    ("k:layer", "conv(kernel=5)", "conv(kernel=3)", False),
    ("k:layer", "conv(kernel=3)", "sep_conv(kernel=5)", False),
    ("k:layer", "conv(kernel=3, units=8)", "conv(kernel=5, units=16)", False),
    ("k:layer", "conv(kernel=3)", "identity", False),
    ("k:inputs", "identity", "conv(kernel=3)", False),
])
def test_morphism_prefers_changes_that_allow_a_function_preserving_start(name, before, after, preserving):
    assert _preserving(name, after, {name: before}) is preserving


def test_identity_names():
    assert all(map(is_identity, ["identity", "skip", "skip_connect", "Identity()", "identity(inputs)"]))
    assert not any(map(is_identity, ["conv(kernel=3)", "max_pool", "zero", "identity_conv"]))


def test_the_runtime_form_tells_a_watcher_where_each_layer_call_begins_and_ends(tmp_path):
    script = tmp_path / "cells.py"
    script.write_text(
        "def op(inputs, tag='x'):\n    return inputs[0][0] + [tag]\n\n"
        "def cell(x):\n"
        '    """@nni.mutable_layer\n    {layer_choice: [op(tag="a"), op(tag="b")], fixed_inputs: [x], layer_output: y}"""\n'
        "    return y\n\n"
        "out = cell(cell([]))\n"
    )
    events = []

    class Watcher:
        def enter(self, key, candidate):
            events.append(("enter", key, candidate))

        def leave(self, key):
            events.append(("leave", key))

    code, _ = importhook.compile_annotated(str(script), "cells", script.read_bytes(), "runtime")
    runtime.set_choice({"cells/cell.y": {"layer": "op(tag='b')"}})  # labels are written as Python prints them
    runtime.watch(Watcher())
    try:
        namespace: dict = {"__name__": "cells"}
        exec(code, namespace)
    finally:
        runtime.reset()
    assert namespace["out"] == ["b", "b"]
    assert events == [("enter", "cells/cell.y", "op(tag='b')"), ("leave", "cells/cell.y")] * 2


def _search(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nas_annotate", "search", str(FIXTURE), "-o", str(tmp_path / "out"), "--seed", "0",
         "--no-progress", *extra],
        capture_output=True, text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


def test_search_inherit_children_start_from_their_parents_and_say_so(tmp_path):
    done = _search(tmp_path, "--sampler", "evolution", "--population", "2", "--trials", "5", "--inherit")
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "out"
    rows = list(csv.DictReader(open(out / "results.csv")))
    children = [row for row in rows if row["parent"]]
    assert len(children) == 3 and all(row["state"] == "complete" for row in rows)
    results = json.loads((out / "results.json").read_text())
    by_number = {trial["number"]: trial for trial in results["trials"]}
    for row in children:
        number, parent = int(row["number"]), int(row["parent"])
        assert parent < number and row["inherited"].endswith(f"layers from trial {parent}") or "more started" in row["inherited"]
        log = (out / "trials" / f"{number:05d}.log").read_text()
        assert f"nas-annotate: {row['inherited']}" in log
        assert "epochs 1" in log  # NAS_ANNOTATE_INHERITED=1: the script trains less
        inherited, total = map(int, row["inherited"].split()[1:4:2])
        assert 0 < inherited <= total and 3 <= total <= 5  # stem, BatchNormalization, head; a conv per cell that has one
        assert by_number[number]["inherited"] == row["inherited"]
    for row in rows:
        if not row["parent"]:
            assert "epochs 2" in (out / "trials" / f"{int(row['number']):05d}.log").read_text()
    kept = sorted(p.name for p in (out / "trials").glob("*.weights.npz"))
    assert kept == [f"{n:05d}.weights.npz" for n in (3, 4)]  # the population: the rest could no longer be parents


def test_on_many_machines_a_child_inherits_from_a_parent_another_machine_saved(tmp_path):
    """Two machines share one study, each with its own output directory: the second's children
    find their parents' weights through the path in the parent's `weights` attribute."""
    shared = ["--storage", f"sqlite:///{tmp_path / 'shared.db'}", "--study", "shared", "--sampler", "evolution",
              "--population", "2", "--inherit"]
    first = _search(tmp_path, *shared, "--trials", "2")
    assert first.returncode == 0, first.stderr[-3000:]
    second = subprocess.run(
        [sys.executable, "-m", "nas_annotate", "search", str(FIXTURE), "-o", str(tmp_path / "other"), "--seed", "1",
         "--no-progress", *shared, "--trials", "2"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert second.returncode == 0, second.stderr[-3000:]
    rows = {int(row["number"]): row for row in csv.DictReader(open(tmp_path / "other" / "results.csv"))}
    theirs = [row for number, row in rows.items() if number >= 2 and row["parent"] and int(row["parent"]) < 2]
    assert theirs, rows
    for row in theirs:
        assert row["inherited"].startswith("inherited ") and row["inherited"].split(" from trial ")[1].startswith(row["parent"])
        assert (tmp_path / "out" / "trials" / f"{int(row['parent']):05d}.weights.npz").exists()
        assert not (tmp_path / "other" / "trials" / f"{int(row['parent']):05d}.weights.npz").exists()

def test_morphism_inherits_always_and_its_preserving_changes_start_as_the_parent(tmp_path):
    done = _search(tmp_path, "--sampler", "morphism", "--population", "2", "--trials", "4", "--seed", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {row["number"]: row for row in csv.DictReader(open(tmp_path / "out" / "results.csv"))}
    children = [row for row in rows.values() if row["parent"]]
    assert len(children) == 2 and all(row["inherited"] for row in children)
    preserving = 0
    for row in children:
        parent = rows[row["parent"]]
        moves = [key for key in (CELL1, CELL2) if _preserving(f"{key}:layer", row[key].split("[")[0], {f"{key}:layer": parent[key].split("[")[0]})]
        assert ("more started as the parent's function" in row["inherited"]) == bool(moves), row
        preserving += bool(moves)
    assert preserving >= 1


def test_morphism_mutates_a_tournament_winner_by_a_preserving_change_where_it_has_one():
    import optuna
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import create_trial

    from nas_annotate.strategies.evolution import EvolutionSampler

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = {
        "a:layer": CategoricalDistribution(["conv(kernel=3)", "conv(kernel=5)", "max_pool", "identity"]),
        "b:layer": CategoricalDistribution(["conv(kernel=3)", "sep_conv(kernel=3)", "max_pool"]),
    }
    for seed in range(20):
        study = optuna.create_study(direction="maximize", sampler=EvolutionSampler(population=2, tournament=2, seed=seed, preserving=True))
        study.add_trial(create_trial(params={"a:layer": "max_pool", "b:layer": "max_pool"}, distributions=space, value=0.5))
        study.add_trial(create_trial(params={"a:layer": "identity", "b:layer": "sep_conv(kernel=3)"}, distributions=space, value=0.9))
        trial = study.ask(space)
        assert trial.params["b:layer"] == "sep_conv(kernel=3)" and trial.params["a:layer"] != "identity"  # from the winner's identity
        assert study.trials[-1].user_attrs["parent"] == 1


@pytest.mark.parametrize("sampler, says", [
    ("tpe", "tpe makes no architecture from another's"),
    ("darts", "one-shot search (darts) trains one supernet"),
])
def test_inherit_with_a_strategy_that_names_no_parent_is_one_error(tmp_path, sampler, says):
    done = _search(tmp_path, "--sampler", sampler, "--trials", "1", "--inherit")
    assert done.returncode == 1
    assert says in done.stderr and "Traceback" not in done.stderr


LOOPS = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("script, backend", [
    (LOOPS / "custom_loop" / "tiny_loop.py", "tensorflow"),  # a tf.function step of GradientTape
    (LOOPS / "keras3" / "tiny_jax_loop.py", "jax"),  # a jitted stateless step: the update is given the loop's state
])
def test_a_loop_of_ones_own_inherits_at_its_first_training_update(tmp_path, script, backend):
    if backend == "jax":
        pytest.importorskip("jax")
    done = subprocess.run(
        [sys.executable, "-m", "nas_annotate", "search", str(script), "-o", str(tmp_path / "out"), "--seed", "0", "--no-progress",
         "--sampler", "evolution", "--population", "2", "--trials", "3", "--inherit"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": backend},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = list(csv.DictReader(open(tmp_path / "out" / "results.csv")))
    (child,) = [row for row in rows if row["parent"]]
    assert child["state"] == "complete" and child["inherited"].startswith("inherited 2 of ")  # the Dense before and after the cell
    log = (tmp_path / "out" / "trials" / f"{int(child['number']):05d}.log").read_text()
    assert f"nas-annotate: {child['inherited']}" in log


PLUG_IN = '''
from nas_annotate.strategies import BlackBoxStrategy, Child


class Mutate(BlackBoxStrategy):
    """Random until two trials completed; then the best one with cell1 changed, naming it its parent."""

    def ask(self, history):
        best = history.best()
        if len(history.completed()) < 2:
            return self.space.random(self.rng)
        parent = best[0]
        name = "tiny_cnn/build_model.cell1:layer"
        options = [o for o in next(d for d in self.space.decisions if d.name == name).options
                   if o != self.space.picks(parent.choice)[name]]
        return Child(self.space.with_pick(parent.choice, name, self.rng.choice(options)), parent.number)

    def parents(self, history):
        return {result.number for result in history.best(1)}
'''


def test_a_plug_in_names_parents_with_child_and_keeps_what_its_parents_says(tmp_path):
    strategy = tmp_path / "mutate.py"
    strategy.write_text(PLUG_IN)
    done = _search(tmp_path, "--sampler", f"{strategy}:Mutate", "--trials", "4", "--inherit")
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "out"
    rows = list(csv.DictReader(open(out / "results.csv")))
    children = [row for row in rows if row["parent"]]
    assert len(children) == 2 and all(row["inherited"].startswith("inherited ") for row in children)
    best = max((row for row in rows if row["state"] == "complete"), key=lambda row: float(row["value"]))
    assert sorted(p.name for p in (out / "trials").glob("*.weights.npz")) == [f"{int(best['number']):05d}.weights.npz"]


def test_a_parent_whose_weights_are_not_there_leaves_the_child_fresh_with_a_note(tmp_path, capsys, monkeypatch):
    from nas_annotate.inherit import INHERITED_ENV
    from nas_annotate.inherit.trial import Inheritance

    monkeypatch.delenv(INHERITED_ENV, raising=False)
    inheritance = Inheritance(str(tmp_path / "mine.weights.npz"), 7, str(tmp_path / "elsewhere" / "00007.weights.npz"))
    inheritance.start()
    try:
        model, _, _ = built(choice("conv(kernel=3)", "identity"))
    finally:
        inheritance.finish(saving=False)
    assert INHERITED_ENV not in os.environ
    assert f"trial 7's weights are not at {tmp_path / 'elsewhere' / '00007.weights.npz'}: this trial starts fresh" in capsys.readouterr().err
    assert inheritance.outcome is None and not (tmp_path / "mine.weights.npz").exists()

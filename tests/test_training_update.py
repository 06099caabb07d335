"""`@nni.training_update(...)`, NNI's statement after a training step of the script's own
loop: the compiler's side. It does nothing in every form but the supernet's, where it calls
the runtime (NNI's TF1 keywords named, not evaluated); every form keeps the line numbers;
`freeze` removes it; `check` and `extract` know it; its mistakes are errors with a caret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nas_annotate.api import check, expand, extract
from nas_annotate.codegen import expand_annotations
from nas_annotate.lint import lint_files
from nas_annotate.pipeline import analyse
from nas_annotate.source import Source

R = "__import__('nas_annotate.runtime').runtime"

LOOP = Path(__file__).parent / "fixtures" / "custom_loop" / "tiny_loop.py"
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")


def needs_training() -> None:
    """Skip, saying why, without what a one-shot search of the tiny loop needs."""
    from conftest import missing

    reason = missing("tensorflow", "optuna", "matplotlib", "tqdm")
    if reason:
        pytest.skip(reason)


def one_shot(script: Path, sampler: str, out: Path) -> subprocess.CompletedProcess:
    """`nas-annotate search SCRIPT --sampler SAMPLER --retrain 0 -o OUT`."""
    return subprocess.run([NAS, "search", str(script), "--sampler", sampler, "--retrain", "0", "-o", str(out)],
                          capture_output=True, text=True)


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def supernet_form(path) -> str:
    source = Source.read(str(path))
    return expand_annotations(source, analyse(source, "loop").annotations, None, supernet=True)


CASES = [
    pytest.param(
        src('''
            for x, y in data:
                step(x, y)
                """@nni.training_update"""
        '''),
        src('''
            for x, y in data:
                step(x, y)
                R.training_update()
        '''),
        id="bare-as-nni-wrote-it",
    ),
    pytest.param(
        src('''
            for x, y in data:
                step(x, y)
                """@nni.training_update(validation_data=(val_x,
                                                         val_y))"""
        '''),
        src('''
            for x, y in data:
                step(x, y)
                R.training_update(validation_data=((val_x, val_y)))

        '''),
        id="validation-data-over-two-lines",
    ),
    pytest.param(
        src('''
            while True:
                sess.run(train_op, feed_dict=feed)
                # @nni.training_update(tf=tf, session=sess, loss=loss, feed_dict=feed)
        '''),
        src('''
            while True:
                sess.run(train_op, feed_dict=feed)
                R.training_update(unused=('tf', 'session', 'loss', 'feed_dict'))
        '''),
        id="nni-tf1-keywords-are-named-not-evaluated",
    ),
    pytest.param(
        src('''
            for x, y in data:
                loss, state = train_step(state, x, y)
                """@nni.training_update(state=state, validation_data=(vx, vy))"""
        '''),
        src('''
            for x, y in data:
                loss, state = train_step(state, x, y)
                R.training_update(validation_data=((vx, vy)), state=(state))
        '''),
        id="a-jax-loop-gives-its-state",
    ),
]


@pytest.mark.parametrize(("source", "supernet"), CASES)
def test_the_forms(tmp_path, source, supernet):
    path = tmp_path / "loop.py"
    path.write_text(source)
    assert supernet_form(path) == supernet.replace("R.", R + ".")
    nothing = "\n".join("None" if R in line else line for line in supernet_form(path).split("\n"))
    nothing = nothing.replace(R, "")
    run_time, chosen = expand(str(path), None).decode(), expand(str(path), json.dumps({})).decode()
    for output in (run_time, chosen):
        assert output.count("\n") == source.count("\n")
        lines = output.split("\n")
        for number, line in enumerate(source.split("\n")):
            if "@nni" not in line and "val_y))" not in line:
                assert lines[number] == line  # every other line where it was
        compile(output, str(path), "exec")
    assert "training_update" not in chosen  # it does nothing in expand --choice
    given = "state=(state)" if "state=state" in source else ""  # the run-time form: where a trial inherits; only a JAX loop's state evaluated
    assert run_time.count("training_update") == 1 and f"{R}.training_update({given})" in run_time
    compile(supernet_form(path), str(path), "exec")


def test_check_extract_and_lint_know_it(tmp_path):
    path = tmp_path / "loop.py"
    path.write_text('for batch in data:\n    step(batch)\n    """@nni.training_update"""\n    # @nni.training_updat()\n')
    typo = "'@nni.training_updat' is not an annotation, so this is left as it is; did you mean '@nni.training_update'?"
    assert [(d.line, d.severity, d.message) for d in check([str(path)])] == [(4, "warning", typo)]  # only the typo
    assert json.loads(extract([str(path)])) == {}
    assert [w.message for w in lint_files([str(path)])] == [typo]


def test_freeze_removes_it(tmp_path):
    from nas_annotate.freeze import freeze

    path = tmp_path / "loop.py"
    path.write_text(src('''
        def train(model, data):
            for x, y in data:
                step(x, y)
                """@nni.training_update(validation_data=(vx, vy))"""
            return model
    '''))
    assert freeze(str(path), "{}").decode() == src('''
        def train(model, data):
            for x, y in data:
                step(x, y)
            return model
    ''')


@pytest.mark.parametrize(("source", "expected"), [
    ('"""@nni.training_update(data)"""\n',
     [(1, 25, "@nni.training_update takes keyword arguments only (validation_data, state, tf, session, loss, feed_dict), not 'data'")]),
    ('"""@nni.training_update(validaton_data=v)"""\n',
     [(1, 25, "@nni.training_update has no keyword 'validaton_data'; did you mean 'validation_data'?")]),
    ('"""@nni.training_update(epochs=3)"""\n',
     [(1, 25, "@nni.training_update has no keyword 'epochs' (it takes validation_data, state, tf, session, loss, feed_dict)")]),
    ('"""@nni.training_update(**kw)"""\n', [(1, 25, "@nni.training_update cannot unpack '**kw'; name its keywords")]),
])
def test_its_mistakes(tmp_path, source, expected):
    path = tmp_path / "loop.py"
    path.write_text(source)
    assert [(d.line, d.col, d.message) for d in check([str(path)])] == expected


def test_darts_from_a_custom_loop_with_training_updates(tmp_path):
    """One-level darts from a tf.function loop over model.trainable_variables: the architecture
    weights train with the others; the updates are the net's steps; NNI's session= is noted once."""
    needs_training()
    done = one_shot(LOOP, "darts", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("note: session= of @nni.training_update are NNI 1's TF1 keywords, taken and unused") == 1
    state = json.loads(next((tmp_path / "out" / "oneshot").glob("darts-*.json")).read_text())
    assert state["trained"] and state["steps"] == 48 and state["epochs"] == 0
    assert state["ranked"][0]["choice"] == {"tiny_loop/build.cell": {"layer": "dense(units=16)", "inputs": []}}


def test_enas_from_a_custom_loop_sets_paths_without_retracing(tmp_path):
    """enas from the same loop: a path per step, read by the tf.function step without a retrace
    (traced once: the optimizer is built before it), and paths scored on the update's validation_data, the model
    never compiled."""
    needs_training()
    done = one_shot(LOOP, "enas", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "scored with the shared weights on the validation_data of @nni.training_update" in done.stdout
    log = next((tmp_path / "out" / "oneshot").glob("enas-*.log")).read_text()
    assert "traces 1" in log  # 48 steps over changing paths, one trace
    state = json.loads(next((tmp_path / "out" / "oneshot").glob("enas-*.json")).read_text())
    assert state["steps"] == 48 and state["metric"] == "accuracy" and len(state["ranked"]) == 2


def test_a_loop_without_training_updates(tmp_path):
    """No edit at all: one-level darts sees the loop's optimizer steps (inside its tf.function,
    and under XLA by the optimizer's iterations), a history entry every 100; enas, which acts
    at every step, says where the training update goes."""
    needs_training()
    source = LOOP.read_text()
    update = '            """@nni.training_update(validation_data=(x[:64], y[:64]), session=None)"""\n'
    assert update in source and "for epoch in range(6):" in source
    plain = tmp_path / "plain.py"
    plain.write_text(source.replace(update, "").replace("for epoch in range(6):", "for epoch in range(13):"))
    xla = tmp_path / "xla.py"
    xla.write_text(source.replace(update, "").replace("@tf.function\n", "@tf.function(jit_compile=True)\n"))
    for script, steps, epochs in ((plain, 104, 1), (xla, 48, 0)):
        done = one_shot(script, "darts", tmp_path / script.stem / "darts")
        assert done.returncode == 0, done.stderr
        state = json.loads(next((tmp_path / script.stem / "darts" / "oneshot").glob("darts-*.json")).read_text())
        assert (state["steps"], state["epochs"], state["trained"]) == (steps, epochs, True)
        assert [len(entry["weights"]) for entry in state["history"]] == [1] * epochs
    done = one_shot(plain, "enas", tmp_path / "plain" / "enas")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    line = plain.read_text().splitlines().index("            train_step(x[i:i + 32], y[i:i + 32])") + 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: enas acts at every training step, and the script's own loop (its training step at {plain}:{line}) has no "
        '@nni.training_update: put """@nni.training_update""" after the training step, in the loop'
    )


@pytest.mark.parametrize("sampler", ["darts", "enas"])
def test_an_eager_loop(tmp_path, sampler):
    """The same loop, eager (no tf.function): the updates drive the strategy just as well."""
    needs_training()
    source = LOOP.read_text()
    assert "    @tf.function\n" in source
    eager = tmp_path / "eager.py"
    eager.write_text(source.replace("    @tf.function\n", ""))
    done = one_shot(eager, sampler, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    state = json.loads(next((tmp_path / "out" / "oneshot").glob(f"{sampler}-*.json")).read_text())
    assert state["steps"] == 48 and state["trained"]
    assert state["ranked"][0]["choice"] == {"eager/build.cell": {"layer": "dense(units=16)", "inputs": []}}

"""A `fit` given no validation data under a one-shot strategy that needs some while it trains
(enas, bilevel darts): the last tenth of its arrays (or of a sized dataset's batches) is held
out, fit trains on the rest, and one note says so; one-level darts takes all; data that cannot
be split (an endless dataset) is one error saying what to pass.

The trial is tests/fixtures/custom_loop/tiny_fit.py: 320 examples, batches of 32, 3 epochs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEARCH, require

require("tensorflow", *SEARCH)

FIT = Path(__file__).parent / "fixtures" / "custom_loop" / "tiny_fit.py"
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
NOTE = "note: fit was given no validation data, so {name} holds out the last {what} as validation data"


def one_shot(script: Path, out: Path, *options: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    done = subprocess.run([NAS, "search", str(script), "--retrain", "0", "-o", str(out), *options], capture_output=True, text=True)
    states = list((out / "oneshot").glob("*.json"))
    return done, (json.loads(states[0].read_text()) if states and done.returncode == 0 else None)


@pytest.mark.parametrize(("options", "name", "steps", "held"), [
    (("--sampler", "enas"), "enas", 27, True),
    (("--sampler", "darts", "--darts", "bilevel"), "darts", 27, True),
    (("--sampler", "darts"), "darts", 30, False),
])
def test_fit_without_validation_data(tmp_path, options, name, steps, held):
    done, state = one_shot(FIT, tmp_path / "out", *options)
    assert done.returncode == 0, done.stderr
    note = NOTE.format(name=name, what="32 of its 320 examples")
    assert done.stderr.count(note) == (1 if held else 0)
    assert state["steps"] == steps  # 3 epochs of 9 batches (288 examples) or of 10
    assert state["validation"] == ("the last tenth of fit's data, held out" if held else "")


def test_a_sized_dataset_and_an_endless_one(tmp_path):
    source = FIT.read_text()
    fit = "    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)"
    assert fit in source
    sized = tmp_path / "sized.py"
    sized.write_text(source.replace(fit, "    history = model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(32), epochs=3, verbose=0)"))
    done, state = one_shot(sized, tmp_path / "a", "--sampler", "enas")
    assert done.returncode == 0, done.stderr
    assert NOTE.format(name="enas", what="1 of its 10 batches") in done.stderr and state["steps"] == 27
    endless = tmp_path / "endless.py"
    endless.write_text(source.replace(fit, "    history = model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(32).repeat(), "
                                           "steps_per_epoch=9, epochs=3, verbose=0)"))
    done, _ = one_shot(endless, tmp_path / "b", "--sampler", "enas")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "error: enas needs validation data while it trains, and fit was given none, on data it cannot split (a generator, "
        "or a dataset of unknown or endless size): give fit validation_data=(x, y) or validation_split, or arrays or a "
        "dataset of known size to hold a tenth of out"
    )

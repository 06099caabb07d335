"""Search overhead: the digits architecture search under Keras Tuner's `RandomSearch` (a
hand-written hypermodel) and under `nas-annotate search --sampler random`, side by side.

    python benchmarks/bench_search.py [--trials 10] [--epochs 3] [--repeat 1] [--json PATH]

Both sides search the space of examples/digits/train.py (the hypermodel reuses its ops and
data) with the same budget and training: Adam 1e-2, batch 32, `--epochs`, validation on the
held-out 20%, `keras.utils.set_random_seed(0)` before each model, and a final `evaluate`.
Each search runs end to end in a fresh subprocess, start-up included.  Prints, per side, the
total wall time, the wall time per trial (total / trials), the mean trial duration as each
side records it, and the ratio nas-annotate / Keras Tuner of wall time per trial (goal
<= 1.1); also nas-annotate with `--fresh` (a new interpreter per trial), to show what the fork
server saves.  The samplers draw different architectures, so some of the difference is the
mix of ops.  Needs keras-tuner and tensorboard (Keras Tuner imports it in every trial on
TensorFlow): `pip install keras-tuner tensorboard`.  `--json PATH` also writes the wall times
per trial and the ratios.  A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NamedTuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "examples" / "digits" / "train.py"
GOAL = 1.1
BATCH = 32
KT_SEED = 1  # Keras Tuner takes a seed of 0 for "no seed"

# The digits space by hand, as Keras Tuner choices named like nas-annotate's parameters.
SPACE: dict[str, list[str]] = {
    "cell1:layer": ["conv(kernel=3)", "conv(kernel=5)", "sep_conv(kernel=3)", "max_pool", "avg_pool"],
    "cell2:layer": ["conv(kernel=3)", "conv(kernel=5)", "sep_conv(kernel=3)", "max_pool", "identity"],
    "cell2:inputs": ["[]", '["stem"]'],
    "cell3:layer": ["conv(kernel=3)", "sep_conv(kernel=5)", "max_pool", "avg_pool"],
    "cell3:inputs": ["[]", '["stem"]', '["cell1"]', '["stem", "cell1"]'],
}


class Run(NamedTuple):
    """One search, timed from the outside and as it recorded its trials."""

    total: float
    durations: list[float]
    best: float


def _check_space() -> None:
    """The hand-written space must be exactly the one nas-annotate searches."""
    from nas_annotate.search.optuna_space import load_space

    grid = {key.rpartition(".")[2]: values for key, values in load_space(str(TRAIN)).grid().items()}
    assert grid == SPACE, f"the hypermodel's space differs from nas-annotate's: {grid}"


def _keras_tuner_search(out: str, trials: int, epochs: int) -> None:
    """The Keras Tuner side (run in its own interpreter): search, then write its trials' durations."""
    import keras_tuner as kt
    import tensorflow as tf

    keras = tf.keras
    spec = importlib.util.spec_from_file_location("digits_train", TRAIN)
    assert spec is not None and spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)  # plain Python: its annotations are inert strings
    ops = {
        "conv(kernel=3)": lambda x: train.conv(x, kernel=3),
        "conv(kernel=5)": lambda x: train.conv(x, kernel=5),
        "sep_conv(kernel=3)": lambda x: train.sep_conv(x, kernel=3),
        "sep_conv(kernel=5)": lambda x: train.sep_conv(x, kernel=5),
        "max_pool": train.max_pool,
        "avg_pool": train.avg_pool,
        "identity": train.identity,
    }
    (train_x, train_y), (val_x, val_y) = train.load_data()

    class Digits(kt.HyperModel):
        """train.py's build_model, its three annotated cells as choices."""

        def build(self, hp: Any) -> Any:
            keras.utils.set_random_seed(0)
            layers = keras.layers
            images = keras.Input((8, 8, 1))
            stem = layers.Conv2D(train.CHANNELS, 3, padding="same", activation="relu")(images)
            found = {"stem": stem}

            def choose(name: str) -> Any:
                return hp.Choice(name, SPACE[name])

            def inputs(name: str) -> list[Any]:
                return [found[label] for label in json.loads(choose(name))]

            cell1 = ops[choose("cell1:layer")]([[stem], []])
            found["cell1"] = cell1
            chosen = inputs("cell2:inputs")
            cell2 = train.bn_relu([ops[choose("cell2:layer")](train.add([[cell1], chosen])), chosen])
            chosen = inputs("cell3:inputs")
            cell3 = ops[choose("cell3:layer")](train.concat([[cell2], chosen]))
            features = layers.GlobalAveragePooling2D()(cell3)
            model = keras.Model(images, layers.Dense(10, activation="softmax")(features))
            model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            return model

        def fit(self, hp: Any, model: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
            model.fit(*args, **kwargs)
            _, accuracy = model.evaluate(val_x, val_y, verbose=0)
            return {"val_accuracy": accuracy}

    class Timed(kt.RandomSearch):
        """RandomSearch that records each trial's duration, from its start to its end."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.durations: list[float] = []

        def on_trial_begin(self, trial: Any) -> None:
            self.started = time.monotonic()
            super().on_trial_begin(trial)

        def on_trial_end(self, trial: Any) -> None:
            super().on_trial_end(trial)
            self.durations.append(time.monotonic() - self.started)

    tuner = Timed(
        Digits(), objective="val_accuracy", max_trials=trials, executions_per_trial=1, seed=KT_SEED,
        directory=out, project_name="digits", overwrite=True,
    )
    tuner.search(train_x, train_y, epochs=epochs, batch_size=BATCH, validation_data=(val_x, val_y), verbose=0)
    failed = [t.message for t in tuner.oracle.trials.values() if t.status != "COMPLETED"]
    if failed:
        sys.exit(f"{len(failed)} Keras Tuner trial(s) failed:\n{failed[0]}")
    best = tuner.oracle.get_best_trials(1)[0].score
    Path(out, "durations.json").write_text(json.dumps({"durations": tuner.durations, "best": best}))


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-3000:]}")
    return elapsed


def keras_tuner(work: str, trials: int, epochs: int) -> Run:
    out = os.path.join(work, "keras-tuner")
    total = _timed([sys.executable, __file__, "--keras-tuner-child", out, "--trials", str(trials), "--epochs", str(epochs)])
    recorded = json.loads(Path(out, "durations.json").read_text())
    return Run(total, recorded["durations"], recorded["best"])


def nas_annotate(work: str, trials: int, epochs: int, fresh: bool) -> Run:
    out = os.path.join(work, "nas-annotate-fresh" if fresh else "nas-annotate")
    command = [
        sys.executable, "-m", "nas_annotate", "search", str(TRAIN), "--sampler", "random", "--trials", str(trials),
        "--seed", "0", "-o", out, "--no-progress", "-q", *(["--fresh"] if fresh else []), "--", "--epochs", str(epochs),
    ]
    total = _timed(command)
    results = json.loads(Path(out, "results.json").read_text())
    failed = [t for t in results["trials"] if t["state"] != "complete"]
    if failed:
        sys.exit(f"{len(failed)} nas-annotate trial(s) did not complete:\n{failed[0]['error']}\n{failed[0]['stderr_tail']}")
    return Run(total, [t["duration_s"] for t in results["trials"]], results["best"]["value"])


def _versions() -> str:
    found = []
    for package in ("tensorflow", "tensorflow-cpu", "keras", "keras-tuner", "optuna"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            pass
    return ", ".join(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", metavar="PATH", help="also write the wall times per trial (s) and ratios here")
    parser.add_argument("--keras-tuner-child", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.keras_tuner_child:
        _keras_tuner_search(args.keras_tuner_child, args.trials, args.epochs)
        return
    _check_space()
    sides = {
        "Keras Tuner RandomSearch": lambda work: keras_tuner(work, args.trials, args.epochs),
        "nas-annotate search": lambda work: nas_annotate(work, args.trials, args.epochs, fresh=False),
        "nas-annotate search --fresh": lambda work: nas_annotate(work, args.trials, args.epochs, fresh=True),
    }
    names = list(sides)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for round_ in range(args.repeat):
        for name in names[round_ % 3 :] + names[: round_ % 3]:
            work = tempfile.mkdtemp(prefix="nas-annotate-bench-")
            try:
                runs[name].append(sides[name](work))
            finally:
                shutil.rmtree(work, ignore_errors=True)

    print(f"{_versions()}, python {platform.python_version()}, "
          f"{os.cpu_count()} cpus, {platform.platform()}")
    print(f"{args.trials} trials x {args.epochs} epochs of the digits space, random sampling; "
          f"median of {args.repeat} run(s) each, in rotating order")
    print(f"{'':28s} {'total s':>8s} {'s/trial':>8s} {'recorded s/trial':>17s} {'outside trials s':>17s} {'best acc':>9s}")
    per_trial = {}
    for name, samples in runs.items():
        total = statistics.median(r.total for r in samples)
        recorded = statistics.median(statistics.fmean(r.durations) for r in samples)
        outside = statistics.median(r.total - sum(r.durations) for r in samples)
        per_trial[name] = total / args.trials
        print(f"{name:28s} {total:8.1f} {per_trial[name]:8.2f} {recorded:17.2f} {outside:17.1f} "
              f"{max(r.best for r in samples):9.4f}")
    base = per_trial[names[0]]
    for name in names[1:]:
        print(f"{name} / Keras Tuner, wall time per trial: {per_trial[name] / base:.2f}x")
    ratio = per_trial[names[1]] / base
    print(f"goal <= {GOAL}x: {'met' if ratio <= GOAL else 'not met'} ({ratio:.2f}x)")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "trials": args.trials, "epochs": args.epochs, "repeat": args.repeat, "goal": GOAL,
            "s_per_trial": per_trial, "ratios": {name: per_trial[name] / base for name in names[1:]},
        }, indent=2))


if __name__ == "__main__":
    main()

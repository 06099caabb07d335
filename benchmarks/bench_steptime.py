"""Training-step time of the digits trial built from generated code, against the same
architecture written by hand in Keras: same process, same data, after warm-up.

    python benchmarks/bench_steptime.py [--steps 200] [--rounds 9] [--json PATH]
    KERAS_BACKEND=jax python benchmarks/bench_steptime.py ...    # or torch: examples/keras3 on that backend

Prints the median step time of each model and its ratio to the hand-written one (goal
1.00 ± 0.03: generated code must cost nothing), for the chosen form (`expand --choice`) and
the run-time form (what `nas-annotate run` executes).  The supernet forms of one-shot search
(darts, enas) compute every candidate of every layer: their ratio is held against the widest
layer's number of candidates (the bound: no waste beyond computing each candidate once).  Each
supernet is also trained by a loop of one's own, a `tf.function` step of `tf.GradientTape` and
`apply_gradients` (as examples/custom_loop does), timed the same way: its ratio to the same
supernet's `train_on_batch` step (traced as `fit` traces it, without the loop's hook) is held
against 1.2 (issue 24: the one-shot hooks in a custom loop cost at most a fifth more).  These
supernet steps are the training step alone, no strategy acting around it; what the strategy
does around each batch of a search (enas: a path drawn before it; after it, the controller's
reward, a forward pass of the supernet on a validation batch, and its policy step) is timed
apart: each supernet's `fit` with its strategy acting, against its `fit` without.  A
second copy of the hand-written model is timed like the others: its ratio is the noise floor of
the measurement.  `--json PATH` also writes them.  A benchmark, not a test.

On another Keras backend (KERAS_BACKEND=jax or torch) the trial is examples/keras3/train.py (the
same model in Keras 3 alone) and the loop of one's own is that backend's: on JAX a jitted step
of `stateless_call`, `jax.value_and_grad` and `stateless_apply` over a state the loop holds,
given to the training update at every step (`backends.LoopState`: read into the model, written
back); on PyTorch `loss.backward()` and the optimizer's `apply`.  JAX's steps are waited for
(`block_until_ready`).  There the Keras models' steps are timed through `fit` (one epoch of
`--steps` batches, not shuffled) rather than `train_on_batch`: on JAX every `train_on_batch`
gathers and writes back each variable of the model, a cost that grows with the supernet's
variables and that `fit` pays once an epoch, so `fit` is what a user's step costs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent
BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
TRAIN = ROOT / "examples" / ("digits" if BACKEND == "tensorflow" else "keras3") / "train.py"
CHOICE = ROOT / "examples" / "digits" / "choice.json"


def module_from(code: bytes) -> dict:
    namespace = {"__name__": "digits_trial", "__file__": str(TRAIN)}
    exec(compile(code, str(TRAIN), "exec"), namespace)
    return namespace


def hand_written(keras, channels: int):
    """choice.json's architecture, written directly in Keras."""
    layers = keras.layers
    images = keras.Input((8, 8, 1))
    stem = layers.Conv2D(channels, 3, padding="same", activation="relu")(images)
    cell1 = layers.Conv2D(channels, 3, padding="same", activation="relu")(stem)
    summed = layers.Add()([cell1, stem])
    cell2 = layers.SeparableConv2D(channels, 3, padding="same", activation="relu")(summed)
    cell2 = layers.ReLU()(layers.BatchNormalization()(cell2))
    joined = layers.Concatenate()([cell2, cell1])
    cell3 = layers.Conv2D(channels, 3, padding="same", activation="relu")(joined)
    features = layers.GlobalAveragePooling2D()(cell3)
    return keras.Model(images, layers.Dense(10, activation="softmax")(features))


def every_candidate(keras, channels: int):
    """The supernet's computation without its decisions, written directly in Keras: every
    candidate of every cell on every input candidate, their outputs padded to the widest and
    summed. What one-shot search cannot avoid computing; the supernet's own cost is its excess."""
    layers = keras.layers

    def candidates(x, ops):
        outputs = []
        for op in ops:
            if op in ("conv3", "conv5"):
                outputs.append(layers.Conv2D(channels, int(op[-1]), padding="same", activation="relu")(x))
            elif op in ("sep3", "sep5"):
                outputs.append(layers.SeparableConv2D(channels, int(op[-1]), padding="same", activation="relu")(x))
            elif op == "max":
                outputs.append(layers.MaxPool2D(3, strides=1, padding="same")(x))
            elif op == "avg":
                outputs.append(layers.AveragePooling2D(3, strides=1, padding="same")(x))
            else:
                outputs.append(x)
        widest = max(o.shape[-1] for o in outputs)
        padded = [o if o.shape[-1] == widest else layers.Lambda(
            lambda t, more=widest - o.shape[-1]: keras.ops.pad(t, [[0, 0], [0, 0], [0, 0], [0, more]]))(o) for o in outputs]
        return layers.Add()(padded)

    images = keras.Input((8, 8, 1))
    stem = layers.Conv2D(channels, 3, padding="same", activation="relu")(images)
    cell1 = candidates(stem, ("conv3", "conv5", "sep3", "max", "avg"))
    cell2 = candidates(layers.Add()([cell1, stem]), ("conv3", "conv5", "sep3", "max", "identity"))
    cell2 = layers.ReLU()(layers.BatchNormalization()(cell2))
    cell3 = candidates(layers.Concatenate()([cell2, stem, cell1]), ("conv3", "sep5", "max", "avg"))
    features = layers.GlobalAveragePooling2D()(cell3)
    return keras.Model(images, layers.Dense(10, activation="softmax")(features))


def wiring(model) -> list[tuple[str, list[int]]]:
    """Each layer's type and the positions of the layers feeding it, in order: equal wiring
    means the same computation, whatever the layers are named."""
    import keras

    found = []
    for layer in model.layers:
        inputs = layer._inbound_nodes[0].input_tensors if layer._inbound_nodes else []
        feeding = [model.layers.index(t._keras_history.operation) for t in keras.tree.flatten(inputs)]
        found.append((type(layer).__name__, feeding))
    return found


def step_time(model, x, y, steps: int, batch: int, acting: bool = False) -> float:
    """Milliseconds a step: `train_on_batch` on TensorFlow, else one epoch of `fit` (see the
    module's docstring); `acting`: through `fit` on any backend, the supernet's strategy acting
    around each batch as in a search (else `fit` runs as Keras's own, no strategy in it)."""
    if acting or (BACKEND != "tensorflow" and hasattr(model, "fit")):
        import numpy as np

        reps = -(-steps * batch // len(x))
        xs, ys = np.concatenate([x] * reps)[: steps * batch], np.concatenate([y] * reps)[: steps * batch]
        from nas_annotate.supernet import hook

        saved, hook._net = hook._net, NETS.get(id(model)) if acting else None
        try:
            before = int(model.optimizer.iterations)
            start = time.perf_counter()
            model.fit(xs, ys, batch_size=batch, epochs=1, verbose=0, shuffle=False)
            seconds = time.perf_counter() - start
            return seconds / (int(model.optimizer.iterations) - before) * 1000  # enas holds a tenth out of fit
        finally:
            hook._net = saved
    start = time.perf_counter()
    for i in range(steps):
        j = (i * batch) % (len(x) - batch)
        model.train_on_batch(x[j : j + batch], y[j : j + batch])
    return (time.perf_counter() - start) / steps * 1000


@contextlib.contextmanager
def as_in_fit():
    """While the supernet's hooks are installed, trace a step as `fit` would: an optimizer step
    outside `fit` is a loop step, which gets the loop's hook; inside it, it does not."""
    from nas_annotate.supernet import hook

    net = hook._net
    if net is None:
        yield
        return
    net.in_fit = True
    try:
        yield
    finally:
        net.in_fit = False


def loop_step(model, keras):
    """A model trained by a loop of one's own, on the backend: `train_on_batch(x, y)` of an
    object standing for the model."""
    optimizer = keras.optimizers.Adam(1e-2)
    loss = keras.losses.SparseCategoricalCrossentropy()
    if BACKEND == "jax":
        return JaxLoop(model, optimizer, loss)
    if BACKEND == "torch":
        import torch

        weights = model.trainable_weights

        def torch_step(x, y):
            value = loss(torch.as_tensor(y), model(torch.as_tensor(x), training=True))
            model.zero_grad()
            value.backward()
            with torch.no_grad():
                optimizer.apply([w.value.grad for w in weights], weights)

        return Stepping(torch_step)
    import tensorflow as tf

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            value = loss(y, model(x, training=True))
        gradients = tape.gradient(value, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))

    return Stepping(step)


class Stepping:
    def __init__(self, step) -> None:
        self.train_on_batch = step


class JaxLoop:
    """A JAX loop of one's own: a jitted step of `stateless_call`, `jax.value_and_grad` and
    `stateless_apply` over the state the loop holds; with a supernet, the state given to the
    training update's `LoopState` at every step, as `@nni.training_update(state=state)` does."""

    def __init__(self, model, optimizer, loss) -> None:
        import jax

        from nas_annotate.supernet import hook

        optimizer.build(model.trainable_variables)
        self.model, self.supernet = model, hook._net is not None

        def compute(trainable, non_trainable, x, y):
            predicted, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
            return loss(y, predicted), non_trainable

        gradient = jax.value_and_grad(compute, has_aux=True)

        @jax.jit
        def step(state, x, y):
            trainable, non_trainable, optimizer_variables = state
            (_, non_trainable), grads = gradient(trainable, non_trainable, x, y)
            trainable, optimizer_variables = optimizer.stateless_apply(optimizer_variables, grads, trainable)
            return trainable, non_trainable, optimizer_variables

        self.step, self.block = step, jax.block_until_ready
        self.state = tuple([v.value for v in variables] for variables in (
            model.trainable_variables, model.non_trainable_variables, optimizer.variables))

    def train_on_batch(self, x, y):
        from nas_annotate.supernet.backends import LoopState

        self.state = self.block(self.step(self.state, x, y))
        if self.supernet:
            loop = LoopState(self.model, self.state, "")
            loop.read()
            loop.write()


def supernet_builder(strategy: str):
    """`build_model` of the script in the supernet form of `strategy` (every candidate computed),
    run under its own runtime state."""
    from nas_annotate import importhook, runtime

    from nas_annotate.strategies.registry import find
    from nas_annotate.supernet import Net

    outer = runtime.state()
    net = Net(find(strategy).make({}, None), strategy)
    runtime.set_supernet(net)
    own = runtime.state()
    code, _ = importhook.compile_annotated(str(TRAIN), "train", TRAIN.read_bytes(), "supernet")
    namespace = {"__name__": "train", "__file__": str(TRAIN)}
    exec(code, namespace)
    runtime.restore(outer)

    def build():
        saved = runtime.state()
        runtime.restore(own)
        try:
            model = namespace["build_model"]()
        finally:
            runtime.restore(saved)
        NETS[id(model)] = net
        return model

    return build


BASE, CONTROL = "hand-written Keras", "hand-written Keras, a second copy"
EVERY = "every candidate, hand-written"
NETS: dict[int, object] = {}  # a supernet model's own Net, by the model's id
SUPERNETS = ("darts", "enas")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--json", metavar="PATH", help="also write the medians (ms/step) and ratios here")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import keras

    from nas_annotate import runtime
    from nas_annotate.api import expand, extract

    chosen = module_from(expand(str(TRAIN), str(CHOICE)))
    runtime.set_choice(str(CHOICE))
    run_time = module_from(expand(str(TRAIN), None))
    supernets = {strategy: supernet_builder(strategy) for strategy in SUPERNETS}
    own_loops = {strategy: supernet_builder(strategy) for strategy in SUPERNETS}  # a net apiece: no shared decision layers
    (x, y), _ = chosen["load_data"]()
    models = {}
    for name, build in [
        (BASE, lambda: hand_written(keras, chosen["CHANNELS"])),
        ("expanded (chosen form)", chosen["build_model"]),
        ("run-time form", run_time["build_model"]),
        (CONTROL, lambda: hand_written(keras, chosen["CHANNELS"])),
        (EVERY, lambda: every_candidate(keras, chosen["CHANNELS"])),
        *((f"supernet form ({strategy})", build) for strategy, build in supernets.items()),
        *((f"supernet form ({strategy}), own loop", build) for strategy, build in own_loops.items()),
    ]:
        keras.utils.set_random_seed(0)
        model = build()
        if name.endswith("own loop"):
            model = loop_step(model, keras)
            step_time(model, x, y, 50, args.batch)
        else:
            model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
            with as_in_fit():
                step_time(model, x, y, 50, args.batch)  # traced here: as fit's step, with no loop hook in it
        models[name] = model
    alike = [name for name in models if not name.startswith("supernet") and name != EVERY]
    counts = {name: models[name].count_params() for name in alike}
    assert len(set(counts.values())) == 1, counts
    assert all(wiring(models[name]) == wiring(models[BASE]) for name in alike), "the models differ"
    timed = {name: (model, False) for name, model in models.items()}
    for strategy in SUPERNETS:  # fit with and without the strategy acting around each batch
        model = models[f"supernet form ({strategy})"]
        if BACKEND == "tensorflow":  # there the supernet's row is train_on_batch's: fit's own, beside
            timed[f"supernet form ({strategy}), fit"] = (model, False)
        timed[f"supernet form ({strategy}), fit, its strategy acting"] = (model, True)
    names = list(timed)
    for name in names:  # a discarded round: every model hot before the first timed one (enas past its warm-up)
        step_time(timed[name][0], x, y, args.steps, args.batch, acting=timed[name][1])
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(args.rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(step_time(timed[name][0], x, y, args.steps, args.batch, acting=timed[name][1]))
    library = __import__({"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(BACKEND, "keras"))
    print(f"keras {keras.__version__} on {BACKEND} {library.__version__}, {TRAIN.relative_to(ROOT)}, python "
          f"{platform.python_version()}, {os.cpu_count()} cpus, {platform.platform()}")
    print(f"{args.rounds} rounds x {args.steps} {'train_on_batch' if BACKEND == 'tensorflow' else 'fit'} steps of {args.batch}, models interleaved in rotating order; "
          f"{counts[BASE]} parameters each, wired alike")
    print(f"ratio: the median over rounds of (model / {BASE}) in the same round; "
          f"the second copy of the hand-written model shows the noise")
    widest = max(len(entry["_value"]["layer_choice"]) for entry in json.loads(extract([str(TRAIN)])).values())
    results = {"backend": BACKEND, "script": str(TRAIN.relative_to(ROOT)), "steps": args.steps, "rounds": args.rounds,
               "batch": args.batch, "widest_layer": widest, "models": {}}
    for name, samples in times.items():
        median = statistics.median(samples)
        ratio = statistics.median(t / b for t, b in zip(samples, times[BASE]))
        results["models"][name] = {"ms_per_step": median, "ratio": ratio}
        main_row = name in {f"supernet form ({strategy})" for strategy in SUPERNETS}
        bound = f"   (bound: {widest} candidates in the widest layer)" if main_row else ""
        if name.endswith("its strategy acting"):
            alone = name.removesuffix(", its strategy acting") if BACKEND == "tensorflow" else name.removesuffix(", fit, its strategy acting")
            acting = statistics.median(t / a for t, a in zip(samples, times[alone]))
            results["models"][name]["ratio_to_fit"] = acting
            bound = f"   {acting:5.3f}x its fit step without the strategy"
        elif main_row:
            excess = statistics.median(t / e for t, e in zip(samples, times[EVERY]))
            results["models"][name]["ratio_to_every_candidate"] = excess
            bound += f"; {excess:5.3f}x every candidate's"
        if name.endswith("own loop"):
            fit = name.removesuffix(", own loop")
            to_fit = statistics.median(t / f for t, f in zip(samples, times[fit]))
            results["models"][name]["ratio_to_train_on_batch"] = to_fit
            bound = f"   {to_fit:5.3f}x its train_on_batch step (goal: at most 1.2)"
        print(f"  {name:44s} median {median:7.3f} ms/step   ratio {ratio:5.3f}{bound}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

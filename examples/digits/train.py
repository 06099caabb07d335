"""An architecture-search trial: a small Keras conv net on scikit-learn's bundled handwritten
digits (8×8 images, no download), whose cells are chosen by annotations.

    nas-annotate extract examples/digits/train.py
    nas-annotate run examples/digits/train.py --choice examples/digits/choice.json
    nas-annotate search examples/digits/train.py --trials 8

The space mixes an operator choice in every cell, skip connections with `input_num` ranges,
an `input_aggregate` (sum or concatenation of the inputs) and a `post_process`
(batch normalisation and ReLU). It prints the validation accuracy and reports it (after each
epoch, and at the end) to whoever is listening: `nas-annotate search`, or NNI.

The recipe (Adam, a warmup to 3e-3 then a cosine decay to zero, 12 epochs) was chosen so that
two seeds of one architecture agree (docs/compare.md, "A recipe for a table that is signal"):
with a constant 1e-2 for 5 epochs, most architectures were still on the steep part of their
learning curve, and the seed decided the value more than the architecture did.

Under `nas-annotate search --inherit` a child trial starts from its parent's trained weights and
sees NAS_ANNOTATE_INHERITED=1; `--inherited-epochs N` gives such children N epochs instead:

    nas-annotate search examples/digits/train.py --sampler evolution --inherit -- --epochs 5 --inherited-epochs 2
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

keras = tf.keras
layers = keras.layers
CHANNELS = 16


def single(inputs):
    """One tensor from a tensor or from `[fixed_inputs, chosen_inputs]` (concatenated)."""
    if not isinstance(inputs, (list, tuple)):
        return inputs
    tensors = list(inputs[0]) + list(inputs[1])
    return tensors[0] if len(tensors) == 1 else layers.Concatenate()(tensors)


def conv(inputs, kernel=3):
    return layers.Conv2D(CHANNELS, kernel, padding="same", activation="relu")(single(inputs))


def sep_conv(inputs, kernel=3):
    return layers.SeparableConv2D(CHANNELS, kernel, padding="same", activation="relu")(single(inputs))


def max_pool(inputs):
    return layers.MaxPool2D(3, strides=1, padding="same")(single(inputs))


def avg_pool(inputs):
    return layers.AveragePooling2D(3, strides=1, padding="same")(single(inputs))


def identity(inputs):
    return single(inputs)


def add(inputs):
    """input_aggregate: the sum of all inputs."""
    tensors = list(inputs[0]) + list(inputs[1])
    return tensors[0] if len(tensors) == 1 else layers.Add()(tensors)


def concat(inputs):
    """input_aggregate: all inputs side by side, channel-wise."""
    return single(inputs)


def bn_relu(inputs):
    """post_process: `[layer result, chosen inputs]` → normalised and rectified result."""
    result, _chosen = inputs
    return layers.ReLU()(layers.BatchNormalization()(result))


def build_model():
    images = keras.Input((8, 8, 1))
    stem = layers.Conv2D(CHANNELS, 3, padding="same", activation="relu")(images)
    """@nni.mutable_layer
    {
        layer_choice: [conv(kernel=3), conv(kernel=5), sep_conv(kernel=3), max_pool, avg_pool],
        fixed_inputs: [stem],
        layer_output: cell1
    }{
        layer_choice: [conv(kernel=3), conv(kernel=5), sep_conv(kernel=3), max_pool, identity],
        fixed_inputs: [cell1],
        input_candidates: [stem],
        input_num: [0, 1],
        input_aggregate: add,
        post_process: bn_relu,
        layer_output: cell2
    }{
        layer_choice: [conv(kernel=3), sep_conv(kernel=5), max_pool, avg_pool],
        fixed_inputs: [cell2],
        input_candidates: [stem, cell1],
        input_num: [0, 2],
        input_aggregate: concat,
        layer_output: cell3
    }"""
    features = layers.GlobalAveragePooling2D()(cell3)
    return keras.Model(images, layers.Dense(10, activation="softmax")(features))


def learning_rate(epochs, steps_per_epoch, peak=3e-3, warmup=90):
    """A linear warmup to `peak` over the first `warmup` steps, then a cosine decay to zero at
    the last step: the last epoch's value is where the training settled."""
    total = max(epochs * steps_per_epoch, 1)
    warmup = min(warmup, total // 4)
    return keras.optimizers.schedules.CosineDecay(0.0, total - warmup, warmup_target=peak, warmup_steps=warmup)


def load_data(seed=0):
    """The digits as (8, 8, 1) images in [0, 1], split 80/20 with a fixed shuffle."""
    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")[..., None]
    order = np.random.default_rng(seed).permutation(len(images))
    images, labels = images[order], digits.target[order]
    cut = int(0.8 * len(images))
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


class ReportEachEpoch(keras.callbacks.Callback):
    """Tells a search how each epoch went, so it can stop unpromising trials (`--prune`)."""

    def on_epoch_end(self, epoch, logs=None):
        accuracy = logs["val_accuracy"]
        """@nni.report_intermediate_result(accuracy)"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--inherited-epochs", type=int, default=None, metavar="N",
                        help="epochs of a trial that starts from its parent's weights (search --inherit; default: --epochs)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N examples only")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights' initialisation and of the batches")
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    (train_x, train_y), (val_x, val_y) = load_data()
    if args.limit:
        train_x, train_y = train_x[: args.limit], train_y[: args.limit]
    model = build_model()
    if os.environ.get("NAS_ANNOTATE_INHERITED") == "1" and args.inherited_epochs:  # search --inherit: a child
        args.epochs = args.inherited_epochs
    steps_per_epoch = -(-len(train_x) // args.batch_size)
    optimizer = keras.optimizers.Adam(learning_rate(args.epochs, steps_per_epoch))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(
        train_x, train_y, epochs=args.epochs, batch_size=args.batch_size, verbose=0,
        validation_data=(val_x, val_y), callbacks=[ReportEachEpoch()],
    )
    _, accuracy = model.evaluate(val_x, val_y, verbose=0)
    print(f"validation accuracy: {accuracy:.4f}")
    """@nni.report_final_result(accuracy)"""
    return accuracy


if __name__ == "__main__":
    main()

"""An architecture-search trial with its own training loop, in the spirit of NNI's mnist-nas
trials: the digits conv net of examples/digits (the same space, the same keys, so the digits
table judges it), trained by a `tf.function` step over `model.trainable_variables`, with NNI's
`@nni.training_update` after each step and a final report.

    nas-annotate search examples/custom_loop/train.py --sampler darts
    nas-annotate search examples/custom_loop/train.py --sampler enas -- --epochs 15
    nas-annotate search examples/custom_loop/train.py --sampler tpe --trials 8

The model's code is examples/digits/train.py's, copied on purpose: the layers' keys
(`train/build_model.cellN`) and candidates are what make the two one space with one table,
and an example should read on its own.

Under darts the architecture weights are among `model.trainable_variables`, so the loop's own
optimizer trains them (one-level DARTS); under enas every update sets the next path, which the
compiled step reads without a retrace. Under a black-box sampler, or `nas-annotate run`, the
update does nothing.
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


def load_data(seed=0):
    """The digits as (8, 8, 1) images in [0, 1], split 80/20 with a fixed shuffle."""
    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")[..., None]
    order = np.random.default_rng(seed).permutation(len(images))
    images, labels = images[order], digits.target[order]
    cut = int(0.8 * len(images))
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N examples only")
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    (train_x, train_y), (val_x, val_y) = load_data()
    if args.limit:
        train_x, train_y = train_x[: args.limit], train_y[: args.limit]
    model = build_model()
    steps_per_epoch = -(-len(train_x) // args.batch_size)
    total = args.epochs * steps_per_epoch
    warmup = min(90, total // 4)
    schedule = keras.optimizers.schedules.CosineDecay(0.0, total - warmup, warmup_target=3e-3, warmup_steps=warmup)
    optimizer = keras.optimizers.Adam(schedule)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    @tf.function
    def predict(x):
        return model(x, training=False)

    batches = tf.data.Dataset.from_tensor_slices((train_x, train_y))
    for epoch in range(args.epochs):
        for x, y in batches.shuffle(len(train_x), seed=args.seed + epoch).batch(args.batch_size):
            train_step(x, y)
            """@nni.training_update(validation_data=(val_x, val_y))"""
        accuracy = float(np.mean(np.argmax(predict(val_x).numpy(), axis=1) == val_y))
        """@nni.report_intermediate_result(accuracy)"""
    print(f"validation accuracy: {accuracy:.4f}")
    """@nni.report_final_result(accuracy)"""
    return accuracy


if __name__ == "__main__":
    main()

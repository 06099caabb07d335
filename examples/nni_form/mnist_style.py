"""An MNIST-style trial written as NNI's released annotation examples are — mutable layers in
the `@nni.mutable_layers(...)` form, hyperparameters with `@nni.variable`, results with
`@nni.report_*` — over scikit-learn's bundled digits: an NNI script runs here as it is.

    nas-annotate extract --format nni examples/nni_form/mnist_style.py
    nas-annotate run examples/nni_form/mnist_style.py --sample random
    nas-annotate search examples/nni_form/mnist_style.py --trials 6 -- --epochs 3
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

keras = tf.keras
layers = keras.layers


def tensor(inputs):
    fixed, optional = inputs
    tensors = list(fixed) + list(optional)
    return tensors[0] if len(tensors) == 1 else layers.Concatenate()(tensors)


def conv2d(inputs, size, channels=16):
    return layers.Conv2D(channels, size, padding="same", activation="relu")(tensor(inputs))


def max_pool(inputs, size):
    return layers.MaxPool2D(size)(tensor(inputs))


def avg_pool(inputs, size):
    return layers.AveragePooling2D(size)(tensor(inputs))


def identity(inputs):
    return tensor(inputs)


def flatten_dense(inputs, units):
    return layers.Dense(units, activation="relu")(layers.Flatten()(tensor(inputs)))


def pooled_dense(inputs, units):
    return layers.Dense(units, activation="relu")(layers.GlobalAveragePooling2D()(tensor(inputs)))


def build_model():
    images = keras.Input((8, 8, 1))
    """@nni.mutable_layers(
        {
            layer_choice: [conv2d(size=3), conv2d(size=5)],
            optional_inputs: [images],
            optional_input_size: 1,
            layer_output: conv1_out
        },
        {
            layer_choice: [max_pool(size=2), avg_pool(size=2)],
            fixed_inputs: [conv1_out],
            layer_output: pool1_out
        },
        {
            layer_choice: [conv2d(size=3), conv2d(size=5), identity()],
            fixed_inputs: [pool1_out],
            layer_output: conv2_out
        },
        {
            layer_choice: [flatten_dense(units=64), pooled_dense(units=64)],
            fixed_inputs: [conv2_out],
            layer_output: hidden
        }
    )"""
    return keras.Model(images, layers.Dense(10, activation="softmax")(hidden))


def main():
    parser = argparse.ArgumentParser(description="An NNI-style trial on the digits data.")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N examples only")
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")[..., None]
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order], digits.target[order]
    cut = int(0.8 * len(images))
    train_x, train_y = images[:cut][: args.limit], labels[:cut][: args.limit]
    """@nni.variable(nni.choice(0.01, 0.003, 0.001), name=learning_rate)"""
    learning_rate = 0.01
    """@nni.variable(nni.choice(16, 32, 64), name=batch_size)"""
    batch_size = 32
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    for _ in range(args.epochs):
        model.fit(train_x, train_y, epochs=1, batch_size=batch_size, verbose=0)
        _, accuracy = model.evaluate(images[cut:], labels[cut:], verbose=0)
        """@nni.report_intermediate_result(accuracy)"""
    print(f"validation accuracy: {accuracy:.4f}")
    """@nni.report_final_result(accuracy)"""


if __name__ == "__main__":
    main()

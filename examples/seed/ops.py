"""TensorFlow operators for the seed's figures, following the annotation convention.

Every operator takes `inputs` first: either a tensor, or `[fixed_inputs, chosen_inputs]` as a
mutable layer passes them; several tensors are concatenated along the channels.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

CHANNELS = 8


def merge(inputs):
    """One tensor from a tensor or from `[fixed_inputs, chosen_inputs]`."""
    if tf.is_tensor(inputs):
        return inputs
    fixed, chosen = inputs
    tensors = list(fixed) + list(chosen)
    return tensors[0] if len(tensors) == 1 else tf.concat(tensors, axis=-1)


def conv(inputs, kernel=3, ch=CHANNELS):
    return tf.keras.layers.Conv2D(ch, kernel, padding="same", activation="relu")(merge(inputs))


def sep_conv(inputs, kernel=3, ch=CHANNELS):
    return tf.keras.layers.SeparableConv2D(ch, kernel, padding="same", activation="relu")(merge(inputs))


def pool(inputs):
    return tf.keras.layers.MaxPool2D(3, strides=1, padding="same")(merge(inputs))


def avg_pool(inputs):
    return tf.keras.layers.AveragePooling2D(3, strides=1, padding="same")(merge(inputs))


max_pool = pool


def conv3(inputs):
    return conv(inputs, 3)


def conv5(inputs):
    return conv(inputs, 5)


def conv3_sep(inputs):
    return sep_conv(inputs, 3)


def conv5_sep(inputs):
    return sep_conv(inputs, 5)


def concat(inputs, connected_out=None):
    """Concatenates the inputs (and `connected_out`, the previous layer's output)."""
    tensors = [merge(inputs)] + ([connected_out] if connected_out is not None else [])
    return tensors[0] if len(tensors) == 1 else tf.concat(tensors, axis=-1)


def reshape(inputs):
    """post_process: `[layer result, chosen inputs]` → the result flattened per example."""
    result, _chosen = inputs
    return tf.reshape(result, [tf.shape(result)[0], -1])


def fc_1000(x):
    return tf.keras.layers.Dense(1000)(tf.reshape(x, [tf.shape(x)[0], -1]))


def softmax(x):
    return tf.nn.softmax(tf.reshape(x, [tf.shape(x)[0], -1]))


def image_batch():
    """A small random batch of images: 2 examples, 16×16, 3 channels."""
    tf.random.set_seed(0)
    return tf.random.normal([2, 16, 16, 3])

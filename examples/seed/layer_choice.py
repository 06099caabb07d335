"""The seed's first figure: choose the operator of the fourth layer."""

from ops import conv, fc_1000, image_batch, pool

image = image_batch()
out1 = conv(image, 3, 64)
out2 = conv(out1, 3, 64)
out3 = conv(out2, 3, 128)
"""@nni.mutable_layer
{
    layer_choice: [conv(ch=128), conv(ch=256), pool],
    input_candidates: [out3],
    input_num: 1,
    layer_output: layer_out
}"""
Out = fc_1000(layer_out)
print("layer_out", layer_out.shape, "Out", Out.shape)

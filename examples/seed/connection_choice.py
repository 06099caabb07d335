"""The seed's second figure: choose two of three inputs for `concat`."""

from ops import concat, conv, image_batch

image = image_batch()
out1 = conv(image)
out2 = conv(out1)
out3 = conv(out2)
out4 = conv(out3)
"""@nni.mutable_layer
{
    layer_choice: [concat(connected_out=out4)],
    input_candidates: [out1, out2, out3],
    input_num: 2,
    layer_output: layer_out
}"""
print("layer_out", layer_out.shape)

"""The seed's third figure: `input_aggregate` concatenates the chosen inputs before the
layer, `post_process` reshapes its result."""

from ops import concat, conv, image_batch, pool, reshape

image = image_batch()
out1 = conv(image)
out2 = conv(out1)
out3 = conv(out2)
out4 = conv(out3)
"""@nni.mutable_layer
{
    layer_choice: [conv(ch=128), conv(ch=256), pool],
    input_candidates: [out1, out2, out3, out4],
    input_num: 2,
    input_aggregate: concat,
    post_process: reshape,
    layer_output: layer_out
}"""
print("layer_out", layer_out.shape)

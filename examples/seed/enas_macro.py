"""The seed's ENAS macro search space, exactly as the design note writes it (commas missing
at some line ends)."""

from ops import avg_pool, concat, conv, conv3, conv3_sep, conv5, conv5_sep, image_batch, max_pool, softmax

image = conv(image_batch())
"""@nni.mutable_layer
{
    layer_choice: [conv3, conv3_sep, conv5, conv5_sep, avg_pool, max_pool],
    fixed_inputs: [image],
    layer_output: out1
}{
    layer_choice: [conv3, conv3_sep, conv5, conv5_sep, avg_pool, max_pool],
    fixed_inputs: [out1]
    layer_output: out2
}{
    layer_choice: [conv3, conv3_sep, conv5, conv5_sep, avg_pool, max_pool],
    fixed_inputs: [out2]
    input_candidates: [out1],
    input_num: [0, 1],
    layer_output: out3
}{
    layer_choice: [conv3, conv3_sep, conv5, conv5_sep, avg_pool, max_pool],
    fixed_inputs: [out3]
    input_candidates: [out1, out2],
    input_num: [0, 2],
    layer_output: out4
}{
    layer_choice: [concat],
    fixed_inputs: [out4]
    input_candidates: [out1, out2, out3],
    input_num: [0, 3],
    layer_output: out5
}
"""
Out = softmax(out5)
print("out5", out5.shape, "Out", Out.shape)

"""The seed's ENAS macro search space, exactly as the design note writes it (missing commas too).

    nas-annotate extract examples/basics/enas_macro.py
    nas-annotate expand examples/basics/enas_macro.py --choice examples/basics/enas_choice.json | python -
"""


def op(name):
    """A stand-in operator: it describes the computation instead of running it."""

    def apply(inputs):
        fixed, chosen = inputs
        return f"{name}({'+'.join(fixed + chosen)})"

    return apply


conv3, conv3_sep, conv5, conv5_sep = op("conv3"), op("conv3_sep"), op("conv5"), op("conv5_sep")
avg_pool, max_pool, concat, softmax = op("avg_pool"), op("max_pool"), op("concat"), op("softmax")
image = "image"
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
Out = softmax([[out5], []])
print(Out)

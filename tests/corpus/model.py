def conv(inputs, ch):
    return f"conv{ch}{inputs}"

def pool(inputs):
    return f"pool{inputs}"

out1, out2 = "out1", "out2"
"""@nni.mutable_layer
{
    layer_choice: [conv(ch=128), conv(ch=256), pool],
    input_candidates: [out1, out2],
    input_num: [1, 2],
    layer_output: layer_out
}"""
print(layer_out)

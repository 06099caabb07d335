x = 1
"""@nni.mutable_layer
{
    layer_choice: [conv],
    input_candidates: [x, x1],
    input_num: [2, 1],
    layer_output: y
}"""

x = 1
"""@nni.mutable_layer
{
    layer_choice: [conv],
    input_candidates: [x],
    input_num: -1,
    layer_output: y
}"""

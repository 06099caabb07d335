x = 1
"""@nni.mutable_layer
{
    layer_choice: [conv],
    input_candidates: [x],
    layer_output: y
}"""

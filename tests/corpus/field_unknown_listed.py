x = 1
"""@nni.mutable_layer
{
    layer_choice: [conv],
    stride: 2,
    layer_output: y
}"""

x = 1
"""@nni.mutable_layer
{
    layer_choice: [conv],
    layer_output: outs[0]
}"""

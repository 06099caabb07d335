x = 1
"""@nni.mutable_layer
{
    layer_choice: [],
    layer_output: y
}"""

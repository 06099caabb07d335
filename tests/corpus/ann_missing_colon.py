x = 1
"""@nni.mutable_layer
{
    layer_choice [conv, pool],
    layer_output: y
}"""

x = 1
"""@nni.mutable_layer
{
    layer_choice: [pool],
    layer_output: y
}"""

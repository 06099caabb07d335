x = 1
"""@nni.mutable_layer
{
    layer_choice: [conv, 3, 'pool'],
    layer_output: y
}"""

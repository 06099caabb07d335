x = 1
"""@nni.mutable_layer
{
    layer_choice: [*ops],
    layer_output: y
}"""

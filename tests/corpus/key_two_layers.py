x = 1
"""@nni.mutable_layer
{
    layer_choice: [conv],
    layer_output: y
}"""
z = y
"""@nni.mutable_layer
{layer_choice: [pool], layer_output: y}"""

x = 1
"""@nni.mutable_layer
{
    layer_choice: [ops[0](ch=1), pool],
    layer_output: y
}"""

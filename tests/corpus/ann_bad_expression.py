x = 1
"""@nni.mutable_layer
{
    layer_choice: [conv(ch=), pool],
    layer_output: y
}"""

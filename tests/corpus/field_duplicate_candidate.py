x = 1
"""@nni.mutable_layer
{
    layer_choice: [conv(ch=1), pool, conv( ch = 1 )],
    layer_output: y
}"""

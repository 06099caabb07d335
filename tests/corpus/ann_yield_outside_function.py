x = 1
"""@nni.mutable_layer
{layer_choice: [conv(k=(yield x))], layer_output: y}"""

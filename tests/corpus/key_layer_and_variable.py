"""@nni.mutable_layer
{layer_choice: [conv], layer_output: rate}"""
"""@nni.variable(nni.choice(1, 2), name=rate)"""
rate = 1

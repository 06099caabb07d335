x = 1
"""@nni.mutable_layers {layer_choice: [conv], layer_output: y}"""

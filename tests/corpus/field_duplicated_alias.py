x = 1
"""@nni.mutable_layers(
    {layer_choice: [conv], optional_inputs: [x], optional_input_size: 1,
     input_num: 1, layer_output: y}
)"""

def f():
    x = 1
      y = 2
x = 1
"""@nni.mutable_layer
{
    layer_choice: [conv],
    layer_output: y
}"""

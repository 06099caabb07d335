x = 1
# @nni.mutable_layer
# {layer_choice: [conv(tag='abc), pool],
#  layer_output: y}

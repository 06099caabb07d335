for i in range(2):
  # @nni.mutable_layer
  # {layer_choice: [conv], layer_output: y}
    print(y)

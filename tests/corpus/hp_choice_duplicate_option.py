"""@nni.variable(nni.choice(relu, tanh, relu), name=act)"""
act = relu

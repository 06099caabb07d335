x = 1
"""@nni.mutable_layer
"""

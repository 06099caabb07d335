# -*- coding: ascii -*-
"""@nni.mutable_layer
{layer_choice: [conv(tag="é")], layer_output: y}"""

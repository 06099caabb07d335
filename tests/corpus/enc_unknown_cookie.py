# -*- coding: klingon -*-
"""@nni.mutable_layer
{layer_choice: [conv], layer_output: y}"""

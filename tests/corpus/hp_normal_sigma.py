"""@nni.variable(nni.normal(0, -1), name=w)"""
w = 0.0

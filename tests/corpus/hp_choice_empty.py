"""@nni.variable(nni.choice(), name=n)"""
n = 1

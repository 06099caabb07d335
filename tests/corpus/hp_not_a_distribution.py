"""@nni.variable(0.1, name=lr)"""
lr = 0.1

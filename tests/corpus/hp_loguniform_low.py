"""@nni.variable(nni.loguniform(0, 1), name=lr)"""
lr = 0.5

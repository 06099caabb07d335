"""@nni.variable(nni.uniform(0), name=lr)"""
lr = 0.5

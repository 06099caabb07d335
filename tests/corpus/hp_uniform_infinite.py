"""@nni.variable(nni.uniform(0, 1e999), name=lr)"""
lr = 0.5

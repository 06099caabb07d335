hi = 1
"""@nni.variable(nni.uniform(0, hi), name=lr)"""
lr = 0.5

"""@nni.variable(nni.choice(1, 2), name=n, default=1)"""
n = 1

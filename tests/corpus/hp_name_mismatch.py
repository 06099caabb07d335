"""@nni.variable(nni.choice(0.1, 0.01), name=lr)"""
rate = 0.1

"""@nni.variable(nni.choice(1, 2))"""
lr = 1

"""@nni.variable(nni.uniform(0, 1), name=lr)"""
lr = 0.5
"""@nni.variable(nni.qnormal(0, 1, 0.1), name=z)"""
z = 0.0
"""@nni.variable(nni.choice(1, 'a', relu), name=act)"""
act = 1
print(lr, z, act)

"""@nni.variable(nni.randint(5, 5), name=n)"""
n = 5

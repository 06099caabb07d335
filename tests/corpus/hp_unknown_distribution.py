"""@nni.variable(nni.chioce(1, 2), name=n)"""
n = 1

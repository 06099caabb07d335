def f():
    x = 1
    """@nni.variable(nni.choice(1, 2), name=n)"""

n = 2

"""@nni.get_next_parameter(1)"""
x = 1

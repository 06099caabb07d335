acc = 1
"""@nni.report_intermediate_result(acc, step=1)"""

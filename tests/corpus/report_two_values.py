acc = 1
"""@nni.report_final_result(acc, 2)"""

h = 1
"""@nni.function_choice(max_pool(h, 2), avg_pool(h, 2), name=pool)"""
h = min_pool(h, 2)

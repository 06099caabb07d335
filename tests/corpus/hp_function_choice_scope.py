async def main(h):
    """@nni.function_choice(pool(h), await remote_pool(h), name=pool)"""
    return [pool(h) for _ in range(2)]

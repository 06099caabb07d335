"""Tabular benchmarks of a space (`nas-annotate table`), and their statistics."""

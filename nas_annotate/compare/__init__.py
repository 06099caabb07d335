"""Strategies side by side (`nas-annotate compare`): runs, the summary and the anytime picture."""

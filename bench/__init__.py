"""Benchmarks for the budgets in the README (run one with `python -m bench.<name>`)."""

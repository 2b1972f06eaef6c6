"""The speed evals (python -m evals lists them)."""

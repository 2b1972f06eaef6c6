"""The load evals (python -m evals lists them)."""

"""The quality evals (python -m evals lists them)."""

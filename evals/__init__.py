"""Measurements of the product: quality on evaluation sets, drafting, authenticity, performance.

``python -m evals TASK`` (see ``evals/__main__.py``). The evals import the
product and never the reverse; each entry point reads the configuration once
(``assistant.config.load_settings``), builds its own contexts over it (a
throw-away home per run) and writes its report under ``evals/reports/``.
Data (``dataset``, ``synthetic``), metric functions (``metrics``) and reports
(``report``) are separate, so any set in the shared JSONL layout runs through
the same harness.
"""

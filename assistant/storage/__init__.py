"""The installation's data as a whole: the DuckDB store and its append-only migrations, backup and
restore, compaction, the installation keys, the admin audit log, the register of erased people,
CSV exports a spreadsheet cannot turn into formulas, and the one-sentence faults of a damaged,
locked or full data file. Grouped because each deals with the files under the home, not with one
feature: services above take a ``Store`` from here and open no file of their own.
"""

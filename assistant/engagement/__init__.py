"""What shared posts bring back: tracked links, shares and their life (prepared, posted) and what
may be shared at all, the SQLite click log and visitor flags (written by ``web.clickservice``),
conversions, engagement events and their sync into DuckDB, the networks' analytics imports,
metrics, dashboards, points and campaign goals. Importers name the module that defines what they use.
Grouped because each reads or writes the per-share events. This ``__init__`` imports
nothing: the click service must stay free of DuckDB.
"""

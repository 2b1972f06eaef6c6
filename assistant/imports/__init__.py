"""What comes in from files: the readers (Markdown, HTML, RSS/Atom, CSV, JSONL) and their plain-text
markup, the documented import fields, an import run and its log, and what is imported: the
content library (``catalog``), the employees (``people``) and the Library page's admin
operations (``library``); which files to import and reading one safely (``files``), zipped formats checked
before parsing (``archives``) and uploads staged as files (``uploads``), which the engagement imports share. Grouped because they share one pipeline (file → records → checked
fields → store) and one rule for hostile input: parsers linear in their input, one-line problems.
"""

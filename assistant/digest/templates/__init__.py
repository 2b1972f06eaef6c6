"""Digest texts (``fr.toml``, ``en.toml``) and templates (``digest.{txt,html,md}.j2``), package data."""

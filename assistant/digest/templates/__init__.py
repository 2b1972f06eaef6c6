"""Digest templates (``digest.{html,md}.j2``), package data; their texts are the catalogue's ``mail.*``."""

"""Porte-voix: an employee-advocacy assistant.

The domain package is pure Python: importing it loads no model library and no
Streamlit. Heavy backends live in `models/` and load lazily.
"""

__version__ = "0.1.0"

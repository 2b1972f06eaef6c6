"""Tracked links and what the public click service writes: share ids, UTM-tagged targets and short codes
(``tracked``), the SQLite click log of links, hits and conversions (``clicklog``), signed conversions
(``conversions``), visitor flags (``visitors``), the guard against code walks (``guessing``) and the
limits on requests (``http_guard``, ``request_body``). Grouped because the click service's process
(``web.clickservice``) needs all of them and nothing else of the product: they import no DuckDB and no
other feature (``personal_data``, the erasure's part, is for the app), and this ``__init__`` imports nothing.
"""

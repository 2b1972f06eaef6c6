"""The public click service's process (Starlette + uvicorn): short-link redirects and signed conversions
(``clickservice``) and the digests' one-click unsubscribe page (``unsubscribe``), each served from this
package over what sits below it (``links``, ``optouts``). It imports no duckdb, no digest code, none of the
app's pages and no model (``tests/project/test_import_graph.py``).
"""

"""The public click service's process (Starlette + uvicorn): short-link redirects, signed conversions
and the digests' unsubscribe routes (``clickservice``). Above the features it serves (LAYERS in
``assistant/__init__.py``); it imports no duckdb, the app's pages or a model.
"""

"""Use-cases that span the features, above all of them (LAYERS in ``assistant/__init__.py``, step by
step): one person's export and erasure (``privacy``) and what one signed-in employee may read and
change (``workspace``). A feature package never imports this one; the UI and the commands call it.
"""

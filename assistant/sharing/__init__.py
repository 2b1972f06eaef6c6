"""A share's life: what may be shared at all (``share_rules``), recording a prepared share with its
tracked link (``shares``), and posting it (``posting``: the one place that says a share counts once
posted). Sits above ``links`` (a share gets a short code in the click log) and below ``reporting``
(every figure counts posted shares only).
"""

"""Weekly digests: who gets one this period and what it says (``digests``), its words and layouts
(``render`` with ``templates/``), each employee's preferences, one run with its
retries and record (``sending``, ``log``), the ``schedule``, delivery through apprise
(``notify``); the opt-outs noted by the public unsubscribe page (``optouts``) are folded into the
preferences. Grouped because a digest run goes through all of them.
"""

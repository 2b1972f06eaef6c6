"""Weekly digests: who gets one this period and what it says (``digests``), its words and layouts
(``render`` with ``templates/``), each employee's preferences, one run with its
retries and record (``sending``, ``log``), the ``schedule``, delivery through apprise
(``notify``) and one-click unsubscribe. Grouped because a digest run goes through all of them.
"""

"""What shared posts bring back, in DuckDB: engagement events and the sync of the click log into them
(``events``, ``sync``), the networks' analytics and conversion imports (``analytics_import``,
``engagement_import``), and the figures built on them: metrics, dashboards, points and campaign goals.
Sits above ``sharing``, whose posted shares every figure counts.
"""

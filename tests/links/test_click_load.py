"""A few seconds of the click-service load test (``evals.load.click_load``): a real ``porte-voix links serve``,
a steady request rate while ``engagement sync`` runs, and every hit accounted for. The 60-second run at
500 requests/s is ``python -m evals click_load`` (figures in the README); timings are not asserted here."""

import pytest

from evals.load.click_load import LoadConfig, run


def test_no_hit_is_lost_under_load_while_sync_runs():
    result = run(LoadConfig(seconds=3, rate=150, connections=8, links=20, sync_every=0.5), report=None)
    client = result["client"]
    assert client["answered"] == client["requests"] == 450 and client["statuses"] == {302: 450}
    assert client["errors"] == 0
    assert result["syncs_during_load"]["runs"] >= 1 and result["syncs_during_load"]["failed"] == 0
    assert result["service_at_stop"] == {"received": 450, "written": 450, "lost": 0}
    assert result["hits_logged"] == result["hits_in_duckdb"] == 450 and result["lost"] == 0


@pytest.mark.slow  # ~15 s on a quiet machine; the replicas' fast test is tests/links/test_click_replicas.py
def test_a_replica_forwarding_to_postgresql_under_load_loses_no_hit(postgres_server):
    """The same on a PostgreSQL store, the service a replica with a home of its own: each hit forwarded,
    folded once."""
    url = postgres_server.create_database("pv_click_load", template="pv_template")
    try:
        result = run(LoadConfig(seconds=2, rate=100, connections=8, links=20, sync_every=0.5), report=None,
                     database_url=url)
    finally:
        postgres_server.drop_database(url)
    assert result["client"]["statuses"] == {302: 200} and result["client"]["errors"] == 0
    assert result["service"]["store"]["state"] == "ok" and result["service"]["store"]["forwarded_hits"] == 200
    assert result["hits_logged"] == result["hits_in_duckdb"] == 200 and result["lost"] == 0

"""Network analytics imports (LinkedIn XLSX FR, CSV EN, X CSV, generic CSV) and the conversions CSV."""


import pytest
from openpyxl import Workbook

from assistant.reporting import analytics_import
from assistant.reporting.engagement_import import import_conversions
from assistant.reporting.metrics import Filters, share_metrics
from tests.reporting.conftest import POSTS, SAMPLES

pytestmark = pytest.mark.store_backends  # each test on the DuckDB file and on PostgreSQL

EXPECTED = {  # (impressions, reactions, comments, reposts, network clicks), read off the sample files by hand
    "s-li1": (1234, 48, 6, 2, 31), "s-li2": (860, 12, 1, 0, 9), "s-li3": (2045, 61, 9, 4, 57),
    "s-li4": (512, 14, 0, 1, 6), "s-x1": (3120, 37, 2, 4, 22), "s-generic-1": (1500, 20, 3, 1, 12),
}


def network(store) -> dict:
    return {r["id"]: (r["impressions"], r["reactions"], r["comments"], r["reshares"], r["network_clicks"])
            for r in share_metrics(store, Filters()) if r["reach_reported"]}


def test_linkedin_fr_en_x_and_generic_exports_match_by_post_then_share_id(posts):
    files = ["linkedin-posts-fr.xlsx", "linkedin-posts-en.csv", "x-post-analytics.csv", "generic-metrics.csv"]
    report = analytics_import.import_files(posts, [SAMPLES / f for f in files])
    assert network(posts) == EXPECTED
    assert report.counts["rows"] == 10 and report.counts["matched"] == 6 and report.counts["unmatched"] == 4
    assert report.counts["added"] == 6 * 5 and report.counts["rejected"] == 0
    unmatched = "\n".join(report.problems)
    for where in ("linkedin-posts-fr.xlsx:Publications:6", "linkedin-posts-en.csv:5", "x-post-analytics.csv:3",
                  "generic-metrics.csv:3"):
        assert where in unmatched, where
    quiet = {r["id"]: r for r in share_metrics(posts)}["s-quiet"]
    assert quiet["reach_reported"] is False and quiet["reach_estimated"] and quiet["reach"] == round(300 * 0.08)


def test_reimporting_changes_nothing_and_a_newer_export_replaces_values(posts, tmp_path):
    first = analytics_import.import_files(posts, [SAMPLES / "linkedin-posts-en.csv"])
    before = posts.rows("SELECT * FROM share_totals ORDER BY share_id")
    again = analytics_import.import_files(posts, [SAMPLES / "linkedin-posts-en.csv"])
    assert posts.rows("SELECT * FROM share_totals ORDER BY share_id") == before
    assert (first.counts["added"], again.counts["added"], again.counts["unchanged"]) == (10, 0, 10)
    newer = tmp_path / "later.csv"  # a later export of the same post, with fewer columns
    newer.write_text("Post URL,Impressions,Reactions\n"
                     "https://www.linkedin.com/feed/update/urn:li:activity:7203333333333333333/,3000,61\n")
    report = analytics_import.import_files(posts, [newer])
    assert (report.counts["updated"], report.counts["unchanged"]) == (1, 1)
    assert network(posts)["s-li3"] == (3000, 61, 9, 4, 57), "latest value per metric; others kept"
    assert posts.value("SELECT count(*) FROM engagement_events WHERE share_id = 's-li3' AND kind = 'impression'") == 1


def test_a_semicolon_french_csv_and_bad_files(posts, tmp_path):
    french = tmp_path / "export.csv"
    french.write_text("URL de la publication;Date de publication;Impressions;Réactions;Commentaires;Republications\n"
                      f"{POSTS['s-li2']};04/06/2025;1 100;13;1;0\n"
                      f"{POSTS['s-li2']};04/06/2025;;;;\n", encoding="cp1252")
    report = analytics_import.import_files(posts, [french])
    assert network(posts)["s-li2"] == (1100, 13, 1, 0, 0)
    assert report.counts["rejected"] == 1 and "no metric value" in report.problems[0]
    book = Workbook()
    book.active.append(["Name", "Team"])
    book.save(tmp_path / "people.xlsx")
    report = analytics_import.import_files(posts, [tmp_path / "people.xlsx"])
    assert report.counts["rejected"] == 1 and "no table with a post URL" in report.problems[0]


def test_conversions_csv_is_idempotent_on_external_id(ctx, posts):
    result = import_conversions(ctx, SAMPLES / "conversions.csv")
    assert (result["stored"], result["duplicate"], result["rejected"], result["folded"]) == (2, 0, 2, 2)
    assert any("purchase" not in p and "no share s-unknown-9" in p for p in result["problems"])
    assert any("event must be one of" in p for p in result["problems"])
    again = import_conversions(ctx, SAMPLES / "conversions.csv")
    assert (again["stored"], again["duplicate"], again["folded"]) == (0, 2, 0)
    row = posts.rows("SELECT leads, applications, conversion_value FROM share_totals WHERE share_id = 's-generic-1'")
    assert row == [{"leads": 1, "applications": 1, "conversion_value": 1200.0}]

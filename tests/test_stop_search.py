"""Stop and search: police.uk files load, months are UK local time, validate reports them, stops command."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

import csp_assess as ca
from csp_assess.api import load_stops

REPO = Path(__file__).resolve().parents[1]
SYNTH = REPO / "tests" / "fixtures" / "stop_search"
CITY = REPO.parent / "shared" / "data" / "police_uk_city_of_london_2017_2020"
needs_city = pytest.mark.skipif(not CITY.is_dir(), reason="../shared/data is not present")
LONDON = ZoneInfo("Europe/London")


def independent_months(paths: list[Path]) -> tuple[Counter[str], int]:
    """Searches per UK-local month, with the csv module and zoneinfo only; and the number of data rows."""
    months: Counter[str] = Counter()
    rows = 0
    for p in paths:
        with p.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                rows += 1
                local = datetime.fromisoformat(row["Date"]).astimezone(LONDON)
                months[f"{local.year:04d}-{local.month:02d}"] += 1
    return months, rows


@needs_city
def test_city_of_london_monthly_counts_equal_an_independent_count(cli) -> None:  # type: ignore[no-untyped-def]
    files = sorted(CITY.glob("*-stop-and-search.csv"))
    assert len(files) == 36
    expected, rows = independent_months(files)
    run = cli("stops", *files, "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    got = {r["month"]: r["searches"] for r in doc["by_month"]}
    assert got == dict(expected)
    assert doc["searches"] == rows == 6_855
    assert (doc["rows_read"], doc["rows_counted"], doc["rows_rejected"]) == (rows, rows, 0)
    assert doc["month_rule"] == "UK local time (Europe/London) of the UTC Date"
    # The UK-month rule matters here: 2018-08-31T23:13Z (in the September file) is 00:13 BST, 1 September.
    utc: Counter[str] = Counter()
    for f in files:
        with f.open(newline="", encoding="utf-8") as fh:
            utc.update(row["Date"][:7] for row in csv.DictReader(fh))
    assert utc["2018-09"] == got["2018-09"] - 1 and utc["2018-08"] == got["2018-08"] + 1


@needs_city
def test_city_of_london_breakdowns_and_linked_share(tmp_path: Path) -> None:
    files = sorted(CITY.glob("*-stop-and-search.csv"))
    legislation: Counter[str] = Counter()
    linked = 0
    for p in files:
        with p.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                legislation[row["Legislation"] or "(not recorded)"] += 1
                linked += row["Outcome linked to object of search"] == "True"
    result = ca.stops(files)
    by_leg = result.table("by_legislation")
    assert dict(zip(by_leg["legislation"], by_leg["searches"], strict=True)) == dict(legislation)
    assert result.meta["outcome_linked"] == linked == 2_231
    assert result.meta["outcome_linked_pct"] == round(linked / 6_855 * 100, 1)


@needs_city
def test_stops_beside_possession_offences_when_street_files_are_given() -> None:
    result = ca.stops(CITY, year="2019/20")
    rows = result.rows
    assert list(rows.columns[-2:]) == ["drug_offences", "weapon_possession"]
    drugs: Counter[str] = Counter()
    for p in sorted(CITY.glob("*-street.csv")):
        seen: set[str] = set()  # a repeated Crime ID is one crime (the loader keeps the first row)
        with p.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["Crime ID"]:
                    if row["Crime ID"] in seen:
                        continue
                    seen.add(row["Crime ID"])
                area = row["LSOA name"].rsplit(" ", 1)[0] if row["LSOA name"] else ""
                if row["Crime type"] == "Drugs" and area == "City of London":
                    drugs[row["Month"]] += 1
    assert dict(zip(rows["month"], rows["drug_offences"], strict=True)) == {
        m: drugs[m] for m in rows["month"]
    }
    assert any("police activity" in n for n in result.notes)


@needs_city
def test_validate_reports_stop_and_search_files(cli) -> None:  # type: ignore[no-untyped-def]
    files = sorted(CITY.glob("police_uk_2019-0[6-7]-*"))
    run = cli("validate", *files, "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    stops = [f for f in doc["files"] if f["layout"] == "police-uk-stop-and-search"]
    assert len(stops) == 2
    for rec in stops:
        with open(rec["path"], newline="", encoding="utf-8") as fh:
            n = sum(1 for _ in csv.DictReader(fh))
        assert (rec["rows_read"], rec["rows_counted"], rec["rows_rejected"]) == (n, n, 0)


def test_utc_timestamps_are_assigned_to_uk_months_and_bad_rows_rejected() -> None:
    data = load_stops(SYNTH)
    by_month = data.counts.groupby(data.counts["month"].astype(str))["count"].sum().to_dict()
    # June: 08:00, 12:00, 22:59Z (23:59 BST); July: 23:30Z on 30 June (00:30 BST); December: 23:30Z (GMT).
    assert by_month == {"2019-06": 3, "2019-07": 1, "2019-12": 1}
    assert data.rows_read == 8 and data.rows_counted == 5 and data.rows_rejected == 3
    assert [(Path(r.file).name[:7], r.line) for r in data.rejects] == [
        ("2019-06", 6),
        ("2019-06", 7),
        ("2019-12", 3),
    ]
    assert "not a timestamp" in data.rejects[0].reason
    assert data.rejects[2].reason == "Date is blank"
    july = data.counts[data.counts["month"].astype(str) == "2019-07"].iloc[0]
    assert (july["legislation"], july["linked"]) == ("(not recorded)", "(not recorded)")
    assert set(data.counts["area"]) == {"Synthetic Force"}


def test_months_without_their_file_are_marked_incomplete() -> None:
    result = ca.stops(SYNTH)
    rows = result.rows.set_index("month")
    assert bool(rows.loc["2019-06", "complete"]) is True
    assert bool(rows.loc["2019-07", "complete"]) is False  # only June's spill-over: no July file
    # No file and no row: unknown, not 0 searches (before: 0, beside possession offences shown as unknown).
    assert pd.isna(rows.loc["2019-08", "searches"]) and not bool(rows.loc["2019-08", "complete"])
    assert pd.isna(rows.loc["2019-08", "outcome_linked"]) and pd.isna(
        rows.loc["2019-08", "outcome_linked_pct"]
    )
    assert bool(rows.loc["2019-12", "complete"]) is True
    assert any("incomplete" in w for w in result.warnings)


def test_no_stop_and_search_file_is_a_one_line_error(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("stops", REPO / "data" / "sample_offences.csv")
    assert run.code == 1
    assert run.err.startswith("Error: no police.uk stop-and-search files")


def test_stop_and_search_members_of_a_police_uk_zip(tmp_path: Path) -> None:
    import zipfile

    zpath = tmp_path / "download.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in sorted(SYNTH.glob("*.csv")):
            zf.write(f, f"{f.name[:7]}/{f.name}")
        zf.writestr("2019-06/2019-06-synthetic-force-street.csv", "Crime ID,Month\n")
    data = load_stops(zpath)
    assert [Path(s.path.split("!")[1]).name for s in data.sources] == [
        f.name for f in sorted(SYNTH.glob("*.csv"))
    ]
    assert data.rows_counted == 5 and data.rows_rejected == 3

"""Defects found walking the analyses as a new analyst would; expected values worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import Run

import csp_assess as ca


def _met(path: Path, months: list[str], count: int = 1) -> Path:
    path.write_text(
        "MajorText,MinorText,LookUp_BoroughName," + ",".join(months) + "\n"
        "Theft,Shoplifting,Camden," + ",".join([str(count)] * len(months)) + "\n",
        encoding="utf-8",
    )
    return path


def _fy(first_year: int) -> list[str]:
    return [f"{first_year}{m:02d}" for m in range(4, 13)] + [f"{first_year + 1}{m:02d}" for m in range(1, 4)]


def test_compare_names_the_missing_month_of_a_gap(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Two 24-month files with January 2022 in neither. Before: '2021/22 ... is not fully in the data, which
    covers Apr 2020–Mar 2023' (the gap hidden by the span). After: the missing month named, and what to do."""
    a = _met(tmp_path / "a.csv", [m for m in _fy(2020) + _fy(2021) if m != "202201"])
    b = _met(tmp_path / "b.csv", _fy(2022))
    with pytest.raises(ca.CspAssessError) as err:
        ca.compare([a, b], area="Camden")
    assert "1 month(s) missing (Jan 2022)" in str(err.value)
    res: Run = cli("compare", a, b, "--area", "Camden")
    assert res.code == 1
    assert res.err.count("\n") == 1 and "Traceback" not in res.err
    assert res.err.startswith("Error: 2021/22 (Apr 2021–Mar 2022) is not fully in the data")
    assert "(Jan 2022); give the missing file, or choose years with --from and --to" in res.err


def test_year_or_baseline_outside_the_data_says_what_to_do(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Before: 'baseline 2019/20 is not in the data, which covers Dec 2019–Mar 2022' although four of its
    months are there, with no next step. After: what is needed and the flag to change."""
    path = _met(tmp_path / "m.csv", [m for m in _fy(2019) + _fy(2020) + _fy(2021) if m >= "201912"])
    res: Run = cli("baseline", path, "--area", "Camden", "--year", "2021/22")
    assert res.code == 1 and res.err.count("\n") == 1
    assert res.err == (
        "Error: baseline 2019/20 is not fully in the data (the same months as 2021/22 are needed), which covers "
        "Dec 2019–Mar 2022: give files covering it, or choose another with --baseline\n"
    )
    res = cli("summary", path, "--area", "Camden", "--year", "2030/31")
    assert res.code == 1
    assert res.err.endswith("which covers Dec 2019–Mar 2022: choose another with --year\n")
    res = cli("compare", path, "--area", "Camden", "--to", "2030/31")
    assert res.code == 1 and res.err.endswith("choose another with --to\n")


def test_asking_a_result_for_a_table_it_lacks_names_the_ones_it_has(tmp_path: Path) -> None:
    """Before: a bare KeyError: 'indicators'. After: a CspAssessError listing the result's tables."""
    s = ca.summary(_met(tmp_path / "m.csv", _fy(2020) + _fy(2021)), area="Camden", year="2021/22")
    with pytest.raises(ca.CspAssessError, match=r"has no table 'indicators'; its tables: by_major$"):
        s.table("indicators")
    assert int(s.table("by_major")["count"].sum()) == 12  # 1 shoplifting a month


SS_HEADER = (
    "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,"
    "Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,"
    "Outcome linked to object of search,Removal of more than just outer clothing\n"
)


def test_stop_search_file_resaved_by_excel_says_why_nothing_was_counted(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Excel drops the '+00:00' of police.uk's Date. Before: 'the stop-and-search files hold no searches'
    (no file, no reason). After: how many rows were rejected, the first one's file, line and reason."""
    path = tmp_path / "2019-04-city-of-london-stop-and-search.csv"
    row = "Person search,{},False,,,,Male,18-24,,,Misuse of Drugs Act 1971 (section 23),Controlled drugs,Arrest,True,False\n"
    path.write_text(
        SS_HEADER + row.format("01/04/2019 02:16") + row.format("02/04/2019 10:00"), encoding="cp1252"
    )
    res: Run = cli("stops", path)
    assert res.code == 1 and res.err.count("\n") == 1 and "Traceback" not in res.err
    assert res.err == (
        f"Error: the stop-and-search files hold no searches: all 2 rows were rejected, e.g. {path}:2: Date "
        "'01/04/2019 02:16' is not a timestamp with a UTC offset (re-saved by Excel? use the file as downloaded "
        "from police.uk)\n"
    )


def test_summary_json_has_the_asb_table_for_an_area_without_asb(tmp_path: Path) -> None:
    """police.uk records ASB. Before: an area with none had no 'asb' key and asb_incidents null, unlike
    its neighbours. After: the same keys, with 0 incidents; an area with ASB keeps its count (1)."""
    header = (
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
        "Last outcome category,Context\n"
    )
    path = tmp_path / "2021-04-test-street.csv"
    path.write_text(
        header
        + "a,2021-04,P,P,0,51,X,E01,Testham 001A,Burglary,,\n"
        + ",2021-04,P,P,0,51,X,E01,Testham 001A,Anti-social behaviour,,\n"
        + "b,2021-04,P,P,0,51,X,E02,Otherham 001A,Burglary,,\n",
        encoding="utf-8",
    )
    ex = ca.load([path])
    with_asb = ca.summary(ex, area="Testham", year="2021/22").to_dict()
    without = ca.summary(ex, area="Otherham", year="2021/22").to_dict()
    assert set(with_asb) == set(without)
    assert (with_asb["asb_incidents"], without["asb_incidents"]) == (1, 0)
    assert without["asb"] == [
        {
            "category": "Anti-social behaviour",
            "count": 0,
            "previous_count": None,
            "change": None,
            "change_pct": None,
        }
    ]

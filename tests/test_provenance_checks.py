"""The check figures ../shared/data/PROVENANCE.md gives, against the tool (CLI and API): the ones no other
test asserted through the tool. The figures are PROVENANCE's own (computed there with the csv module), read
from its tables or written out here as it gives them; the tool's output is never the expectation."""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from pathlib import Path

import pytest
from tests.conftest import SHARED_DATA, Run, shared

import csp_assess as ca

B_AND_D = "Barking and Dagenham"
LEICS = "police_uk_leicestershire"
CITY_OLD = "police_uk_city_of_london_2017_2020"


@cache
def provenance_rows() -> dict[str, list[str]]:
    """Every `| police_uk_....csv | ...` table row of PROVENANCE.md: file name -> its cells."""
    text = shared("PROVENANCE.md").read_text(encoding="utf-8")
    out = {}
    for line in text.splitlines():
        m = re.match(r"\| (police_uk_\S+\.csv) \|", line)
        if m:
            out[m.group(1)] = [c.strip() for c in line.strip().strip("|").split("|")]
    return out


def _int(cell: str) -> int:
    return int(cell.replace(",", "") or 0)


def _validate_json(cli, *paths: Path) -> dict:  # type: ignore[no-untyped-def,type-arg]
    res: Run = cli("validate", *paths, "--format", "json")
    assert res.code == 0, res.err
    return json.loads(res.out)  # type: ignore[no-any-return]


# --- 1b: the MPS files: rows, areas and months of each -------------------------------------------------

MPS_1B = {  # saved file: (first month, last month, months, data rows, areas), as PROVENANCE 1b lists them
    "mps_borough_historical_oldcats_201004_202201.csv": ("2010-04", "2022-01", 142, 1730, 33),
    "mps_borough_24m_oldcats_202202_202401.csv": ("2022-02", "2024-01", 24, 1574, 33),
    "mps_borough_24m_oldcats_202103_202302.csv": ("2021-03", "2023-02", 24, 1559, 33),
    "mps_borough_24m_oldcats_202001_202112.csv": ("2020-01", "2021-12", 24, 1555, 33),
    "mps_borough_historical_oldcats_201004_202107.csv": ("2010-04", "2021-07", 136, 1725, 33),
    "mps_borough_24m_oldcats_202108_202307.csv": ("2021-08", "2023-07", 24, 1575, 33),
    "mps_borough_historical_oldcats_201004_202006.csv": ("2010-04", "2020-06", 123, 1721, 33),
    "mps_borough_historic_pre2019cats_200801_201812.csv": ("2008-01", "2018-12", 132, 1056, 32),
    "mps_borough_historical_newcats_201004_202204.csv": ("2010-04", "2022-04", 145, 931, 34),
    "mps_borough_24m_newcats_202205_202404.csv": ("2022-05", "2024-04", 24, 999, 34),
    "mps_borough_historical_newcats_201004_202303.csv": ("2010-04", "2023-03", 156, 931, 34),
    "mps_borough_historical_newcats_201004_202311.csv": ("2010-04", "2023-11", 164, 1084, 34),
    "mps_borough_24m_newcats_202401_202512.csv": ("2024-01", "2025-12", 24, 1057, 34),
    "mps_borough_24m_groupcats_202407_202606.csv": ("2024-07", "2026-06", 24, 993, 33),
    "mps_ward_24m_oldcats_202202_202401.csv": ("2022-02", "2024-01", 24, 23428, 33),
    "mps_ward_24m_newcats_202401_202512.csv": ("2024-01", "2025-12", 24, 18707, 33),
}


def test_every_mps_file_reads_as_provenance_lists_it(cli) -> None:  # type: ignore[no-untyped-def]
    """validate, one file at a time through the CLI: rows read = counted (no rejects), areas, months."""
    paths = [shared(name) for name in MPS_1B]
    doc = _validate_json(cli, *paths)
    got = {Path(f["path"]).name: f for f in doc["files"]}
    for name, (first, last, n_months, rows, areas) in MPS_1B.items():
        f = got[name]
        assert (f["rows_read"], f["rows_counted"], f["rows_rejected"]) == (rows, rows, 0), name
        assert (f["first_month"], f["last_month"], len(f["areas"])) == (first, last, areas), name
        assert f["gaps"] == [] and n_months == _months_between(first, last), name


def _months_between(first: str, last: str) -> int:
    (y1, m1), (y2, m2) = (map(int, first.split("-")), map(int, last.split("-")))
    return (y2 - y1) * 12 + m2 - m1 + 1


def test_api_validate_agrees_on_an_mps_file() -> None:
    v = ca.validate([shared("mps_borough_24m_groupcats_202407_202606.csv")])
    doc = v.to_dict()
    assert v.usable and doc["files"][0]["rows_read"] == 993 and len(doc["files"][0]["areas"]) == 33


# --- 1a / 1c: the Barking and Dagenham figures -------------------------------------------------------


def _month_total(path: Path, month: str) -> int:
    ex = ca.load([path])
    c = ex.counts
    return int(c[(c["area"] == B_AND_D) & (c["month"].astype(str) == month)]["count"].sum())


def test_march_2020_old_and_new_categories() -> None:
    """1a: March 2020 is 1,796 in the old-category files and 1,379 in the new-category files."""
    assert _month_total(shared("mps_borough_historical_oldcats_201004_202201.csv"), "2020-03") == 1796
    assert _month_total(shared("mps_borough_historical_newcats_201004_202204.csv"), "2020-03") == 1379


def test_stalking_and_harassment_split_out_in_the_november_2023_issue(cli) -> None:  # type: ignore[no-untyped-def]
    """1c: FY2021/22 VWOI 4,588 (202204 issue) against 2,764 VWOI + 1,820 S&H (202311 issue); through
    compare --against, which shows exactly this revision."""
    res: Run = cli(
        "compare",
        shared("mps_borough_historical_newcats_201004_202204.csv"),
        "--against",
        shared("mps_borough_historical_newcats_201004_202311.csv"),
        "--area",
        B_AND_D,
        "--to",
        "2021/22",
        "--format",
        "json",
    )
    assert res.code == 0, res.err
    rows = {r["category"]: r for r in json.loads(res.out)["rows"]}
    vwoi, sh = rows["VIOLENCE WITHOUT INJURY"], rows["STALKING AND HARASSMENT"]
    assert (vwoi["from_count"], vwoi["to_count"]) == (4588, 2764)
    assert (sh["from_count"], sh["to_count"]) == (0, 1820)


def test_ward_file_sums_below_the_borough_file() -> None:
    """1c: Barking and Dagenham 202202–202401: ward sum 40,909, old-category borough file 43,561."""
    for name, total in (
        ("mps_ward_24m_oldcats_202202_202401.csv", 40909),
        ("mps_borough_24m_oldcats_202202_202401.csv", 43561),
    ):
        c = ca.load([shared(name)]).counts
        assert int(c[c["area"] == B_AND_D]["count"].sum()) == total, name


# --- 2: City of London street files, May 2021 – May 2022 ----------------------------------------------


def test_city_of_london_2021_22_rows_read(cli) -> None:  # type: ignore[no-untyped-def]
    """Section 2: 13 files, 428–765 rows each, 8,425 in all; every row read is counted or rejected."""
    files = sorted(SHARED_DATA.glob("police_uk_202*-city-of-london-street.csv"))
    if len(files) != 13:
        pytest.skip("the 13 City of London street files are not all present")
    doc = _validate_json(cli, *files)
    read = {Path(f["path"]).name: f["rows_read"] for f in doc["files"]}
    assert read == {name: _int(provenance_rows()[name][2]) for name in read}
    assert sum(read.values()) == 8425 and min(read.values()) == 428 and max(read.values()) == 765
    assert all(f["rows_read"] == f["rows_counted"] + f["rows_rejected"] for f in doc["files"])


# --- Leicestershire --------------------------------------------------------------------------------

LEICS_TABLE = {  # area: (crimes 2020/21, crimes 2021/22, ASB 2020/21, ASB 2021/22)
    "Leicester": (38815, 45207, 6075, 4695),
    "Charnwood": (11672, 14000, 2176, 1854),
    "North West Leicestershire": (6551, 7442, 1154, 738),
    "Hinckley and Bosworth": (6317, 6982, 934, 693),
    "Blaby": (5253, 6285, 921, 681),
    "Harborough": (4039, 4799, 776, 572),
    "Melton": (2944, 3409, 421, 453),
    "Oadby and Wigston": (3188, 3723, 549, 375),
    "Rutland": (1412, 1715, 152, 130),
    "No location": (1032, 853, 0, 0),
}


@pytest.fixture(scope="module")
def leics() -> ca.Extract:
    return ca.load([shared(LEICS)])


@pytest.mark.parametrize("area", list(LEICS_TABLE))
def test_leicestershire_crimes_and_asb_both_years(area: str, leics: ca.Extract) -> None:
    crimes_20, crimes_21, asb_20, asb_21 = LEICS_TABLE[area]
    doc = ca.summary(leics, area=area, year="2021/22").to_dict()
    assert (doc["previous_total"], doc["total"]) == (crimes_20, crimes_21)
    (asb,) = doc["asb"]  # there for every area, 'No location' (0 incidents) too
    assert (asb["previous_count"], asb["count"]) == (asb_20, asb_21)


def test_leicestershire_reconciles_through_the_cli(cli) -> None:  # type: ignore[no-untyped-def]
    """301,838 read = 301,838 counted; 7,463 rows with no location; Charnwood 2021/22 as the table."""
    doc = _validate_json(cli, shared(LEICS))
    assert sum(f["rows_read"] for f in doc["files"]) == 301838
    assert sum(f["rows_counted"] for f in doc["files"]) == 301838
    assert (
        "35 files: 7,463 rows with no location counted under area 'No location' (in total)" in doc["warnings"]
    )
    res: Run = cli("summary", shared(LEICS), "--area", "Charnwood", "--year", "2021/22", "--format", "json")
    assert res.code == 0, res.err
    got = json.loads(res.out)
    assert (got["total"], got["previous_total"], got["asb_incidents"]) == (14000, 11672, 1854)


def test_leicestershire_per_file_rows_asb_and_no_location(leics: ca.Extract) -> None:
    """Each of the 35 files' rows, ASB rows and no-location rows, as PROVENANCE's table lists them."""
    table = provenance_rows()
    c = leics.counts
    for source in leics.sources:
        name = Path(source.path).name
        cells = table[name]
        rows, asb, no_loc = _int(cells[6]), _int(cells[7]), _int(cells[8])
        assert source.rows_read == source.rows_counted == rows, name
        month = c[c["month"] == source.first_month]
        assert int(month[month["minor"] == "Anti-social behaviour"]["count"].sum()) == asb, name
        assert int(month[month["area"] == "No location"]["count"].sum()) == no_loc, name


def test_a_merged_partnership_sums_its_parts() -> None:
    """docs/python-api.md: Blaby + Oadby and Wigston 2021/22 = 6,285 + 3,723 = 10,008."""
    s = ca.summary(
        shared(LEICS), area=["Blaby", "Oadby and Wigston"], area_name="Blaby and Oadby", year="2021/22"
    )
    assert s.total == 6285 + 3723 == 10008


# --- City of London 2017–2020: street and stop-and-search files ------------------------------------------


def test_city_2017_2020_street_files_reconcile_with_provenance() -> None:
    """Each street file's rows read, ASB rows, and no-location rows: those counted plus those rejected as
    a repeated Crime ID (the tool counts a repeated ID once) equal PROVENANCE's figures."""
    table = provenance_rows()
    ex = ca.load([shared(CITY_OLD)])
    c = ex.counts
    rejected_lines: dict[str, set[int]] = {}
    for r in ex.rejects:
        rejected_lines.setdefault(Path(r.file).name, set()).add(r.line or 0)
    street = [s for s in ex.sources if s.path.endswith("-street.csv")]
    assert len(street) == 36
    for source in street:
        name = Path(source.path).name
        cells = table[name]
        rows, asb, no_loc = _int(cells[6]), _int(cells[7]), _int(cells[8])
        assert source.rows_read == rows == source.rows_counted + source.rows_rejected, name
        month = c[c["month"] == source.first_month]
        assert int(month[month["minor"] == "Anti-social behaviour"]["count"].sum()) == asb, name
        with open(source.path, newline="", encoding="utf-8") as fh:
            raw = list(csv.DictReader(fh))
        rejected_no_loc = sum(1 for ln in rejected_lines.get(name, ()) if not raw[ln - 2]["LSOA name"])
        counted_no_loc = int(month[month["area"] == "No location"]["count"].sum())
        assert counted_no_loc + rejected_no_loc == no_loc, name


def test_city_2017_2020_stop_and_search_rows(cli) -> None:  # type: ignore[no-untyped-def]
    """Each of the 36 stop-and-search files' rows, as PROVENANCE lists them, read and counted by validate."""
    table = provenance_rows()
    files = sorted(shared(CITY_OLD).glob("*-stop-and-search.csv"))
    assert len(files) == 36
    doc = _validate_json(cli, *files)
    for f in doc["files"]:
        rows = _int(table[Path(f["path"]).name][6])
        assert (f["rows_read"], f["rows_counted"], f["rows_rejected"]) == (rows, rows, 0), f["path"]


def test_stops_shows_the_crime_files_reconciliation_too() -> None:
    """Before: only the stop-and-search rows were reconciled. After: the 36 street files' rows too (their
    rows as PROVENANCE lists them, summed), read = counted + rejected."""
    table = provenance_rows()
    folder = shared(CITY_OLD)
    expected = sum(_int(table[p.name][6]) for p in folder.glob("*-street.csv"))
    notes = ca.stops(folder).notes
    line = next(n for n in notes if n.startswith("Crime files, for the possession offences: "))
    counted, rejected = (int(x.replace(",", "")) for x in re.findall(r"([\d,]+) (?:counted|rejected)", line))
    assert f"Read {expected:,} rows from 36 files" in line and counted + rejected == expected

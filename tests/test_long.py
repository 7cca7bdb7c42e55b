"""Long extracts (CSV, .xlsx, Parquet): column mapping by --map and --map-file, UK/ISO/YYYY-MM dates,
one row per offence or per count, and per-row rejects with line numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from tests.clirun import run

from csp_assess.cli.options import build_mapping
from csp_assess.errors import ConfigError, CspAssessError, LayoutError
from csp_assess.load import load_extract
from csp_assess.load.long import mapping_from_file, parse_months

CORPUS = Path(__file__).resolve().parent / "corpus"
MAPPED = CORPUS / "mapped_long.csv"
MAP_ARGS = ["--map", "month=Committed Date", "--map", 'minor="Offence"', "--map", "count=Offences"]


def test_parse_months_uk_iso_and_yyyymm() -> None:
    values = pd.Series(
        [
            "31/03/2022",
            "2022-03-31",
            "2022-03",
            "202203",
            "2022-03-31 23:59:00",
            "1/3/2022",
            "Mar 2022",
            "March 2022",
        ]
    )
    assert parse_months(values).astype(str).tolist() == ["2022-03"] * 8


def test_parse_months_is_day_first_and_rejects_nonsense() -> None:
    got = parse_months(pd.Series(["05/06/2022", "2022-13", "13/13/2022", "tomorrow", "", None]))
    assert str(got.iloc[0]) == "2022-06"
    assert got.iloc[1:].isna().all()


def test_parse_months_accepts_datetimes() -> None:
    s = pd.Series(pd.to_datetime(["2022-03-31", "2022-04-01"]))
    assert parse_months(s).astype(str).tolist() == ["2022-03", "2022-04"]


def test_mapped_csv_by_map_options() -> None:
    mapping = build_mapping(["month=Committed Date", "minor=Offence", "count=Offences"])
    extract = load_extract([MAPPED], mapping=mapping, use_cache=False)
    c = extract.counts
    assert extract.areas == ["Camden"]  # "Borough" is a known alias of area
    assert dict(zip(c["month"].astype(str) + " " + c["minor"], c["count"], strict=True)) == {
        "2022-03 Burglary": 2,
        "2022-04 Burglary": 3,
        "2022-04 Robbery": 1,
    }
    assert extract.rows_read == extract.rows_counted == 3


@pytest.mark.parametrize("map_file", ["mapped_long.toml", "mapped_long_map.csv"])
def test_mapped_csv_by_map_file(map_file: str) -> None:
    mapping = mapping_from_file(CORPUS / "maps" / map_file)
    assert mapping == {"month": "Committed Date", "minor": "Offence", "area": "Borough", "count": "Offences"}
    extract = load_extract([MAPPED], mapping=mapping, use_cache=False)
    assert int(extract.counts["count"].sum()) == 6


def test_map_overrides_map_file(tmp_path: Path) -> None:
    f = tmp_path / "m.toml"
    f.write_text('[map]\nmonth = "Wrong"\nminor = "Offence"\n', encoding="utf-8")
    assert build_mapping(["month=Committed Date"], f) == {"month": "Committed Date", "minor": "Offence"}


def test_map_file_equals_form(tmp_path: Path) -> None:
    f = tmp_path / "m.txt"
    f.write_text('# comment\nmonth = "Committed Date"\nminor=Offence\n', encoding="utf-8")
    assert mapping_from_file(f) == {"month": "Committed Date", "minor": "Offence"}


@pytest.mark.parametrize(
    "content, suffix, message",
    [
        ('month = "A"\nwhen = "B"\n', ".toml", "mapping file names 'when'"),
        ("month = \n", ".toml", "mapping file is not valid TOML"),
        ("month,A,B\n", ".csv", "mapping file: expected canonical,column"),
        ("", ".csv", "mapping file maps no columns"),
    ],
)
def test_bad_map_file(tmp_path: Path, content: str, suffix: str, message: str) -> None:
    f = tmp_path / f"m{suffix}"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        mapping_from_file(f)
    assert str(exc.value).startswith(message)


def test_map_names_missing_column() -> None:
    with pytest.raises(LayoutError) as exc:
        load_extract([MAPPED], mapping={"month": "When"}, use_cache=False)
    assert str(exc.value).startswith('--map month="When": no such column; the file has Committed Date')


def test_cli_map_and_map_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", str(MAPPED), *MAP_ARGS, "--format", "json")
    assert code == 0, err
    (f,) = json.loads(out)["files"]
    assert (f["rows_read"], f["rows_counted"], f["first_month"], f["last_month"]) == (
        3,
        3,
        "2022-03",
        "2022-04",
    )
    code, out, err = run(
        capsys, "validate", str(MAPPED), "--map-file", str(CORPUS / "maps" / "mapped_long.toml"), "-f", "json"
    )
    assert code == 0, err
    assert json.loads(out)["files"][0]["areas"] == ["Camden"]


def test_cli_bad_map_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", str(MAPPED), "--map", "nonsense")
    assert code == 1
    assert err.strip() == "Error: --map 'nonsense' is not of the form name=\"Column\""
    code, out, err = run(capsys, "validate", str(MAPPED), "--map-file", str(CORPUS / "nope.toml"))
    assert code == 1
    assert err.strip().startswith("Error: cannot read file")


def test_one_row_per_offence_counts_rows() -> None:
    extract = load_extract([CORPUS / "mixed_dates_long.csv"], use_cache=False)
    by_month = extract.counts.groupby(extract.counts["month"].astype(str))["count"].sum().to_dict()
    assert by_month == {"2022-03": 2, "2022-04": 1, "2022-05": 1, "2022-06": 2}


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Committed Date": ["31/03/2022", "2022-04-02", "not a date", "2022-05", "01/05/2022"],
            "Offence": ["Burglary", "Robbery", "Burglary", "Burglary", "Robbery"],
            "Offences": [2, 3, 1, "x", -4],
        }
    )


def test_xlsx_with_rejects_on_sheet_rows(tmp_path: Path) -> None:
    path = tmp_path / "extract.xlsx"
    _frame().to_excel(path, index=False)
    mapping = {"month": "Committed Date", "minor": "Offence", "count": "Offences"}
    extract = load_extract([path], mapping=mapping, use_cache=False)
    (src,) = extract.sources
    assert (src.layout, src.rows_read, src.rows_counted, src.rows_rejected) == ("long-xlsx", 5, 2, 3)
    # Sheet row 1 is the header: data starts on row 2.
    assert [(r.line, r.reason.split(" (")[0]) for r in extract.rejects] == [
        (4, "cannot read date 'not a date'"),
        (5, "count 'x' is not a number"),
        (6, "count '-4' is negative"),
    ]
    assert int(extract.counts["count"].sum()) == 5


def test_parquet_with_rejects(tmp_path: Path) -> None:
    path = tmp_path / "extract.parquet"
    frame = _frame()
    frame["Offences"] = frame["Offences"].astype(str)
    frame.to_parquet(path)
    mapping = {"month": "Committed Date", "minor": "Offence", "count": "Offences"}
    extract = load_extract([path], mapping=mapping, use_cache=False)
    assert extract.sources[0].layout == "long-parquet"
    assert [r.line for r in extract.rejects] == [3, 4, 5]
    assert extract.rows_read == extract.rows_counted + extract.rows_rejected == 5


def test_parquet_with_real_dates(tmp_path: Path) -> None:
    path = tmp_path / "dates.parquet"
    pd.DataFrame(
        {"date": pd.to_datetime(["2022-03-31", "2022-04-01"]), "minor": ["Burglary", "Burglary"]}
    ).to_parquet(path)
    extract = load_extract([path], use_cache=False)
    assert extract.counts["month"].astype(str).tolist() == ["2022-03", "2022-04"]


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_corrupt_binary_long_files(tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"this is not a real file")
    with pytest.raises(CspAssessError):
        load_extract([path], use_cache=False)
    code, out, err = run(capsys, "validate", str(path))
    assert code == 1
    assert err.strip().startswith("Error: cannot read the")
    assert "Traceback" not in err


def test_empty_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    pd.DataFrame({"month": [], "minor": []}).to_excel(path, index=False)
    with pytest.raises(CspAssessError) as exc:
        load_extract([path], use_cache=False)
    assert str(exc.value).startswith("file has a header but no data rows")


def test_excel_month_year_and_flag_columns_by_name(tmp_path: Path) -> None:
    """A long file re-saved by Excel shows months as 'Apr-21': read as April 2021, never rejected. A
    column already named flag_<name> is that flag without --map, and the load says so."""
    from csp_assess.load import load_extract

    path = tmp_path / "long.csv"
    path.write_text(
        "month,area,minor,flag_domestic_abuse,count\n"
        "Apr-21,Testshire,Violence with Injury,Y,20\n"
        "Apr-21,Testshire,Violence with Injury,N,30\n"
        "May-21,Testshire,Violence with Injury,TRUE,5\n"
        "March 2022,Testshire,Violence with Injury,,7\n",
        encoding="utf-8",
    )
    extract = load_extract([path], use_cache=False)
    counts = extract.counts
    assert extract.rows_rejected == 0
    by_month = counts.groupby(counts["month"].astype(str))["count"].sum().to_dict()
    assert by_month == {"2021-04": 50, "2021-05": 5, "2022-03": 7}
    flagged = counts[counts["flag_domestic_abuse"]]
    assert int(flagged["count"].sum()) == 25  # 20 (Y) + 5 (TRUE)
    assert any("flag column(s) flag_domestic_abuse read by name" in w for w in extract.warnings)


def test_partner_fixture_measures_its_flag_priority_without_a_map() -> None:
    """The partner fixture's own flag_domestic_abuse column measures the 'Domestic abuse' priority with
    no --map: the flagged counts of each year, summed here with the csv module."""
    import csv

    import csp_assess as ca

    fix = Path(__file__).parent / "fixtures" / "partner"
    want: dict[str, int] = {}
    with (fix / "counts_with_flags.csv").open(newline="") as fh:
        for r in csv.DictReader(fh):
            if r["flag_domestic_abuse"] == "True":
                y, m = int(r["month"][:4]), int(r["month"][5:7])
                start = y if m >= 4 else y - 1
                fy = f"{start}/{(start + 1) % 100:02d}"
                want[fy] = want.get(fy, 0) + int(r["count"])
    ex = ca.load(fix / "counts_with_flags.csv", cache=False)
    ranked = ca.rank(ex, priorities=fix / "priorities.toml")
    pri = ranked.table("priorities")
    row = pri[pri["name"] == "Domestic abuse"].iloc[0]
    year = ranked.to_dict()["year"]
    assert row["status"] != "not measurable"
    assert int(row["count"]) == want[year]
    assert int(row["previous_count"]) == want[f"{int(year[:4]) - 1}/{year[2:4]}"]

"""An analyst's scripted annual run: the library used from a script and the CLI driven from the shell.

Each test pins a defect found by walking the product as a script would, with figures computed here
independently of the code under test (the csv module on the raw file)."""

from __future__ import annotations

import csv
import json
import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.conftest import SAMPLE, SHARED_DATA

import csp_assess as ca

AREA = "Barking and Dagenham"
CITY = SHARED_DATA / "police_uk_city_of_london_2017_2020"


def sample_months() -> dict[str, int]:
    """Offences per YYYYMM in the sample, with the csv module: every category, the one borough."""
    with SAMPLE.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    head = rows[0]
    months: dict[str, int] = {}
    for row in rows[1:]:
        if row[2] != AREA:
            continue
        for col, cell in zip(head[3:], row[3:], strict=True):
            months[col] = months.get(col, 0) + int(cell)
    return months


@pytest.fixture(scope="module")
def extract() -> ca.Extract:
    return ca.load([SAMPLE], cache=False)


# fy_start out of range: before, ``fy_start=13`` gave calendar-year figures labelled as a financial
# year (pandas rolled month 13 over into January), and ``fy_start="4"`` raised a bare TypeError.


@pytest.mark.parametrize("bad", [13, 0, -1, True, 4.0, "4"])
def test_fy_start_outside_1_to_12_is_a_typed_error_naming_the_keyword(
    extract: ca.Extract, bad: object
) -> None:
    for call in (ca.summary, ca.rank, ca.compare, ca.trend):
        with pytest.raises(ca.PeriodError) as err:
            call(extract, fy_start=bad)  # type: ignore[operator]
        assert err.value.params == ("fy_start",)
        assert str(err.value).startswith(
            "fy_start is the month the financial year starts in, a number from 1 to 12"
        )


def test_fy_start_1_is_the_calendar_year_computed_independently(extract: ca.Extract) -> None:
    months = sample_months()
    cal_2021 = sum(v for k, v in months.items() if k.startswith("2021"))
    cal_2020 = sum(v for k, v in months.items() if k.startswith("2020"))
    got = ca.summary(extract, year=2021, fy_start=1)  # a year given as an int, as a script may
    assert (got.total, got.previous_total) == (cal_2021, cal_2020)
    assert got.meta["year"] == "2021"


def test_a_year_given_as_a_number_is_read_or_refused_with_a_typed_error(extract: ca.Extract) -> None:
    with pytest.raises(ca.PeriodError) as err:
        ca.summary(extract, year=2021)  # type: ignore[arg-type]
    assert err.value.params == ("year",) and "ambiguous for financial years" in str(err.value)
    with pytest.raises(ca.PeriodError) as err:
        ca.summary(extract, year=2021.5)  # type: ignore[arg-type]
    assert str(err.value).startswith("cannot read year 2021.5")


def test_fy_start_out_of_range_on_the_command_line_is_a_usage_error(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("summary", SAMPLE, "--fy-start", "13")
    assert res.code == 2 and "Traceback" not in res.err and res.out == ""


# stops --year on a partial year: before, 2020/21 of the City files (which end Nov 2020) listed Dec 2020 to
# Mar 2021 as months of 0 searches and its JSON said last_month 2021-03.


@pytest.mark.skipif(not CITY.is_dir(), reason="../shared/data is not present")
def test_stops_partial_year_is_the_months_the_files_hold(cli) -> None:  # type: ignore[no-untyped-def]
    files = sorted(CITY.glob("*-stop-and-search.csv"))
    london = ZoneInfo("Europe/London")
    by_month: Counter[str] = Counter()
    for f in files:
        with f.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                local = datetime.fromisoformat(row["Date"]).astimezone(london)
                by_month[f"{local.year:04d}-{local.month:02d}"] += 1
    want = {m: n for m, n in by_month.items() if "2020-04" <= m <= "2021-03"}
    assert sorted(want) == [f"2020-{m:02d}" for m in range(4, 12)]  # the files end in November 2020
    res = cli("stops", *files, "--year", "2020/21", "--format", "json")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert (doc["first_month"], doc["last_month"]) == ("2020-04", "2020-11")
    assert {r["month"]: r["searches"] for r in doc["by_month"]} == want
    assert doc["searches"] == sum(want.values())
    assert doc["period"] == "2020/21 (partial: Apr 2020–Nov 2020, 8 of 12 months)"


# ca.outcomes given the Extract a script already loaded: before, TypeError ("'Extract' object is not
# iterable"); every other analysis takes one.

LEICS = SHARED_DATA / "police_uk_leicestershire"
COURT = {  # outcomes after a charge or summons, written out here apart from the code
    "Awaiting court outcome",
    "Court result unavailable",
    "Suspect charged as part of another case",
    "Offender sent to prison",
    "Offender fined",
    "Defendant found not guilty",
}


@pytest.mark.skipif(not LEICS.is_dir(), reason="../shared/data is not present")
def test_outcomes_takes_a_loaded_extract_and_reads_its_files(tmp_path: Path) -> None:
    files = sorted(LEICS.glob("police_uk_2021-0[4-6]-*.csv"))
    crimes = 0
    charged = 0
    for f in files:
        with f.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["LSOA name"].startswith("Melton ") and row["Crime type"] != "Anti-social behaviour":
                    crimes += 1
                    charged += row["Last outcome category"] in COURT
    bundle = tmp_path / "leics.zip"  # a zip's members are read from the zip, once
    with zipfile.ZipFile(bundle, "w") as zf:
        for f in files:
            zf.write(f, f.name)
    for data in (ca.load(files, cache=False), ca.load(bundle, cache=False)):
        got = ca.outcomes(data, area="Melton", year="2021/22")
        assert (got.meta["crimes"], got.meta["rows_read"]) == (crimes, sum(s.rows_read for s in data.sources))
        assert int(got.rows["charged_summonsed_n"].sum()) == charged
        assert len(got.to_dict()["sources"]) == len(files)


def test_outcomes_of_an_extract_without_police_uk_files_is_a_typed_error(extract: ca.Extract) -> None:
    with pytest.raises(ca.InputError) as err:
        ca.outcomes(extract, area=AREA)
    assert "police.uk street-level files" in str(err.value) and "met-borough-old" in str(err.value)


# Exit codes from the shell: before, a year the tool cannot read (--year 2021/23, an ambiguous --year 2021)
# and options given apart that go together exited 1 like a data error, while --level bogus exited 2.


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["summary", "--year", "2021/23"], 2),
        (["summary", "--year", "2021"], 2),
        (["summary", "--year", "banana"], 2),
        (["rank", "--baseline", "2019/20-2017/18"], 2),
        (["compare", "--from", "2021/22", "--to", "2021/22"], 2),
        (["trend", "--category", "Arson", "--priority", "Arson"], 2),
        (["rank", "--level", "bogus"], 2),
        (["summary", "--period", "rolling12", "--year", "2021/22"], 2),
        (["summary", "--year", "2005/06"], 1),  # well written, not in the data: a data error
        (["summary", "--area", "Nowhere"], 1),
        (["summary", "--year", "2021/22"], 0),
    ],
)
def test_exit_codes_tell_usage_from_data_errors(cli, args: list[str], code: int) -> None:  # type: ignore[no-untyped-def]
    res = cli(args[0], SAMPLE, *args[1:])
    assert res.code == code, res.err
    assert "Traceback" not in res.err
    if code:
        assert res.out == "" and res.err.count("\n") >= 1


def test_usage_errors_are_typed_for_python(extract: ca.Extract) -> None:
    with pytest.raises(ca.PeriodFormatError) as err:
        ca.summary(extract, year="2021/23")
    assert isinstance(err.value, ca.PeriodError) and isinstance(err.value, ca.UsageError)
    assert err.value.exit_code == 2
    with pytest.raises(ca.OptionError) as opt:
        ca.compare(extract, from_year="2021/22", to_year="2021/22")
    assert isinstance(opt.value, ca.SelectionError) and opt.value.exit_code == 2
    with pytest.raises(ca.PeriodError) as data:
        ca.summary(extract, year="2005/06")
    assert not isinstance(data.value, ca.UsageError) and data.value.exit_code == 1


# summary --population with a file for some areas only: before, all_areas_rate_per_1000 was the rate of the
# areas that had a population (Leicester, Charnwood, Melton: 104.01), under an "all areas" name.


@pytest.mark.skipif(not LEICS.is_dir(), reason="../shared/data is not present")
def test_all_areas_rate_is_only_given_over_all_ranked_areas(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    fy = {f"2021-{m:02d}" for m in range(4, 13)} | {f"2022-{m:02d}" for m in range(1, 4)}
    crimes: Counter[str] = Counter()
    for f in sorted(LEICS.glob("*.csv")):
        with f.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["Month"] in fy and row["Crime type"] != "Anti-social behaviour" and row["LSOA name"]:
                    crimes[row["LSOA name"].rsplit(" ", 1)[0]] += 1
    pops = {"Leicester": 368_000, "Charnwood": 183_000, "Melton": 51_000}
    pop = tmp_path / "pop.csv"
    pop.write_text("area,population\n" + "".join(f"{a},{n}\n" for a, n in pops.items()), encoding="utf-8")
    res = cli("summary", LEICS, "--area", "Charnwood", "--year", "2021/22", "--population", pop, "-f", "json")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert doc["all_areas_rate_per_1000"] is None
    want = round(sum(crimes[a] for a in pops) / sum(pops.values()) * 1000, 2)
    assert doc["rated_areas_rate_per_1000"] == want == 104.01
    assert sorted(doc["rated_areas"]) == sorted(pops)
    assert any("so no all-areas rate" in w for w in doc["warnings"])


# trend on 13 monthly files May 2021 - May 2022 (no complete financial year): before, an error ("the data
# holds no complete financial year"), though the series needs no whole year.


@pytest.mark.skipif(
    not (SHARED_DATA / "police_uk_2021-05-city-of-london-street.csv").exists(), reason="no data"
)
def test_trend_runs_without_a_complete_year(cli) -> None:  # type: ignore[no-untyped-def]
    files = sorted(SHARED_DATA.glob("police_uk_202[12]-*-city-of-london-street.csv"))
    assert len(files) == 13
    per_month: Counter[str] = Counter()
    seen: set[str] = set()
    for f in files:
        with f.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["Crime ID"]:
                    if row["Crime ID"] in seen:  # a repeated Crime ID counts once, as documented
                        continue
                    seen.add(row["Crime ID"])
                if (
                    row["LSOA name"].startswith("City of London ")
                    and row["Crime type"] != "Anti-social behaviour"
                ):
                    per_month[row["Month"]] += 1
    res = cli("trend", *files, "--area", "City of London", "-f", "json")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert {r["period"]: r["count"] for r in doc["rows"]} == dict(per_month)
    # The breakdowns: the year with most months, 2021/22 (May 2021 - Mar 2022), partial and labelled.
    assert doc["year"] == "2021/22 (partial: May 2021–Mar 2022, 11 of 12 months)"
    assert doc["year_total"] == sum(n for m, n in per_month.items() if m <= "2022-03")
    assert any(w.startswith("the data holds no complete financial year") for w in doc["warnings"])
    one = cli("trend", files[0], "--area", "City of London", "-f", "json")  # a single monthly file
    assert one.code == 0 and json.loads(one.out)["rows"][0]["count"] == per_month["2021-05"]
    assert cli("trend", *files, "--area", "City of London", "--year", "2019/20").code == 1  # asked: not there


# JSON of summary, compare, trend, baseline, quarterly and places said rows read = counted + rejected only
# file by file; rank's JSON said it at the top. Now every one does, so a script can check it in one place.


def _read_and_repeated(files: list[Path]) -> tuple[int, int]:
    """Data rows, and rows repeating an earlier Crime ID (counted once, as documented), with csv."""
    read = repeated = 0
    seen: set[str] = set()
    for f in files:
        with f.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                read += 1
                if row["Crime ID"]:
                    repeated += row["Crime ID"] in seen
                    seen.add(row["Crime ID"])
    return read, repeated


@pytest.mark.skipif(not CITY.is_dir(), reason="../shared/data is not present")
@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("summary", ["--year", "2019/20"]),
        ("compare", ["--from", "2018/19", "--to", "2019/20"]),
        ("baseline", ["--year", "2019/20", "--baseline", "2018/19"]),
        ("trend", []),
        ("quarterly", []),
        ("places", ["--year", "2019/20"]),
        ("rank", ["--year", "2019/20"]),
    ],
)
def test_json_says_rows_read_counted_and_rejected(cli, command: str, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    files = sorted(CITY.glob("*-street.csv"))
    read, repeated = _read_and_repeated(files)
    res = cli(command, *files, "--area", "City of London", *args, "-f", "json")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert (doc["rows_read"], doc["rows_counted"], doc["rows_rejected"]) == (read, read - repeated, repeated)
    assert repeated > 0


# An empty file name from a script (an unset "$FILES"): before, Path("") is the current folder, so every
# data file under it was read and analysed; ca.load([]) raised a bare IndexError.


@pytest.mark.parametrize(
    "args",
    [
        ["summary", ""],
        ["rank", " "],
        ["validate", ""],
        ["compare", str(SAMPLE), "--against", ""],
        ["weights", ""],
    ],
)
def test_an_empty_file_name_is_a_usage_error(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "other.csv").write_bytes(SAMPLE.read_bytes())  # a data file the current folder holds
    monkeypatch.chdir(tmp_path)
    res = cli(*args)
    assert res.code == 2 and res.out == ""
    assert "an empty file name (an unset shell variable?)" in res.err and "Traceback" not in res.err


@pytest.mark.parametrize(
    ("arg", "message"), [([], "no files given"), ("", "an empty file name"), ([None], "not a file name")]
)
def test_load_refuses_no_or_empty_file_names(arg: object, message: str) -> None:
    with pytest.raises(ca.InputError) as err:
        ca.load(arg)  # type: ignore[arg-type]
    assert message in str(err.value)


# rank's methods note: before, "estimated from the extract's earlier years pooled over its 32 areas" on
# Leicestershire (Dec 2019 - Oct 2022), which has no earlier year of 2021/22's months at all.


@pytest.mark.skipif(not LEICS.is_dir(), reason="../shared/data is not present")
def test_rank_says_when_there_was_no_history_to_estimate_variation_from() -> None:
    got = ca.rank(ca.load(LEICS), area="Charnwood", year="2021/22")
    # Pairs need 2019/20 and 2020/21 of the same months: the files start in Dec 2019, so there are none.
    assert got.meta["history_pairs"] == []
    assert "estimated from the extract's earlier years" not in got.meta["variance_method"]
    assert got.meta["variance_method"].endswith(
        "no earlier year-on-year pairs of the same months to estimate it from"
    )
    sd = got.result.tables["priorities"].frame["year_sd"].dropna()
    assert len(sd) and (sd == 0.15).all()  # every measured priority took the generic default


def test_rank_names_the_pairs_it_estimated_from(extract: ca.Extract) -> None:
    got = ca.rank(extract, year="2021/22")
    # 2021/22's months, a year apart, back to the sample's first April (2010), COVID years left out.
    want = [f"{y}-04->{y + 1}-04" for y in range(2017, 2009, -1)]
    assert got.meta["history_pairs"] == want
    assert "(8 year-on-year pair(s) of the same months)" in got.meta["variance_method"]


@pytest.mark.skipif(not CITY.is_dir(), reason="../shared/data is not present")
def test_validate_json_says_rows_read_counted_and_rejected(cli) -> None:  # type: ignore[no-untyped-def]
    street = sorted(CITY.glob("*-street.csv"))
    searches = sorted(CITY.glob("*-stop-and-search.csv"))
    read, repeated = _read_and_repeated(street)
    for f in searches:
        with f.open(newline="", encoding="utf-8") as fh:
            read += sum(1 for _ in csv.DictReader(fh))
    res = cli("validate", CITY, "-f", "json")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert (doc["rows_read"], doc["rows_counted"], doc["rows_rejected"]) == (read, read - repeated, repeated)
    assert read == 31_605 and repeated == 252


# An area typed short: before, 'oadby' was answered "did you mean 'Blaby'?" and 'north' "did you mean
# 'Wandsworth'?" (closest spelling of the whole name).


def test_an_area_typed_short_suggests_the_names_it_starts(tmp_path: Path) -> None:
    areas = ["Blaby", "Oadby and Wigston", "North Kesteven", "North West Leicestershire", "Wandsworth"]
    lines = ["month,area,major,minor,count"] + [
        f"2021-0{m},{a},Burglary,Burglary,3" for a in areas for m in (4, 5)
    ]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ex = ca.load(path, cache=False)
    for typed, hint in [
        ("oadby", "did you mean 'Oadby and Wigston'?"),
        ("north", "did you mean one of 'North Kesteven', 'North West Leicestershire'?"),
        ("north west", "did you mean 'North West Leicestershire'?"),
        ("Blabby", "did you mean 'Blaby'?"),  # a misspelling still gets the closest name
    ]:
        with pytest.raises(ca.SelectionError) as err:
            ca.trend(ex, area=typed)
        assert str(err.value) == f"area '{typed}' is not in the data: {hint}"

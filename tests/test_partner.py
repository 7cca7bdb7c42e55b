"""Partner indicators beside crime, and priorities measured by an indicator or by record-level flags.

Fixtures in tests/fixtures/partner are synthetic (README there). Expected figures are computed here from
the fixture files with the csv module.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

import csp_assess as ca
from csp_assess.model import Extract, SourceFile

FIX = Path(__file__).resolve().parent / "fixtures" / "partner"
COUNTS = FIX / "counts_with_flags.csv"
INDICATORS = FIX / "indicators.csv"
PRIORITIES = FIX / "priorities.toml"
FY = {f"2021-{m:02d}" for m in range(4, 13)} | {f"2022-{m:02d}" for m in range(1, 4)}
PREV = {f"2020-{m:02d}" for m in range(4, 13)} | {f"2021-{m:02d}" for m in range(1, 4)}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def crime(months: set[str], keep=lambda r: True) -> int:  # type: ignore[no-untyped-def]
    return sum(int(r["count"]) for r in rows(COUNTS) if r["month"] in months and keep(r))


def indicator(name: str, months: set[str], area: str = "Testshire") -> int:
    return sum(
        int(r["count"])
        for r in rows(INDICATORS)
        if r["indicator"] == name and r["area"] == area and r["month"] in months
    )


@pytest.fixture
def extract() -> Extract:
    """The flagged counts table as a record-level loader gives it: flag_domestic_abuse is boolean."""
    df = pd.read_csv(COUNTS, dtype={"month": str, "flag_domestic_abuse": str})
    df["flag_domestic_abuse"] = df["flag_domestic_abuse"] == "True"
    df["month"] = pd.PeriodIndex(df["month"], freq="M")
    months = sorted(set(df["month"]))
    src = SourceFile(
        path=str(COUNTS), layout="long", scheme="custom", level="borough", encoding="utf-8",
        rows_read=len(df), rows_counted=len(df), rows_rejected=0, offences=int(df["count"].sum()),
        first_month=months[0], last_month=months[-1], scope="long", areas=["Testshire"],
        months_covered=months, months_used=months,
    )  # fmt: skip
    return Extract(counts=df, sources=[src], rejects=[], warnings=[], scheme="custom", level="borough")


def test_priorities_measured_by_indicator_and_flags(extract: Extract) -> None:
    result = ca.rank(extract, year="2021/22", priorities=PRIORITIES, indicators=INDICATORS)
    pr = result.priorities.set_index("name")
    for name in ("Arson (deliberate fires)", "Domestic abuse", "Non-domestic violence with injury"):
        assert pr.loc[name, "status"] != "not measurable"
        assert not bool(pr.loc[name, "proxy"])
    assert int(pr.loc["Arson (deliberate fires)", "count"]) == indicator("Deliberate fires", FY) == 145
    assert int(pr.loc["Arson (deliberate fires)", "previous_count"]) == indicator("Deliberate fires", PREV)
    assert (
        "source: Testshire Fire and Rescue Service (synthetic)"
        in pr.loc["Arson (deliberate fires)", "measure"]
    )
    da = crime(FY, lambda r: r["flag_domestic_abuse"] == "True")
    assert int(pr.loc["Domestic abuse", "count"]) == da
    non_da_vwi = crime(
        FY, lambda r: r["minor"] == "Violence with Injury" and r["flag_domestic_abuse"] == "False"
    )
    assert int(pr.loc["Non-domestic violence with injury", "count"]) == non_da_vwi
    assert int(pr.loc["Anti-social behaviour", "count"]) == indicator("ASB incidents", FY)
    # The crime total never includes an indicator.
    assert result.meta["total"] == crime(FY)


def test_priorities_command_says_measured() -> None:
    table = ca.priorities(PRIORITIES, scheme="custom").rows.set_index("name")
    assert set(table["status"]) == {"measured"}
    assert table.loc["Arson (deliberate fires)", "measure"] == "indicator: Deliberate fires"


def test_summary_shows_indicators_beside_crime_never_in_it(extract: Extract) -> None:
    result = ca.summary(extract, year="2021/22", indicators=INDICATORS)
    assert result.total == crime(FY)
    table = result.table("indicators").set_index("indicator")
    for name in ("Deliberate fires", "ASB incidents"):
        assert int(table.loc[name, "count"]) == indicator(name, FY)
        assert int(table.loc[name, "previous_count"]) == indicator(name, PREV)
    assert "Othershire" not in str(result.to_dict()["indicators"])
    assert any("never added to crime totals" in n for n in result.notes)


def test_quarterly_counts_an_indicator_priority(extract: Extract) -> None:
    result = ca.quarterly(extract, priorities=PRIORITIES, indicators=INDICATORS)
    rows = result.rows.set_index("priority")
    q4 = {"2022-01", "2022-02", "2022-03"}
    ago = {"2021-01", "2021-02", "2021-03"}
    assert int(rows.loc["Arson (deliberate fires)", "count"]) == indicator("Deliberate fires", q4)
    assert int(rows.loc["Arson (deliberate fires)", "year_ago_count"]) == indicator("Deliberate fires", ago)
    assert int(rows.loc["Domestic abuse", "count"]) == crime(q4, lambda r: r["flag_domestic_abuse"] == "True")
    assert int(result.table("indicators").set_index("indicator").loc["ASB incidents", "count"]) == indicator(
        "ASB incidents", q4
    )


def test_without_the_flag_column_a_flag_priority_is_not_measurable(extract: Extract) -> None:
    extract.counts = extract.counts.drop(columns=["flag_domestic_abuse"])
    pr = ca.rank(extract, year="2021/22", priorities=PRIORITIES).priorities.set_index("name")
    assert pr.loc["Domestic abuse", "status"] == "not measurable"
    assert "flag_domestic_abuse is not in this extract" in pr.loc["Domestic abuse", "reason"]
    assert "not loaded" in pr.loc["Arson (deliberate fires)", "reason"]  # no --indicators given


def test_cli_indicators_with_mapping_and_rejects(cli) -> None:  # type: ignore[no-untyped-def]
    bad = FIX / "indicators_bad.csv"
    run = cli("summary", "data/sample_offences.csv", "--indicators", bad, "--year", "2021/22")
    assert run.code == 1
    assert run.err.strip().startswith("Error: no area column in the partner indicators file")
    assert '--indicator-map area="<column>"' in run.err and "indicators_bad.csv:1" in run.err
    maps = ["--indicator-map", "month=Period", "--indicator-map", "area=Place", "--indicator-map",
            "indicator=Measure", "--indicator-map", "count=Value"]  # fmt: skip
    run = cli("summary", "data/sample_offences.csv", "--indicators", bad, *maps, "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    src = [s for s in doc["sources"] if s["layout"] == "partner-indicators"][0]
    assert (src["rows_read"], src["rows_counted"], src["rows_rejected"]) == (4, 1, 3)
    reasons = [w for w in doc["warnings"] if w.startswith("partner indicators: rejected")]
    assert [w.split("indicators_bad.csv:")[1].split(":")[0] for w in reasons] == ["3", "4", "5"]
    assert "is negative" in reasons[1] and "blank area" in reasons[2]


def test_validate_reports_a_partner_indicators_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fires.csv"
    path.write_text(
        "month,area,indicator,count\n2021-04,Testshire,Deliberate fires,4\n2021-05,Testshire,Deliberate fires,x\n",
        encoding="utf-8",
    )
    run = cli("validate", path, INDICATORS, "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    files = {Path(f["path"]).name: f for f in doc["files"]}
    assert files["fires.csv"]["layout"] == "partner-indicators"
    assert (
        files["fires.csv"]["rows_read"],
        files["fires.csv"]["rows_counted"],
        files["fires.csv"]["rows_rejected"],
    ) == (2, 1, 1)
    assert doc["rejects"] == [
        {"file": str(path), "line": 3, "reason": "column 'count': count 'x' is not a number"}
    ]
    assert (
        files["indicators.csv"]["rows_read"]
        == len(rows(INDICATORS))
        == files["indicators.csv"]["rows_counted"]
    )

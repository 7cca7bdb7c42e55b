"""trend: the series by month/quarter/year, sparkline, minor breakdown, top wards."""

from __future__ import annotations

import json
from pathlib import Path

from csp_assess.render.sparkline import sparkline
from independent import fy_totals_met_wide, met_wide_monthly

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample_offences.csv"
WARD = REPO / "tests" / "fixtures" / "met_ward_excerpt.csv"
AREA = "Barking and Dagenham"


def run_json(cli, *args):  # type: ignore[no-untyped-def]
    run = cli("trend", *args, "--format", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


def test_sparkline() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([0, None, 10]) == "▁ █"
    assert sparkline([5, 5]) == "▄▄"
    assert sparkline([]) == ""


def test_category_by_year_matches_oracle(cli) -> None:  # type: ignore[no-untyped-def]
    obj = run_json(cli, SAMPLE, "--category", "burglary", "--by", "year")
    assert obj["subject"] == "Burglary"
    oracle = fy_totals_met_wide([SAMPLE], AREA)
    rows = {r["period"][:7]: r for r in obj["rows"]}
    for fy in ("2015/16", "2019/20", "2021/22"):
        want = sum(c for (label, major, _), c in oracle.items() if label == fy and major == "Burglary")
        assert rows[fy]["count"] == want and rows[fy]["complete"] is True
    last = obj["rows"][-1]
    assert last["complete"] is False and "partial" in last["period"] and "11 of 12" in last["period"]
    assert len(obj["sparkline"]) == sum(1 for r in obj["rows"] if r["complete"])
    assert {r["category"] for r in obj["by_minor"]} == {
        "Domestic Burglary",
        "Burglary Business and Community",
    }
    assert sum(r["count"] for r in obj["by_minor"]) == rows["2021/22"]["count"]


def test_quarters_are_financial(cli) -> None:  # type: ignore[no-untyped-def]
    obj = run_json(cli, SAMPLE, "--by", "quarter")
    q1 = next(r for r in obj["rows"] if r["period"] == "2021/22 Q1")
    assert (q1["first_month"], q1["last_month"]) == ("2021-04", "2021-06")
    year = sum(r["count"] for r in obj["rows"] if r["period"].startswith("2021/22 Q"))
    assert year == 20_516
    monthly = met_wide_monthly([SAMPLE], AREA)
    assert q1["count"] == sum(c for (m, _, _), c in monthly.items() if "202104" <= m <= "202106")


def test_ward_deep_dive_with_priority(cli) -> None:  # type: ignore[no-untyped-def]
    obj = run_json(
        cli, WARD, "--priority", "violence against women and girls", "--by", "quarter", "--top", "5"
    )
    assert obj["subject"] == "Violence Against Women and Girls"
    assert obj["subarea_level"] == "ward"
    assert len(obj["top_subareas"]) == 5
    counts = [r["count"] for r in obj["top_subareas"]]
    assert counts == sorted(counts, reverse=True)
    assert any("proxy" in w for w in obj["warnings"])
    assert obj["rows"][0]["complete"] is False  # Feb-Mar 2022 only


def test_errors(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("trend", SAMPLE, "--category", "Burglery")
    assert run.code == 1 and "did you mean" in run.err
    assert cli("trend", SAMPLE, "--priority", "No Such Priority").code == 1
    assert cli("trend", SAMPLE, "--priority", "Adult and Juvenile Reoffending").code == 1
    assert cli("trend", SAMPLE, "--by", "week").code == 2
    assert cli("trend", SAMPLE, "--category", "Theft", "--priority", "Arson").code != 0
    assert cli("trend", SAMPLE, "--format", "markdown").code == 0

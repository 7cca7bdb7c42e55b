"""summary: headline totals and changes, by major category, partial periods, rates and borough context."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from csp_assess.analysis.rates import is_pseudo_area, per_thousand
from csp_assess.analysis.summary import build_summary, resolve_window
from csp_assess.model import ASB_MAJOR, Extract, SourceFile
from independent import fy_total, fy_totals_met_wide, met_wide_monthly

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample_offences.csv"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
AREA = "Barking and Dagenham"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not present")
CONTRACT = {
    "area",
    "year",
    "previous_year",
    "total",
    "previous_total",
    "change",
    "change_pct",
    "by_major",
    "sources",
    "warnings",
}


def as_json(cli, *args):  # type: ignore[no-untyped-def]
    run = cli("summary", *args, "--format", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


def test_headline_from_sample(cli) -> None:  # type: ignore[no-untyped-def]
    obj = as_json(cli, SAMPLE, "--year", "2021/22")
    assert set(obj) >= CONTRACT
    assert obj["area"] == AREA
    assert obj["year"] == "2021/22"
    assert obj["previous_year"] == "2020/21"
    assert obj["total"] == 20_516
    assert obj["previous_total"] == 18_568
    assert obj["change"] == 1_948
    assert obj["change_pct"] == 10.5
    assert obj["year_complete"] is True
    assert "up 1,948 (+10.5%) on 2020/21" in obj["headline"]
    assert obj["sources"][0]["path"].endswith("sample_offences.csv")
    assert isinstance(obj["warnings"], list)
    rows = obj["by_major"]
    assert set(rows[0]) >= {"category", "count", "previous_count", "change", "change_pct"}
    assert sum(r["count"] for r in rows) == 20_516
    assert sum(r["previous_count"] for r in rows) == 18_568


def test_by_major_matches_independent_oracle(cli) -> None:  # type: ignore[no-untyped-def]
    obj = as_json(cli, SAMPLE, "--year", "2021/22")
    oracle = fy_totals_met_wide([SAMPLE], AREA)
    for row in obj["by_major"]:
        now = sum(c for (fy, major, _), c in oracle.items() if fy == "2021/22" and major == row["category"])
        prev = sum(c for (fy, major, _), c in oracle.items() if fy == "2020/21" and major == row["category"])
        assert (row["count"], row["previous_count"], row["change"]) == (now, prev, now - prev)
        assert row["change_pct"] == round((now - prev) / prev * 100, 1)


def test_default_year_is_latest_complete(cli) -> None:  # type: ignore[no-untyped-def]
    obj = as_json(cli, SAMPLE)
    assert obj["year"] == "2021/22"


def test_partial_year_is_labelled_and_compared_like_for_like(cli) -> None:  # type: ignore[no-untyped-def]
    obj = as_json(cli, SAMPLE, "--year", "2022/23")
    assert "partial" in obj["year"] and "11 of 12" in obj["year"]
    assert obj["year_complete"] is False
    assert "same months" in obj["previous_year"]
    monthly = met_wide_monthly([SAMPLE], AREA)
    ytd = sum(c for (m, _, _), c in monthly.items() if "202204" <= m <= "202302")
    prev = sum(c for (m, _, _), c in monthly.items() if "202104" <= m <= "202202")
    assert (obj["total"], obj["previous_total"]) == (ytd, prev)
    assert any("partial" in w for w in obj["warnings"])


def test_ytd_and_rolling12(cli) -> None:  # type: ignore[no-untyped-def]
    monthly = met_wide_monthly([SAMPLE], AREA)
    ytd = as_json(cli, SAMPLE, "--period", "ytd")
    assert ytd["period"] == "ytd"
    assert "year to date" in ytd["year"] and "partial" in ytd["year"]
    assert ytd["total"] == sum(c for (m, _, _), c in monthly.items() if "202204" <= m <= "202302")
    roll = as_json(cli, SAMPLE, "--period", "rolling12")
    assert roll["year"].startswith("12 months to Feb 2023") and "rolling" in roll["year"]
    assert roll["year_complete"] is False
    assert roll["total"] == sum(c for (m, _, _), c in monthly.items() if "202203" <= m <= "202302")
    assert roll["previous_total"] == sum(c for (m, _, _), c in monthly.items() if "202103" <= m <= "202202")
    # a complete year asked for as year-to-date is the whole year, said so
    whole = as_json(cli, SAMPLE, "--period", "ytd", "--year", "2021/22")
    assert whole["total"] == 20_516 and "whole year" in whole["year"]


def test_window_rejects_year_with_rolling() -> None:
    months = list(pd.period_range("2019-04", "2021-03", freq="M"))
    with pytest.raises(Exception, match="rolling12"):
        resolve_window("rolling12", "2020/21", months, 4)
    win, warnings = resolve_window("ytd", "2020/21", months[:15], 4)
    assert len(win.period.months) == 3 and warnings  # three months: flagged unreliable


def test_population_rate(cli) -> None:  # type: ignore[no-untyped-def]
    obj = as_json(cli, SAMPLE, "--population", "218,900")
    assert obj["population"] == 218_900
    assert obj["rate_per_1000"] == round(20_516 / 218_900 * 1000, 2)
    assert per_thousand(5, 0) is None


def test_errors_and_formats(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("summary", SAMPLE, "--area", "Nowhere").code == 1
    assert cli("summary", SAMPLE, "--year", "2030/31").code == 1
    assert cli("summary", SAMPLE, "--period", "weekly").code == 2
    assert cli("summary", tmp_path / "missing.csv").code == 1
    run = cli("summary", SAMPLE, "--format", "csv")
    assert run.code == 0 and run.out.lstrip("\ufeff").startswith("category,count,previous_count")
    run = cli("summary", SAMPLE, "--format", "markdown")
    assert run.code == 0 and "20,516" in run.out
    out = tmp_path / "s.json"
    assert cli("summary", SAMPLE, "--output", out).code == 0
    assert json.loads(out.read_text())["total"] == 20_516


def _extract(counts: pd.DataFrame) -> Extract:
    months = sorted(counts["month"].unique())
    src = SourceFile("x.csv", "long", "custom", "borough", "utf-8", 1, 1, 0, 0, months[0], months[-1], "x")
    src.months_used = list(months)
    return Extract(counts, [src], [], [], "custom", "borough")


def test_asb_is_kept_apart() -> None:
    months = pd.period_range("2020-04", "2022-03", freq="M")
    rows = []
    for m in months:
        rows.append({"area": "X", "month": m, "major": "Burglary", "minor": "Burglary", "count": 2})
        rows.append({"area": "X", "month": m, "major": ASB_MAJOR, "minor": ASB_MAJOR, "count": 100})
    counts = pd.DataFrame(rows)
    counts["month"] = counts["month"].astype("period[M]")
    result = build_summary(_extract(counts))
    assert result.meta["total"] == 24
    assert result.meta["asb_incidents"] == 1200
    assert "asb" in result.tables
    assert ASB_MAJOR not in set(result.tables["by_major"].frame["category"])


@needs_shared
def test_public_files_agree_with_oracle_and_rank_boroughs(cli) -> None:  # type: ignore[no-untyped-def]
    files = [
        SHARED / "mps_borough_historical_oldcats_201004_202201.csv",
        SHARED / "mps_borough_24m_oldcats_202103_202302.csv",
    ]
    obj = as_json(cli, *files, "--area", AREA, "--year", "2021/22")
    assert obj["total"] == fy_total(files, AREA, "2021/22")
    assert obj["previous_total"] == fy_total(files, AREA, "2020/21")
    assert obj["boroughs_ranked"] == 32
    assert "London Heathrow and London City Airports" in obj["excluded_from_rank"]
    assert 1 <= obj["rank_among_boroughs"] <= 32
    areas = {row["area"] for row in obj["boroughs"]}
    assert obj["all_areas_total"] == sum(fy_total(files, a, "2021/22") for a in areas)
    airport = next(r for r in obj["boroughs"] if r["area"].startswith("London Heathrow"))
    assert airport["rank"] is None and airport["ranked"] is False
    assert is_pseudo_area("Aviation Security (SO18)") and is_pseudo_area("unknown")


@needs_shared
def test_population_csv_rank_by_rate(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = [SHARED / "mps_borough_24m_oldcats_202103_202302.csv"]
    pops = tmp_path / "pop.csv"
    pops.write_text("area,population\nBarking and Dagenham,218900\nCamden,210100\nWestminster,204300\n")
    obj = as_json(cli, *files, "--area", AREA, "--year", "2021/22", "--population", pops)
    assert obj["rate_per_1000"] == round(obj["total"] / 218_900 * 1000, 2)
    assert obj["rate_rank_among_boroughs"] in (1, 2, 3)
    assert any("no population" in w for w in obj["warnings"])

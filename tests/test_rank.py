"""`csp-assess rank` end to end on the bundled sample: figures checked against independent counts."""

from __future__ import annotations

import csv
import io
import json

import pytest
from tests.conftest import FIXTURES, SAMPLE, shared
from tests.independent import fy_total, fy_totals_met_wide

ROW_KEYS = {
    "rank",
    "major",
    "category",
    "count",
    "previous_count",
    "change",
    "change_pct",
    "baseline_count",
    "baseline_change_pct",
    "harm",
    "cost_gbp",
    "score",
}
PRIORITY_KEYS = {"name", "class", "status", "measure", "proxy", "count", "change_pct", "reason"}
DEFAULT_PRIORITIES = [
    "Violence Against Women and Girls",
    "Gun Crime",
    "Hate Crime",
    "Knife Crime",
    "Sexual Offences",
    "Anti-Social Behaviour",
    "Non-Domestic Abuse Violence With Injury",
    "Robbery of Personal Property",
    "Adult and Juvenile Reoffending",
    "Arson",
]


@pytest.fixture
def sample_json(cli):  # type: ignore[no-untyped-def]
    run = cli("rank", SAMPLE, "--format", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


def test_json_contract(sample_json: dict) -> None:
    for key in (
        "area",
        "year",
        "previous_year",
        "baseline",
        "level",
        "harm_index",
        "rows",
        "priorities",
        "sources",
        "warnings",
    ):
        assert key in sample_json
    assert sample_json["area"] == "Barking and Dagenham"
    assert sample_json["year"] == "2021/22"  # latest complete year: the sample ends in Feb 2023
    assert sample_json["previous_year"] == "2020/21"
    assert sample_json["baseline"] == "2019/20"
    assert sample_json["level"] == "minor"
    assert sample_json["harm_index"] == "cchi"
    assert all(set(r) >= ROW_KEYS for r in sample_json["rows"])
    assert all(set(p) >= PRIORITY_KEYS for p in sample_json["priorities"])


def test_totals_agree_with_independent_count_of_the_sources(sample_json: dict) -> None:
    rows = sample_json["rows"]
    total = sum(r["count"] for r in rows)
    assert total == fy_total([SAMPLE], "Barking and Dagenham", "2021/22") == 20516
    assert (
        sum(r["previous_count"] for r in rows)
        == fy_total([SAMPLE], "Barking and Dagenham", "2020/21")
        == 18568
    )
    assert sum(r["baseline_count"] for r in rows) == fy_total([SAMPLE], "Barking and Dagenham", "2019/20")
    oracle = fy_totals_met_wide([SAMPLE], "Barking and Dagenham")
    for r in rows:
        assert r["count"] == oracle.get(("2021/22", r["major"], r["category"]), 0), r["category"]


def test_sample_matches_the_two_source_files_it_was_built_from(cli) -> None:  # type: ignore[no-untyped-def]
    hist = shared("mps_borough_historical_oldcats_201004_202201.csv")
    recent = shared("mps_borough_24m_oldcats_202103_202302.csv")
    run = cli("rank", hist, recent, "--area", "barking and dagenham", "--format", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert sum(r["count"] for r in data["rows"]) == fy_total(
        [hist, recent], "Barking and Dagenham", "2021/22"
    )
    # The newer snapshot supplied Mar 2021 - Feb 2023; the historical one is superseded there, and says so.
    by_path = {s["path"]: s for s in data["sources"]}
    assert by_path[str(hist)]["superseded"][0]["by"] == str(recent)
    assert by_path[str(hist)]["superseded"][0]["months"] == 11
    assert any("taken from the newer snapshot" in w for w in data["warnings"])


def test_harm_cost_and_score_are_computed_as_documented(sample_json: dict) -> None:
    rows = {r["category"]: r for r in sample_json["rows"]}
    vwi = rows["Violence with Injury"]
    # CCHI subgroup median for violence with injury is 365 days; HO unit cost 14,050 (2015/16 prices).
    assert vwi["harm"] == vwi["count"] * 365
    assert vwi["cost_gbp"] == vwi["count"] * 14050
    # Score: mean of the category's shares of the year's volume, harm and cost (equal weights).
    rows_l = sample_json["rows"]
    tv = sum(r["count"] for r in rows_l)
    th = sum(r["harm"] for r in rows_l if r["harm"] is not None)
    tc = sum(r["cost_gbp"] for r in rows_l if r["cost_gbp"] is not None)
    expected = (vwi["count"] / tv + vwi["harm"] / th + vwi["cost_gbp"] / tc) / 3 * 100
    assert vwi["score"] == pytest.approx(expected, abs=0.01)
    # A category with no cost weight is scored on volume and harm only, and says so.
    shop = rows["Shoplifting"]
    assert shop["cost_gbp"] is None and shop["cost_status"] == "unknown"
    assert shop["score"] == pytest.approx((shop["count"] / tv + shop["harm"] / th) / 2 * 100, abs=0.01)
    scores = [r["score"] for r in rows_l]
    assert scores == sorted(scores, reverse=True)
    assert [r["rank"] for r in rows_l] == list(range(1, len(rows_l) + 1))


def test_change_figures(sample_json: dict) -> None:
    for r in sample_json["rows"]:
        assert r["change"] == r["count"] - r["previous_count"]
        if r["previous_count"]:
            assert r["change_pct"] == round((r["count"] - r["previous_count"]) / r["previous_count"] * 100, 1)
        else:
            assert r["change_pct"] is None  # never an infinite percentage


def test_default_priorities_listed_with_reasons(sample_json: dict) -> None:
    pri = sample_json["priorities"]
    named = [p["name"] for p in pri if p["class"] != "candidate"]
    assert named == DEFAULT_PRIORITIES
    by = {p["name"]: p for p in pri}
    assert all(p["reason"] for p in pri)
    assert by["Anti-Social Behaviour"]["status"] == "not measurable"
    assert by["Adult and Juvenile Reoffending"]["status"] == "not measurable"
    assert by["Knife Crime"]["proxy"] is True and "blade" in by["Knife Crime"]["reason"]
    assert by["Sexual Offences"]["proxy"] is False
    rows = {r["category"]: r for r in sample_json["rows"]}
    assert by["Sexual Offences"]["count"] == rows["Rape"]["count"] + rows["Other Sexual Offences"]["count"]
    assert by["Arson"]["count"] == rows["Arson"]["count"]
    assert by["Robbery of Personal Property"]["status"].startswith("remain")
    assert any(p["class"] == "candidate" for p in pri)


def test_output_is_deterministic_and_csv_has_bom(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert cli("rank", SAMPLE, "--output", a).code == 0
    assert cli("rank", SAMPLE, "--output", b).code == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(a.read_text(encoding="utf-8-sig"))))
    assert sum(int(r["count"]) for r in rows) == 20516
    j1, j2 = cli("rank", SAMPLE, "-f", "json").out, cli("rank", SAMPLE, "-f", "json").out
    assert j1 == j2


def test_partial_year_only_when_asked_and_labelled(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("rank", SAMPLE, "--year", "2022/23", "-f", "json")
    assert run.code == 0
    data = json.loads(run.out)
    assert "partial" in data["year"] and "11 of 12" in data["year"]
    assert data["year_complete"] is False
    # Compared like for like: Apr-Feb of 2021/22, not the whole year.
    apr_feb = fy_total([SAMPLE], "Barking and Dagenham", "2021/22") - _march_2022_total()
    assert sum(r["previous_count"] for r in data["rows"]) == apr_feb


def _march_2022_total() -> int:
    with SAMPLE.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        col = header.index("202203")
        return sum(int(row[col]) for row in reader)


def test_level_major_sums_minors(cli, sample_json: dict) -> None:  # type: ignore[no-untyped-def]
    run = cli("rank", SAMPLE, "--level", "major", "-f", "json")
    major = {r["category"]: r for r in json.loads(run.out)["rows"]}
    minors = [r for r in sample_json["rows"] if r["major"] == "Theft"]
    assert major["Theft"]["count"] == sum(r["count"] for r in minors)
    assert major["Violence Against the Person"]["harm"] == pytest.approx(
        sum(r["harm"] for r in sample_json["rows"] if r["major"] == "Violence Against the Person"), abs=0.01
    )


def test_errors_are_one_line_with_exit_codes(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = cli("rank", tmp_path / "missing.csv")
    assert run.code == 1
    assert run.err.startswith("Error: ") and run.err.count("\n") == 1 and "missing.csv" in run.err
    assert "Traceback" not in run.err
    assert cli("rank", SAMPLE, "--level", "bogus").code == 2
    assert cli("rank", SAMPLE, "--year", "2030/31").code == 1


def test_several_areas_need_area_and_near_miss_is_suggested(cli) -> None:  # type: ignore[no-untyped-def]
    f = FIXTURES / "met_old_excerpt.csv"
    run = cli("rank", f)
    assert run.code == 1 and "--area" in run.err and "Barnet" in run.err and "Barking and Dagenham" in run.err
    run = cli("rank", f, "--area", "Barking & Dagenham")
    assert run.code == 1 and "did you mean 'Barking and Dagenham'" in run.err
    run = cli("rank", f, "--area", "BARNET", "-f", "json", "--year", "2021/22")
    assert run.code == 0 and json.loads(run.out)["area"] == "Barnet"
    both = json.loads(cli("rank", f, "--area", "all", "-f", "json", "--year", "2021/22").out)
    bd = json.loads(cli("rank", f, "--area", "barking and dagenham", "-f", "json", "--year", "2021/22").out)
    barnet = json.loads(run.out)
    assert sum(r["count"] for r in both["rows"]) == sum(r["count"] for r in bd["rows"]) + sum(
        r["count"] for r in barnet["rows"]
    )

"""baseline: categories against the pre-COVID baseline (one year or a mean) and a trend-projected count."""

from __future__ import annotations

import json
from pathlib import Path

from independent import fy_totals_met_wide

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample_offences.csv"
AREA = "Barking and Dagenham"
ROW_KEYS = {
    "category",
    "count",
    "baseline_count",
    "change",
    "change_pct",
    "above_baseline",
    "expected",
    "expected_low",
    "expected_high",
}


def run_json(cli, *args):  # type: ignore[no-untyped-def]
    run = cli("baseline", SAMPLE, *args, "--format", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


def major_totals(fy: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for (label, major, _), c in fy_totals_met_wide([SAMPLE], AREA).items():
        if label == fy:
            out[major] = out.get(major, 0) + c
    return out


def test_published_finding_below_2019_20(cli) -> None:  # type: ignore[no-untyped-def]
    obj = run_json(cli, "--year", "2021/22", "--baseline", "2019/20")
    assert {"area", "year", "baseline", "level", "rows", "below_baseline"} <= set(obj)
    assert obj["baseline"] == "2019/20" and obj["level"] == "major"
    # The 2022 strategic assessment: all major types above pre-COVID except these four.
    assert obj["below_baseline"] == ["Burglary", "Robbery", "Theft", "Vehicle Offences"]
    assert "except Burglary, Robbery, Theft and Vehicle Offences" in obj["headline"]
    now, base = major_totals("2021/22"), major_totals("2019/20")
    for row in obj["rows"]:
        assert set(row) >= ROW_KEYS
        assert row["count"] == now[row["category"]]
        assert row["baseline_count"] == base[row["category"]]
        assert row["above_baseline"] == (row["count"] > row["baseline_count"])
        assert row["change_pct"] == round(
            (row["count"] - row["baseline_count"]) / row["baseline_count"] * 100, 1
        )
        assert row["expected_low"] <= row["expected"] <= row["expected_high"]
        assert row["model"] == "trend+season"


def test_baseline_range_is_a_mean(cli) -> None:  # type: ignore[no-untyped-def]
    obj = run_json(cli, "--year", "2021/22", "--baseline", "2017/18-2019/20")
    assert obj["baseline"] == "2017/18-2019/20"
    years = [major_totals(fy) for fy in ("2017/18", "2018/19", "2019/20")]
    for row in obj["rows"]:
        mean = sum(y.get(row["category"], 0) for y in years) / 3
        assert row["baseline_count"] == round(mean, 1)


def test_minor_level_and_sparse_categories(cli) -> None:  # type: ignore[no-untyped-def]
    obj = run_json(cli, "--level", "minor")
    assert obj["level"] == "minor"
    assert sum(r["count"] for r in obj["rows"]) == 20_516
    sparse = [r for r in obj["rows"] if r["expected"] is None]
    assert sparse and all(r["model"].startswith("not fitted") for r in sparse if r["model"])
    # A category equal to its baseline is not "below" it.
    level = [r["category"] for r in obj["rows"] if r["count"] == r["baseline_count"]]
    assert not set(level) & set(obj["below_baseline"])


def test_partial_year_uses_same_months(cli) -> None:  # type: ignore[no-untyped-def]
    obj = run_json(cli, "--year", "2022/23")
    assert "same 11 months" in obj["baseline"]
    assert any("partial" in w for w in obj["warnings"])


def test_errors(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("baseline", SAMPLE, "--baseline", "2001/02").code == 1
    assert cli("baseline", SAMPLE, "--baseline", "2019").code == 2  # ambiguous: usage
    assert cli("baseline", SAMPLE, "--level", "tiny").code == 2


def test_area_with_no_fittable_category_is_not_an_internal_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Issue #11: the airports in the new-category file have (almost) no offences before 2019, so no category
    # could be fitted and the table lost its expected_* columns (KeyError: 'expected_low').
    months = [f"{y}{m:02d}" for y in range(2013, 2020) for m in range(1, 13)]
    months = [m for m in months if "201304" <= m <= "201903"]
    lines = ["MajorText,MinorText,BoroughName," + ",".join(months)]
    lines.append("THEFT,OTHER THEFT,Quiet Airport," + ",".join("1" if m == "201811" else "0" for m in months))
    lines.append("THEFT,OTHER THEFT,Busy Borough," + ",".join("100" for _ in months))
    path = tmp_path / "two_areas.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = cli(
        "baseline",
        path,
        "--area",
        "Quiet Airport",
        "--year",
        "2018/19",
        "--baseline",
        "2013/14-2017/18",
        "--level",
        "minor",
        "--format",
        "json",
    )
    assert run.code == 0, run.err
    obj = json.loads(run.out)
    (row,) = obj["rows"]
    assert (row["count"], row["baseline_count"]) == (1, 0.0)
    assert row["expected"] is None and row["expected_low"] is None
    assert row["model"] == "not fitted (under 10 offences)"
    empty = cli(
        "baseline",
        path,
        "--area",
        "Quiet Airport",
        "--year",
        "2017/18",
        "--baseline",
        "2013/14-2016/17",
        "--level",
        "minor",
        "--format",
        "json",
    )
    assert empty.code == 0, empty.err
    assert (
        "recorded no offences in the year or the 2013/14-2016/17 baseline"
        in json.loads(empty.out)["headline"]
    )


def test_baseline_states_the_year_variance_it_used(cli) -> None:  # type: ignore[no-untyped-def]
    obj = run_json(cli, "--year", "2018/19", "--baseline", "2015/16-2017/18")
    theft = obj["year_variance"]["Theft"]
    # One area, whole pre-COVID years before 2018/19: 2010/11 -> 2017/18 gives 7 pairs.
    assert (theft["pairs"], theft["areas"]) == (7, 1)
    assert "shrunk toward MPS borough file" in theft["basis"]
    assert obj["variance_method"].startswith("Changes are tested against counting noise plus each category")
    assert "shrunk toward the packaged table" in obj["variance_method"]

"""Theme packs: the VAWG pack from the sample carries the same figures as rank, trend --priority and
quarterly (figure by figure, through the API), its counts match an independent sum of the raw file, and
groups count each offence once."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from tests.conftest import SAMPLE
from tests.independent import met_wide_monthly

import csp_assess as ca

VAWG = "Violence Against Women and Girls"
AREA = "Barking and Dagenham"


def _fy(month: str) -> str:
    y, m = int(month[:4]), int(month[4:])
    s = y if m >= 4 else y - 1
    return f"{s}/{(s + 1) % 100:02d}"


def _raw(pred) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Independent yearly totals of the raw sample for categories where pred(major, minor) holds."""
    out: dict[str, int] = {}
    for (month, major, minor), n in met_wide_monthly([SAMPLE], AREA).items():
        if pred(major, minor):
            out[_fy(month)] = out.get(_fy(month), 0) + n
    return out


@pytest.fixture(scope="module")
def extract() -> ca.Extract:
    return ca.load([SAMPLE], cache=False)


@pytest.fixture(scope="module")
def vawg(extract: ca.Extract) -> ca.ThemeResult:
    return ca.theme_pack(extract, theme=VAWG)


def _same(a: object, b: object) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NA:
        return b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NA
    return a == b


def test_vawg_headline_is_ranks_priority_row(vawg: ca.ThemeResult, extract: ca.Extract) -> None:
    row = ca.rank(extract).priorities.set_index("name").loc[VAWG]
    h = vawg.data.headline
    assert h.count == row["count"] == 692
    assert h.previous_count == row["previous_count"] == 562
    assert h.change == 692 - 562
    assert h.change_pct == row["change_pct"] == 23.1
    # 562 -> 692 (+23.1%) is within VAWG's usual year-to-year range once year-level variation is allowed
    # for (rank's calibrated test; the Poisson-only test called it "rising")
    assert h.direction == row["direction"] == "within usual range"
    assert h.p_adjusted == row["p_adjusted"] and h.p_adjusted > 0.05
    assert h.baseline_count == row["baseline_count"] and h.baseline_change_pct == row["baseline_change_pct"]
    raw = _raw(lambda major, minor: major == "Sexual Offences")  # the met-old measure of VAWG
    assert (raw["2021/22"], raw["2020/21"], raw["2019/20"]) == (692, 562, h.baseline_count)
    # The members table is rank's row, every column.
    members = vawg.rows.set_index("name").loc[VAWG]
    for col in vawg.rows.columns.drop("name"):
        assert _same(members[col], row[col]), col


def test_vawg_series_breakdown_and_years_are_trends(vawg: ca.ThemeResult, extract: ca.Extract) -> None:
    monthly = ca.trend(extract, priority=VAWG)
    assert vawg.data.monthly.tolist() == monthly.rows["count"].astype(float).tolist()
    assert [str(m) for m in vawg.data.monthly.index] == monthly.rows["period"].tolist()
    assert monthly.meta["year_total"] == vawg.data.headline.count
    mine, theirs = vawg.data.breakdown.frame, monthly.table("by_minor")
    for col in ("category", "count", "previous_count", "change", "change_pct", "significant", "p_adjusted"):
        pd.testing.assert_series_equal(mine[col], theirs[col], check_dtype=False)
    yearly = ca.trend(extract, priority=VAWG, by="year").rows
    for col in ("period", "count", "previous_count", "change", "change_pct"):
        pd.testing.assert_series_equal(vawg.data.years.frame[col], yearly[col], check_dtype=False)
    raw = _raw(lambda major, minor: major == "Sexual Offences")
    by_year = dict(zip(yearly["period"], yearly["count"], strict=True))
    assert by_year["2015/16"] == raw["2015/16"] and by_year["2021/22"] == raw["2021/22"]


def test_vawg_quarterly_is_quarterlys_row(vawg: ca.ThemeResult, extract: ca.Extract) -> None:
    q = ca.quarterly(extract).rows.set_index("priority").loc[VAWG]
    mine = vawg.data.quarterly.frame.set_index("priority").loc[VAWG]
    for col in q.index:  # every column of quarterly's rows (contract and detail)
        assert _same(mine[col], q[col]), col
    # 2022/23 Q3 (Oct-Dec 2022) against a year earlier, summed independently from the raw file.
    quarter = {"202210", "202211", "202212"}
    year_ago = {"202110", "202111", "202112"}
    cells = met_wide_monthly([SAMPLE], AREA)
    assert mine["count"] == sum(
        n for (m, ma, _), n in cells.items() if ma == "Sexual Offences" and m in quarter
    )
    assert mine["year_ago_count"] == sum(
        n for (m, ma, _), n in cells.items() if ma == "Sexual Offences" and m in year_ago
    )


def test_vawg_html_shows_the_figures(vawg: ca.ThemeResult, tmp_path: Path) -> None:
    out = vawg.write(tmp_path / "vawg.html")
    html = out.read_text(encoding="utf-8")
    for sid in ("headline", "counts", "series", "season", "categories", "places", "quarterly", "methods"):
        assert f'<section id="{sid}">' in html
    assert (
        "In 2021/22 there were 692 Violence Against Women and Girls offences in Barking and Dagenham, up 130 "
        "(+23.1%) on 2020/21 (562): within its usual year-to-year range on last year" in html
    )
    q = vawg.data.quarterly.frame.iloc[0]
    assert f">{int(q['count']):,}<" in html and f">{int(q['year_ago_count']):,}<" in html
    assert "The extract has no ward or LSOA column" in html  # the sample is borough-level


def test_a_group_counts_each_offence_once(extract: ca.Extract) -> None:
    sv = ca.theme_pack(extract, theme="serious violence")  # case-insensitive
    assert sv.data.theme.name == "Serious violence"
    assert [p.name for p in sv.data.theme.members] == [
        "Gun Crime",
        "Knife Crime",
        "Non-Domestic Abuse Violence With Injury",
    ]
    minors = {
        "Possession of Firearms Offences",
        "Possession of Firearm with Intent",
        "Other Firearm Offences",
        "Possession of Article with Blade or Point",
        "Other Knife Offences",
        "Violence with Injury",
    }
    raw = _raw(lambda major, minor: minor in minors)
    h = sv.data.headline
    assert (h.count, h.previous_count) == (raw["2021/22"], raw["2020/21"]) == (2207, 2010)
    assert h.baseline_count == raw["2019/20"]
    # Each member's row is rank's own, and their counts add up (their categories do not overlap).
    pri = ca.rank(extract).priorities.set_index("name")
    assert sv.rows["count"].tolist() == [pri.loc[n, "count"] for n in sv.rows["name"]]
    assert sum(sv.rows["count"]) == h.count
    # The group's quarterly row leads, then quarterly's own rows for the members.
    q = sv.data.quarterly.frame
    assert q["priority"].tolist() == [
        "Serious violence",
        "Gun Crime",
        "Knife Crime",
        "Non-Domestic Abuse Violence With Injury",
    ]
    assert q["count"].iloc[0] == q["count"].iloc[1:].sum()
    # VAWG and Sexual Offences both count all sexual offences here: the group counts them once.
    ws = ca.theme_pack(extract, theme="Women's safety")
    assert ws.data.headline.count == 692


def test_unknown_theme_is_a_one_line_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("report", SAMPLE, "--theme", "Burglary plus", "-o", tmp_path / "x.html")
    assert r.code == 1
    assert r.err.startswith(
        "Error: theme 'Burglary plus' is neither a priority nor a named theme; themes: Serious violence"
    )
    assert len(r.err.strip().splitlines()) == 1
    assert not (tmp_path / "x.html").exists()


def test_not_measurable_theme_says_why(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("report", SAMPLE, "--theme", "Anti-Social Behaviour", "-o", tmp_path / "x.html")
    assert r.code == 1
    assert "not measurable from this extract" in r.err and "anti-social behaviour incidents" in r.err


def test_markdown_pack_links_chart_files_beside_it(vawg: ca.ThemeResult, tmp_path: Path) -> None:
    md = vawg.write(tmp_path / "vawg.md").read_text(encoding="utf-8")
    assert "data:image" not in md
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert links == ["vawg_charts/01-series.svg"]
    svg = (tmp_path / links[0]).read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg
    assert (
        "| Violence Against Women and Girls | mandatory | remain | 692 | 562 | +23.1% | within usual range |"
        in md
    )


def test_excel_pack_has_the_sheets(vawg: ca.ThemeResult, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(vawg.write(tmp_path / "vawg.xlsx"))
    assert wb.sheetnames[:6] == [
        "Headline",
        "Priorities",
        "Monthly",
        "Year by year",
        "Season",
        "By minor category",
    ]
    head = {r[0]: r[1] for r in wb["Headline"].iter_rows(min_row=2, values_only=True)}
    assert (
        head["Offences"] == 692
        and head["Offences 2020/21"] == 562
        and head["Direction"] == "within usual range"
    )


def test_places_are_trends_top_wards(tmp_path: Path) -> None:
    import csv

    from tests.conftest import FIXTURES

    wards = FIXTURES / "met_ward_excerpt.csv"
    pack = ca.theme_pack(wards, theme=VAWG)
    places = pack.data.subareas
    assert places is not None and places.title == "Top 10 of 19 wards, 2022/23"
    theirs = ca.trend(wards, priority=VAWG).table("top_subareas")
    for col in ("category", "count", "share_pct"):
        pd.testing.assert_series_equal(places.frame[col], theirs[col], check_dtype=False)
    # Northbury's sexual offences in 2022/23 (Apr 2022 - Mar 2023), summed from the raw file.
    months = [f"2022{m:02d}" for m in range(4, 13)] + ["202301", "202302", "202303"]
    with wards.open(encoding="utf-8-sig", newline="") as f:
        total = sum(
            int(row[m])
            for row in csv.DictReader(f)
            if row["WardName"] == "Northbury" and row["MajorText"] == "Sexual Offences"
            for m in months
        )
    assert (
        places.frame["category"].iloc[0] == "Northbury (E05014066)" and places.frame["count"].iloc[0] == total
    )
    html = pack.write(tmp_path / "wards.html").read_text(encoding="utf-8")
    assert "Top 10 of 19 wards, 2022/23" in html and "Northbury (E05014066)" in html


def test_report_with_theme_is_the_theme_pack_and_its_json_is_plain(extract: ca.Extract) -> None:
    import json

    pack = ca.report(extract, theme=VAWG)
    assert isinstance(pack, ca.ThemeResult)
    doc = json.loads(json.dumps(pack.to_dict()))
    assert doc["theme"] == VAWG and doc["kind"] == "priority" and doc["priorities"] == [VAWG]
    assert doc["headline"]["count"] == 692 and doc["headline"]["direction"] == "within usual range"
    assert doc["trend"] == ca.trend(extract, priority=VAWG).to_dict()
    assert doc["quarterly"] == ca.quarterly(extract).to_dict()


def test_markdown_rewrite_leaves_no_stale_charts(extract: ca.Extract, tmp_path: Path) -> None:
    out = tmp_path / "pack.md"
    ca.theme_pack(extract, theme=VAWG).write(out)
    (tmp_path / "pack_charts" / "07-old-chart.svg").write_text("<svg/>")
    keep = tmp_path / "pack_charts" / "notes.txt"
    keep.write_text("mine")
    ca.theme_pack(extract, theme=VAWG).write(out)
    assert sorted(p.name for p in (tmp_path / "pack_charts").iterdir()) == ["01-series.svg", "notes.txt"]

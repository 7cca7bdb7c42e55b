"""The evidence pack as an analyst reads it: headings that say what the column holds, ASB named as
incidents, the Markdown pack as complete as the HTML one, and figures checked against a count made here
from the raw rows (csv module), never against what the tool printed."""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from tests.conftest import SAMPLE

from csp_assess.cli import main
from csp_assess.periods import FinancialYear, Period
from csp_assess.render.values import human
from csp_assess.report.charts import monthly_figure

HEADER = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]  # fmt: skip
LSOAS = [("E01000001", "Alphaton 001A"), ("E01000002", "Alphaton 001B"), ("E01000003", "Alphaton 002A")]
TYPES = ["Violence and sexual offences", "Burglary", "Anti-social behaviour", "Shoplifting"]


def _run(*args: str | Path) -> int:
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two financial years (Apr 2019 - Mar 2021) of a small police.uk force, one file per month."""
    folder = tmp_path_factory.mktemp("street")
    rng = random.Random(7)
    for i in range(24):
        y, m = 2019 + (3 + i) // 12, (3 + i) % 12 + 1
        month = f"{y}-{m:02d}"
        with (folder / f"{month}-testforce-street.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(HEADER)
            for k, (code, name) in enumerate(LSOAS):
                for t in TYPES:
                    for j in range(rng.randint(0, 4 + 3 * (k == 0))):
                        lon, lat = -1.2 + 0.01 * k + 0.001 * j, 52.6 + 0.01 * k
                        cid = "" if t == "Anti-social behaviour" else f"{month}-{code}-{t[:3]}-{j}"
                        w.writerow(
                            [
                                cid,
                                month,
                                "Test Police",
                                "Test Police",
                                lon,
                                lat,
                                "On or near X",
                                code,
                                name,
                                t,
                                "",
                                "",
                            ]
                        )
    return folder


def _oracle(folder: Path, months: tuple[str, str], crime_type: str | None = None) -> Counter[str]:
    """Records per LSOA name in [first, last] month, read with the csv module."""
    out: Counter[str] = Counter()
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if not months[0] <= row["Month"] <= months[1]:
                    continue
                if crime_type is None and row["Crime type"] == "Anti-social behaviour":
                    continue
                if crime_type is not None and row["Crime type"] != crime_type:
                    continue
                out[row["LSOA name"]] += 1
    return out


def _table_after(text: str, title: str) -> list[list[str]]:
    """The pipe table that follows a bold title line in a Markdown pack, as rows of cells."""
    lines = text.splitlines()
    start = lines.index(f"**{title}**") + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


@pytest.fixture(scope="module")
def street_pack(street: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("pack") / "pack.md"
    assert _run("report", street, "--area", "Alphaton", "--template", "police-crime-plan", "-o", out) == 0
    return out.read_text(encoding="utf-8")


def test_markdown_pack_has_the_place_section_with_independent_counts(street: Path, street_pack: str) -> None:
    # Before: the HTML pack had "Where crime concentrates"; the Markdown pack left it out entirely.
    assert "## Where crime concentrates" in street_pack
    rows = _table_after(street_pack, "Top 3 of 3 LSOAs")
    assert rows[0][:3] == ["Rank", "LSOA", "2020/21"]
    now = _oracle(street, ("2020-04", "2021-03"))
    before = _oracle(street, ("2019-04", "2020-03"))
    got = {r[1].split(" (")[0]: (int(r[2].replace(",", "")), int(r[4].replace(",", ""))) for r in rows[2:]}
    assert got == {name: (now[name], before[name]) for _, name in LSOAS}


def test_deep_dive_place_table_is_headed_lsoa_not_category(street_pack: str) -> None:
    # Before: "| Category | 2020/21 | ..." over a column of LSOA names.
    heads = [
        line for line in street_pack.splitlines() if line.startswith("| ") and "Alphaton 001A" not in line
    ]
    place_heads = [h for h in heads if h.startswith("| LSOA |")]
    assert place_heads, "deep dives' top-LSOA tables should be headed LSOA"
    assert not any(re.match(r"\| Category \| 2020/21 \|.*", h) and "LSOA" in h for h in heads)


def test_asb_deep_dive_chart_names_incidents(street: Path, street_pack: str) -> None:
    # Before: the ASB chart's axis and legend said "Offences per month" (ASB is incidents, not offences).
    series = pd.Series([1.0, 2.0], index=pd.period_range("2020-04", periods=2, freq="M"))
    fig = monthly_figure(series, _year("2020/21"), [], None, None, "ASB", noun="incidents")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Incidents per month"
    assert [t.get_text() for t in ax.get_legend().get_texts()][1] == "Incidents per month"
    svg_name = re.search(r"\((pack_charts/\d+-anti-social-behaviour\.svg)\)", street_pack)
    assert svg_name is not None


def _year(label: str) -> Period:
    fy = FinancialYear(int(label[:4]), 4)
    return Period(fy, tuple(fy.months))


def test_asb_chart_file_in_the_pack_says_incidents(street: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.md"
    assert _run("report", street, "--area", "Alphaton", "--template", "police-crime-plan", "-o", out) == 0
    asb = next((tmp_path / "p_charts").glob("*anti-social-behaviour.svg")).read_text(encoding="utf-8")
    assert "Incidents per month" in asb and "Offences per month" not in asb


def test_weight_sources_are_headed_weight_and_status(tmp_path: Path) -> None:
    # Before: "| Measured by | Recommendation | ..." (the priority table's headings) over "harm (cchi) | transcribed".
    out = tmp_path / "a.md"
    assert _run("report", SAMPLE, "-o", out) == 0
    text = out.read_text(encoding="utf-8")
    section = text.split("### Weight sources and their status", 1)[1]
    head = next(line for line in section.splitlines() if line.startswith("| "))
    assert head == "| Weight | Status | Categories | Offences 2021/22 | Source |"
    # No table in the pack repeats a heading: each column says what it holds.
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| -"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0] in ("Category", "Rank", "Priority", "Order", "Year", "Month"):
                assert len(cells) == len(set(cells)), line


def test_theme_quarterly_table_names_the_quarter_and_reconciles(tmp_path: Path) -> None:
    # Before: the quarterly table was headed "2021/22 | Year earlier | Change on 2020/21" over Oct-Dec 2022.
    out = tmp_path / "sv.md"
    assert _run("report", SAMPLE, "--theme", "Gun Crime", "-o", out) == 0
    text = out.read_text(encoding="utf-8")
    q = text.split("## Quarterly view", 1)[1]
    head = next(line for line in q.splitlines() if line.startswith("| "))
    assert head.startswith(
        "| Priority | 2022/23 Q3 | Same quarter a year earlier | Change on a year earlier |"
    )
    row = next(line for line in q.splitlines() if line.startswith("| Gun Crime |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    firearms = (
        "Possession of Firearms Offences",
        "Possession of Firearm with Intent",
        "Other Firearm Offences",
    )
    with SAMPLE.open(newline="", encoding="utf-8") as fh:
        data = [r for r in csv.DictReader(fh) if r["MinorText"] in firearms]
    now = sum(int(r[m]) for r in data for m in ("202210", "202211", "202212"))
    ago = sum(int(r[m]) for r in data for m in ("202110", "202111", "202112"))
    assert (int(cells[1]), int(cells[2])) == (now, ago)
    # The year-by-year table: each row is against its own year earlier, not "Change on 2020/21".
    years_head = next(
        line for line in text.split("## The series", 1)[1].splitlines() if line.startswith("| ")
    )
    assert "Change on 2020/21" not in years_head and "Change on a year earlier" in years_head


def test_theme_expected_range_allows_for_year_to_year_variation(tmp_path: Path) -> None:
    # Before: the theme pack's expected range was counting noise only (804-1,165 for Women's safety) and
    # called 692 "below the expected range", while `baseline` (with year-level variation) said within.
    from csp_assess import api
    from csp_assess.load import load_extract

    ex = load_extract([SAMPLE])
    base = api.baseline(ex, year="2021/22", level="major").rows
    so = base[base["category"] == "Sexual Offences"].iloc[0]
    out = tmp_path / "w.md"
    assert _run("report", SAMPLE, "--theme", "Women's safety", "-o", out) == 0
    sentence = next(line for line in out.read_text(encoding="utf-8").splitlines() if "were expected" in line)
    low, high = (
        int(x.replace(",", "")) for x in re.search(r"95% range ([\d,]+)–([\d,]+)", sentence).groups()
    )
    # The same measure, the same judgment as baseline's, and an interval of about baseline's width.
    assert so["vs_expected"] == "within expected" and "within the expected range" in sentence
    assert low < 692 < high
    assert abs((high - low) - (so["expected_high"] - so["expected_low"])) < 0.25 * (
        so["expected_high"] - so["expected_low"]
    )


def test_against_baseline_change_is_signed() -> None:
    # Before: the season table printed a rise as "24.2%" beside falls as "-18.3%".
    assert human(24.2, "vs_baseline_pct") == "+24.2%"
    assert human(-18.3, "vs_baseline_pct") == "-18.3%"
    assert human(24.2, "share_pct") == "24.2%"


def test_workbook_has_the_place_table_with_independent_ward_counts(tmp_path: Path) -> None:
    # Before: the HTML pack had the place section; the workbook had no sheet for it.
    import openpyxl
    from tests.conftest import shared

    ward = shared("mps_ward_24m_newcats_202401_202512.csv")
    out = tmp_path / "w.xlsx"
    assert _run("report", ward, "--area", "Barking and Dagenham", "-o", out) == 0
    ws = openpyxl.load_workbook(out)["Places"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    got = {r[head.index("code")]: r[head.index("count")] for r in rows[1:]}
    months = [f"2024{m:02d}" for m in range(4, 13)] + [f"2025{m:02d}" for m in range(1, 4)]
    want: Counter[str] = Counter()
    with ward.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["LookUp_BoroughName"] == "Barking and Dagenham":
                want[r["WardCode"]] += sum(int(r[m]) for m in months)
    assert got == dict(want)


def test_plan_table_heads_its_count_column_as_a_count(tmp_path: Path) -> None:
    # Before: "Target year" headed a column of counts (692), beside a Target column naming the year.
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[plan]\nstart_year = "2021/22"\n\n[[priority]]\nname = "Knife Crime"\ntarget = -10\n',
        encoding="utf-8",
    )
    out = tmp_path / "p.md"
    assert _run("report", SAMPLE, "--plan", plan, "-o", out) == 0
    text = out.read_text(encoding="utf-8")
    rows = _table_after(text, next(t for t in re.findall(r"\*\*(Progress against the plan[^*]*)\*\*", text)))
    assert rows[0][:4] == ["Priority", "Target", "Target year count", "Latest 12 months"]
    blade = "Possession of Article with Blade or Point"
    with SAMPLE.open(newline="", encoding="utf-8") as fh:
        knife = next(r for r in csv.DictReader(fh) if r["MinorText"] == blade)
    fy = [f"2021{m:02d}" for m in range(4, 13)] + [f"2022{m:02d}" for m in range(1, 4)]
    assert rows[2][2] == str(sum(int(knife[m]) for m in fy))


def test_review_reason_says_when_there_is_no_baseline_to_be_above(cli) -> None:  # type: ignore[no-untyped-def]
    # Before: "not above the 2019/20 baseline" for Charnwood, whose files start in Dec 2019 (no 2019/20
    # figure at all, as the same reason says a few words later).
    import json

    from tests.conftest import shared

    leics = shared("police_uk_leicestershire")
    months = sorted(p.name.split("_")[2][:7] for p in leics.glob("*-street.csv"))
    assert months[0] > "2019-04"  # the files cannot hold the whole of 2019/20
    run = cli("rank", leics, "--area", "Charnwood", "--template", "police-crime-plan", "-f", "json")
    assert run.code == 0
    review = [p for p in json.loads(run.out)["priorities"] if p["status"] == "review"]
    assert review
    for p in review:
        assert "not above the 2019/20 baseline" not in p["reason"]
        assert "no 2019/20 baseline in the data" in p["reason"]


def test_markdown_headline_keeps_asb_incidents_on_their_own_line(street: Path, street_pack: str) -> None:
    # Before: the HTML pack and summary named the year's ASB incidents; the Markdown headline did not.
    asb = sum(_oracle(street, ("2020-04", "2021-03"), "Anti-social behaviour").values())
    crimes = sum(_oracle(street, ("2020-04", "2021-03")).values())
    headline = street_pack.split("## Headline", 1)[1].split("## Offences by month", 1)[0]
    assert f"Anti-social behaviour: {asb:,} incidents in 2020/21, kept out of crime totals." in headline
    assert f"**Offences recorded, 2020/21**: {crimes:,}" in headline


def test_asb_theme_pack_counts_incidents_and_never_heads_baseline_baseline(
    street: Path, tmp_path: Path
) -> None:
    # Before: an ASB theme pack's card read "Offences, 2020/21" and, with no baseline in the data, the
    # season table was headed "Baseline baseline".
    import shutil

    late = tmp_path / "late"  # from Dec 2019, as the Leicestershire files: no whole 2019/20 to be a baseline
    late.mkdir()
    for path in street.glob("*.csv"):
        if path.name[:7] >= "2019-12":
            shutil.copy(path, late / path.name)
    out = tmp_path / "asb.html"
    args = ("report", late, "--area", "Alphaton", "--template", "police-crime-plan")
    assert _run(*args, "--theme", "Anti-Social Behaviour", "--year", "2020/21", "-o", out) == 0
    html = out.read_text(encoding="utf-8")
    asb = sum(_oracle(late, ("2020-04", "2021-03"), "Anti-social behaviour").values())
    assert f'<div class="label">Incidents, 2020/21</div><div class="figure">{asb:,}</div>' in html
    assert "Offences, 2020/21" not in html
    assert "Baseline baseline" not in html


def test_partial_year_deep_dive_names_the_months_and_calls_no_year_complete(tmp_path: Path) -> None:
    # Before: for 2022/23 (Apr 2022-Feb 2023) each deep dive listed "2021/22 | 632 | yes": an 11-month
    # total labelled a complete year.
    out = tmp_path / "y.md"
    assert _run("report", SAMPLE, "--year", "2022/23", "-o", out) == 0
    text = out.read_text(encoding="utf-8")
    dive = text.split("### 1. Violence Against Women and Girls", 1)[1]
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in dive.splitlines()
        if line.startswith("| 20")
    ]
    with SAMPLE.open(newline="", encoding="utf-8") as fh:
        sexual = [r for r in csv.DictReader(fh) if r["MajorText"] == "Sexual Offences"]
    for label, count, complete in rows[:6]:
        y = int(label[:4])
        months = [f"{y}{m:02d}" for m in range(4, 13)] + [f"{y + 1}01", f"{y + 1}02"]
        assert label == f"{y}/{(y + 1) % 100:02d} (Apr {y}–Feb {y + 1})"
        assert int(count.replace(",", "")) == sum(int(r[m]) for r in sexual for m in months)
        assert complete == "no"
    chart = next((tmp_path / "y_charts").glob("01-*.svg")).read_text(encoding="utf-8")
    assert "2022/23 (year assessed, partial: 11 months)" in chart


def test_priorities_at_80_columns_keep_the_layout_of_each_row(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # Before: at 80 columns the scheme column went first, leaving "Serious Violence | proxy" five times over
    # with nothing to tell the rows apart; the rules note called the candidate test an exact Poisson test.
    import tomllib

    from csp_assess.reference.templates import template_text

    monkeypatch.setenv("COLUMNS", "80")
    run = cli("priorities", "--template", "police-crime-plan")
    assert run.code == 0
    names = [p["name"] for p in tomllib.loads(template_text("police-crime-plan"))["priority"]]
    for scheme in ("met-old", "met-new", "police-uk"):
        rows = [line for line in run.out.splitlines() if f" {scheme} " in line]
        assert len(rows) == len(names), scheme
    assert "exact Poisson" not in run.out
    assert "more than their usual year-to-year" in " ".join(run.out.split())


def test_places_headline_never_counts_unplaced_records_as_placed(cli, street: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Before: "Leicestershire Police, all crime, 2021/22: 94,597 offences in 740 LSOAs" while 853 of them
    # had no LSOA at all.
    import shutil

    force = tmp_path / "force"
    shutil.copytree(street, force)
    extra = force / "2020-06-testforce-street.csv"
    with extra.open("a", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        for j in range(5):
            w.writerow(
                [
                    f"nl-{j}",
                    "2020-06",
                    "Test Police",
                    "Test Police",
                    "",
                    "",
                    "No location",
                    "",
                    "",
                    "Burglary",
                    "",
                    "",
                ]
            )
    run = cli("places", force, "--area", "Test Police", "--year", "2020/21")
    assert run.code == 0
    placed = sum(_oracle(force, ("2020-04", "2021-03")).values()) - 5  # the oracle counts the blank name too
    total = placed + 5
    head = " ".join(run.out.split())
    assert f"{total:,} offences, {placed:,} of them in 3 LSOAs and 5 with no LSOA;" in head


def test_headline_points_to_the_priorities_section_by_its_number(street: Path, tmp_path: Path) -> None:
    # Before: "reasons in section 6" always; without a pre-COVID section the priorities are section 5.
    import shutil

    late = tmp_path / "late"
    late.mkdir()
    for path in street.glob("*.csv"):
        if path.name[:7] >= "2019-12":
            shutil.copy(path, late / path.name)
    for folder, name in ((street, "with.html"), (late, "without.html")):
        out = tmp_path / name
        assert (
            _run(
                "report",
                folder,
                "--area",
                "Alphaton",
                "--template",
                "police-crime-plan",
                "--year",
                "2020/21",
                "-o",
                out,
            )
            == 0
        )
        html = out.read_text(encoding="utf-8")
        contents = re.findall(r'<li><a href="#([a-z-]+)">', html.split("</nav>", 1)[0])
        number = contents.index("priorities") + 1
        assert f'reasons in <a href="#priorities">section {number}</a>' in html
        assert ("baseline" in contents) == (folder is street)


def test_theme_pack_names_a_covid_comparison_quarter_and_no_test_without_a_year(tmp_path: Path) -> None:
    # Before: the pack compared Oct-Dec 2021 with Oct-Dec 2020 (restrictions throughout) without the
    # warning quarterly prints, and said "Holm-adjusted across the 0 priorities measured" with no year to test.
    from tests.conftest import shared

    path = shared("mps_borough_24m_oldcats_202001_202112.csv")
    out = tmp_path / "k.md"
    assert _run("report", path, "--area", "Barking and Dagenham", "--theme", "Knife Crime", "-o", out) == 0
    text = out.read_text(encoding="utf-8")
    with path.open(newline="", encoding="utf-8") as fh:
        blade = next(
            r
            for r in csv.DictReader(fh)
            if r["LookUp_BoroughName"] == "Barking and Dagenham"
            and r["MinorText"] == "Possession of Article with Blade or Point"
        )
    fy = [f"2020{m:02d}" for m in range(4, 13)] + [f"2021{m:02d}" for m in range(1, 4)]
    assert f"In 2020/21 there were {sum(int(blade[m]) for m in fy)} Knife Crime offences" in text
    row = next(
        line for line in text.split("## Quarterly view", 1)[1].splitlines() if line.startswith("| Knife")
    )
    q = [int(c) for c in [x.strip() for x in row.strip("|").split("|")][1:3]]
    assert q == [
        sum(int(blade[m]) for m in ("202110", "202111", "202112")),
        sum(int(blade[m]) for m in ("202010", "202011", "202012")),
    ]
    assert "- 2020/21 Q3 (Oct 2020–Dec 2020) was under COVID-19 restrictions throughout" in text
    assert "- **Change test**: no change test: the previous year is not in the data" in text
    assert "across the 0 priorities" not in text


def test_matrix_at_80_columns_keeps_the_weighted_total(
    cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # Before: at 80 columns the weighted total (the column that sets the order) was left out while the
    # all-empty rate and workshop columns stayed.
    scoring = tmp_path / "ws.toml"
    assert cli("priorities", SAMPLE, "--write-scoring", scoring).code == 0
    text = scoring.read_text(encoding="utf-8")
    i = text.index('name = "Gun Crime"')
    block = text[i : text.index("[[issue]]", i)]
    scores = {k: int(v) for k, v in re.findall(r"^(volume|harm|cost|trend) = (\d)", block, re.M)}
    text = text[:i] + block.replace('public_concern = ""', "public_concern = 4", 1) + text[i + len(block) :]
    scoring.write_text(text, encoding="utf-8")
    by_hand = (sum(scores.values()) + 4) / (len(scores) + 1)  # equal weights; unscored dimensions left out
    monkeypatch.setenv("COLUMNS", "80")
    run = cli("rank", SAMPLE, "--scoring", scoring)
    assert run.code == 0
    matrix = run.out.split("Prioritisation matrix", 1)[1]
    head = next(line for line in matrix.splitlines() if line.startswith("┃"))
    assert " Total " in head
    assert " Rate " not in head  # "-" on every row: the first to go
    row = next(line for line in matrix.splitlines() if "│ Gun Crime" in line)
    assert f"{by_hand:.2f}" in row


def test_places_headline_says_one_lsoa_not_one_lsoas(cli) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import shared

    city = shared("police_uk_city_of_london_2017_2020")
    run = cli("places", city, "--area", "City of London", "--year", "2018/19", "--top", "2")
    assert run.code == 0
    head = " ".join(run.out.split())
    assert "(1 LSOAs)" not in head and "the top 10% (1 LSOA) hold" in head


def test_deep_dive_says_which_family_its_judgment_was_made_in(tmp_path: Path) -> None:
    """Each deep dive's sub-category table is followed by a note naming how many sub-categories the
    'larger than usual' judgment was adjusted over: the number of rows of that table."""
    out = tmp_path / "pack.md"
    assert _run("report", SAMPLE, "-o", out) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    notes = [i for i, line in enumerate(lines) if line.startswith("Larger than usual: judged")]
    assert notes
    for i in notes:
        table_rows = 0
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        while j >= 0 and lines[j].startswith("|"):
            table_rows += 1
            j -= 1
        body = table_rows - 2  # header and rule
        m = re.search(r"among these (\d+) sub-categories", lines[i])
        assert (int(m.group(1)) if m else 1) == body, lines[i]

"""`csp-assess report`: the evidence pack for the bundled sample, its figures checked against the commands
it summarises and against an independent count of the source file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from tests.conftest import SAMPLE
from tests.independent import fy_total

from csp_assess.cli import main
from csp_assess.load import load_extract
from csp_assess.reference.priorities import load_priorities
from csp_assess.report.build import ReportData, ReportOptions, build_report
from csp_assess.report.html import render_html

AREA = "Barking and Dagenham"


def _run(*args: str | Path) -> int:
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("report")
    out = {}
    for ext in ("html", "md", "xlsx"):
        path = d / f"assessment.{ext}"
        assert _run("report", SAMPLE, "--output", path) == 0
        out[ext] = path
    return out


@pytest.fixture(scope="module")
def data() -> ReportData:
    return build_report(load_extract([SAMPLE]), ReportOptions(), load_priorities(None))


def _json(command: str, *args: str) -> dict:  # type: ignore[type-arg]
    proc = subprocess.run(
        [sys.executable, "-m", "csp_assess", command, str(SAMPLE), *args, "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_headline_equals_independent_count(data: ReportData) -> None:
    h = data.headline
    assert h.year == "2021/22"
    assert h.total == 20516 == fy_total([SAMPLE], AREA, "2021/22")
    assert h.previous_total == 18568 == fy_total([SAMPLE], AREA, "2020/21")
    assert h.change == 1948 and h.change_pct == 10.5
    assert h.baseline_label == "2019/20"
    assert h.baseline_total == 20362 == fy_total([SAMPLE], AREA, "2019/20")
    assert h.baseline_change_pct == 0.8
    assert h.expected is not None and h.expected_low is not None and h.expected_high is not None
    assert h.expected_low <= h.expected <= h.expected_high


def test_figures_agree_with_summary_baseline_and_rank(data: ReportData) -> None:
    summary, baseline, rank = _json("summary"), _json("baseline"), _json("rank")
    h = data.headline
    assert (h.total, h.previous_total, h.change, h.change_pct) == (
        summary["total"],
        summary["previous_total"],
        summary["change"],
        summary["change_pct"],
    )
    assert h.sentence == summary["headline"]
    assert h.baseline_total == baseline["baseline_total"] and h.baseline_change_pct == baseline["change_pct"]
    assert h.baseline_sentence == baseline["headline"]
    assert rank["total"] == h.total
    by_major = data.by_major.frame.set_index("category")["count"].to_dict()
    assert by_major == {r["category"]: r["count"] for r in summary["by_major"]}
    base = data.baseline_table.frame if data.baseline_table is not None else pd.DataFrame()
    assert base.set_index("category")["expected"].to_dict() == {
        r["category"]: r["expected"] for r in baseline["rows"]
    }
    ranked = data.rank.tables["rows"].frame
    assert ranked[["category", "count", "harm", "score"]].to_dict("records") == [
        {k: r[k] for k in ("category", "count", "harm", "score")} for r in rank["rows"]
    ]
    assert list(data.rank.tables["priorities"].frame["status"]) == [p["status"] for p in rank["priorities"]]


def test_a_deep_dive_per_measurable_priority_counted_as_rank_counts_it(data: ReportData) -> None:
    pri = data.rank.tables["priorities"].frame
    measurable = pri[pri["status"] != "not measurable"]
    assert [d.name for d in data.deep_dives] == list(measurable["name"])
    for dd, count in zip(data.deep_dives, measurable["count"], strict=True):
        assert dd.count == count
        assert int(dd.breakdown.frame["count"].sum()) == dd.count
        assert int(dd.years.iloc[-1]["count"]) == dd.count  # the last year shown is the year assessed
    vawg = next(d for d in data.deep_dives if d.name == "Violence Against Women and Girls")
    assert set(vawg.breakdown.frame["category"]) == {"Rape", "Other Sexual Offences"}
    assert vawg.monthly.index.min() == pd.Period("2010-04", freq="M")
    trend = _json("trend", "--priority", "Violence Against Women and Girls")
    assert trend["year_total"] == vawg.count == 692
    assert vawg.breakdown.frame.to_dict("records") == [
        {k: r[k] for k in vawg.breakdown.frame.columns} for r in trend["by_minor"]
    ]
    assert [int(v) for v in vawg.monthly.to_numpy()] == [r["count"] for r in trend["rows"]]


def test_html_is_self_contained_and_shows_every_section(outputs: dict[str, Path]) -> None:
    html = outputs["html"].read_text(encoding="utf-8")
    assert "20,516" in html and "18,568" in html and "+1,948 (+10.5%)" in html
    assert "In 2021/22 there were 20,516 offences in Barking and Dagenham" in html
    for heading in (
        "Offences by month",
        "Against pre-COVID levels",
        "Ranking by volume, harm and cost",
        "Recommended priorities",
        "Deep dives",
        "Data and methods",
        "Coverage gaps",
        "Rejected rows",
        "Weight sources and their status",
        "Caveats",
        "@media print",
    ):
        assert heading in html, heading
    assert "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html  # nothing fetched from the network
    # The series and one per deep dive: 8 measurable priorities (10 less ASB and reoffending) and the 2
    # candidates (the top five by score outside the set: #2 Violence without Injury, #4 Domestic Burglary;
    # no category outside the set rose above 2019/20 by more than its usual year-to-year variation).
    assert html.count('src="data:image/svg+xml;base64,') == 1 + 8 + 2


def test_html_is_byte_identical_for_the_same_input(outputs: dict[str, Path], tmp_path: Path) -> None:
    again = tmp_path / "again.html"
    assert _run("report", SAMPLE, "-o", again) == 0
    assert again.read_bytes() == outputs["html"].read_bytes()


def test_text_is_escaped(data: ReportData) -> None:
    data.title = '<script>alert("x")</script> & co'
    try:
        html = render_html(data)
    finally:
        data.title = "Strategic assessment: Barking and Dagenham, 2021/22"
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html


def test_markdown_report(outputs: dict[str, Path], data: ReportData) -> None:
    md = outputs["md"].read_text(encoding="utf-8")
    assert md.startswith("# Strategic assessment: Barking and Dagenham, 2021/22\n")
    assert "- **Offences recorded, 2021/22**: 20,516" in md
    assert "- **Change on 2020/21**: +1,948 (+10.5%), from 18,568" in md
    assert "| Rank | Category | 2021/22 |" in md
    assert "## Data and methods" in md and "data:image" not in md
    # Charts are SVG files beside the report, linked relatively, so common Markdown viewers show them.
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert links[0] == "assessment_charts/01-monthly.svg"
    assert len(links) == 1 + len(data.deep_dives)  # the monthly chart and one per deep dive
    for link in links:
        svg = (outputs["md"].parent / link).read_text(encoding="utf-8")
        assert "<svg" in svg and 'id="matplotlib.axis_1"' in svg


def test_excel_has_one_sheet_per_table_with_frozen_headers_and_formats(outputs: dict[str, Path]) -> None:
    sheets = pd.read_excel(outputs["xlsx"], sheet_name=None)
    for name in (
        "Headline",
        "Monthly",
        "By major category",
        "Baseline",
        "Ranked",
        "Priorities",
        "Files",
        "Rejects",
        "Weights",
        "Caveats",
    ):
        assert name in sheets, name
    ranked = sheets["Ranked"]
    assert list(ranked.columns[:12]) == [
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
    ]
    assert int(ranked["count"].sum()) == 20516 and int(ranked["previous_count"].sum()) == 18568
    assert int(sheets["By major category"]["count"].sum()) == 20516
    monthly = sheets["Monthly"]
    assert int(monthly.loc[monthly["financial_year"] == "2021/22", "offences"].sum()) == 20516
    assert list(sheets["Priorities"]["name"])[:2] == ["Violence Against Women and Girls", "Gun Crime"]
    assert any(n.startswith("1 Violence Against Women") for n in sheets)
    wb = openpyxl.load_workbook(outputs["xlsx"])
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
    ws = wb["Ranked"]
    header = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=header.index("count") + 1).number_format == "#,##0"
    assert ws.cell(row=2, column=header.index("cost_gbp") + 1).number_format == '"£"#,##0'
    assert "%" in ws.cell(row=2, column=header.index("change_pct") + 1).number_format


def test_format_from_extension_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("report", SAMPLE, "-o", tmp_path / "x.docx") == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "Error: cannot tell the report format from 'x.docx': name it .html, .md, .xlsx or .pdf"
    )
    assert _run("report", SAMPLE, "-o", tmp_path / "x.txt", "--format", "markdown") == 0
    assert (tmp_path / "x.txt").read_text(encoding="utf-8").startswith("# Strategic assessment")
    # Not a terminal: no progress bar, just what was written and the priority set it used.
    assert capsys.readouterr().err.strip().splitlines() == [
        f"Wrote {tmp_path / 'x.txt'} (markdown)",
        "Priorities: packaged MOPAC set (London's; give --priorities FILE or --template for another)",
    ]


def test_options_pass_through_like_rank(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    assert (
        _run(
            "report",
            SAMPLE,
            "-o",
            out,
            "--year",
            "2020/21",
            "--level",
            "major",
            "--baseline",
            "2017/18-2019/20",
        )
        == 0
    )
    head = pd.read_excel(out, sheet_name="Headline").set_index("measure")["value"]
    assert head["Year"] == "2020/21" and int(head["Offences"]) == 18568
    ranked = pd.read_excel(out, sheet_name="Ranked")
    assert len(ranked) == 11 and int(ranked["count"].sum()) == 18568


def test_other_commands_do_not_import_matplotlib() -> None:
    code = "import sys, csp_assess.cli; print('matplotlib' in sys.modules, 'openpyxl' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False False"

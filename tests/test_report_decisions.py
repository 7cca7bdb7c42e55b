"""The evidence pack with a scoring file and a plan: the matrix and the plan laid out, and absent without them.

Expectations are worked by hand in the tests, not read back from the tool: the matrix order from the
weighted totals of ``test_matrix`` (the three-category fixture), the RAG status of a stated-variance
fixture plan from the over-dispersed z written out here, and the sample plan's statuses from the
independent calculation in ``test_plan``.
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import pytest
from tests.conftest import FIXTURES, SAMPLE
from tests.test_matrix import _fill, workshop_file
from tests.test_plan import PLAN, PREVIOUS

import csp_assess as ca
from yearvar_ref import packaged_sigma2

DATA = FIXTURES / "matrix" / "three_categories.csv"
PSET = FIXTURES / "matrix" / "burglary_priority.toml"
# Workshop scores as test_matrix's hand calculation: weights public concern 2, vulnerability 3, others 1:
#   Violence with Injury  (2+5+5+3 + 2x5 + 3x5) / 9     = 40/9 = 4.44
#   Burglary at home      (4+5+5+5 + 2x1 + 3x2) / 9     = 27/9 = 3.00
#   Other Theft           (5+4+1   + 2x5 + 3x1) / 8     = 23/8 = 2.875
HAND_ORDER = ["Violence with Injury", "Burglary at home", "Other Theft"]
FIXTURE_PLAN = '[plan]\nstart_year = "2020/21"\n\n[[priority]]\nname = "Burglary at home"\naim = "increase"\ntarget = 50\n'


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("decisions")
    path = workshop_file(d)
    plan = d / "plan.toml"
    plan.write_text(FIXTURE_PLAN, encoding="utf-8")
    sample_plan, previous = d / "sample_plan.toml", d / "previous.toml"
    sample_plan.write_text(PLAN, encoding="utf-8")
    previous.write_text(PREVIOUS, encoding="utf-8")
    r = ca.report(DATA, priorities=PSET, scoring=path, plan=plan)
    for ext in ("html", "md", "xlsx"):
        r.write(d / f"pack.{ext}")
    ca.report(DATA, priorities=PSET).write(d / "plain.html")
    ca.report(DATA, priorities=PSET).write(d / "plain.md")
    return {"dir": d, "scoring": path, "plan": plan, "sample_plan": sample_plan, "previous": previous}


def _section(html: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}">(.*?)</section>', html, re.S)
    assert m, sid
    return m.group(1)


def _first_cells(table_html: str, column: int) -> list[str]:
    body = table_html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row)[column] for row in body.split("<tr")[1:]]


def test_html_lays_out_the_matrix_in_the_hand_calculated_order(files: dict[str, Path]) -> None:
    html = (files["dir"] / "pack.html").read_text(encoding="utf-8")
    matrix = _section(html, "matrix")
    assert matrix.startswith("<h2>Prioritisation matrix</h2>")
    assert _first_cells(matrix, 1) == HAND_ORDER
    assert _first_cells(matrix, 12) == ["4.44", "3.00", "2.88"]  # 40/9, 27/9, 23/8 to two places
    assert 'src="data:image/svg+xml;base64,' in matrix  # the impact-against-likelihood chart
    # Scales and thresholds in the section and in the methods text
    for text in (matrix, _section(html, "methods")):
        assert (
            "Matrix scale, volume share: share of the year&#x27;s recorded crimes: 1 under 1%, 2 1 to under 2.5%"
            in text
        )
        assert (
            "Matrix weights: volume 1, harm 1, cost 1, trend 1, rate 1, public_concern 2, vulnerability 3"
            in text
        )
        assert "larger than usual year-to-year variation" in text
    assert '<a href="#matrix">Prioritisation matrix</a>' in html


def test_html_lays_out_the_plan_with_its_rule(files: dict[str, Path]) -> None:
    html = (files["dir"] / "pack.html").read_text(encoding="utf-8")
    plan = _section(html, "plan")
    # 300 (2020/21) -> 600: aim increase by 50% (target 450), met; z = log(600.5/300.5) / sqrt(1/300.5 +
    # 1/600.5 + 2 sigma^2) with domestic burglary's packaged sigma^2 (no history in the fixture): beyond 1.96.
    s2 = packaged_sigma2("met-old", "minor", "Domestic Burglary")
    z = math.log(600.5 / 300.5) / math.sqrt(1 / 300.5 + 1 / 600.5 + 2 * s2)
    assert z > 1.96
    assert _first_cells(plan, 0) == ["Burglary at home"]
    assert _first_cells(plan, 6) == ["green"]
    assert (
        "RAG: red = moved against the plan&#x27;s aim by a change larger than usual year-to-year variation"
        in plan
    )
    assert "RAG: red = " in _section(html, "methods")


def test_without_the_files_the_sections_are_absent(files: dict[str, Path]) -> None:
    html = (files["dir"] / "plain.html").read_text(encoding="utf-8")
    md = (files["dir"] / "plain.md").read_text(encoding="utf-8")
    for text in (html, md):
        assert "Prioritisation matrix" not in text and "Progress against the plan" not in text
    assert 'id="matrix"' not in html and 'id="plan"' not in html
    assert set(ca.report(DATA, priorities=PSET).tables) & {"Matrix", "Plan", "Decisions"} == set()


def test_markdown_and_workbook_hold_the_matrix_and_the_plan(files: dict[str, Path]) -> None:
    md = (files["dir"] / "pack.md").read_text(encoding="utf-8")
    section = md.split("## Prioritisation matrix", 1)[1].split("\n## ", 1)[0]
    rows = [ln.split(" | ")[1] for ln in section.splitlines() if re.match(r"\| \d+ \|", ln)]
    assert rows == HAND_ORDER
    assert "![Impact against likelihood]" in section
    assert "### Scales, thresholds and weights" in section
    plan = md.split("## Progress against the plan", 1)[1].split("\n## ", 1)[0]
    assert "| Burglary at home | increase by 50% on 2020/21 | 300 | 600 |" in plan
    assert "| green |" in plan
    with zipfile.ZipFile(files["dir"] / "pack.xlsx") as z:
        names = z.read("xl/workbook.xml").decode()
    assert 'name="Matrix"' in names and 'name="Plan"' in names
    import openpyxl

    wb = openpyxl.load_workbook(files["dir"] / "pack.xlsx")
    ws = wb["Matrix"]
    head = [c.value for c in ws[1]]
    assert [ws.cell(row=i, column=head.index("issue") + 1).value for i in (2, 3, 4)] == HAND_ORDER
    plan_ws = wb["Plan"]
    head = [c.value for c in plan_ws[1]]
    assert plan_ws.cell(row=2, column=head.index("rag") + 1).value == "green"
    caveats = [c.value for c in wb["Caveats"]["A"]]
    assert any(str(v).startswith("Matrix scale, trend:") for v in caveats)
    assert any(str(v).startswith("RAG: red = ") for v in caveats)


def test_sample_report_holds_the_rag_statuses_and_decision_log(files: dict[str, Path], cli) -> None:  # type: ignore[no-untyped-def]
    out = files["dir"] / "sample.html"
    run = cli(
        "report", SAMPLE, "--plan", files["sample_plan"], "--previous-plan", files["previous"], "-o", out
    )
    assert run.code == 0, run.err
    plan = _section(out.read_text(encoding="utf-8"), "plan")
    # test_plan works these out by hand: every measured priority amber (no change beyond usual variation).
    statuses = dict(zip(_first_cells(plan, 0), _first_cells(plan, 6), strict=False))
    assert statuses == {
        "Robbery of Personal Property": "amber",
        "Non-Domestic Abuse Violence With Injury": "amber",
        "Violence Against Women and Girls": "amber",
        "Knife Crime": "amber",
        "Gun Crime": "amber",
        "Anti-Social Behaviour": "not measurable",
    }
    assert "<h3>Decision log</h3>" in plan and "kept, target changed" in plan and "dropped" in plan
    assert "across the 5 distinct measures tested" in plan


def test_report_cli_options_and_errors(files: dict[str, Path], cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.md"
    run = cli("report", DATA, "--priorities", PSET, "--scoring", files["scoring"], "-o", out)
    assert run.code == 0, run.err
    assert "## Prioritisation matrix" in out.read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    text = _fill(files["scoring"].read_text(encoding="utf-8"), "Other Theft", capacity=9)
    bad.write_text(text, encoding="utf-8")
    line = next(
        i
        for i, ln in enumerate(text.splitlines(), start=1)
        if ln == "capacity = 9" and 'name = "Other Theft"' in "\n".join(text.splitlines()[: i - 1])
    )
    run = cli("report", DATA, "--priorities", PSET, "--scoring", bad, "-o", tmp_path / "x.html")
    assert run.code == 1 and run.err.count("\n") == 1 and "Traceback" not in run.err
    assert run.err.startswith("Error: issue 'Other Theft': key 'capacity' must be a whole number from 1 to 5")
    assert run.err.rstrip().endswith(f"({bad}:{line})")
    assert not (tmp_path / "x.html").exists()
    run = cli("report", DATA, "--previous-plan", files["plan"], "-o", tmp_path / "y.html")
    assert (run.code, run.err.strip()) == (2, "Error: --previous-plan needs --plan")
    run = cli(
        "report",
        DATA,
        "--theme",
        "Burglary at home",
        "--scoring",
        files["scoring"],
        "-o",
        tmp_path / "z.html",
    )
    assert run.code == 2
    assert run.err.strip() == "Error: --scoring is for the evidence pack, not a theme pack: leave out --theme"


def test_pdf_holds_both_sections(files: dict[str, Path]) -> None:
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("weasyprint")
    out = files["dir"] / "pack.pdf"
    ca.report(DATA, priorities=PSET, scoring=files["scoring"], plan=files["plan"]).write(out)
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(out).pages)
    assert "Prioritisation matrix" in text and "Progress against the plan" in text
    assert "Scales, thresholds and weights" in text and "How the status is set" in text

"""Names from the data are shown as text everywhere, never run: Rich markup, terminal escapes, Markdown/HTML
injection, mathtext dollars and control characters (tests/corpus/hostile_names_met.csv)."""

from __future__ import annotations

import base64
import csv
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from tests.conftest import Run

CORPUS = Path(__file__).resolve().parent / "corpus"
NAMES = CORPUS / "hostile_names_met.csv"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def categories() -> list[str]:
    with NAMES.open(newline="", encoding="utf-8") as fh:
        return [row["MinorText"] for row in csv.DictReader(fh)]


def written_out(name: str) -> str:
    """The name as it should appear on a terminal: each control character spelled out (by hand here)."""
    out = []
    for ch in name:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif 0x202A <= code <= 0x202E:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def test_terminal_table_shows_every_name_literally(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res: Run = cli("rank", NAMES)
    assert res.code == 0, res.err
    assert not CONTROL.search(res.out), "a control character reached the terminal"
    for name in ("[bold]Loud[/] theft", "Close [/] tag", "Cost $5 and $x^2$ \\alpha", "`rm -rf ~` code"):
        assert name in res.out
    assert written_out("Esc \x1b[31mred\x1b[0m\x1b]0;pwned\x07") in res.out
    assert written_out("Bell\x07 back\x08 \u202eevil") in res.out
    assert res.out.startswith("Port $x$ [bold]Town[/] <b>: offences ranked")
    # every category is one row of the ranking: 12 names, each counted once
    assert "Read 12 rows from 1 file: 12 counted + 0 rejected" in res.out
    out = tmp_path / "rank.txt"
    assert cli("rank", NAMES, "-o", out).code == 0
    assert "[bold]Loud[/] theft" in out.read_text(encoding="utf-8")


def html_of(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def assert_inert(html: str) -> None:
    """No element came from a name: no script, link, code span, emphasis; images only our data-URI charts."""
    for tag in ("<script", "<a ", "<code", "<em>", "<strong>Loud", "<b>"):
        assert tag not in html, tag
    for src in re.findall(r'<img src="([^"]*)"', html):
        # our charts only: inline data URIs, or numbered SVG files in the report's own chart folder
        assert src.startswith("data:image/svg+xml;base64,") or re.fullmatch(
            r"[\w.-]+_charts/\d{2}-[a-z0-9-]+\.svg", src
        ), src


def test_markdown_format_escapes_names(cli) -> None:  # type: ignore[no-untyped-def]
    res: Run = cli("rank", NAMES, "--format", "markdown")
    assert res.code == 0, res.err
    html = html_of(res.out)
    assert_inert(html)
    assert "<img" not in html
    text = re.sub(r"<[^>]+>", "", html)
    for name in (
        "<script>alert(1)</script>",
        "![x](http://evil.example/x.png)",
        "[link](http://evil.example)",
    ):
        escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert escaped in text, name
    assert "\x1b" not in res.out and "\x07" not in res.out


def test_markdown_report_escapes_names(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.md"
    res: Run = cli("report", NAMES, "-o", out)
    assert res.code == 0, res.err
    md = out.read_text(encoding="utf-8")
    html = html_of(md)
    assert_inert(html)
    assert md.count("](r_charts/") >= 2  # the charts are still there, as SVG files beside the report
    assert len(list((tmp_path / "r_charts").glob("*.svg"))) == md.count("](r_charts/")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not CONTROL.search(md)


def test_dollar_in_a_name_does_not_crash_the_charts(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.html"
    res: Run = cli("report", NAMES, "-o", out)
    assert res.code == 0, res.err
    html = out.read_text(encoding="utf-8")
    first_chart = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert first_chart is not None
    svg = base64.b64decode(first_chart.group(1)).decode("utf-8")
    # the chart title is text in the SVG, dollars and brackets as written (mathtext would drop the $)
    assert "Port $x$ [bold]Town[/] &lt;b&gt;: offences recorded per month" in svg


def test_xlsx_report_with_control_characters_is_reproducible(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert cli("report", NAMES, "-o", first).code == 0
    time.sleep(2.1)  # zip entry times have a 2-second resolution
    assert cli("report", NAMES, "-o", second).code == 0
    assert first.read_bytes() == second.read_bytes()
    wb = load_workbook(first)
    ranked = wb["Ranked"]
    head = [c.value for c in ranked[1]]
    col = head.index("category")
    shown = {row[col] for row in ranked.iter_rows(min_row=2, values_only=True)}
    # XML cannot hold C0 controls: those (only) are spelled out; U+202E is legal XML and kept
    xml_illegal = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
    expected = {xml_illegal.sub(lambda m: f"\\x{ord(m.group()):02x}", n) for n in categories()}
    expected = {("'" + n if n.startswith("=") else n) for n in expected}  # formula neutralised
    assert shown == expected
    assert "Bell\\x07 back\\x08 \u202eevil" in shown  # XML cannot hold \x07: spelled out
    assert wb.properties.modified.year == 2000


def test_python_warnings_do_not_reach_users() -> None:
    """A library warning raised during a command is hidden; with --debug it is shown."""
    probe = (
        "import warnings, sys\n"
        "import csp_assess.analysis.rank as r\n"
        "real = r.build_rank\n"
        "def noisy(*a, **k):\n"
        "    warnings.warn('internal noise', RuntimeWarning)\n"
        "    return real(*a, **k)\n"
        "r.build_rank = noisy\n"
        "from csp_assess.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    sample = Path(__file__).resolve().parents[1] / "data" / "sample_offences.csv"
    args = [sys.executable, "-W", "default", "-c", probe, "rank", str(sample), "--format", "csv"]
    quiet = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0
    assert "internal noise" not in quiet.stderr
    loud = subprocess.run([*args, "--debug"], capture_output=True, text=True, timeout=120)
    assert "internal noise" in loud.stderr


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_machine_formats_keep_names_exactly(cli, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """CSV and JSON are unchanged: the names exactly as read (bar the CSV formula guard)."""
    import io
    import json

    res: Run = cli("rank", NAMES, "--format", fmt)
    assert res.code == 0
    if fmt == "json":
        got = {r["category"] for r in json.loads(res.out)["rows"]}
    else:
        got = {r["category"] for r in csv.DictReader(io.StringIO(res.out.lstrip("\ufeff")))}
        got = {g[1:] if g.startswith("'=") else g for g in got}
    assert got == set(categories())


def test_error_lines_spell_out_control_characters(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Names quoted in an error message (here the list of areas) cannot drive the terminal either."""
    path = tmp_path / "two_areas.csv"
    path.write_text(
        "MajorText,MinorText,LookUp_BoroughName,202201\n"
        "Burglary,Burglary In A Dwelling,Cam\x1b]0;pwned\x07den,1\n"
        "Burglary,Burglary In A Dwelling,Islington,1\n",
        encoding="utf-8",
    )
    res: Run = cli("rank", path)
    assert res.code == 1
    assert res.err == (
        "Error: the data holds 2 areas; choose one with --area NAME (or --area all to sum them, or name "
        "several to sum them as one partnership): Cam\\x1b]0;pwned\\x07den, Islington\n"
    )


def test_progress_bar_shows_markup_file_names_literally(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from csp_assess.render.progress import progress_callback

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    with progress_callback(min_files=1) as update:
        assert update is not None
        update("data/[/]odd[bold]\x1b[2J.csv", 1, 3)  # rich would fail on "[/]" read as markup
    shown = err.getvalue()
    assert "[/]odd[bold]\\x1b[2J.csv" in shown
    assert "\x1b[2J" not in shown.replace("\\x1b[2J", "")


def test_scoring_csv_neutralises_formulas_and_reads_them_back(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The workshop's scoring CSV (opened in a spreadsheet) wrote ``=HYPERLINK(...)`` as a live formula;
    now it is ``'=HYPERLINK(...)``, and ``rank --scoring`` reads the name back as itself."""
    import io
    import json

    sheet = tmp_path / "workshop.csv"
    assert cli("priorities", NAMES, "--write-scoring", sheet).code == 0
    text = sheet.read_text(encoding="utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) if row and not row[0].startswith("#") for c in row]
    formula = next(n for n in categories() if n.startswith("="))
    assert "'" + formula in cells
    assert [c for c in cells if c.startswith(("=", "+", "-", "@"))] == []
    res: Run = cli("rank", NAMES, "--scoring", sheet, "--format", "json")
    assert res.code == 0, res.err
    matrix = {r["issue"]: r for r in json.loads(res.out)["matrix"]}
    assert matrix[formula]["overrides"] == "" and matrix[formula]["count"] > 0

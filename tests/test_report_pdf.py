"""PDF of the full report and of a theme pack: opens, has the sections and page numbers, its figures are
the HTML's, charts are vectors, wide tables fit the page, the bytes repeat, and it fetches nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import SAMPLE

import csp_assess as ca
from csp_assess.cli.options import flag_of
from csp_assess.errors import option_names

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("weasyprint")

VAWG = "Violence Against Women and Girls"
THEME_SECTIONS = [
    "Headline",
    "What the theme counts",
    "The series",
    "Season",
    "Sub-categories",
    "Places",
    "Quarterly view",
    "Data and methods",
]
FIGURE = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?%?")


@pytest.fixture(scope="module")
def theme_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from csp_assess.cli import main

    d = tmp_path_factory.mktemp("pdf")
    for name in ("vawg.pdf", "vawg.html"):
        try:
            main(["report", str(SAMPLE), "--theme", VAWG, "-o", str(d / name)])
        except SystemExit as exc:
            assert exc.code in (0, None)
    return d / "vawg.pdf", d / "vawg.html"


@pytest.fixture(scope="module")
def full_layout() -> tuple[Any, bytes]:
    """The full report laid out once (WeasyPrint's pages and boxes) and its PDF bytes."""
    from csp_assess.report import html_of
    from csp_assess.report.pdf import layout, pdf_bytes

    doc = layout(html_of(ca.report(SAMPLE).data))
    return doc, pdf_bytes(doc)


def _text(pdf: Path | bytes) -> list[str]:
    import io

    reader = pypdf.PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    return [page.extract_text() for page in reader.pages]


def _visible(html: str) -> str:
    body = html[re.search(r"<body[^>]*>", html).end() :]  # type: ignore[union-attr]
    body = re.sub(r"<(style|nav)\b.*?</\1>", " ", body, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", body))


def test_theme_pdf_opens_with_sections_in_order_and_page_numbers(theme_files: tuple[Path, Path]) -> None:
    pdf, _ = theme_files
    assert pdf.read_bytes()[:5] == b"%PDF-"
    pages = _text(pdf)
    n = len(pages)
    assert n >= 5
    for i, text in enumerate(pages, 1):
        assert f"Page {i} of {n}" in text
    whole = "\n".join(pages)
    where = [whole.find(f"\n{s}\n") if f"\n{s}\n" in whole else whole.find(s) for s in THEME_SECTIONS]
    assert all(w >= 0 for w in where) and where == sorted(where), dict(
        zip(THEME_SECTIONS, where, strict=True)
    )
    meta = pypdf.PdfReader(pdf).metadata
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20000101000000Z"
    assert meta["/Title"].startswith("Theme pack: Violence Against Women and Girls")


def test_theme_pdf_figures_are_the_htmls(theme_files: tuple[Path, Path]) -> None:
    pdf, html = theme_files
    in_html = set(FIGURE.findall(_visible(html.read_text(encoding="utf-8"))))
    in_pdf = set(FIGURE.findall("\n".join(_text(pdf))))
    assert {"692", "562", "+23.1%", "+1.2%"} <= in_html
    missing = sorted(in_html - in_pdf)
    assert missing == []


def test_theme_pdf_bytes_repeat(theme_files: tuple[Path, Path], tmp_path: Path) -> None:
    pdf, _ = theme_files
    with option_names(flag_of):  # the caveats name options as the command line does
        again = ca.theme_pack(SAMPLE, theme=VAWG).write(tmp_path / "again.pdf")
    assert again.read_bytes() == pdf.read_bytes()


def _images(obj: Any, seen: set[int]) -> int:
    """Raster images reachable from a page's resources (SVG charts drawn as vectors have none)."""
    count = 0
    xobjects = obj.get("/Resources", {}).get("/XObject", {}) if hasattr(obj, "get") else {}
    for ref in xobjects.values():
        x = ref.get_object()
        if id(x) in seen:
            continue
        seen.add(id(x))
        count += 1 if x.get("/Subtype") == "/Image" else _images(x, seen)
    return count


def test_charts_are_vectors(theme_files: tuple[Path, Path]) -> None:
    reader = pypdf.PdfReader(theme_files[0])
    assert sum(_images(page, set()) for page in reader.pages) == 0
    series = next(p for p in _text(theme_files[0]) if "The series" in p)
    assert "Offences per month" in series  # the chart's axis label is text in the PDF, not pixels


def test_page_renders_to_a_non_blank_image(theme_files: tuple[Path, Path], tmp_path: Path) -> None:
    tool = shutil.which("pdftoppm")
    if tool is None:
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils): cannot render a page")
    from PIL import Image

    subprocess.run([tool, "-r", "40", "-png", "-f", "3", "-l", "3", str(theme_files[0]), str(tmp_path / "p")],
                   check=True, timeout=60)  # fmt: skip
    (png,) = tmp_path.glob("p*.png")
    img = Image.open(png).convert("L")
    hist = img.histogram()
    dark = sum(hist[:200]) / (img.width * img.height)
    assert dark > 0.01, f"page 3 is nearly blank ({dark:.2%} ink)"


def test_full_report_pdf_sections_landscape_and_tables_that_fit(full_layout: tuple[Any, bytes]) -> None:
    doc, data = full_layout
    pages = _text(data)
    whole = "\n".join(pages)
    for s in ("Headline", "Offences by month", "Ranking by volume, harm and cost", "Recommended priorities",
              "Deep dives", "Data and methods"):  # fmt: skip
        assert s in whole
    for i, text in enumerate(pages, 1):
        assert f"Page {i} of {len(pages)}" in text
    reader = pypdf.PdfReader(__import__("io").BytesIO(data))
    ranking = [i for i, t in enumerate(pages) if "Ranking by volume, harm and cost" in t][0]
    box = reader.pages[ranking].mediabox
    assert box.width > box.height  # the ranking's ten columns get a landscape page
    assert _overflowing_tables(doc) == []
    assert "20,516" in whole and "18,568" in whole  # the headline, as in the HTML and the sample's own sums


def _overflowing_tables(doc: Any) -> list[tuple[int, float]]:
    """(page, points too wide) for each table WeasyPrint laid out wider than its page's content box."""
    from weasyprint.formatting_structure import boxes

    out = []
    for n, page in enumerate(doc.pages, 1):
        pb = page._page_box
        right = pb.content_box_x() + pb.width
        for b in pb.descendants():
            if isinstance(b, boxes.TableBox) and b.position_x + b.margin_width() > right + 0.5:
                out.append((n, round(b.position_x + b.margin_width() - right, 1)))
    return out


def test_group_theme_pack_tables_fit_in_print() -> None:
    from csp_assess.report import html_of
    from csp_assess.report.pdf import layout

    doc = layout(html_of(ca.theme_pack(SAMPLE, theme="Serious violence").data))
    assert _overflowing_tables(doc) == []
    assert any(p.width > p.height for p in doc.pages)  # the priorities' reasons get a landscape page


def test_pdf_fetches_nothing_but_data_uris(tmp_path: Path) -> None:
    from csp_assess.report.pdf import render_pdf

    secret = tmp_path / "secret.svg"
    secret.write_text('<svg xmlns="http://www.w3.org/2000/svg"><text y="20">SECRETWORD</text></svg>')
    html = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body><h1>t</h1>'
        f'<img src="{secret.as_uri()}"><img src="http://192.0.2.1/x.png"></body></html>'
    )
    text = "\n".join(_text(render_pdf(html)))
    assert "SECRETWORD" not in text

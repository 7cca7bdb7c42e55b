"""The report or a theme pack as PDF: the same HTML, laid out for A4 by WeasyPrint, offline.

- Offline: the only URLs WeasyPrint may fetch are ``data:`` URIs (the embedded charts); anything else is
  refused, so a report never touches the network or the file system through its content.
- A4 portrait, page numbers ("Page 3 of 12") and the title in the footer; the widest tables (the ranking,
  the pre-COVID table, the matrix, the plan, the theme's priorities and quarterly view) get landscape pages so no column is cut.
- Charts stay vectors: the SVGs the HTML embeds are drawn by WeasyPrint's SVG renderer, text as text.
- Deterministic: fixed creation and modification dates and a fixed file identifier, so the same input gives
  the same bytes with the same WeasyPrint, pydyf and fonts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csp_assess.errors import InputError

PDF_CSS = """
@page {
  size: A4; margin: 15mm 13mm 17mm;
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #555; }
  @bottom-left { content: string(doctitle); font-size: 8pt; color: #555; }
}
@page wide { size: A4 landscape; margin: 13mm 15mm 15mm; }
h1 { string-set: doctitle content(); }
html { font-size: 9.5pt; }
body { max-width: none; padding: 0; }
nav { display: none; }
h2 { break-before: page; break-after: avoid; }
h2.keep { break-before: auto; }
body.theme-pack h2 { break-before: auto; } /* a theme pack's sections are short: they follow on */
body.theme-pack section { break-inside: avoid; }
section#ranking, section#baseline, section#counts, section#quarterly, section#matrix, section#plan { page: wide; }
.wide { overflow: visible; }
table { font-size: 7.8pt; break-inside: auto; }
th, td { padding: .15rem .3rem; overflow-wrap: break-word; }
.cards { display: flex; flex-wrap: wrap; gap: .5rem; }
.card { flex: 1 1 40%; }
thead { display: table-header-group; }
tr, figure, .card { break-inside: avoid; }
figure img { width: 100%; }
a { color: inherit; text-decoration: none; }
"""

#: Fixed document dates (ISO 8601), written as the PDF's CreationDate and ModDate.
FIXED_DATE = "2000-01-01T00:00:00Z"
#: Fixed file identifier: WeasyPrint otherwise derives one that can vary between runs.
PDF_IDENTIFIER = b"csp-assess-report"


def for_print(html: str) -> str:
    """The HTML with fixed dcterms dates (WeasyPrint writes them as the PDF's dates) and the PDF styles.

    The styles go in the document, after its own: WeasyPrint treats ``stylesheets=`` as user styles,
    which lose to the document's ``@page`` rules (the landscape pages would never apply).
    """
    meta = (
        f'<meta name="dcterms.created" content="{FIXED_DATE}">'
        f'<meta name="dcterms.modified" content="{FIXED_DATE}">'
    )
    html = html.replace("<head>", "<head>" + meta, 1)
    return html.replace("</head>", f"<style>{PDF_CSS}</style></head>", 1)


def layout(html: str) -> Any:
    """WeasyPrint's laid-out document (pages and boxes) of ``html``, fetching ``data:`` URIs only."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as err:  # OSError: WeasyPrint is there but Pango is not
        raise InputError(
            f"a PDF report needs WeasyPrint and Pango ({err}): pip install weasyprint, or write .html and print it"
        ) from err

    fetcher = URLFetcher(allowed_protocols={"data"})  # anything else is refused and left out
    return HTML(string=for_print(html), url_fetcher=fetcher, base_url=None).render()


def render_pdf(html: str) -> bytes:
    """PDF bytes of ``html`` (a report or theme pack from ``render_html``/``render_theme_html``)."""
    return pdf_bytes(layout(html))


def pdf_bytes(document: Any) -> bytes:
    """The bytes of a laid-out document, with the fixed identifier."""
    pdf = document.write_pdf(pdf_identifier=PDF_IDENTIFIER)
    assert pdf is not None  # write_pdf returns the bytes when no target is given
    return bytes(pdf)


def write_pdf(html: str, output: Path) -> None:
    output.write_bytes(render_pdf(html))

"""The evidence pack: one document (HTML, Markdown, Excel or PDF) assembled from the same analyses as the commands.

``build.build_report`` gathers the figures (headline, series, baseline, ranking, priorities, deep dives,
data and methods) into a ``ReportData``; ``theme.build_theme`` gathers a theme pack's into a ``ThemeData``;
``html``/``theme_html``, ``markdown``/``theme_markdown`` and ``xlsx`` only lay them out, and ``pdf`` prints
the HTML. Charts (``charts``) use matplotlib, imported only when a report is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from csp_assess.errors import InputError, UsageError

if TYPE_CHECKING:
    from csp_assess.report.build import ReportData
    from csp_assess.report.theme import ThemeData

FORMAT_BY_SUFFIX = {".html": "html", ".htm": "html", ".md": "markdown", ".xlsx": "xlsx", ".pdf": "pdf"}
REPORT_FORMATS = ("html", "markdown", "xlsx", "pdf")


def report_format(output: Path, fmt: str | None) -> str:
    """The format asked for, or the one the output file's extension implies."""
    if fmt is not None:
        if fmt not in REPORT_FORMATS:
            raise UsageError(f"report format must be one of {', '.join(REPORT_FORMATS)}, not '{fmt}'")
        return fmt
    found = FORMAT_BY_SUFFIX.get(output.suffix.lower())
    if found is None:
        raise UsageError(
            f"cannot tell the report format from '{output.name}': name it .html, .md, .xlsx or .pdf, or give --format",
            file=str(output),
        )
    return found


def html_of(data: ReportData | ThemeData) -> str:
    """The report's or theme pack's HTML (also the source of its PDF)."""
    from csp_assess.report.theme import ThemeData

    if isinstance(data, ThemeData):
        from csp_assess.report.theme_html import render_theme_html

        return render_theme_html(data)
    from csp_assess.report.html import render_html

    return render_html(data)


def write_report(data: ReportData | ThemeData, kind: str, output: Path) -> None:
    """Lay the report (or theme pack) out in ``kind`` and write it to ``output``; Markdown's charts are
    SVG files beside it (see ``images``). Atomic: a failed write leaves the previous report intact; never
    over an input file; ``-`` is standard output."""
    from csp_assess.output import check_not_input, write_atomic
    from csp_assess.report.theme import ThemeData

    check_not_input(output, [s["path"] for s in getattr(data, "sources", [])])

    try:
        if kind == "xlsx":
            from csp_assess.report.xlsx import write_xlsx

            write_xlsx(data, output)
            return
        if kind == "pdf":
            from csp_assess.report.pdf import write_pdf

            write_pdf(html_of(data), output)
            return
        if kind == "html":
            text = html_of(data)
        else:
            from csp_assess.report.images import ChartFiles

            charts = ChartFiles(output)
            if isinstance(data, ThemeData):
                from csp_assess.report.theme_markdown import render_theme_markdown

                text = render_theme_markdown(data, charts)
            else:
                from csp_assess.report.markdown import render_markdown

                text = render_markdown(data, charts)
        write_atomic(output, text)
    except OSError as err:  # name what failed: the charts folder of a Markdown report, not only the report
        raise InputError(f"cannot write report: {err.strerror}", file=str(err.filename or output)) from err

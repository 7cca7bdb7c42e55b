"""The evidence pack: one document (HTML, Markdown or Excel) assembled from the same analyses as the commands.

``build.build_report`` gathers the figures (headline, series, baseline, ranking, priorities, deep dives,
data and methods) into a ``ReportData``; ``html``, ``markdown`` and ``xlsx`` only lay it out. Charts
(``charts``) use matplotlib, imported only when a report is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from csp_assess.errors import InputError

if TYPE_CHECKING:
    from csp_assess.report.build import ReportData

FORMAT_BY_SUFFIX = {".html": "html", ".htm": "html", ".md": "markdown", ".xlsx": "xlsx"}
REPORT_FORMATS = ("html", "markdown", "xlsx")


def report_format(output: Path, fmt: str | None) -> str:
    """The format asked for, or the one the output file's extension implies."""
    if fmt is not None:
        if fmt not in REPORT_FORMATS:
            raise InputError(f"report format must be one of {', '.join(REPORT_FORMATS)}, not '{fmt}'")
        return fmt
    found = FORMAT_BY_SUFFIX.get(output.suffix.lower())
    if found is None:
        raise InputError(
            f"cannot tell the report format from '{output.name}': name it .html, .md or .xlsx, or give --format",
            file=str(output),
        )
    return found


def write_report(data: ReportData, kind: str, output: Path) -> None:
    """Lay the report out in ``kind`` and write it to ``output`` (atomically: a failed write leaves the
    previous report intact; never over an input file; ``-`` is standard output)."""
    from csp_assess.output import check_not_input, write_atomic

    check_not_input(output, [s["path"] for s in data.sources])
    try:
        if kind == "xlsx":
            from csp_assess.report.xlsx import write_xlsx

            write_xlsx(data, output)
            return
        if kind == "html":
            from csp_assess.report.html import render_html

            text = render_html(data)
        else:
            from csp_assess.report.markdown import render_markdown

            text = render_markdown(data)
        write_atomic(output, text)
    except OSError as err:
        raise InputError(f"cannot write report: {err.strerror}", file=str(output)) from err

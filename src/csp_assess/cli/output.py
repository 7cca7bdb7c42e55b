"""The last step of every command: render the result in the format asked for, to the terminal or a file."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from csp_assess.cli.options import Output
from csp_assess.result import Result
from csp_assess.results import AssessmentResult

FORMATS = ("table", "csv", "json", "markdown", "xlsx")
FORMAT_BY_SUFFIX = {
    ".csv": "csv",
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "table",
    ".xlsx": "xlsx",
}


def target(out: Output) -> Path | None:
    """The output file, or None for the terminal (no ``--output``, or ``--output -``)."""
    return None if out.output is None or str(out.output) == "-" else out.output


def format_of(out: Output) -> str:
    """The format asked for, or the one the output file's extension implies; an extension that names no
    format we write is refused rather than filled with a terminal table."""
    path = target(out)
    if out.fmt is not None:
        if out.fmt not in FORMATS:
            raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}, not '{out.fmt}'")
        return out.fmt
    if path is None:
        return "table"
    found = FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if found is None:
        raise typer.BadParameter(
            f"cannot tell the format from '{path.name}': name the file .csv, .json, .md, .txt or .xlsx, "
            "or give --format (the report command also writes .html and .pdf)"
        )
    return found


def emit(result: AssessmentResult | Result, out: Output) -> None:
    """Render ``result`` as ``out`` asks; say what was written where."""
    from csp_assess.render import emit as render

    fmt = format_of(out)
    path = target(out)
    res = result.result if isinstance(result, AssessmentResult) else result
    if fmt == "xlsx":
        if path is None:
            raise typer.BadParameter("an .xlsx workbook is written to a file: give --output FILE.xlsx")
        from csp_assess.render import stderr_notes
        from csp_assess.report.xlsx import write_tables_xlsx

        sheets = {(res.command if name == res.primary else name): t for name, t in res.tables.items()}
        write_tables_xlsx(sheets, res.title or res.command, path)  # one sheet per table
        stderr_notes(res)
    else:
        render(res, fmt, path)
    if path is not None:
        print(f"Wrote {path} ({fmt})", file=sys.stderr)


def write_matrix_chart(result: Result, path: Path) -> None:
    """The matrix chart of a ranking with a scoring file, as SVG."""
    from csp_assess.render import write_text
    from csp_assess.report.sections import matrix_section

    section = matrix_section(result)
    if section is None or section.svg is None:
        raise typer.BadParameter("--matrix-chart needs --scoring")
    write_text(path, section.svg, "utf-8")
    print(f"Wrote {path} (svg)", file=sys.stderr)

"""Rendering a Result: the only place that knows about rich, CSV, JSON and Markdown."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported for the table format only: CSV and JSON runs skip its ~50 ms
    from csp_assess.result import Result

FORMAT_BY_SUFFIX = {".csv": "csv", ".json": "json", ".md": "markdown", ".txt": "table"}


def emit(result: Result, fmt: str | None, output: Path | None) -> None:
    """Write the result in ``fmt`` (or the format the output's extension implies) to stdout or a file.

    A file is written atomically and never over one of the result's input files; ``-`` is stdout.
    """
    from csp_assess.output import check_not_input, is_stdout, safe_stdio, write_atomic, write_stdout
    from csp_assess.render.export import to_csv, to_json, to_markdown

    if is_stdout(output):
        output = None
    check_not_input(output, [s["path"] for s in result.sources])
    safe_stdio()
    if fmt is None:
        fmt = FORMAT_BY_SUFFIX.get(output.suffix.lower(), "table") if output else "table"
    if fmt == "table":
        from csp_assess.render.table import render_table, terminal_console

        if output is None:
            # Piped to a file or pager: wide enough that category names are not folded letter by letter.
            width = _columns() or (None if sys.stdout.isatty() else 160)
            render_table(result, terminal_console(width=width))
            return
        buf = io.StringIO()
        render_table(result, terminal_console(file=buf, width=160, no_color=True))
        write_atomic(output, buf.getvalue())
        return
    text = {"csv": to_csv, "json": to_json, "markdown": to_markdown}[fmt](result)
    if output is None:
        write_stdout(text, "utf-8-sig" if fmt == "csv" else "utf-8")
        if fmt == "csv":
            stderr_notes(result)
        return
    write_atomic(output, text, "utf-8-sig" if fmt == "csv" else "utf-8")
    stderr_notes(result)


def _columns() -> int | None:
    """The width set in COLUMNS (as shells and ``COLUMNS=100 csp-assess ...`` set it), if any."""
    import os

    try:
        found = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return None
    return found if found > 0 else None


def stderr_notes(result: Result) -> None:
    """CSV carries only the table: the reconciliation and warnings go to stderr so they are still seen."""
    from csp_assess.render.values import printable

    for n in result.notes:
        print(printable(n), file=sys.stderr)
    for w in result.warnings:
        print(f"Warning: {printable(w)}", file=sys.stderr)


def write_text(path: Path, text: str, encoding: str) -> None:
    """Write a whole document to ``path``, atomically (the previous file stays whole if this fails)."""
    from csp_assess.output import write_atomic

    write_atomic(path, text, encoding)

"""Rendering a Result: the only place that knows about rich, CSV, JSON and Markdown."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from csp_assess.errors import InputError

if TYPE_CHECKING:  # rich is imported for the table format only: CSV and JSON runs skip its ~50 ms
    from csp_assess.result import Result

FORMAT_BY_SUFFIX = {".csv": "csv", ".json": "json", ".md": "markdown", ".txt": "table"}


def emit(result: Result, fmt: str | None, output: Path | None) -> None:
    """Write the result in ``fmt`` (or the format the output's extension implies) to stdout or a file."""
    from csp_assess.render.export import to_csv, to_json, to_markdown

    if fmt is None:
        fmt = FORMAT_BY_SUFFIX.get(output.suffix.lower(), "table") if output else "table"
    if fmt == "table":
        from rich.console import Console

        from csp_assess.render.table import render_table

        if output is None:
            # Piped to a file or pager: wide enough that category names are not folded letter by letter.
            width = None if sys.stdout.isatty() else 160
            render_table(result, Console(highlight=False, width=width))
            return
        with _open(output, "utf-8") as fh:
            render_table(result, Console(file=fh, width=160, no_color=True, highlight=False))
        return
    text = {"csv": to_csv, "json": to_json, "markdown": to_markdown}[fmt](result)
    if output is None:
        if fmt == "csv":
            sys.stdout.write("\ufeff" + text if not sys.stdout.isatty() else text)
            _stderr_notes(result)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
        return
    with _open(output, "utf-8-sig" if fmt == "csv" else "utf-8") as fh:
        fh.write(text)
    _stderr_notes(result)


def _stderr_notes(result: Result) -> None:
    """CSV carries only the table: the reconciliation and warnings go to stderr so they are still seen."""
    for n in result.notes:
        print(n, file=sys.stderr)
    for w in result.warnings:
        print(f"Warning: {w}", file=sys.stderr)


def _open(path: Path, encoding: str):
    try:
        return path.open("w", encoding=encoding, newline="")
    except OSError as err:
        raise InputError(f"cannot write output: {err.strerror}", file=str(path)) from err


def write_text(path: Path, text: str, encoding: str) -> None:
    """Write a whole document to ``path``."""
    with _open(path, encoding) as fh:
        fh.write(text)

"""Machine-readable outputs: JSON (the stable contract), CSV (UTF-8 with BOM, for Excel) and Markdown."""

from __future__ import annotations

import io
import json
from typing import Any

from csp_assess.render.values import human, md_text, neutralise, plain, records
from csp_assess.result import Result


def to_json_obj(result: Result) -> dict[str, Any]:
    """The JSON document: every column of every table whatever the layout (a stable schema; people's
    formats leave out repeats and empty plan columns), totals in the meta keys, never as a row."""
    obj: dict[str, Any] = {k: plain(v) for k, v in result.meta.items()}
    for name, table in result.tables.items():
        obj[name] = records(table.frame, table.columns + table.detail_columns)
    obj.update(_reconciled(result))
    obj["sources"] = result.sources
    obj["warnings"] = result.warnings
    return obj


def _reconciled(result: Result) -> dict[str, int]:
    """rows read = counted + rejected over the files, as the terminal's "Read ..." line says: a script
    reading summary, compare, trend... JSON had only the per-file figures (rank, stops and outcomes give
    their own, which stand)."""
    keys = ("rows_read", "rows_counted", "rows_rejected")
    if any(k in result.meta for k in keys) or not result.sources:
        return {}
    if not all(isinstance(s.get(k), int) for s in result.sources for k in keys):
        return {}
    return {k: sum(int(s[k]) for s in result.sources) for k in keys}


def to_json(result: Result) -> str:
    return json.dumps(to_json_obj(result), indent=2, ensure_ascii=False) + "\n"


def to_csv(result: Result, table_name: str | None = None) -> str:
    """The primary table as CSV text (the caller writes it with a BOM). Formula-like text is neutralised."""
    table = result.tables[table_name or result.primary]
    frame = table.people_frame(detail=True).map(_csv_cell)
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\r\n")
    return buf.getvalue()


def _csv_cell(value: Any) -> Any:
    """A CSV cell: empty for unknown, so a whole-number column with a gap stays whole (193, not 193.0)."""
    v = plain(value)
    return "" if v is None else neutralise(v)


def _md_escape(text: str) -> str:
    """Names come from the input files: nothing in them may become HTML, a code span, an image or a link."""
    return md_text(text)


def to_markdown(result: Result) -> str:
    lines = [f"# {_md_escape(result.title or result.command)}", ""]
    for k, v in result.meta.items():
        if v is not None and not isinstance(v, list | dict):
            lines.append(f"- **{k}**: {_md_escape(str(plain(v)))}")
    for table in result.tables.values():
        cols = table.shown_columns()
        lines += [
            "",
            f"## {_md_escape(table.title)}",
            "",
            "| " + " | ".join(cols) + " |",
            "|" + "|".join("---:" if table.frame[c].dtype.kind in "iuf" else "---" for c in cols) + "|",
        ]
        for row in table.people_frame()[cols].itertuples(index=False):
            lines.append(
                "| " + " | ".join(_md_escape(human(v, c)) for c, v in zip(cols, row, strict=True)) + " |"
            )
    lines += ["", "## Sources", ""]
    for s in result.sources:
        lines.append(
            f"- {_md_escape(s['path'])} ({s['layout']}, {s['encoding']}): {s['rows_read']:,} rows read, "
            f"{s['rows_counted']:,} counted, {s['rows_rejected']:,} rejected; months used "
            f"{_md_escape(s['months_used_span'])}"
        )
    for n in result.notes:
        lines.append(f"- {_md_escape(n)}")
    if result.warnings:
        lines += ["", "## Warnings", ""] + [f"- {_md_escape(w)}" for w in result.warnings]
    return "\n".join(lines) + "\n"

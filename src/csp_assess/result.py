"""What every command returns before rendering: metadata, named tables, provenance and warnings.

Renderers (``render/``) turn a ``Result`` into a terminal table, CSV, JSON or Markdown; commands never
print. ``meta`` keys come first in JSON, then each table under its name, then sources and warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from csp_assess.model import Extract, SourceFile
from csp_assess.periods import span_label


@dataclass
class Table:
    frame: pd.DataFrame
    columns: list[str]  # the contract columns, in order (JSON/CSV always carry these)
    title: str = ""
    detail_columns: list[str] = field(default_factory=list)  # extra columns, carried in JSON and CSV


@dataclass
class Result:
    command: str
    meta: dict[str, Any]
    tables: dict[str, Table]
    sources: list[dict[str, Any]]
    warnings: list[str]
    title: str = ""
    notes: list[str] = field(default_factory=list)  # footnotes for people (not in CSV)
    primary: str = "rows"  # the table written by --format csv


# The provenance columns a person reads in a report's data-and-methods section.
SOURCE_SUMMARY_COLUMNS = [
    "path",
    "layout",
    "categories",
    "encoding",
    "rows_read",
    "rows_counted",
    "rows_rejected",
    "months_used_span",
]


def source_record(s: SourceFile) -> dict[str, Any]:
    """One file's provenance, as carried in every output."""
    return {
        "path": s.path,
        "layout": s.layout,
        "categories": s.scheme,
        "encoding": s.encoding,
        "rows_read": s.rows_read,
        "rows_counted": s.rows_counted,
        "rows_rejected": s.rows_rejected,
        "offences": s.offences,
        "count_column": (s.count_column or "(none: one offence per row)") if s.level == "record" else None,
        "first_month": str(s.first_month) if s.first_month is not None else None,
        "last_month": str(s.last_month) if s.last_month is not None else None,
        "months_used": len(s.months_used),
        "months_used_span": span_label(s.months_used) if s.months_used else "none",
        "superseded": [
            {"by": by, "months": len(ms), "span": span_label(ms)} for by, ms in s.superseded_by.items()
        ],
    }


def reconciliation(extract: Extract) -> str:
    """The line that proves nothing was dropped: rows read = counted + rejected."""
    files = len(extract.sources)
    return (
        f"Read {extract.rows_read:,} rows from {files} file{'s' if files != 1 else ''}: "
        f"{extract.rows_counted:,} counted + {extract.rows_rejected:,} rejected"
        + (" (see validate for the list)" if extract.rows_rejected else "")
    )

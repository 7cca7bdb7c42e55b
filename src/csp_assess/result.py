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
    """A named table of a result. JSON carries every contract and detail column of ``frame``, whatever the
    data, so a script's keys never depend on the layout; what people read (screen, CSV, Markdown, Excel)
    leaves out what would only repeat or be empty (``shown_columns``) and adds the ``total`` row."""

    frame: pd.DataFrame
    columns: list[str]  # the contract columns, in order (JSON always carries these)
    title: str = ""
    detail_columns: list[str] = field(default_factory=list)  # extra columns, carried in JSON and CSV
    # Columns JSON keeps for a stable schema that people are not shown (e.g. plan columns without a plan).
    json_only: list[str] = field(default_factory=list)
    # A Total row for people (cells by column); JSON keeps its figures in the result's meta instead.
    total: dict[str, Any] | None = None
    # Column headings for people where the usual one would mislead (places listed under "category").
    headers: dict[str, str] = field(default_factory=dict)
    # The columns a narrow terminal leaves out first, in order, where the renderer's usual order (made for
    # the ranking) would shed one this table needs; None keeps the usual order (render.table.DROP_ORDER).
    drop_order: list[str] | None = None

    def shown_columns(self, detail: bool = False) -> list[str]:
        """The columns people read: the contract (and with ``detail``, the detail) columns in the frame,
        less ``json_only`` and less a ``major`` column that repeats ``category`` on every row (a one-level
        layout such as police.uk, whose crime type is both, or a ranking by major category)."""
        cols = [c for c in self.columns + (self.detail_columns if detail else []) if c in self.frame.columns]
        hidden = set(self.json_only)
        if repeats_category(self.frame):
            hidden.add("major")
        return [c for c in cols if c not in hidden]

    def people_frame(self, detail: bool = False) -> pd.DataFrame:
        """The frame as people read it: ``shown_columns`` and, last, the ``total`` row (blank where the
        total has no value: a test or a rank of a sum means nothing)."""
        cols = self.shown_columns(detail)
        frame = self.frame[cols].reset_index(drop=True)
        if self.total is None:
            return frame
        row = pd.DataFrame([{c: self.total.get(c) for c in cols}], columns=cols).astype(object)
        return pd.concat([frame.astype(object), row], ignore_index=True)


def repeats_category(frame: pd.DataFrame) -> bool:
    """True when a frame's ``major`` column holds the same text as its ``category`` on every row."""
    if "major" not in frame.columns or "category" not in frame.columns or frame.empty:
        return False
    major = frame["major"].astype(object).where(frame["major"].notna(), None)
    category = frame["category"].astype(object).where(frame["category"].notna(), None)
    return bool((major == category).all())


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
    # A file all of whose months a newer snapshot supplies (a folder and its zip, the same download twice)
    # was read and counted but adds nothing: say how much, so "counted" squares with the figures.
    idle = [s for s in extract.sources if s.months_covered and not s.months_used]
    return (
        f"Read {extract.rows_read:,} rows from {files} file{'s' if files != 1 else ''}: "
        f"{extract.rows_counted:,} counted + {extract.rows_rejected:,} rejected"
        + (" (see validate for the list)" if extract.rows_rejected else "")
        + (
            f"; {sum(s.rows_counted for s in idle):,} of the rows counted are in {len(idle)} file(s) whose "
            "months all come from newer snapshots, so they are not in the figures"
            if idle
            else ""
        )
    )

"""Turning cell values into JSON-safe Python values and human-readable strings, the same way everywhere."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from csp_assess.safetext import SPREADSHEET_TRIGGERS, neutralise, printable  # noqa: F401 - re-exported

_MD_SPECIAL = re.compile(r"[\\`*_\[\]!~|#<>&]|://|(?<![\w.])www\.")
_MD_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def md_text(text: str) -> str:
    """Text from the data made inert in Markdown (tables and running text alike): no HTML (``<script>``,
    ``<img onerror>``), no code spans, no emphasis, no images or links (``![x](http://...)``, bare URLs),
    no table breaks, no new lines; control characters written out as in ``printable``."""
    flat = printable(text.replace("\r\n", " ").replace("\n", " ").replace("\r", " "))
    return _MD_SPECIAL.sub(_md_sub, flat)


def _md_sub(match: re.Match[str]) -> str:
    found = match.group()
    if found in _MD_ENTITY:
        return _MD_ENTITY[found]
    if found == "://":
        return ":\\/\\/"  # breaks a bare URL's autolink; renders as "://"
    if found.endswith("."):
        return found[:-1] + "\\."
    return "\\" + found


def plain(value: Any) -> Any:
    """numpy/pandas scalars -> plain Python; NaN/NA -> None; Periods -> 'YYYY-MM'."""
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if math.isnan(f) else f
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Period):
        return str(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    cols = [c for c in columns if c in frame.columns]
    return [
        {c: plain(v) for c, v in zip(cols, row, strict=True)} for row in frame[cols].itertuples(index=False)
    ]


def human(value: Any, column: str = "") -> str:
    """A cell for people: thousands separators, one decimal for percentages, '-' for unknown."""
    v = plain(value)
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:+,}" if column == "change" else f"{v:,}"
    if isinstance(v, float):
        if column.endswith("_pct"):  # a change is signed; a share of a whole is not
            signed = (
                "change" in column or column in ("contribution_pct", "vs_baseline_pct")
            ) and not column.endswith("share_pct")
            return f"{v:+.1f}%" if signed else f"{v:.1f}%"
        if column in ("p_value", "p_adjusted"):
            return f"{v:.3f}" if v >= 0.001 else "<0.001"
        if column == "cost_gbp":
            return (
                f"£{v / 1e6:,.1f}m"
                if abs(v) >= 1e6
                else f"£{v / 1e3:,.0f}k"
                if abs(v) >= 1e3
                else f"£{v:,.0f}"
            )
        if column == "harm":
            return f"{v:,.0f}"
        if column == "change":
            return f"{v:+,.0f}"
        if column in ("score", "z") or column.endswith("_share"):
            return f"{v:.1f}"
        if column in ("total", "computed_total", "likelihood", "impact"):  # the matrix's 1-5 means
            return f"{v:.2f}"  # as computed (rounded to 2 places), so a tie or a near-tie reads as one
        if v.is_integer():
            return f"{int(v):,}"
        return f"{v:,.1f}" if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)

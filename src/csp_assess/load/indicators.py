"""Partner indicators: monthly counts a partner shares (ASB incidents, deliberate fires, reoffending...).

Layout (CSV, ``.xlsx`` first sheet, or Parquet), one row per month, area and indicator::

    month,area[,subarea],indicator,count[,source]
    2021-04,Testshire,,Deliberate fires,12,Testshire Fire and Rescue Service

* ``month``: ``YYYY-MM``, ``YYYYMM``, an ISO or UK (day-first) date, or ``Mar 2022`` (as long extracts).
* ``count``: a whole number of 0 or more.
* ``source``: who supplied the figure; blank or absent, the file name is the source.
* ``subarea`` (ward, LSOA...) is optional: area totals sum the subareas.
* Other headers are mapped like long extracts: ``--indicator-map indicator="Measure"`` (API
  ``indicator_map={"indicator": "Measure"}``).

Rows for the same month, area, subarea, indicator and source are summed (daily or weekly rows make a
month); a row repeating an earlier row's date text, area, subarea, indicator and source is rejected as a
duplicate (a block pasted twice would otherwise double the count). A row with an unreadable month,
a blank area or indicator, or a bad count is rejected with its line and the column at fault. Rows read =
counted + rejected. Indicators are never added to crime totals: they are a separate table.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csp_assess.errors import InputError, LayoutError
from csp_assess.load.long import parse_months
from csp_assess.load.record_values import count_reason as count_reason_text
from csp_assess.load.record_values import parse_count_text
from csp_assess.load.textio import read_text
from csp_assess.model import Reject, SourceFile

CANONICAL = ("month", "area", "subarea", "indicator", "count", "source")
REQUIRED = ("month", "area", "indicator", "count")
ALIASES: dict[str, tuple[str, ...]] = {
    "month": ("month", "date", "period"),
    "area": ("area", "local authority", "la", "csp", "district", "borough"),
    "subarea": ("subarea", "ward", "lsoa"),
    "indicator": ("indicator", "measure", "metric"),
    "count": ("count", "value", "number", "n"),
    "source": ("source", "supplier", "provider"),
}
INDICATOR_COLUMNS = ["area", "subarea", "month", "indicator", "source", "count"]


@dataclass
class Indicators:
    """Partner indicator counts with their provenance; never part of a crime counts table."""

    counts: pd.DataFrame  # area, subarea, month (Period[M]), indicator, source, count
    path: str
    rows_read: int
    rows_counted: int
    rejects: list[Reject] = field(default_factory=list)
    encoding: str = ""  # as sniffed (utf-8, utf-8-sig, cp1252); "" for .xlsx and Parquet

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)

    @property
    def names(self) -> list[str]:
        return sorted(self.counts["indicator"].unique().tolist())

    def source_of(self, indicator: str) -> str:
        """Who supplied an indicator (several suppliers joined by '; ')."""
        rows = self.counts[self.counts["indicator"].str.lower() == indicator.strip().lower()]
        return "; ".join(sorted(rows["source"].unique().tolist()))


def _columns(header: list[str], mapping: dict[str, str], name: str) -> dict[str, str]:
    lower = {h.strip().lower(): h for h in header}
    out: dict[str, str] = {}
    for canon, col in mapping.items():
        if canon not in CANONICAL:
            raise LayoutError(
                f"{{indicator_map}} names '{canon}', which is not one of {', '.join(CANONICAL)}",
                file=name,
                params=["indicator_map"],
            )
        if col.strip().lower() not in lower:
            raise LayoutError(
                f'{{indicator_map}} {canon}="{col}": no such column; the file has {", ".join(header[:12])}',
                file=name,
                params=["indicator_map"],
            )
        out[canon] = lower[col.strip().lower()]
    for canon in CANONICAL:
        if canon in out:
            continue
        for alias in ALIASES[canon]:
            if alias in lower and lower[alias] not in out.values():
                out[canon] = lower[alias]
                break
    for canon in REQUIRED:
        if canon not in out:
            raise LayoutError(
                f"no {canon} column in the partner indicators file (layout month,area[,subarea],indicator,count"
                f'[,source]): name it with {{indicator_map}} {canon}="<column>"',
                file=name,
                line=1,
                params=["indicator_map"],
            )
    return out


def _frame(path: Path) -> tuple[pd.DataFrame, int, str]:
    """The file as strings, the file line of its first data row, and the encoding read ("" if binary)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError("partner indicators file not found: check the path", file=str(path))
    if suffix == ".xlsx":
        return pd.read_excel(path, dtype=str, keep_default_na=False), 2, ""
    if suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
        return frame.astype("string").fillna("").astype(object), 2, ""
    text, encoding = read_text(path)
    try:
        frame = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read the indicators CSV ({str(err).strip()})", file=str(path)) from err
    return frame, 2, encoding


def _parse_counts(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(counts, reason per row or "") read with the record reader's strict count rules (never '1e3',
    '1_000', 'inf' or a superscript; over 10^9 rejected)."""
    import pyarrow as pa

    raw = values.astype("string").fillna("").astype(str)
    counts, codes = parse_count_text(pa.array(raw.tolist(), type=pa.string()))
    reasons = [count_reason_text(int(c), r) if c else "" for c, r in zip(codes, raw, strict=True)]
    return pd.Series(counts, index=values.index), pd.Series(reasons, index=values.index, dtype="object")


def read_indicators(path: str | Path, mapping: dict[str, str] | None = None) -> Indicators:
    """Read a partner indicators file; every row is counted or rejected (file, line, column, what to do)."""
    p = Path(path)
    name = str(p)
    frame, first_line, encoding = _frame(p)
    cols = _columns([str(c) for c in frame.columns], mapping or {}, name)
    n = len(frame)
    lines = np.arange(first_line, first_line + n)
    months = parse_months(frame[cols["month"]])
    counts, count_reason = _parse_counts(frame[cols["count"]])
    area = frame[cols["area"]].astype(str).str.strip()
    indicator = frame[cols["indicator"]].astype(str).str.strip()
    subarea = (
        frame[cols["subarea"]].astype(str).str.strip()
        if "subarea" in cols
        else pd.Series("", index=frame.index)
    )
    source = (
        frame[cols["source"]].astype(str).str.strip()
        if "source" in cols
        else pd.Series("", index=frame.index)
    )
    source = source.where(source != "", p.name)
    rejects: list[Reject] = []
    ok = np.ones(n, dtype=bool)
    raw_month = frame[cols["month"]].astype(str)
    seen: dict[tuple[str, ...], int] = {}
    for i in range(n):
        why = ""
        if pd.isna(months.iloc[i]):
            why = f"column {cols['month']!r}: cannot read month '{raw_month.iloc[i]}' (use 2022-03 or 31/03/2022)"
        elif not area.iloc[i]:
            why = f"column {cols['area']!r}: blank area"
        elif not indicator.iloc[i]:
            why = f"column {cols['indicator']!r}: blank indicator name"
        elif count_reason.iloc[i]:
            why = f"column {cols['count']!r}: {count_reason.iloc[i]}"
        else:
            key = (
                raw_month.iloc[i].strip(),
                area.iloc[i],
                subarea.iloc[i],
                indicator.iloc[i],
                source.iloc[i],
            )
            first = seen.setdefault(key, int(lines[i]))
            if first != int(lines[i]):
                why = f"duplicate of line {first} (same month, area, indicator and source): not counted twice"
        if why:
            ok[i] = False
            rejects.append(Reject(name, int(lines[i]), why))
    kept = pd.DataFrame(
        {
            "area": area[ok].to_numpy(dtype=object),
            "subarea": subarea[ok].to_numpy(dtype=object),
            "month": months[ok].reset_index(drop=True),
            "indicator": indicator[ok].to_numpy(dtype=object),
            "source": source[ok].to_numpy(dtype=object),
            "count": counts[ok].to_numpy(dtype="int64"),
        }
    )
    out = kept.groupby(INDICATOR_COLUMNS[:-1], sort=True, as_index=False).agg(count=("count", "sum"))
    return Indicators(out, name, n, int(ok.sum()), rejects, encoding)


def is_indicators_file(path: Path) -> bool:
    """A CSV whose header has an ``indicator`` column and no offence category: a partner indicators file."""
    if path.suffix.lower() != ".csv":
        return False
    from csp_assess.load.textio import decode_bytes, read_head

    try:
        text, _ = decode_bytes(read_head(path, 4096).split(b"\n", 1)[0], str(path))
    except InputError:
        return False
    cols = {c.strip().strip('"').lower() for c in text.lstrip("\ufeff").split(",")}
    return "indicator" in cols and not cols & {"major", "minor", "crime type", "majortext", "minortext"}


def source_of_file(ind: Indicators) -> SourceFile:
    """The provenance record of an indicators file, for validate."""
    months = sorted(set(ind.counts["month"]))
    return SourceFile(
        path=ind.path,
        layout="partner-indicators",
        scheme="partner",
        level="area",
        encoding=ind.encoding,
        rows_read=ind.rows_read,
        rows_counted=ind.rows_counted,
        rows_rejected=ind.rows_rejected,
        offences=0,  # indicator counts are never offences
        first_month=months[0] if months else None,
        last_month=months[-1] if months else None,
        scope="partner-indicators",
        areas=sorted(ind.counts["area"].unique().tolist()),
        months_covered=months,
        months_used=months,
    )

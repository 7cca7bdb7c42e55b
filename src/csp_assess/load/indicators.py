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
from csp_assess.load.record import check_columns_unambiguous, check_header
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


@dataclass
class _Table:
    """The file as text cells: the header as written (duplicates kept), the data rows as an object
    DataFrame with positional columns, each row's line in the file, rows refused before the columns are
    known (ragged CSV rows), and the encoding read ("" for .xlsx and Parquet)."""

    header: list[str]
    rows: pd.DataFrame
    lines: np.ndarray
    ragged: list[Reject]
    encoding: str


def _frame(path: Path) -> _Table:
    """Read the whole file as text cells; a file that cannot be read is one ``InputError`` naming it."""
    suffix = path.suffix.lower()
    name = str(path)
    if not path.exists():
        raise InputError("partner indicators file not found: check the path", file=name)
    if path.is_dir():
        raise InputError("the partner indicators file named is a folder: name the file itself", file=name)
    if not path.is_file():  # a FIFO would block and a device never end
        raise InputError(
            "the partner indicators file is not a regular file (a pipe, FIFO or device): save it to a file "
            "and name that",
            file=name,
        )
    if suffix in (".xlsx", ".parquet", ".pq"):
        try:
            if suffix == ".xlsx":
                raw = pd.read_excel(path, dtype=str, keep_default_na=False, header=None)
            else:
                raw = pd.read_parquet(path).astype("string").fillna("").astype(object)
                raw = pd.concat([pd.DataFrame([list(raw.columns)]), pd.DataFrame(raw.to_numpy())])
        except Exception as err:  # noqa: BLE001 - any reader failure is a file the user must re-save
            kind = "Excel" if suffix == ".xlsx" else "Parquet"
            raise InputError(
                f"cannot read the partner indicators file as {kind} (damaged, or not {kind}?): re-save it",
                file=name,
            ) from err
        if raw.empty:
            raise InputError("file is empty: export the data again with its header row", file=name)
        header = [str(c).strip() for c in raw.iloc[0].tolist()]
        rows = raw.iloc[1:].reset_index(drop=True)
        rows.columns = pd.RangeIndex(rows.shape[1])
        return _Table(header, rows, np.arange(2, 2 + len(rows)), [], "")
    text, encoding = read_text(path)
    return _csv_table(text.lstrip("\ufeff"), name, encoding)


def _csv_table(text: str, name: str, encoding: str) -> _Table:
    """CSV rows with the line each starts on: pandas skipped blank lines and joined quoted line breaks
    without saying, so every reject after one named the wrong line."""
    import csv

    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    cells: list[list[str]] = []
    lines: list[int] = []
    ragged: list[Reject] = []
    try:
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if not any(c.strip() for c in row):
                continue  # a blank line is not a row
            if header is None:
                header = [c.strip() for c in row]
            elif len(row) != len(header):
                ragged.append(Reject(name, start, f"row has {len(row)} cells, header has {len(header)}"))
            else:
                cells.append(row)
                lines.append(start)
    except csv.Error as err:
        raise InputError(
            f"the indicators CSV is malformed ({err}): fix the quoting", file=name, line=reader.line_num
        ) from None
    if header is None:
        raise InputError("file is empty: export the data again with its header row", file=name)
    rows = pd.DataFrame(cells, columns=range(len(header)), dtype=object)
    return _Table(header, rows, np.asarray(lines, dtype=np.int64), ragged, encoding)


def _check_header(header: list[str], cols: dict[str, str], name: str) -> None:
    """A column named twice, or a used column beside one differing only in case or spaces ('count' and
    'Count'): one of them was read and the other ignored, without a word."""
    check_header(header, name)
    check_columns_unambiguous(header, cols.values(), name)


def _months(values: pd.Series) -> pd.Series:
    """``parse_months`` of each distinct text once (a monthly file repeats each month on many rows)."""
    codes, uniques = pd.factorize(values.astype(str))
    parsed = parse_months(pd.Series(uniques, dtype=object)).to_numpy()
    return pd.Series(parsed[codes], index=values.index, dtype="period[M]")


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
    table = _frame(p)
    cols = _columns(table.header, mapping or {}, name)
    _check_header(table.header, cols, name)
    if table.rows.empty and not table.ragged:
        raise InputError("file has a header but no data rows", file=name)
    frame = table.rows.rename(columns=dict(enumerate(table.header)))
    n = len(frame)
    lines = table.lines

    def text(canon: str) -> pd.Series:
        if canon not in cols:
            return pd.Series("", index=frame.index, dtype=object)
        return frame[cols[canon]].astype(str).str.strip()

    months = _months(frame[cols["month"]])
    counts, count_reason = _parse_counts(frame[cols["count"]])
    area, indicator, subarea = text("area"), text("indicator"), text("subarea")
    source = text("source")
    source = source.where(source != "", p.name)
    raw_month = frame[cols["month"]].astype(str)
    # Each row's reason, the first that applies (vectorised: a per-row loop took ~40 s for 300,000 rows).
    bad_month = months.isna().to_numpy()
    bad_area = ~bad_month & (area == "").to_numpy()
    bad_indicator = ~bad_month & ~bad_area & (indicator == "").to_numpy()
    bad_count = ~bad_month & ~bad_area & ~bad_indicator & (count_reason != "").to_numpy()
    ok = ~(bad_month | bad_area | bad_indicator | bad_count)
    # A row repeating an earlier counted row (same date text, area, subarea, indicator, source) is a duplicate.
    keys = pd.DataFrame(
        {"m": raw_month.str.strip(), "a": area, "s": subarea, "i": indicator, "src": source, "line": lines}
    )[ok]
    first = pd.Series(-1, index=frame.index, dtype=np.int64)
    first[ok] = keys.groupby(["m", "a", "s", "i", "src"], sort=False)["line"].transform("min")
    duplicate = ok & (first.to_numpy() != lines)
    ok &= ~duplicate
    rejects = list(table.ragged)
    for i in np.flatnonzero(~ok):  # only the rejected rows are visited one by one
        if bad_month[i]:
            why = f"column {cols['month']!r}: cannot read month '{raw_month.iloc[i]}' (use 2022-03 or 31/03/2022)"
        elif bad_area[i]:
            why = f"column {cols['area']!r}: blank area"
        elif bad_indicator[i]:
            why = f"column {cols['indicator']!r}: blank indicator name"
        elif bad_count[i]:
            why = f"column {cols['count']!r}: {count_reason.iloc[i]}"
        else:
            why = f"duplicate of line {first.iloc[i]} (same month, area, indicator and source): not counted twice"
        rejects.append(Reject(name, int(lines[i]), why))
    rejects.sort(key=lambda r: r.line or 0)
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
    return Indicators(out, name, n + len(table.ragged), int(ok.sum()), rejects, table.encoding)


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

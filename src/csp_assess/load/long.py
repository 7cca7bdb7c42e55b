"""Long extracts: one row per offence (no count column) or per count, in CSV, Excel or Parquet.

Columns are found by name (``month`` or ``date``, ``area``, ``major``, ``minor``, ``count``), or by a
user mapping such as ``month="Committed Date"``. Every row is counted or rejected with its line number.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from csp_assess.errors import InputError, LayoutError
from csp_assess.load.textio import read_decoded, read_text, unterminated_warning
from csp_assess.model import FileLoad, Reject, SourceFile
from csp_assess.periods import month_gaps

CANONICAL = ("month", "area", "major", "minor", "count")
ALIASES: dict[str, tuple[str, ...]] = {
    "month": ("month", "date", "period", "yearmonth"),
    "area": ("area", "borough", "local authority", "la", "csp", "district"),
    "major": ("major", "major category", "majortext", "crime group", "group"),
    "minor": ("minor", "minor category", "minortext", "offence", "crime type", "subgroup"),
    "count": ("count", "offences", "crimes", "number", "value", "n"),
}
DEFAULT_AREA = "All areas"
LONG_SCOPE = "long"

_MONTH_NAMES = {
    m.lower(): i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}


def resolve_columns(header: list[str], mapping: dict[str, str], name: str) -> dict[str, str]:
    """Canonical name -> the file's column, from the user mapping first, then the known aliases."""
    lower = {h.strip().lower(): h for h in header}
    out: dict[str, str] = {}
    for canon, col in mapping.items():
        if canon not in CANONICAL:
            raise LayoutError(f"--map names '{canon}', which is not one of {', '.join(CANONICAL)}", file=name)
        if col.strip().lower() not in lower:
            raise LayoutError(
                f'--map {canon}="{col}": no such column; the file has {", ".join(header[:12])}', file=name
            )
        out[canon] = lower[col.strip().lower()]
    for canon in CANONICAL:
        if canon in out:
            continue
        for alias in ALIASES[canon]:
            if alias in lower and lower[alias] not in out.values():
                out[canon] = lower[alias]
                break
    if "month" not in out:
        raise LayoutError('no month or date column: name it with --map month="<column>"', file=name)
    if "major" not in out and "minor" not in out:
        raise LayoutError('no offence category column: name it with --map minor="<column>"', file=name)
    return out


def parse_months(values: pd.Series) -> pd.Series:
    """Month of each value as Period[M], NaT where unreadable.

    Accepts ``YYYY-MM``, ``YYYYMM``, ISO dates (``2022-03-31``, with or without time), UK dates
    (``31/03/2022``; day first, never US order), ``Mar 2022`` / ``March 2022``, and real datetimes.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.to_period("M")
    s = values.astype("string").str.strip()
    year = pd.Series(np.nan, index=s.index)
    month = pd.Series(np.nan, index=s.index)
    patterns = [
        (r"^(\d{4})-(\d{1,2})$", 1, 2),
        (r"^(\d{4})(\d{2})$", 1, 2),
        (r"^(\d{4})[-/](\d{1,2})[-/]\d{1,2}(?:[ T].*)?$", 1, 2),
        (r"^\d{1,2}[/.-](\d{1,2})[/.-](\d{4})(?:[ T].*)?$", 2, 1),
    ]
    for pat, yi, mi in patterns:
        ext = s.str.extract(pat)
        hit = ext[0].notna() & year.isna()
        year[hit] = ext.loc[hit, yi - 1].astype(float)
        month[hit] = ext.loc[hit, mi - 1].astype(float)
    ext = s.str.extract(r"^([A-Za-z]{3})[A-Za-z]*[ -](\d{4})$")
    hit = ext[0].notna() & year.isna()
    if hit.any():
        mnum = ext.loc[hit, 0].str.lower().map(_MONTH_NAMES)
        year[hit] = ext.loc[hit, 1].astype(float)
        month[hit] = mnum.astype(float)
    ok = year.notna() & month.between(1, 12) & year.between(1900, 2100)
    out = pd.Series(pd.NaT, index=s.index, dtype="period[M]")
    if ok.any():
        stamps = pd.to_datetime(
            pd.DataFrame({"year": year[ok].astype(int), "month": month[ok].astype(int), "day": 1})
        )
        out[ok] = stamps.dt.to_period("M")
    return out


def parse_counts(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(counts as int64 with 0 where bad, reason per row or empty string)."""
    s = values.astype("string").str.strip().str.replace(",", "", regex=False)
    num = pd.to_numeric(s, errors="coerce")
    reason = pd.Series("", index=s.index, dtype="object")
    reason[s.isna() | (s == "")] = "blank count"
    bad_num = num.isna() & (reason == "")
    reason[bad_num] = "count '" + s[bad_num].fillna("") + "' is not a number"
    neg = num.notna() & (num < 0)
    reason[neg] = "count '" + s[neg].fillna("") + "' is negative"
    frac = num.notna() & (num >= 0) & (num != num.round())
    reason[frac] = "count '" + s[frac].fillna("") + "' is not a whole number"
    counts = num.where(reason == "", 0).fillna(0).astype("int64")
    return counts, reason


def normalise_long(
    frame: pd.DataFrame, name: str, mapping: dict[str, str], first_line: int, layout: str, encoding: str
) -> FileLoad:
    """Any long table -> counts + rejects. ``first_line`` is the file line of ``frame``'s first row."""
    cols = resolve_columns([str(c) for c in frame.columns], mapping, name)
    n = len(frame)
    if n == 0:
        raise InputError("file has a header but no data rows", file=name)
    lines = pd.Series(np.arange(first_line, first_line + n), index=frame.index)
    months = parse_months(frame[cols["month"]])
    reason = pd.Series("", index=frame.index, dtype="object")
    bad_month = months.isna()
    raw_month = frame[cols["month"]].astype("string").fillna("")
    reason[bad_month] = (
        "cannot read date '" + raw_month[bad_month] + "' (use 31/03/2022, 2022-03-31 or 2022-03)"
    )
    if "count" in cols:
        counts, creason = parse_counts(frame[cols["count"]])
        take = (reason == "") & (creason != "")
        reason[take] = creason[take]
    else:
        counts = pd.Series(1, index=frame.index, dtype="int64")

    def text(col: str | None, default: str) -> pd.Series:
        if col is None:
            return pd.Series(default, index=frame.index, dtype="object")
        return frame[col].astype("string").fillna("").str.strip().astype("object")

    major = text(cols.get("major"), "")
    minor = text(cols.get("minor"), "")
    major = major.where(major != "", minor)
    minor = minor.where(minor != "", major)
    blank_cat = (minor == "") & (reason == "")
    reason[blank_cat] = "offence category is blank"
    area = text(cols.get("area"), DEFAULT_AREA)
    blank_area = (area == "") & (reason == "")
    reason[blank_area] = "area is blank"

    good = reason == ""
    rejects = [Reject(name, int(ln), str(r)) for ln, r in zip(lines[~good], reason[~good], strict=True)]
    tidy = pd.DataFrame(
        {
            "area": area[good],
            "month": months[good],
            "major": major[good],
            "minor": minor[good],
            "count": counts[good],
        }
    )
    grouped = tidy.groupby(["area", "month", "major", "minor"], sort=True, observed=True)["count"].sum()
    tidy = grouped[grouped > 0].reset_index()
    covered = sorted(set(months[good].dropna()))
    source = SourceFile(
        path=name,
        layout=layout,
        scheme="custom",
        level="record",
        encoding=encoding,
        rows_read=n,
        rows_counted=int(good.sum()),
        rows_rejected=int((~good).sum()),
        offences=int(counts[good].sum()),
        first_month=covered[0] if covered else None,
        last_month=covered[-1] if covered else None,
        scope=LONG_SCOPE,
        areas=sorted(tidy["area"].unique().tolist()),
        months_covered=list(pd.period_range(covered[0], covered[-1], freq="M")) if covered else [],
        gaps=month_gaps(covered),
    )
    warnings = []
    if source.gaps:
        warnings.append(
            f"{name}: no rows at all in {len(source.gaps)} month(s) inside its range "
            f"({', '.join(str(m) for m in source.gaps[:6])}{'...' if len(source.gaps) > 6 else ''}); "
            "they are treated as months with no offences"
        )
    return FileLoad(counts=tidy, source=source, rejects=rejects, warnings=warnings)


def read_long_csv(path: Path, delimiter: str, mapping: dict[str, str]) -> FileLoad:
    """A long CSV (any delimiter the header sniffing found)."""
    name = str(path)
    decoded = read_decoded(path)  # a few non-UTF-8 lines are decoded alone and named in a warning
    text, encoding = decoded.text, decoded.encoding
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [c.strip() for c in next(reader)]
    dupes = sorted({c for c in header if c and header.count(c) > 1})
    if dupes:
        raise LayoutError(f"duplicate header column '{dupes[0]}': remove or rename it", file=name, line=1)
    rows: list[list[str]] = []
    lines: list[int] = []
    ragged: list[Reject] = []
    n_cols = len(header)
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != n_cols:
                what = "truncated?" if len(row) < n_cols else "extra cells: is the delimiter right?"
                ragged.append(
                    Reject(name, reader.line_num, f"row has {len(row)} cells, header has {n_cols} ({what})")
                )
                continue
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as err:
        raise InputError(
            f"CSV is malformed ({err}): fix the quoting", file=name, line=reader.line_num
        ) from err
    if not rows and not ragged:
        raise InputError("file has a header but no data rows", file=name)
    frame = pd.DataFrame(rows, columns=header, dtype="object")
    if rows:
        load = normalise_long(frame, name, mapping, 0, "long-csv", encoding)
        # normalise_long numbered rows 0..n-1: map them back to the true file lines.
        load.rejects = [Reject(r.file, lines[int(r.line or 0)], r.reason) for r in load.rejects]
    else:
        resolve_columns(header, mapping, name)
        load = _empty(name, encoding)
    load.warnings.extend(decoded.warnings)
    if text and not text.endswith(("\n", "\r")):
        load.warnings.append(unterminated_warning(name, reader.line_num))
    load.source.rows_read += len(ragged)
    load.source.rows_rejected += len(ragged)
    load.rejects = sorted(load.rejects + ragged, key=lambda r: r.line or 0)
    return load


def _empty(name: str, encoding: str) -> FileLoad:
    from csp_assess.model import empty_counts

    source = SourceFile(name, "long-csv", "custom", "record", encoding, 0, 0, 0, 0, None, None, LONG_SCOPE)
    return FileLoad(counts=empty_counts(), source=source, rejects=[])


def read_excel(path: Path, mapping: dict[str, str], sheet: str | int = 0) -> FileLoad:
    """An .xlsx extract (first sheet unless named); row numbers are the sheet's row numbers."""
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=object)
    except ImportError as err:
        raise InputError("reading .xlsx needs openpyxl: pip install openpyxl", file=str(path)) from err
    except Exception as err:  # openpyxl raises many kinds for a damaged file
        raise InputError(
            f"cannot read the Excel file ({type(err).__name__}): re-save it as .xlsx", file=str(path)
        ) from err
    frame.columns = [str(c).strip() for c in frame.columns]
    return normalise_long(frame, str(path), mapping, 2, "long-xlsx", "xlsx")


def read_parquet(path: Path, mapping: dict[str, str]) -> FileLoad:
    """A Parquet extract; 'line' in a reject is the 1-based row number."""
    try:
        frame = pd.read_parquet(path)
    except Exception as err:
        raise InputError(f"cannot read the Parquet file ({type(err).__name__})", file=str(path)) from err
    return normalise_long(frame, str(path), mapping, 1, "long-parquet", "parquet")


def mapping_from_file(path: str | Path) -> dict[str, str]:
    """A mapping file: TOML (``month = "Committed Date"``, optionally under ``[map]``) or CSV/text lines of
    ``canonical,column`` or ``canonical=column`` (an optional ``canonical,column`` header line is skipped)."""
    import tomllib

    from csp_assess.errors import ConfigError

    path = Path(path)
    name = str(path)
    text, _ = read_text(path)
    out: dict[str, str] = {}
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"mapping file is not valid TOML ({err})", file=name) from err
        table = data.get("map", data)
        if not isinstance(table, dict):
            raise ConfigError('mapping file: [map] must be a table of canonical = "column"', file=name)
        for key, value in table.items():
            if not isinstance(value, str):
                raise ConfigError(f"mapping file: {key} must name a column as text", file=name)
            out[str(key).strip().lower()] = value.strip()
    else:
        for line_no, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            cells = [c.strip() for c in row]
            if not cells or not any(cells) or cells[0].startswith("#"):
                continue
            if len(cells) == 1 and "=" in cells[0]:
                cells = [c.strip().strip("\"'") for c in cells[0].split("=", 1)]
            if len(cells) != 2 or not cells[0] or not cells[1]:
                raise ConfigError(
                    "mapping file: expected canonical,column on each line", file=name, line=line_no
                )
            if line_no == 1 and cells[0].lower() == "canonical":
                continue
            out[cells[0].lower()] = cells[1]
    for canon in out:
        if canon not in CANONICAL:
            raise ConfigError(
                f"mapping file names '{canon}', which is not one of {', '.join(CANONICAL)}", file=name
            )
    if not out:
        raise ConfigError("mapping file maps no columns", file=name)
    return out


def mapping_from_options(items: list[str]) -> dict[str, str]:
    """``["month=Committed Date", "minor=Offence"]`` -> dict; quotes around the column name are optional."""
    out: dict[str, str] = {}
    for item in items:
        m = re.match(r"^\s*(\w+)\s*=\s*(.+?)\s*$", item)
        if not m:
            raise LayoutError(f"--map '{item}' is not of the form name=\"Column\"")
        out[m.group(1).lower()] = m.group(2).strip().strip("\"'")
    return out

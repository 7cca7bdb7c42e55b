"""Long extracts: one row per offence (no count column) or per count, in CSV, Excel or Parquet.

Columns are found by name (``month`` or ``date``, ``area``, ``major``, ``minor``, ``count``, ``subarea``),
or by a user mapping such as ``month="Committed Date"``; yes/no columns are kept as flags with
``flag_<name>="Column"``. This module decides which column plays which part; ``record`` reads and counts
(streamed, without a Python object per row). Every row is counted or rejected with its line number.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from csp_assess.errors import InputError, LayoutError
from csp_assess.load.record_tally import Roles
from csp_assess.load.record_values import ISO_DATE, UK_DATE
from csp_assess.load.textio import decode_bytes, read_head, read_text

if TYPE_CHECKING:  # pandas is imported where used: the record scan-ahead reads this module without it
    import pandas as pd

    from csp_assess.model import FileLoad

CANONICAL = ("month", "area", "major", "minor", "count", "subarea", "ho_code")
FLAG_PREFIX = "flag_"
ALIASES: dict[str, tuple[str, ...]] = {
    "month": ("month", "date", "period", "yearmonth"),
    "area": ("area", "borough", "local authority", "la", "csp", "district"),
    "major": ("major", "major category", "majortext", "crime group", "group"),
    "minor": ("minor", "minor category", "minortext", "offence", "crime type", "subgroup"),
    # Only names that can mean nothing but a count: never "value", "number" or "n" (a £ value column
    # was once summed as offences). Those need --map count=...
    "count": ("count", "offences", "crimes", "offence count", "crime count", "number of offences"),
    "subarea": ("subarea",),  # a ward column is kept only when mapped: --map subarea=Ward
    # Home Office offence codes weight categories no name matches: kept only when mapped (--map ho_code=...)
    "ho_code": ("ho_code",),
}
AMBIGUOUS_COUNT = ("value", "number", "n", "total", "amount", "qty", "quantity")

_MONTH_NAMES = {
    m.lower(): i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}


def is_known_key(canon: str) -> bool:
    """A --map name: a canonical column, or flag_<name> for a yes/no flag column."""
    return canon in CANONICAL or (
        canon.startswith(FLAG_PREFIX) and re.fullmatch(r"flag_[a-z0-9_]+", canon) is not None
    )


def _known_keys() -> str:
    return ", ".join(CANONICAL) + ", flag_<name>"


def resolve_columns(header: list[str], mapping: dict[str, str], name: str) -> dict[str, str]:
    """Canonical name -> the file's column, from the user mapping first, then the known aliases."""
    lower = {h.strip().lower(): h for h in header}
    out: dict[str, str] = {}
    for canon, col in mapping.items():
        if not is_known_key(canon):
            raise LayoutError(f"--map names '{canon}', which is not one of {_known_keys()}", file=name)
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
    for key, col in lower.items():  # a column already named flag_<name> is that flag (Y/Yes/1/TRUE/T)
        if is_known_key(key) and key.startswith(FLAG_PREFIX) and key not in out and col not in out.values():
            out[key] = col
    if "month" not in out:
        raise LayoutError('no month or date column: name it with --map month="<column>"', file=name)
    if "major" not in out and "minor" not in out:
        raise LayoutError('no offence category column: name it with --map minor="<column>"', file=name)
    return out


def roles_of(header: list[str], mapping: dict[str, str], name: str, warnings: list[str]) -> Roles:
    """The columns to read, and a warning when a column that might be a count is not taken as one."""
    cols = resolve_columns(header, mapping, name)
    if "count" in cols and "count" not in mapping:
        warnings.append(
            f"{name}: counts read from column '{cols['count']}' (found by its name; "
            "--map count=... names another, and without a count column each row is one offence)"
        )
    by_name = sorted(k for k in cols if k.startswith(FLAG_PREFIX) and k not in mapping)
    if by_name:
        warnings.append(
            f"{name}: flag column(s) {', '.join(cols[k] for k in by_name)} read by name "
            "(Y, Yes, 1, TRUE or T flags a row)"
        )
    if "count" not in cols:
        maybe = [h for h in header if h.strip().lower() in AMBIGUOUS_COUNT]
        if maybe:
            warnings.append(
                f"{name}: counting one offence per row; column '{maybe[0]}' was not taken as a count "
                f'(if it counts offences, add --map count="{maybe[0]}")'
            )
    return Roles(
        month=cols["month"],
        area=cols.get("area"),
        major=cols.get("major"),
        minor=cols.get("minor"),
        count=cols.get("count"),
        subarea=cols.get("subarea"),
        ho_code=cols.get("ho_code"),
        flags={k.removeprefix(FLAG_PREFIX): v for k, v in sorted(cols.items()) if k.startswith(FLAG_PREFIX)},
    )


def parse_months(values: pd.Series) -> pd.Series:
    """Month of each value as Period[M], NaT where unreadable.

    Accepts ``YYYY-MM``, ``YYYYMM``, ISO dates (``2022-03-31``, with or without time), UK dates
    (``31/03/2022``; day first, never US order), ``Mar 2022`` / ``March 2022`` / Excel's ``Mar-22``, and
    real datetimes. A date whose day its month does not have (``31/02/2022``, ``00/03/2022``) is
    unreadable: a corrupt cell, not an offence in the month it names.
    """
    import numpy as np
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.to_period("M")
    s = values.astype("string").str.strip()
    year = pd.Series(np.nan, index=s.index)
    month = pd.Series(np.nan, index=s.index)
    day = pd.Series(np.nan, index=s.index)
    patterns = [  # (pattern, group of the year, of the month, of the day or 0)
        (r"^(\d{4})-(\d{1,2})$", 1, 2, 0),
        (r"^(\d{4})(\d{2})$", 1, 2, 0),
        (ISO_DATE, 1, 2, 3),
        (UK_DATE, 3, 2, 1),
    ]
    for pat, yi, mi, di in patterns:
        ext = s.str.extract(pat)
        hit = ext[0].notna() & year.isna()
        year[hit] = ext.loc[hit, yi - 1].astype(float)
        month[hit] = ext.loc[hit, mi - 1].astype(float)
        if di:
            day[hit] = ext.loc[hit, di - 1].astype(float)
    # "Mar 2022", "March 2022", and Excel's "Mar-22" (a month column re-saved by Excel: 20yy)
    ext = s.str.extract(r"^([A-Za-z]{3})[A-Za-z]*[ -](\d{4}|\d{2})$")
    hit = ext[0].notna() & year.isna()
    if hit.any():
        mnum = ext.loc[hit, 0].str.lower().map(_MONTH_NAMES)
        yy = ext.loc[hit, 1].astype(float)
        year[hit] = yy.where(yy >= 100, yy + 2000)
        month[hit] = mnum.astype(float)
    ok = year.notna() & month.between(1, 12) & year.between(1900, 2100)
    out = pd.Series(pd.NaT, index=s.index, dtype="period[M]")
    if ok.any():
        # the text's own day where it has one: pandas refuses a day its month lacks (31/02, 00/05) as NaT
        days = day[ok].fillna(1).astype(int)
        parts = {"year": year[ok].astype(int), "month": month[ok].astype(int), "day": days}
        stamps = pd.to_datetime(pd.DataFrame(parts), errors="coerce")
        out[ok] = stamps.dt.to_period("M")
    return out


def read_long_csv(path: Path, delimiter: str, mapping: dict[str, str]) -> FileLoad:
    """A long CSV (any delimiter the header sniffing found), counted in streamed batches."""
    from csp_assess.load import record

    name = str(path)
    header = csv_header(path, delimiter)
    record.check_header(header, name)
    warnings: list[str] = []
    roles = roles_of(header, mapping, name, warnings)
    return record.read_record_csv(path, header, delimiter, roles, warnings)


def csv_header(path: Path, delimiter: str) -> list[str]:
    """The header cells (first record; a quoted header cell may span lines)."""
    head = read_head(path, 1 << 20)
    text, _ = _decode_head(head, str(path))
    text = text.removeprefix("\ufeff")
    try:
        first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), None)
    except csv.Error as err:
        raise InputError("CSV header is malformed: fix the quoting", file=str(path), line=1) from err
    if not first:
        raise InputError("file is empty: export the data again with its header row", file=str(path))
    return [c.strip() for c in first]


def _decode_head(head: bytes, name: str) -> tuple[str, str]:
    # The head may end inside a multi-byte character: drop up to 3 trailing bytes until it decodes.
    for cut in range(4):
        try:
            return decode_bytes(head[: len(head) - cut] if cut else head, name)
        except InputError:
            if cut == 3:
                raise
    raise AssertionError("unreachable")


def read_excel(path: Path, mapping: dict[str, str], sheet: str | int = 0) -> FileLoad:
    """An .xlsx extract (first sheet unless named); row numbers are the sheet's row numbers."""
    from csp_assess.load import record

    warnings: list[str] = []
    return record.read_record_xlsx(
        path, lambda header: roles_of(header, mapping, str(path), warnings), warnings, sheet
    )


def read_parquet(path: Path, mapping: dict[str, str]) -> FileLoad:
    """A Parquet extract; 'line' in a reject is the 1-based row number."""
    from csp_assess.load import record

    warnings: list[str] = []
    return record.read_record_parquet(
        path, lambda header: roles_of(header, mapping, str(path), warnings), warnings
    )


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
        except (tomllib.TOMLDecodeError, RecursionError) as err:  # RecursionError: nested thousands deep
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
        if not is_known_key(canon):
            raise ConfigError(f"mapping file names '{canon}', which is not one of {_known_keys()}", file=name)
    if not out:
        raise ConfigError("mapping file maps no columns", file=name)
    return out


def mapping_from_options(items: list[str], option: str = "map") -> dict[str, str]:
    """``["month=Committed Date", "minor=Offence"]`` -> dict; quotes around the column name are optional.
    ``option`` is the parameter the items came from (``map`` or ``indicator_map``), named in errors."""
    out: dict[str, str] = {}
    for item in items:
        m = re.match(r"^\s*(\w+)\s*=\s*(.+?)\s*$", item)
        if not m:
            raise LayoutError(f"{{{option}}} '{item}' is not of the form name=\"Column\"", params=[option])
        out[m.group(1).lower()] = m.group(2).strip().strip("\"'")
    return out

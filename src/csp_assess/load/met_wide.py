"""Metropolitan Police wide files: one row per category and area, one column per month (YYYYMM).

Covers the borough files (old Title Case and new UPPER CASE categories, the newest Group/SubGroup/BOCU
header, the pre-2019 Borough/Major Category/Minor Category header) and the ward files.
Every data row is either counted or rejected with its line number; a row is rejected whole when any of
its month cells is not a whole non-negative number, so no month is ever silently short.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from csp_assess.errors import InputError, LayoutError
from csp_assess.load.detect import MET_WIDE_KEYS, Detected
from csp_assess.load.textio import read_decoded, unterminated_warning
from csp_assess.model import FileLoad, Reject, SourceFile
from csp_assess.periods import month_gaps

MET_SCOPE = "met"


def _key_positions(layout: str, level: str) -> tuple[int, int, int, int | None, int | None, int]:
    """(major, minor, area, ward name, ward code, first month column) positions for a layout."""
    if layout == "met-borough-pre2019":
        return 1, 2, 0, None, None, 3
    if level == "ward":
        return 0, 1, 4, 2, 3, 5
    return 0, 1, 2, None, None, 3


def _scheme(layout: str, majors: list[str]) -> str:
    """Old (Title Case) and new (UPPER CASE) Met categories count differently: tell them apart by case."""
    if layout == "met-borough-pre2019":
        return "met-pre2019"
    if layout == "met-borough-group":
        return "met-new"
    letters = [m for m in majors if any(ch.isalpha() for ch in m)]
    upper = sum(1 for m in letters if m == m.upper())
    return "met-new" if letters and upper * 2 > len(letters) else "met-old"


def read_met_wide(path: Path, detected: Detected) -> FileLoad:
    """Read one Met wide file into the counts table."""
    name = str(path)
    decoded = read_decoded(path)
    text, encoding = decoded.text, decoded.encoding
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [c.strip() for c in next(reader)]
    dupes = sorted(c for c, n in Counter(header).items() if n > 1)  # one pass: header.count was quadratic
    if dupes:
        raise LayoutError(f"duplicate header column '{dupes[0]}': remove or rename it", file=name, line=1)
    i_major, i_minor, i_area, i_ward, i_code, i_first = _key_positions(detected.layout, detected.level)
    months = [pd.Period(f"{c[:4]}-{c[4:]}", freq="M") for c in header[i_first:]]
    n_cols = len(header)
    plain = text.isascii()  # then no cell can hold a non-ASCII digit ('²', '٣') that isdigit() accepts

    keys: list[tuple[str, str, str, str]] = []
    values: list[list[int]] = []
    value_lines: list[int] = []
    rejects: list[Reject] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    totals: list[int] = []
    rows_read = 0
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            raise InputError(
                f"CSV is malformed ({err}): fix the quoting", file=name, line=reader.line_num
            ) from err
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line: not a data row
        rows_read += 1
        if len(row) != n_cols:
            what = "truncated?" if len(row) < n_cols else "extra cells"
            rejects.append(Reject(name, line, f"row has {len(row)} cells, header has {n_cols} ({what})"))
            continue
        ward = ""
        if i_ward is not None and i_code is not None:
            ward = f"{row[i_ward].strip()} ({row[i_code].strip()})"
        if _is_header_row(row, header, (i_major, i_minor, i_area)):  # its month names are not counts
            rejects.append(Reject(name, line, "a repeated header row (files pasted together?): not counted"))
            continue
        key = (row[i_area].strip(), row[i_major].strip(), row[i_minor].strip(), ward)
        if _is_total(key):
            totals.append(line)
            rejects.append(
                Reject(name, line, "a total row (Excel-style): not counted, so totals are not doubled")
            )
            continue
        if not key[0] or not key[2]:
            rejects.append(Reject(name, line, "area or category is blank"))
            continue
        if key in seen:
            rejects.append(Reject(name, line, f"duplicate of line {seen[key]} (same area and category)"))
            continue
        cells = row[i_first:]
        parsed = _parse_counts(cells, plain)
        if isinstance(parsed, str):
            rejects.append(Reject(name, line, parsed))
            continue
        seen[key] = line
        keys.append(key)
        values.append(parsed)
        value_lines.append(line)

    if rows_read == 0:
        raise InputError("file has a header but no data rows", file=name)
    arr, too_large = _too_large_rows(values)
    for i, reason in reversed(too_large):  # counts over MAX_COUNT: rejected by line
        rejects.append(Reject(name, value_lines[i], reason))
        del keys[i], values[i], value_lines[i]
        arr = None
    rejects.sort(key=lambda r: r.line or 0)
    counts = _to_long(keys, values, months, with_ward=detected.level == "ward", arr=arr)
    scheme = _scheme(detected.layout, sorted({k[1] for k in keys}))
    source = SourceFile(
        path=name,
        layout=_layout_name(detected, scheme),
        scheme=scheme,
        level=detected.level,
        encoding=encoding,
        rows_read=rows_read,
        rows_counted=len(keys),
        rows_rejected=len(rejects),
        offences=int(counts["count"].sum()),  # the nonzero cells: the same total, no second array
        first_month=min(months),
        last_month=max(months),
        scope=MET_SCOPE,
        areas=sorted({k[0] for k in keys}),
        months_covered=sorted(months),
        gaps=month_gaps(months),
    )
    warnings = list(decoded.warnings)
    if totals:
        warnings.append(
            f"{name}: {len(totals)} total row(s) left out (line {', '.join(map(str, totals[:5]))}"
            f"{' ...' if len(totals) > 5 else ''}): they would have counted every offence twice"
        )
    if source.gaps:
        warnings.append(f"{name}: {len(source.gaps)} month(s) missing inside the file's range")
    if text and not text.endswith(("\n", "\r")):
        warnings.append(unterminated_warning(name, line))
    return FileLoad(counts=counts, source=source, rejects=rejects, warnings=warnings)


def _is_header_row(row: list[str], header: list[str], keys: tuple[int, int, int]) -> bool:
    """A header pasted below the first (files joined by hand): its category and area cells hold the
    column names, whatever months it names, with or without a byte-order mark."""
    return all(row[i].strip().lstrip("\ufeff").strip() == header[i].lstrip("\ufeff") for i in keys)


def _layout_name(detected: Detected, scheme: str) -> str:
    """``met-borough-old``, ``met-ward-new``, ``met-borough-group``, ``met-borough-pre2019``."""
    if detected.layout in ("met-borough-group", "met-borough-pre2019"):
        return detected.layout
    return f"{detected.layout}-{scheme.removeprefix('met-')}"


# Far above any real month's count for one area and category (tens of thousands at most), and low enough
# that no sum over a file can overflow 64-bit integers (a 2^63 - 1 cell would wrap a total negative).
MAX_COUNT = 1_000_000_000
_DECIMAL = re.compile(r"^\d+\.\d*$")
# An Excel-style total row: its label sits in the area or a category cell.
_TOTAL = re.compile(r"^(grand |sub[- ]?)?totals?$|^all (areas|boroughs|categories|crimes?|offences)$", re.I)


def _parse_counts(cells: list[str], ascii_file: bool = False) -> list[int] | str:
    """Whole non-negative counts written in ASCII digits (as every Met file writes them), or the reason
    the row cannot be counted. Nothing is read loosely: ``1,2``, ``1,234``, ``1e3``, ``1_000``, ``NaN``,
    ``inf`` and ``²`` are each a reason, never a number; counts over ``MAX_COUNT`` are rejected after
    the loop, for the whole file at once (``_too_large_rows``).

    ``ascii_file``: the whole text is ASCII, so ``isdigit()`` means 0-9 and the row needs only the plain
    loop (as fast as the old loose one); otherwise each row is checked for non-ASCII digits first."""
    if not ascii_file and not ",".join(cells).isascii():
        cells = [c if c.isascii() else "\x00" + c.strip() for c in cells]  # never isdigit()
    out: list[int] = []
    c = ""
    try:
        for cell in cells:
            c = cell.strip()
            if c.isdigit():
                out.append(int(c))
                continue
            if c == "":
                return f"blank count in month column {len(out) + 1}"
            return _bad_count(c.removeprefix("\x00"))
    except ValueError:  # int() refuses more than 4,300 digits
        return _too_large(c, len(out))
    return out


def _too_large(cell: str, column: int) -> str:
    return (
        f"count '{_short(cell)}' in month column {column + 1} is too large to be a count "
        f"(over {MAX_COUNT:,}): check the cell"
    )


def _too_large_rows(values: list[list[int]]) -> tuple[np.ndarray | None, list[tuple[int, str]]]:
    """The counts as an int64 array (None if they do not fit), and (index, reason) of each row holding a
    count over ``MAX_COUNT``, in order: one numpy pass, the array then reused by ``_to_long``."""
    arr: np.ndarray | None
    try:
        arr = np.asarray(values, dtype=np.int64)
        candidates = [int(i) for i in np.flatnonzero((arr > MAX_COUNT).any(axis=1))] if arr.size else []
    except OverflowError:  # a count beyond 64 bits: find the rows in Python (rare)
        arr = None
        candidates = [i for i, row in enumerate(values) if max(row, default=0) > MAX_COUNT]
    out = []
    for i in candidates:
        col = next(j for j, n in enumerate(values[i]) if n > MAX_COUNT)
        out.append((i, _too_large(str(values[i][col]), col)))
    return arr, out


def _bad_count(c: str) -> str:
    """Why a count cell that is not plain digits is refused (the wording says what to fix)."""
    shown = _short(c)
    if c.startswith("-") and c[1:].isascii() and (c[1:].isdigit() or _DECIMAL.match(c[1:])):
        return f"count '{shown}' is negative"
    if _DECIMAL.match(c):
        return f"count '{shown}' is not a whole number"
    if "," in c:
        return f"count '{shown}' has a comma: Met files write counts as plain digits"
    return f"count '{shown}' is not a number"


def _short(c: str) -> str:
    return c if len(c) <= 30 else c[:27] + "..."


def _is_total(key: tuple[str, str, str, str]) -> bool:
    return _total_label(key[0]) or _total_label(key[1]) or _total_label(key[2])


def _total_label(k: str) -> bool:
    """``Total``, ``Grand Total``, ``Sub-total``, ``All areas``...; the regex only where it may match."""
    return bool(k) and k[0] in "TtGgSsAa" and _TOTAL.match(k) is not None


def _to_long(
    keys: list[tuple[str, str, str, str]],
    values: list[list[int]],
    months: list[pd.Period],
    with_ward: bool,
    arr: np.ndarray | None = None,
) -> pd.DataFrame:
    """Wide rows -> one row per (area, month, major, minor[, subarea]) with a non-zero count
    (``arr``: ``values`` already as an int64 array)."""
    n_months = len(months)
    if not keys:
        arr = np.zeros((0, n_months), dtype=np.int64)
    elif arr is None:
        arr = np.asarray(values, dtype=np.int64)
    row_idx, col_idx = np.nonzero(arr)
    key_arr = np.array(keys, dtype=object).reshape(-1, 4) if keys else np.empty((0, 4), dtype=object)
    month_index = pd.PeriodIndex(months, freq="M")
    frame = pd.DataFrame(
        {
            "area": key_arr[row_idx, 0],
            "month": month_index[col_idx],
            "major": key_arr[row_idx, 1],
            "minor": key_arr[row_idx, 2],
            "count": arr[row_idx, col_idx],
        }
    )
    if with_ward:
        frame["subarea"] = key_arr[row_idx, 3]
    return frame


__all__ = ["MET_SCOPE", "MET_WIDE_KEYS", "read_met_wide"]

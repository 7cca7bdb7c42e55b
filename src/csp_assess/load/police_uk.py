"""data.police.uk street-level files: one row per crime, aggregated to counts while reading.

Layout (one CSV per force per month, in monthly folders or a zip)::

    Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,
    Crime type,Last outcome category,Context

Only five columns are read (Crime ID, Month, Falls within, LSOA name, Crime type), with pyarrow's
multithreaded CSV reader; the four category-like columns are dictionary-encoded by the parser, so each
distinct LSOA name, month, force and crime type is decoded once, and rows are counted with one
``numpy.bincount`` over combined integer codes. pandas is touched only for the small aggregated table.

Rules (reported, never silent):

* **Area** is the local authority: the LSOA name without its trailing code
  (``"Barking and Dagenham 001A"`` -> ``"Barking and Dagenham"``). Rows with no LSOA name are counted
  under the area ``"No location"`` and their number is given in a warning.
* **Anti-social behaviour** rows stay in the table with major ``ASB_MAJOR``; they are incidents, and the
  analysis keeps them out of crime totals.
* **Crime ID.** Within one file, a non-blank Crime ID that occurs on several rows is one crime: the first
  valid row with that ID is counted (its location and crime type are the ones used) and every later row
  with the same ID is a reject with reason ``repeated Crime ID ...`` (so rows read = rows counted + rows
  rejected still holds). Blank Crime IDs (all ASB rows) are never merged: each counts one. The number of
  repeated rows is given in a warning. IDs are not matched across files (police.uk republishes each
  month once per force, so a repeat across files would be a different month's record).
* **Rejects**: rows whose Month is blank or not ``YYYY-MM``, rows whose Crime type is blank, and rows
  the CSV parser cannot split into the right number of fields, each with its 1-based line number
  (header = line 1). Line numbers are exact unless a quoted field spans lines (never seen in these
  files); in that case they are recomputed with the csv module.
* **Encoding**: a UTF-8 BOM gives ``utf-8-sig``; otherwise the columns read are checked as UTF-8
  and, if invalid, the file is re-read as ``cp1252``. ``SourceFile.encoding`` says which.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from csp_assess.errors import InputError, LayoutError
from csp_assess.model import FileLoad, Reject, SourceFile

LOADER_VERSION = "police-uk-1"

POLICE_UK_COLUMNS = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]

# The columns a header must have to be read as this layout (early police.uk files lack "Context").
REQUIRED_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "LSOA name", "Crime type"]
READ_COLUMNS = ["Crime ID", "Month", "Falls within", "LSOA name", "Crime type"]
DICT_COLUMNS = ["Month", "Falls within", "LSOA name", "Crime type"]

NO_LOCATION = "No location"
LAYOUT = "police-uk-street"
SCHEME = "police-uk"
LEVEL = "lsoa"
COUNT_TABLE_COLUMNS = ["area", "month", "major", "minor", "count", "force"]

_LSOA_SUFFIX = re.compile(r"\s+\d{3}[A-Z]$")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_BLOCK_SIZE = 1 << 20
_DICT_TYPE = pa.dictionary(pa.int32(), pa.string())

Source = str | Path | bytes | bytearray | memoryview | IO[bytes]


def is_police_uk_header(header: list[str]) -> bool:
    """True if ``header`` (the first row of a CSV, cells as read) is a police.uk street-level header."""
    names = {h.strip().lstrip("\ufeff").strip('"') for h in header}
    return all(c in names for c in REQUIRED_COLUMNS)


def area_of_lsoa(name: str) -> str:
    """``"Barking and Dagenham 001A"`` -> ``"Barking and Dagenham"`` (a name without a code is kept)."""
    return _LSOA_SUFFIX.sub("", name.strip()) or name


def _month_ordinal(text: str) -> int | None:
    m = _MONTH.match(text)
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        return None
    return (year - 1970) * 12 + month - 1


def _period(ordinal: int) -> pd.Period:
    return pd.Period(ordinal=ordinal, freq="M")


def _as_buffer(source: Source) -> tuple[Any, bytes]:
    """What pyarrow reads (a path string or a buffer) and the first bytes of the file."""
    if isinstance(source, (str, Path)):
        path = str(source)
        try:
            with open(path, "rb") as fh:
                head = fh.read(65536)
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror or exc}", file=str(source)) from None
        return path, head
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        data = source.read()
    return pa.py_buffer(data), data[:65536]


def _header_cells(head: bytes, encoding: str) -> list[str]:
    text = head.decode(encoding, errors="replace")
    first = text.splitlines()[0] if text else ""
    return [c.strip().strip('"') for c in first.split(",")]


def _read_table(
    src: Any, encoding: str, newlines_in_values: bool
) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    bad: list[tuple[int | None, str]] = []

    def on_invalid(row: Any) -> str:
        bad.append((row.number, f"{row.actual_columns} fields, expected {row.expected_columns}"))
        return "skip"

    read = pacsv.ReadOptions(use_threads=True, block_size=_BLOCK_SIZE, encoding=encoding)
    parse = pacsv.ParseOptions(newlines_in_values=newlines_in_values, invalid_row_handler=on_invalid)
    convert = pacsv.ConvertOptions(
        include_columns=READ_COLUMNS,
        column_types={**{c: _DICT_TYPE for c in DICT_COLUMNS}, "Crime ID": pa.string()},
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    if isinstance(src, pa.Buffer):
        src = pa.BufferReader(src)
    table = pacsv.read_csv(src, read_options=read, parse_options=parse, convert_options=convert)
    return table, bad


def _codes(table: pa.Table, name: str) -> tuple[np.ndarray, list[str]]:
    """Dictionary codes of a column (-1 for null) and the dictionary values."""
    col = table.column(name)
    if col.num_chunks == 0:
        return np.zeros(0, dtype=np.int32), []
    dictionary = col.chunk(0).dictionary.to_pylist()
    parts = [pc.fill_null(chunk.indices, -1).to_numpy() for chunk in col.chunks]
    codes = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return codes, dictionary


def _exact_line_numbers(src: Any, encoding: str) -> list[int]:
    """Line on which each data record starts, for files whose quoted fields span lines."""
    import csv

    if isinstance(src, str):
        with open(src, "rb") as fh:
            raw = fh.read()
    else:
        raw = bytes(src)
    reader = csv.reader(io.StringIO(raw.decode(encoding, errors="replace"), newline=""))
    starts = []
    line = 1
    for _ in reader:
        starts.append(line)
        line = reader.line_num + 1
    return starts[1:]


def read_police_uk_csv(source: Source, display_name: str) -> FileLoad:
    """Read one data.police.uk street-level CSV into counts per (area, month, crime type, force).

    ``source`` is a path, the file's bytes, or a binary file object; ``display_name`` is what
    provenance, rejects and errors call the file. Raises ``LayoutError`` if the header is not this
    layout and ``InputError`` if the file cannot be read or parsed.
    """
    src, head = _as_buffer(source)
    if not head.strip():
        raise InputError("file is empty", file=display_name)
    encoding = "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        head.decode(encoding)
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is not an error.
        if exc.start < len(head) - 4:
            encoding = "cp1252"
    header = _header_cells(head, encoding)
    if not is_police_uk_header(header):
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        raise LayoutError(
            f"not a data.police.uk street-level file (missing columns: {', '.join(missing)})",
            file=display_name,
            line=1,
        )

    newlines_in_values = False
    table = None
    for _attempt in range(3):
        try:
            # pyarrow skips a UTF-8 BOM itself; "utf8" avoids its transcoding step.
            arrow_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
            table, bad = _read_table(src, arrow_encoding, newlines_in_values)
            break
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            if "UTF8" in msg.upper() and encoding != "cp1252":
                encoding = "cp1252"
                continue
            if not newlines_in_values and ("column" in msg.lower() or "quote" in msg.lower()):
                newlines_in_values = True
                continue
            raise InputError(f"cannot parse CSV: {msg.splitlines()[0]}", file=display_name) from None
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"cannot read CSV: {str(exc).splitlines()[0]}", file=display_name) from None
    if table is None:  # pragma: no cover - the loop always breaks or raises
        raise InputError("cannot parse CSV", file=display_name)
    return _aggregate(table, bad, display_name, encoding, src if newlines_in_values else None)


def _aggregate(
    table: pa.Table,
    bad: list[tuple[int | None, str]],
    name: str,
    encoding: str,
    multiline_src: Any,
) -> FileLoad:
    n = table.num_rows
    table = table.unify_dictionaries()
    month_codes, month_values = _codes(table, "Month")
    lsoa_codes, lsoa_values = _codes(table, "LSOA name")
    type_codes, type_values = _codes(table, "Crime type")
    force_codes, force_values = _codes(table, "Falls within")

    # Per distinct value, not per row: month ordinals, local authority of each LSOA name.
    month_ords = [_month_ordinal(v) for v in month_values]
    month_ok = np.array([o is not None for o in month_ords] + [False])  # last entry: null (-1)
    months_used = sorted({o for o in month_ords if o is not None})
    month_slot = {o: i for i, o in enumerate(months_used)}
    month_map = np.array([month_slot.get(o, 0) if o is not None else 0 for o in month_ords] + [0])

    lsoa_areas = [area_of_lsoa(v) for v in lsoa_values]
    area_names = sorted(set(lsoa_areas) | {NO_LOCATION})
    area_slot = {a: i for i, a in enumerate(area_names)}
    area_map = np.array([area_slot[a] for a in lsoa_areas] + [area_slot[NO_LOCATION]], dtype=np.int64)

    type_ok = np.array([v.strip() != "" for v in type_values] + [False])
    force_names = [v.strip() for v in force_values] + [""]

    rejects: list[Reject] = []
    if (month_codes < 0).any() or not month_ok[:-1].all():
        valid = month_ok[month_codes]
    else:
        valid = np.ones(n, dtype=bool)
    if (type_codes < 0).any() or not type_ok[:-1].all():
        valid &= type_ok[type_codes]

    line_of: np.ndarray | None = None
    if multiline_src is not None:
        line_of = np.array(_exact_line_numbers(multiline_src, encoding), dtype=np.int64)

    def line(i: int) -> int:
        if line_of is not None and i < len(line_of):
            return int(line_of[i])
        return i + 2

    n_invalid = int(n - valid.sum())
    if n_invalid:
        for i in np.flatnonzero(~valid).tolist():
            mc, tc = month_codes[i], type_codes[i]
            if mc < 0:
                reason = "blank Month"
            elif not month_ok[mc]:
                reason = f"unparseable Month {month_values[mc]!r}"
            elif tc < 0 or not type_ok[tc]:
                reason = "blank Crime type"
            else:  # pragma: no cover
                reason = "invalid row"
            rejects.append(Reject(name, line(i), reason))

    # Crime ID rule: among valid rows, a repeated non-blank ID is counted once (its first row).
    ids = table.column("Crime ID")
    repeated = 0
    if ids.null_count < n:
        ids_arr = ids.combine_chunks() if ids.num_chunks != 1 else ids.chunk(0)
        valid_idx = None
        if n_invalid:
            valid_idx = np.flatnonzero(valid)
            ids_arr = ids_arr.take(pa.array(valid_idx))
        encoded = pc.dictionary_encode(ids_arr)
        n_distinct = len(encoded.dictionary)
        if n_distinct < len(ids_arr) - ids_arr.null_count:
            codes = pc.fill_null(encoded.indices, -1).to_numpy()
            # The hash kernel numbers values in order of first appearance, so a row is the first with
            # its ID exactly when the running maximum of the codes rises there.
            running = np.maximum.accumulate(codes)
            first = np.empty(len(codes), dtype=bool)
            first[0] = codes[0] >= 0
            first[1:] = running[1:] > running[:-1]
            dup = (codes >= 0) & ~first
            first_row = np.flatnonzero(first)
            dup_pos = np.flatnonzero(dup)
            repeated = len(dup_pos)
            rows = valid_idx[dup_pos] if valid_idx is not None else dup_pos
            first_rows = first_row[codes[dup_pos]]
            if valid_idx is not None:
                first_rows = valid_idx[first_rows]
            for r, f in zip(rows.tolist(), first_rows.tolist(), strict=True):
                rejects.append(Reject(name, line(r), f"repeated Crime ID, counted once at line {line(f)}"))
            valid[rows] = False
    if repeated and n_invalid:
        rejects.sort(key=lambda rj: rj.line or 0)

    for number, why in bad:
        rejects.append(Reject(name, number if number and number > 0 else None, f"malformed row: {why}"))

    # Count: one bincount over combined codes (force, month, area, crime type).
    counted_idx = None if valid.all() else np.flatnonzero(valid)

    def pick(a: np.ndarray) -> np.ndarray:
        return a if counted_idx is None else a[counted_idx]

    nf, nm, na, nt = len(force_names), max(len(months_used), 1), len(area_names), len(type_values) + 1
    key = pick(np.asarray(force_codes, dtype=np.int64)) % nf  # -1 -> last slot ("")
    key = key * nm + month_map[pick(month_codes)]
    key = key * na + area_map[pick(lsoa_codes)]
    key = key * nt + pick(type_codes)
    total = nf * nm * na * nt
    if total <= 4_000_000:
        bins = np.bincount(key, minlength=total)
        keys = np.flatnonzero(bins)
        counts = bins[keys]
    else:  # pragma: no cover - needs millions of distinct (force, month, area, type)
        keys, counts = np.unique(key, return_counts=True)
    rest, t = np.divmod(keys, nt)
    rest, a = np.divmod(rest, na)
    f, m = np.divmod(rest, nm)
    months_arr = np.array(months_used if months_used else [0], dtype=np.int64)
    type_arr = np.array(type_values + [""], dtype=object)
    major = type_arr[t]
    out = pd.DataFrame(
        {
            "area": pd.Series(np.array(area_names, dtype=object)[a], dtype=object),
            "month": pd.arrays.PeriodArray(months_arr[m], dtype=pd.PeriodDtype("M")),
            "major": pd.Series(major, dtype=object),
            "minor": pd.Series(major.copy(), dtype=object),
            "count": counts.astype(np.int64),
            "force": pd.Series(np.array(force_names, dtype=object)[f], dtype=object),
        }
    )
    out = out.sort_values(["month", "area", "major"], kind="stable", ignore_index=True)

    rows_counted = int(counts.sum())
    rows_read = n + len(bad)
    warnings: list[str] = []
    counted_forces = [force_names[i] for i in np.unique(f).tolist()]
    first_force = force_names[int(pick(force_codes)[0])] if rows_counted else (force_names[0] or "")
    if len(counted_forces) > 1:
        warnings.append(
            f"{name}: rows from {len(counted_forces)} forces ({', '.join(counted_forces)}); "
            f"scope taken from the first, {first_force}"
        )
    no_loc = int(out.loc[out["area"] == NO_LOCATION, "count"].sum())
    if no_loc:
        warnings.append(f"{name}: {no_loc} rows with no location counted under area '{NO_LOCATION}'")
    if repeated:
        warnings.append(
            f"{name}: {repeated} rows repeat an earlier Crime ID and were counted once (first row kept)"
        )
    if bad:
        warnings.append(f"{name}: {len(bad)} malformed rows skipped")
    if encoding == "cp1252":
        warnings.append(f"{name}: not UTF-8, read as cp1252")

    used = sorted(set(months_arr[m].tolist())) if rows_counted else []
    gaps: list[pd.Period] = []
    if used:
        have = set(used)
        gaps = [_period(o) for o in range(used[0], used[-1] + 1) if o not in have]
    source = SourceFile(
        path=name,
        layout=LAYOUT,
        scheme=SCHEME,
        level=LEVEL,
        encoding=encoding,
        rows_read=rows_read,
        rows_counted=rows_counted,
        rows_rejected=len(rejects),
        offences=rows_counted,
        first_month=_period(used[0]) if used else None,
        last_month=_period(used[-1]) if used else None,
        scope=f"police-uk:{first_force or 'unknown'}",
        areas=sorted(out["area"].unique().tolist()),
        gaps=gaps,
    )
    assert source.rows_read == source.rows_counted + source.rows_rejected, name
    return FileLoad(counts=out, source=source, rejects=rejects, warnings=warnings)


def is_street_member(member: str) -> bool:
    return member.lower().endswith("-street.csv")


def read_police_uk_zip(path: str | Path, members: Sequence[str] | None = None) -> list[FileLoad]:
    """Read every ``*-street.csv`` member of a police.uk download zip, in memory (nothing extracted).

    ``*-outcomes.csv`` and ``*-stop-and-search.csv`` members are skipped and listed in a warning on the
    first load. A zip that cannot be opened or whose member fails its CRC raises ``InputError``.
    """
    path = Path(path)
    loads: list[FileLoad] = []
    skipped: list[str] = []
    try:
        with zipfile.ZipFile(path) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
            for member in names:
                if members is not None and member not in members:
                    continue
                if not member.lower().endswith(".csv"):
                    continue
                if not is_street_member(member):
                    skipped.append(member)
                    continue
                data = zf.read(member)
                loads.append(read_police_uk_csv(data, f"{path}!{member}"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise InputError(f"corrupt or unreadable zip file: {exc}", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read zip file: {exc.strerror or exc}", file=str(path)) from None
    if skipped:
        msg = (
            f"{path}: skipped {len(skipped)} members that are not street-level crime files: "
            + ", ".join(Path(s).name for s in skipped[:5])
            + (" ..." if len(skipped) > 5 else "")
        )
        if loads:
            loads[0].warnings.append(msg)
        else:
            raise InputError("zip holds no *-street.csv file (" + msg + ")", file=str(path))
    elif not loads:
        raise InputError("zip holds no *-street.csv file", file=str(path))
    return loads

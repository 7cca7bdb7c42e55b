"""Outcomes of police.uk street-level crimes: a small projection reader, apart from the fast counts reader.

Reads only ``Crime ID, Month, LSOA name, Crime type, Last outcome category`` with pyarrow and returns
counts by (area, month, category, outcome). The counts reader (``load/police_uk.py``) is untouched: the
outcome is a second, optional look at the same files, read only when outcomes are asked for.

The rules are the counts reader's, so the crimes here are the crimes there:

* **Area** is the LSOA name without its trailing code; a blank LSOA name is ``No location``.
* **Crime ID.** Within one file a non-blank Crime ID seen before is rejected (``repeated Crime ID``):
  the first row is the crime. Blank IDs are never merged.
* **Month** must be ``YYYY-MM`` (or Excel's ``Apr-21``), else the row is rejected with its line.
* **Anti-social behaviour** rows are incidents with no outcome: read and counted apart (``asb_rows``),
  never in outcome shares.
* A crime with a blank outcome is kept under ``(not recorded)``.

Rows read = crimes counted + ASB rows + rows rejected, per file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from csp_assess.errors import InputError, LayoutError
from csp_assess.load.police_uk import FIRST_YEAR, LAST_YEAR, area_of_lsoa, excel_month_text
from csp_assess.load.zipmember import member_bytes, open_zip
from csp_assess.model import ASB_MAJOR, Reject

COLUMNS = ["Crime ID", "Month", "LSOA name", "Crime type", "Last outcome category"]
OUTCOME_COLUMNS = ["area", "month", "category", "outcome", "count"]
NOT_RECORDED = "(not recorded)"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass
class OutcomeFile:
    """One street file's outcomes, and how its rows were accounted for."""

    path: str
    rows_read: int
    crimes: int
    asb_rows: int
    rejects: list[Reject] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)


@dataclass
class Outcomes:
    """Crimes by area, month, police.uk category and last outcome; with each file's reconciliation."""

    counts: pd.DataFrame
    files: list[OutcomeFile]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def crimes(self) -> int:
        return sum(f.crimes for f in self.files)

    @property
    def asb_rows(self) -> int:
        return sum(f.asb_rows for f in self.files)

    @property
    def rejects(self) -> list[Reject]:
        return [r for f in self.files for r in f.rejects]

    @property
    def months(self) -> list[pd.Period]:
        return sorted(set(self.counts["month"]))


def _read_table(source: Path | bytes, name: str) -> pa.Table:
    data = source if isinstance(source, bytes) else source.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    end = data.find(b"\n")  # the header line alone: splitting would copy the whole file
    head = (data if end < 0 else data[:end]).decode("utf-8", "replace")
    missing = [c for c in COLUMNS if c not in head]
    if missing:
        raise LayoutError(
            f"not a police.uk street-level file with outcomes: no column {missing[0]!r}", file=name, line=1
        )
    opts = pacsv.ConvertOptions(
        include_columns=COLUMNS, column_types={c: pa.string() for c in COLUMNS}, strings_can_be_null=False
    )
    try:
        return pacsv.read_csv(pa.BufferReader(data), convert_options=opts)
    except (pa.ArrowInvalid, UnicodeDecodeError) as err:
        raise InputError(
            f"cannot read the file for outcomes ({str(err).splitlines()[0]}): check it with validate",
            file=name,
        ) from err


def _record_lines(data: bytes) -> list[int]:
    """The line each data row starts on, as pyarrow reads them (blank lines skipped, a quoted line break
    inside a row): row i was assumed to be on line i + 2, wrong after either."""
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)  # the header
    lines: list[int] = []
    while True:
        start = reader.line_num + 1
        row = next(reader, None)
        if row is None:
            return lines
        if row:
            lines.append(start)


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Each row's index into the column's distinct values, and those values: the rules below then run once
    per distinct text (a few dozen months, types and outcomes, a few thousand LSOAs), not once per row."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def _normalised(codes: np.ndarray, texts: list[str]) -> tuple[np.ndarray, list[str]]:
    """Codes into the distinct values of ``texts`` (already normalised per distinct raw text): two raw texts
    that normalise alike (``" Burglary"``, ``"Burglary"``) get one code."""
    index, uniques = pd.factorize(np.array(texts, dtype=object))
    return index[codes], list(uniques)


def _crime_ids(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Each row's code of its stripped Crime ID, and the stripped IDs. An ID whose first and last
    characters are letters or digits is unchanged by ``str.strip``; only a file holding others (padding,
    blanks) has its IDs stripped one by one."""
    flat = column.combine_chunks()
    odd = pc.any(pc.match_substring_regex(flat, r"^[^0-9A-Za-z]|[^0-9A-Za-z]$")).as_py()
    if not odd:
        return _codes(pa.chunked_array([flat]))
    index, uniques = pd.factorize(np.array([c.strip() for c in flat.to_pylist()], dtype=object))
    return index, list(uniques)


def _monthly(texts: np.ndarray) -> pd.arrays.PeriodArray:
    """``YYYY-MM`` texts as monthly periods, each distinct text parsed once (pandas parses every row)."""
    distinct, index = np.unique(texts, return_inverse=True)
    ordinals = np.array([pd.Period(m, freq="M").ordinal for m in distinct], dtype=np.int64)
    return pd.arrays.PeriodArray(ordinals[index], dtype=pd.PeriodDtype("M"))


def read_outcomes_table(
    table: pa.Table, name: str, data: bytes | None = None
) -> tuple[pd.DataFrame, OutcomeFile]:
    """Count one file's crimes by area, month, category and outcome; reject and account for the rest.

    Per row, in order: a Month that is not ``YYYY-MM`` (nor Excel's ``Apr-21``), or outside FIRST_YEAR to
    LAST_YEAR (a typo, not a year), is rejected; then a
    non-blank Crime ID seen before in the file (among rows with a good Month) is rejected; then ASB rows are
    counted apart. Worked on codes of each column's distinct values (numpy), not a Python loop over rows.
    """
    n = table.num_rows
    month_codes, month_texts = _codes(table.column("Month"))
    month_norm: list[str] = []
    month_problem: list[str | None] = []  # per distinct Month text: why its rows are rejected, or None
    for text in month_texts:
        month = text.strip()
        if not _MONTH.match(month):
            month = excel_month_text(month) or month  # "Apr-21": the file was re-saved by Excel
        if not _MONTH.match(month):
            month_problem.append(f"Month {month!r} is not YYYY-MM")
        elif not FIRST_YEAR <= int(month[:4]) <= LAST_YEAR:  # as the counts reader: a typo, not a year
            month_problem.append(f"Month {month!r} is outside {FIRST_YEAR}-{LAST_YEAR} (a mistyped year?)")
        else:
            month_problem.append(None)
        month_norm.append(month)
    month_ok = np.array([p is None for p in month_problem], dtype=bool)
    problems: list[tuple[int, str]] = []  # (row, reason), put in line order below
    bad_month = np.flatnonzero(~month_ok[month_codes])
    problems += [(int(i), str(month_problem[month_codes[i]])) for i in bad_month]
    good = np.flatnonzero(month_ok[month_codes])
    id_codes, ids = _crime_ids(table.column("Crime ID"))
    blank = ids.index("") if "" in ids else -1
    named = good[id_codes[good] != blank]
    _, first = np.unique(id_codes[named], return_index=True)
    repeated = np.ones(len(named), dtype=bool)
    repeated[first] = False
    problems += [
        (int(i), f"repeated Crime ID {ids[id_codes[i]][:16]}... (first row kept)") for i in named[repeated]
    ]
    counted = np.setdiff1d(good, named[repeated], assume_unique=True)
    type_codes, types = _codes(table.column("Crime type"))
    type_codes, types = _normalised(type_codes, [t.strip() for t in types])
    is_asb = np.array([t == ASB_MAJOR for t in types], dtype=bool)
    asb_rows = is_asb[type_codes[counted]]
    asb = int(asb_rows.sum())
    kept = counted[~asb_rows]
    area_codes, areas = _codes(table.column("LSOA name"))
    area_codes, areas = _normalised(area_codes, [area_of_lsoa(a) for a in areas])
    out_codes, outs = _codes(table.column("Last outcome category"))
    out_codes, outs = _normalised(out_codes, [o.strip() or NOT_RECORDED for o in outs])
    month_codes, months = _normalised(month_codes, month_norm)
    key = np.zeros(len(kept), dtype=np.int64)  # one integer per (area, month, type, outcome)
    sizes = [len(areas), len(months), len(types), len(outs)]
    for codes, size in zip([area_codes, month_codes, type_codes, out_codes], sizes, strict=True):
        key = key * size + codes[kept]
    combos, tally = np.unique(key, return_counts=True)
    parts = []
    for size in reversed(sizes):
        combos, part = np.divmod(combos, size)
        parts.append(part.tolist())
    frame = pd.DataFrame(
        [(areas[a], months[m], types[t], outs[o]) for o, t, m, a in zip(*parts, strict=True)],
        columns=OUTCOME_COLUMNS[:-1],
    )
    frame["count"] = tally.astype(np.int64)
    counts = frame.groupby(OUTCOME_COLUMNS[:-1], sort=True)["count"].sum().reset_index()
    counts["month"] = _monthly(counts["month"].to_numpy(dtype=object))
    rejects = [Reject(name, i + 2, why) for i, why in sorted(problems)]  # the header is line 1
    if rejects and data is not None and (b'"' in data or b"\n\n" in data or b"\n\r\n" in data):
        true_line = _record_lines(data)  # only when a line can differ from its row number, and needed
        if len(true_line) == n:
            rejects = [Reject(r.file, true_line[(r.line or 2) - 2], r.reason) for r in rejects]
    return counts, OutcomeFile(name, n, len(kept), asb, rejects)


def read_outcomes(paths: list[Path]) -> Outcomes:
    """Outcomes of every police.uk street file among ``paths`` (zips: their ``-street.csv`` members)."""
    frames: list[pd.DataFrame] = []
    files: list[OutcomeFile] = []
    for path in paths:
        if path.suffix.lower() == ".zip":
            with open_zip(path) as zf:  # each member bounded (a zip bomb is refused, not decompressed)
                infos = [i for i in zf.infolist() if i.filename.lower().endswith("-street.csv")]
                for info in sorted(infos, key=lambda i: i.filename):
                    name = f"{path}!{info.filename}"
                    data = member_bytes(zf, info, name)
                    counts, f = read_outcomes_table(_read_table(data, name), name, data)
                    frames.append(counts)
                    files.append(f)
            continue
        data = path.read_bytes()
        counts, f = read_outcomes_table(_read_table(data, str(path)), str(path), data)
        frames.append(counts)
        files.append(f)
    if not files:
        raise InputError("no police.uk street-level files to read outcomes from")
    counts = pd.concat(frames, ignore_index=True)
    counts = counts.groupby(OUTCOME_COLUMNS[:-1], sort=True, as_index=False).agg(count=("count", "sum"))
    return Outcomes(counts, files)

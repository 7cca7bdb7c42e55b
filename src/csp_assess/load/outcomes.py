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

import pandas as pd
import pyarrow as pa
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
    head = data.split(b"\n", 1)[0].decode("utf-8", "replace")
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


def read_outcomes_table(
    table: pa.Table, name: str, data: bytes | None = None
) -> tuple[pd.DataFrame, OutcomeFile]:
    """Count one file's crimes by area, month, category and outcome; reject and account for the rest."""
    ids = table.column("Crime ID").to_pylist()
    months = table.column("Month").to_pylist()
    lsoas = table.column("LSOA name").to_pylist()
    types = table.column("Crime type").to_pylist()
    outcomes = table.column("Last outcome category").to_pylist()
    seen: set[str] = set()
    rejects: list[Reject] = []
    keep: list[tuple[str, str, str, str]] = []
    asb = 0
    for i, (cid, month, lsoa, ctype, outcome) in enumerate(
        zip(ids, months, lsoas, types, outcomes, strict=True)
    ):
        line = i + 2  # the header is line 1; corrected at the end if a row spans lines or blank lines skip
        month = month.strip()
        if not _MONTH.match(month):
            month = excel_month_text(month) or month  # "Apr-21": the file was re-saved by Excel
        if not _MONTH.match(month):
            rejects.append(Reject(name, line, f"Month {month!r} is not YYYY-MM"))
            continue
        if not FIRST_YEAR <= int(month[:4]) <= LAST_YEAR:  # as the counts reader: a typo, not a year
            rejects.append(
                Reject(name, line, f"Month {month!r} is outside {FIRST_YEAR}-{LAST_YEAR} (a mistyped year?)")
            )
            continue
        cid = cid.strip()
        if cid:
            if cid in seen:
                rejects.append(Reject(name, line, f"repeated Crime ID {cid[:16]}... (first row kept)"))
                continue
            seen.add(cid)
        ctype = ctype.strip()
        if ctype == ASB_MAJOR:
            asb += 1
            continue
        keep.append((area_of_lsoa(lsoa), month, ctype, outcome.strip() or NOT_RECORDED))
    frame = pd.DataFrame(keep, columns=OUTCOME_COLUMNS[:-1])
    counts = frame.groupby(OUTCOME_COLUMNS[:-1], sort=True).size().rename("count").reset_index()
    counts["month"] = pd.PeriodIndex(counts["month"], freq="M")
    if rejects and data is not None and (b'"' in data or b"\n\n" in data or b"\n\r\n" in data):
        true_line = _record_lines(data)  # only when a line can differ from its row number, and needed
        if len(true_line) == len(ids):
            rejects = [Reject(r.file, true_line[(r.line or 2) - 2], r.reason) for r in rejects]
    return counts, OutcomeFile(name, len(ids), len(keep), asb, rejects)


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

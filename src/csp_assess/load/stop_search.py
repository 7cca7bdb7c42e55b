"""data.police.uk stop-and-search files (``*-stop-and-search.csv``): one row per search.

Header (15 columns): ``Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,
Gender,Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,
Outcome linked to object of search,Removal of more than just outer clothing``. Only Type, Date,
Legislation, Object of search, Outcome and Outcome linked to object of search are kept.

* **Month.** ``Date`` is a UTC timestamp (``2018-06-30T23:30:00+00:00``). A search belongs to the month of
  its date in UK local time (Europe/London: GMT in winter, BST in summer), so a search at 23:30 UTC on
  30 June is a 1 July search. police.uk arranges its monthly files the same way: the City of London file
  for September 2018 holds a search at 2018-08-31T23:13Z (00:13 BST on 1 September). A month is complete
  when the file for it (the file whose searches mostly fall in it) is loaded; a month holding only
  searches from another month's file is marked incomplete.
* **Area.** The files carry no LSOA and no area: searches are counted for the force, named from the file
  name (``2018-01-city-of-london-stop-and-search.csv`` -> ``City of London``).
* **Blanks** in Legislation, Object or Outcome are counted under ``(not recorded)``; ``Outcome linked to
  object of search`` is True, False or blank (not recorded), kept as such.
* **Rejects.** A row whose Date is blank, unparseable or has no UTC offset, or whose number of fields
  differs from the header's, is rejected with its file, line and reason. Rows read = counted + rejected.

No stop-and-search row is ever a crime: these counts are kept apart from the crime counts table.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from csp_assess.errors import InputError, LayoutError
from csp_assess.load.police_uk import FIRST_YEAR, LAST_YEAR
from csp_assess.load.textio import decode_bytes, read_head
from csp_assess.load.zipmember import member_bytes, open_zip
from csp_assess.model import Reject, SourceFile

UK = ZoneInfo("Europe/London")
LAYOUT = "police-uk-stop-and-search"
NOT_RECORDED = "(not recorded)"
REQUIRED = ("Date", "Legislation", "Object of search", "Outcome")
OPTIONAL = ("Type", "Outcome linked to object of search")
STOP_COLUMNS = ["area", "month", "type", "legislation", "object", "outcome", "linked", "count"]
MONTH_RULE = (
    "Searches are assigned to months by their date in UK local time (Europe/London): police.uk gives "
    "UTC timestamps, so a search late on the last evening of a summer (BST) month belongs to the next month"
)
_NAME = re.compile(r"(\d{4})-(\d{2})-(.+)-stop-and-search\.csv$", re.I)
_SMALL_WORDS = {"of", "and", "the"}


def is_stop_search_header(header: list[str]) -> bool:
    """A stop-and-search header: Date, Legislation, Object of search and Outcome, and no Crime type."""
    cols = {c.strip() for c in header}
    return all(c in cols for c in REQUIRED) and "Crime type" not in cols


def is_stop_search_file(path: Path) -> bool:
    """True when ``path`` is a CSV named ``*-stop-and-search.csv`` (then an empty or damaged one is read
    and refused by name, not passed over as a crime file) or whose header is a stop-and-search header
    (cheap: the first line only)."""
    if path.suffix.lower() != ".csv":
        return False
    if is_stop_search_member(path.name):
        return True
    head = read_head(path, 4096)
    try:
        text, _ = decode_bytes(head.split(b"\n", 1)[0], str(path))
    except InputError:
        return False
    return is_stop_search_header(next(csv.reader([text.lstrip("\ufeff")]), []))


def is_stop_search_member(name: str) -> bool:
    """A zip member that is a stop-and-search file (police.uk downloads hold them beside street files)."""
    return name.lower().endswith("-stop-and-search.csv")


def force_of(name: str) -> str:
    """``2018-01-city-of-london-stop-and-search.csv`` -> ``City of London`` (the prefix before the date is
    ignored); a name that does not follow the pattern gives its stem."""
    m = _NAME.search(Path(name).name)
    if not m:
        return Path(name).stem
    words = m.group(3).replace("_", "-").split("-")
    return " ".join(w if (i and w in _SMALL_WORDS) else w.capitalize() for i, w in enumerate(words) if w)


def uk_month(stamp: str) -> pd.Period:
    """The UK-local calendar month of a UTC timestamp with an offset; ValueError if it has none."""
    when = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("no UTC offset")
    local = when.astimezone(UK)
    if not FIRST_YEAR <= local.year <= LAST_YEAR:  # as street files: a typo, not thousands of empty months
        raise ValueError(f"outside {FIRST_YEAR}-{LAST_YEAR}")
    month = _MONTHS.get((local.year, local.month))
    if month is None:  # pd.Period() costs ~10 us: made once per month, not once per search
        month = _MONTHS[(local.year, local.month)] = pd.Period(year=local.year, month=local.month, freq="M")
    return month


_MONTHS: dict[tuple[int, int], pd.Period] = {}


@dataclass
class StopSearchLoad:
    """One file read: counts by (month, type, legislation, object, outcome, linked), provenance, rejects."""

    counts: pd.DataFrame
    source: SourceFile
    rejects: list[Reject] = field(default_factory=list)
    file_month: pd.Period | None = None  # the month the file reports on (its rows' commonest UK month)


def _label(value: str) -> str:
    value = value.strip()
    return value if value else NOT_RECORDED


def _linked(value: str) -> str:
    v = value.strip().lower()
    return "true" if v == "true" else "false" if v == "false" else NOT_RECORDED


def read_stop_search_text(text: str, name: str, encoding: str) -> StopSearchLoad:
    """Parse one file's text; every row is counted or rejected with its line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [c.strip() for c in next(reader, [])]
    if not header:
        raise InputError("the file is empty: it holds no header row", file=name, line=1)
    if not is_stop_search_header(header):
        missing = [c for c in REQUIRED if c not in header]
        raise LayoutError(
            f"not a police.uk stop-and-search file: no column {missing[0]!r}" if missing else
            "not a police.uk stop-and-search file: it has a 'Crime type' column (a street file)",
            file=name,
            line=1,
        )  # fmt: skip
    col = {c: header.index(c) for c in (*REQUIRED, *OPTIONAL) if c in header}
    i_type, i_link = col.get("Type"), col.get("Outcome linked to object of search")
    i_leg, i_obj, i_out = col["Legislation"], col["Object of search"], col["Outcome"]
    area = force_of(name)
    # counted by the texts as read; labelled once per distinct combination after the loop
    raw: Counter[tuple[pd.Period, str | None, str, str, str, str | None]] = Counter()
    file_months: Counter[pd.Period] = Counter()
    rejects: list[Reject] = []
    read = 0
    start = reader.line_num
    for row in reader:
        line = start + 1
        start = reader.line_num
        if not row or row == [""]:
            continue  # a blank line is not a row
        read += 1
        if len(row) != len(header):
            rejects.append(Reject(name, line, f"{len(row)} fields, the header has {len(header)}"))
            continue
        stamp = row[col["Date"]]
        try:
            month = uk_month(stamp)
        except (ValueError, OverflowError) as err:
            why = (
                "Date is blank"
                if not stamp.strip()
                else f"Date {stamp!r} is outside {FIRST_YEAR}-{LAST_YEAR} (a mistyped year?)"
                if str(err).startswith("outside")
                else f"Date {stamp!r} is not a timestamp with a UTC offset (re-saved by Excel? use the file "
                "as downloaded from police.uk)"
            )
            rejects.append(Reject(name, line, why))
            continue
        file_months[month] += 1
        raw[
            (
                month,
                None if i_type is None else row[i_type],
                row[i_leg],
                row[i_obj],
                row[i_out],
                None if i_link is None else row[i_link],
            )
        ] += 1
    tally: Counter[tuple[pd.Period, str, str, str, str, str]] = Counter()
    for (month, kind, leg, obj, outcome, link), n in raw.items():
        tally[
            (
                month,
                NOT_RECORDED if kind is None else _label(kind),
                _label(leg),
                _label(obj),
                _label(outcome),
                NOT_RECORDED if link is None else _linked(link),
            )
        ] += n
    keys = sorted(tally, key=lambda k: (k[0].ordinal, *k[1:]))
    counts = pd.DataFrame(
        {
            "area": pd.Series([area] * len(keys), dtype=object),
            "month": pd.PeriodIndex([k[0] for k in keys], freq="M") if keys else pd.PeriodIndex([], freq="M"),
            "type": pd.Series([k[1] for k in keys], dtype=object),
            "legislation": pd.Series([k[2] for k in keys], dtype=object),
            "object": pd.Series([k[3] for k in keys], dtype=object),
            "outcome": pd.Series([k[4] for k in keys], dtype=object),
            "linked": pd.Series([k[5] for k in keys], dtype=object),
            "count": pd.Series([tally[k] for k in keys], dtype="int64"),
        }
    )
    months = sorted({k[0] for k in keys})
    counted = sum(tally.values())
    file_month = min(file_months, key=lambda m: (-file_months[m], m.ordinal)) if file_months else None
    source = SourceFile(
        path=name,
        layout=LAYOUT,
        scheme="police-uk",
        level="force",
        encoding=encoding,
        rows_read=read,
        rows_counted=counted,
        rows_rejected=len(rejects),
        offences=counted,  # searches, not offences: this file never enters the crime counts
        first_month=months[0] if months else None,
        last_month=months[-1] if months else None,
        scope=f"police-uk-stop-and-search:{area}",
        areas=[area],
        months_covered=months,
        months_used=months,
    )
    return StopSearchLoad(counts, source, rejects, file_month)


def read_stop_search(path: Path) -> list[StopSearchLoad]:
    """One stop-and-search CSV, or every stop-and-search member of a police.uk zip download."""
    if path.suffix.lower() == ".zip":
        out: list[StopSearchLoad] = []
        with open_zip(path) as zf:  # each member bounded: a 4 MB zip bomb once took 4 GB and 20 s
            infos = [i for i in zf.infolist() if is_stop_search_member(i.filename)]
            members = sorted(infos, key=lambda i: i.filename)
            for info in members:
                name = f"{path}!{info.filename}"
                text, enc = decode_bytes(member_bytes(zf, info, name), name)
                out.append(read_stop_search_text(text, name, enc))
        return out
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror}", file=str(path)) from err
    text, enc = decode_bytes(data, str(path))
    return [read_stop_search_text(text, str(path), enc)]


@dataclass
class StopSearchData:
    """Every stop-and-search file read: the counts, each file's provenance, every rejected row."""

    counts: pd.DataFrame
    loads: list[StopSearchLoad]

    @property
    def sources(self) -> list[SourceFile]:
        return [ld.source for ld in self.loads]

    @property
    def rejects(self) -> list[Reject]:
        return [r for ld in self.loads for r in ld.rejects]

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.sources)

    @property
    def rows_counted(self) -> int:
        return sum(s.rows_counted for s in self.sources)

    @property
    def rows_rejected(self) -> int:
        return sum(s.rows_rejected for s in self.sources)

    def file_months(self, area: str) -> set[pd.Period]:
        """The months whose police.uk file was loaded, for one force."""
        return {ld.file_month for ld in self.loads if ld.file_month is not None and ld.source.areas == [area]}


def combine_stop_search(loads: list[StopSearchLoad]) -> StopSearchData:
    """Stack the files' counts. The same force and month loaded twice would double count: an error."""
    seen: dict[tuple[str, pd.Period], str] = {}
    for ld in loads:
        if ld.file_month is None:
            continue
        key = (ld.source.areas[0], ld.file_month)
        if key in seen:
            raise InputError(
                f"stop and search for {key[0]} {key[1]} is loaded twice (also from {seen[key]}): "
                "give each month's file once",
                file=ld.source.path,
            )
        seen[key] = ld.source.path
    frames = [ld.counts for ld in loads if len(ld.counts)]
    if frames:
        counts = pd.concat(frames, ignore_index=True)
        counts = counts.groupby(STOP_COLUMNS[:-1], sort=True, observed=True, as_index=False).agg(
            count=("count", "sum")
        )
    else:
        counts = pd.DataFrame(
            {c: pd.Series([], dtype="int64" if c == "count" else object) for c in STOP_COLUMNS}
        )
        counts["month"] = pd.PeriodIndex([], freq="M")
    return StopSearchData(counts, loads)

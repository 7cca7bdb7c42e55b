"""A deliberately separate, simple oracle for tests. Stdlib only; never imports csp_assess.

It re-derives the numbers the tool should produce, in the most direct way possible, so tests can compare
the tool against something written independently of it. Keep it dumb and obviously right: no pandas,
no layout registry, no cleverness.

Met wide files (one column per month, headed YYYYMM). Recognised headers, matched by column name:

    MajorText, MinorText, LookUp_BoroughName | BoroughName     (borough files, old or new categories)
    MajorText, MinorText, WardName, WardCode, LookUp_BoroughName (ward files: wards are summed)
    Group, SubGroup, BOCU                                       (group schema)
    Borough, Major Category, Minor Category                     (pre-2019 categories)

Several files are combined with one rule: for each month, the file whose last month is latest wins;
the other files' values for that month are ignored. Two files ending in the same month is an error.
A category absent from the winning file simply contributes nothing for that month.

Category strings are kept exactly as in the file. Old (Title Case) and new (UPPER CASE) categories are
therefore different keys; this oracle does not stop a caller mixing them.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

MAJOR_COLUMNS = ("MajorText", "Group", "Major Category")
MINOR_COLUMNS = ("MinorText", "SubGroup", "Minor Category")
AREA_COLUMNS = ("LookUp_BoroughName", "BoroughName", "BOCU", "Borough")


def read_text(path: Path) -> str:
    """File text: UTF-8 (a BOM is dropped), else cp1252."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def read_rows(path: Path) -> list[list[str]]:
    """All rows of a CSV file, header first. Handles LF and CRLF."""
    return list(csv.reader(io.StringIO(read_text(path), newline="")))


def pick_column(header: list[str], names: tuple[str, ...], path: Path) -> int:
    for name in names:
        if name in header:
            return header.index(name)
    raise ValueError(f"{path}: none of the columns {names} in header")


def fy_label(month: str, fy_start_month: int = 4) -> str:
    """'202104' -> '2021/22' for an April year. A January start gives the calendar year: '2021'."""
    year, mon = int(month[:4]), int(month[4:6])
    start_year = year if mon >= fy_start_month else year - 1
    if fy_start_month == 1:
        return str(start_year)
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def met_wide_monthly(paths: list[Path], area: str) -> dict[tuple[str, str, str], int]:
    """{(month 'YYYYMM', major, minor): count} for one area over Met wide files, snapshots combined."""
    files: list[tuple[Path, list[list[str]], list[int], str]] = []
    for path in paths:
        rows = read_rows(Path(path))
        header = rows[0]
        month_cols = [i for i, name in enumerate(header) if len(name) == 6 and name.isdigit()]
        if not month_cols:
            raise ValueError(f"{path}: no YYYYMM month columns")
        last_month = max(header[i] for i in month_cols)
        files.append((Path(path), rows, month_cols, last_month))

    last_months = [f[3] for f in files]
    for last in last_months:
        if last_months.count(last) > 1:
            raise ValueError(f"two files end in the same month {last}: cannot tell which is newer")

    # For each month, the file with the latest last month wins.
    winner: dict[str, Path] = {}
    for path, rows, month_cols, _last_month in sorted(files, key=lambda f: f[3]):
        for i in month_cols:
            winner[rows[0][i]] = path  # later (newer) files overwrite earlier ones

    counts: dict[tuple[str, str, str], int] = {}
    for path, rows, month_cols, _last in files:
        header = rows[0]
        major = pick_column(header, MAJOR_COLUMNS, path)
        minor = pick_column(header, MINOR_COLUMNS, path)
        area_col = pick_column(header, AREA_COLUMNS, path)
        for row in rows[1:]:
            if not row:
                continue
            if row[area_col].strip().casefold() != area.strip().casefold():
                continue
            for i in month_cols:
                month = header[i]
                if winner[month] != path:
                    continue
                key = (month, row[major], row[minor])
                counts[key] = counts.get(key, 0) + int(row[i])
    return counts


def fy_totals_met_wide(
    paths: list[Path], area: str, fy_start_month: int = 4
) -> dict[tuple[str, str, str], int]:
    """{(fy label like '2021/22', major, minor): count} for one area over Met wide files.

    A year only partly covered by the files gives the sum of the months that are there.
    """
    totals: dict[tuple[str, str, str], int] = {}
    for (month, major, minor), count in met_wide_monthly(paths, area).items():
        key = (fy_label(month, fy_start_month), major, minor)
        totals[key] = totals.get(key, 0) + count
    return totals


def fy_total(paths: list[Path], area: str, fy: str, fy_start_month: int = 4) -> int:
    """All offences for one area in one financial year ('2021/22'), summed over categories."""
    totals = fy_totals_met_wide(paths, area, fy_start_month)
    return sum(count for (label, _major, _minor), count in totals.items() if label == fy)


def fy_months_covered(paths: list[Path], fy: str, fy_start_month: int = 4) -> int:
    """How many months of the financial year fy appear in the month columns of the files."""
    months: set[str] = set()
    for path in paths:
        header = read_rows(Path(path))[0]
        months.update(name for name in header if len(name) == 6 and name.isdigit())
    return sum(1 for month in months if fy_label(month, fy_start_month) == fy)


def police_uk_texts(paths: list[Path]) -> list[tuple[str, str]]:
    """(name, text) of data.police.uk street CSVs.

    A .csv path is read as given. A folder is searched for *-street.csv files at any depth, and a .zip
    for members ending in -street.csv (outcomes and stop-and-search files are left out).
    """
    texts: list[tuple[str, str]] = []
    for path in map(Path, paths):
        if path.is_dir():
            for member in sorted(path.rglob("*-street.csv")):
                texts.append((str(member), read_text(member)))
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in sorted(archive.namelist()):
                    if name.endswith("-street.csv"):
                        texts.append((f"{path}!{name}", archive.read(name).decode("utf-8-sig")))
        else:
            texts.append((str(path), read_text(path)))
    return texts


def police_uk_counts(paths: list[Path]) -> dict[tuple[str, str], int]:
    """{(month 'YYYY-MM', crime type): number of rows} over data.police.uk street CSVs.

    Every row counts once: blank or repeated Crime IDs are not de-duplicated, rows with no location are
    kept, and 'Anti-social behaviour' rows are counted under their own type (they are incidents, not
    crimes; callers keep them apart from crime totals).
    """
    counts: dict[tuple[str, str], int] = {}
    for name, text in police_uk_texts(paths):
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if reader.fieldnames is None or "Month" not in reader.fieldnames:
            raise ValueError(f"{name}: no Month column")
        if "Crime type" not in reader.fieldnames:
            raise ValueError(f"{name}: no Crime type column")
        for row in reader:
            key = (row["Month"], row["Crime type"])
            counts[key] = counts.get(key, 0) + 1
    return counts

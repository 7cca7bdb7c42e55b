"""Build data/sample_offences.csv from the public Met borough files in ../shared/data.

The sample is the real Metropolitan Police borough-level recorded-crime data for Barking and Dagenham,
old (Title Case) categories, April 2010 to February 2023, in the Met wide layout:

    MajorText,MinorText,LookUp_BoroughName,201004,...,202302

It combines two monthly snapshots of the London Datastore dataset "Recorded Crime: Geographic Breakdown":

* mps_borough_historical_oldcats_201004_202201.csv  (historical file, ends 2022-01)
* mps_borough_24m_oldcats_202103_202302.csv         ("most recent 24 months" file, ends 2023-02)

Snapshot rule: for each month, the file whose last month is latest wins (the newer snapshot). So the
24-month file supplies 202103-202302 and the historical file supplies 201004-202102. Months are never
summed across files.

Category rule: the output has one row per (MajorText, MinorText) found for the area in either file.
If a category has no row in the file that is authoritative for a month, its count for that month is 0
(the Met files leave out categories with no offences in the whole file). Each such fill is reported.

Usage (from the repository root):

    python scripts/build_sample.py [--shared-dir DIR] [--output PATH]

Stdlib only; the output is byte-reproducible (UTF-8 without BOM, LF line endings, minimal quoting).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path

AREA = "Barking and Dagenham"
SOURCE_FILES = (
    "mps_borough_historical_oldcats_201004_202201.csv",
    "mps_borough_24m_oldcats_202103_202302.csv",
)
FIRST_MONTH = "201004"
LAST_MONTH = "202302"
HEADER_START = ["MajorText", "MinorText", "LookUp_BoroughName"]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED_DIR = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUTPUT = REPO_ROOT / "data" / "sample_offences.csv"

Key = tuple[str, str]


@dataclass
class Snapshot:
    """The rows of one source file for the chosen area."""

    path: Path
    months: list[str]
    counts: dict[Key, dict[str, int]]


def month_range(first: str, last: str) -> list[str]:
    """All YYYYMM months from first to last inclusive."""
    year, month = int(first[:4]), int(first[4:])
    out: list[str] = []
    while f"{year:04d}{month:02d}" <= last:
        out.append(f"{year:04d}{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def read_snapshot(path: Path, area: str) -> Snapshot:
    """Read one old-category Met borough file, keeping only the rows for area."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if header[:3] != HEADER_START:
            raise SystemExit(f"{path}: unexpected header start {header[:3]}")
        months = header[3:]
        if months != month_range(months[0], months[-1]):
            raise SystemExit(f"{path}: month columns are not a contiguous run")
        counts: dict[Key, dict[str, int]] = {}
        for line_no, row in enumerate(reader, start=2):
            if len(row) != len(header):
                raise SystemExit(f"{path}:{line_no}: {len(row)} fields, expected {len(header)}")
            if row[2].strip().casefold() != area.casefold():
                continue
            key = (row[0], row[1])
            if key in counts:
                raise SystemExit(f"{path}:{line_no}: duplicate category {key} for {area}")
            counts[key] = {month: int(value) for month, value in zip(months, row[3:], strict=True)}
    if not counts:
        raise SystemExit(f"{path}: no rows for {area}")
    return Snapshot(path=path, months=months, counts=counts)


def build(shared_dir: Path, area: str = AREA, log: list[str] | None = None) -> bytes:
    """Return the bytes of the sample CSV built from the source files in shared_dir."""
    snapshots = [read_snapshot(shared_dir / name, area) for name in SOURCE_FILES]
    last_months = [snap.months[-1] for snap in snapshots]
    if len(set(last_months)) != len(last_months):
        raise SystemExit(f"two source files end in the same month: {last_months}")
    # Newest snapshot first: the first file that covers a month wins it.
    by_recency = sorted(snapshots, key=lambda snap: snap.months[-1], reverse=True)
    out_months = month_range(FIRST_MONTH, LAST_MONTH)
    owner: dict[str, Snapshot] = {}
    for month in out_months:
        covering = [snap for snap in by_recency if month in snap.months]
        if not covering:
            raise SystemExit(f"no source file covers month {month}")
        owner[month] = covering[0]

    keys = sorted(set().union(*(snap.counts for snap in snapshots)))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*HEADER_START, *out_months])
    fills: dict[tuple[Key, str], list[str]] = {}
    for key in keys:
        values: list[str] = []
        for month in out_months:
            snap = owner[month]
            if key in snap.counts:
                values.append(str(snap.counts[key][month]))
            else:
                values.append("0")
                fills.setdefault((key, snap.path.name), []).append(month)
        writer.writerow([key[0], key[1], area, *values])

    if log is not None:
        for snap in snapshots:
            won = [m for m in out_months if owner[m] is snap]
            log.append(
                f"{snap.path.name}: {len(snap.counts)} categories; supplies "
                + (f"{won[0]}-{won[-1]} ({len(won)} months)" if won else "no months")
            )
        log.append(f"{len(keys)} categories in the union, {len(out_months)} months")
        for (key, name), months in sorted(fills.items()):
            log.append(f"zero-filled {key[0]} / {key[1]}: absent from {name}, {months[0]}-{months[-1]}")
        if not fills:
            log.append("no zero fills were needed")
    return buffer.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--shared-dir",
        type=Path,
        default=DEFAULT_SHARED_DIR,
        help="folder holding the source Met files (default: <repo>/../shared/data)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the sample")
    args = parser.parse_args(argv)
    log: list[str] = []
    data = build(args.shared_dir, log=log)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    for line in log:
        print(line)
    print(f"wrote {args.output} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A large police.uk stop-and-search extract for the benchmarks, Met-sized from the real City of London rows.

    .venv/bin/python bench/make_stops.py /tmp/stops --months 60 --rows-per-month 20000

Each month's file holds ``--rows-per-month`` rows drawn (seeded) from the real City of London files in
../shared/data, their Date moved into that month (day and time kept where the month has the day), so every
column is as published; the Met makes ~15,000-25,000 searches a month.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "police_uk_city_of_london_2017_2020"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--start", default="2017-04")
    ap.add_argument("--rows-per-month", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=7)
    ns = ap.parse_args()
    header: list[str] = []
    rows: list[list[str]] = []
    for path in sorted(SOURCE.glob("*-stop-and-search.csv")):
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            rows += [r for r in reader if len(r) == len(header)]
    date = header.index("Date")
    rng = random.Random(ns.seed)
    year, month = (int(x) for x in ns.start.split("-"))
    for _ in range(ns.months):
        tag = f"{year:04d}-{month:02d}"
        folder = ns.out_dir / tag
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"{tag}-metropolitan-stop-and-search.csv").open(
            "w", newline="", encoding="utf-8"
        ) as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(header)
            for row in rng.choices(rows, k=ns.rows_per_month):
                day = min(int(row[date][8:10]), 28)
                out.writerow([*row[:date], f"{tag}-{day:02d}{row[date][10:]}", *row[date + 1 :]])
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark: `csp-assess rank` on a force record-level extract (one row per crime), against DuckDB.

    .venv/bin/python bench/bench_record.py                 # 2,000,000 rows (~204 MB), median of 3
    .venv/bin/python bench/bench_record.py --rows 200000   # a quick check
    .venv/bin/python bench/bench_record.py --runs 5 --csv /tmp/rec2m.csv   # reuse an extract

The extract is made by ``../shared/bench/make_record_extract.py OUT.csv --rows N`` in a temporary folder
(removed afterwards unless ``--csv`` names one to keep). Each contender runs end to end as its own
subprocess (interpreter start to exit), in turn, round after round, so that background load falls on both
alike; the median wall time of the rounds is reported with the peak RSS (``/usr/bin/time -v``) and CPU
time of the median run, then the aggregation alone (DuckDB's query against ``csp_assess.load``, both in one
warm process, so start-up and imports are left out); "rank, 1% sample" (every 100th row) shows the command's fixed cost (start-up,
imports, the ranking). DuckDB does the same aggregation (parse ``dd/mm/yyyy HH:MM``, keep the area,
count per month and offence); the counts of both are compared per financial year and offence, and the
benchmark fails if they differ. Needs ``pip install duckdb`` (benchmark only, not a dependency).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from installed import compile_package

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "bench" / "make_record_extract.py"
PY = sys.executable
AREA = "Barking and Dagenham"
YEAR = "2021/22"
TIME_BIN = "/usr/bin/time"
MAP = [
    "--map", "month=Committed Date",
    "--map", "area=Local Authority",
    "--map", "major=Offence Group",
    "--map", "minor=Offence",
]  # fmt: skip

# Counts per financial year (April to March) and offence, printed as JSON for the comparison.
DUCKDB = """
import duckdb, json, sys
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
rows = con.execute(
    "SELECT date_trunc('month', strptime(\\"Committed Date\\", '%d/%m/%Y %H:%M')) AS m, "
    "\\"Offence Group\\", \\"Offence\\", count(*) FROM read_csv(?) "
    "WHERE \\"Local Authority\\" = ? GROUP BY ALL",
    [sys.argv[1], sys.argv[2]],
).fetchall()
print(json.dumps([[str(m)[:7], g, o, n] for m, g, o, n in rows]))
"""


# The aggregation alone, start-up excluded: both engines imported once in one warm process, then the
# same aggregation timed in turn, round after round (what a script using the library pays per file).
WARM = """
import json, statistics, sys, time
import duckdb
import csp_assess as ca

path, area, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
mapping = {"month": "Committed Date", "area": "Local Authority", "major": "Offence Group", "minor": "Offence"}
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
sql = ("SELECT date_trunc('month', strptime(\\"Committed Date\\", '%d/%m/%Y %H:%M')) AS m, "
       "\\"Offence Group\\", \\"Offence\\", count(*) FROM read_csv(?) WHERE \\"Local Authority\\" = ? GROUP BY ALL")
times = {"duckdb query": [], "csp_assess.load": []}
for _ in range(rounds):
    t = time.perf_counter()
    duck = con.execute(sql, [path, area]).fetchall()
    times["duckdb query"].append(time.perf_counter() - t)
    t = time.perf_counter()
    ex = ca.load(path, mapping=mapping, cache=False)
    counts = ex.counts[ex.counts["area"] == area]
    times["csp_assess.load"].append(time.perf_counter() - t)
assert sum(n for *_, n in duck) == int(counts["count"].sum()), "totals differ"
print(json.dumps({k: statistics.median(v) for k, v in times.items()}))
"""


# Parquet and Excel copies of the extract, read in one warm process: Parquet against DuckDB's Parquet
# reader, Excel by calamine against openpyxl's streaming reader (the one kept for very large sheets).
FORMATS = """
import json, statistics, sys, time
import duckdb
import csp_assess as ca
from csp_assess.load import record

parquet, xlsx, area, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
mapping = {"month": "Committed Date", "area": "Local Authority", "major": "Offence Group", "minor": "Offence"}
con = duckdb.connect()
sql = ("SELECT \\"Offence\\", count(*) FROM read_parquet(?) WHERE \\"Local Authority\\" = ? GROUP BY ALL")
times = {"duckdb parquet": [], "load parquet": [], "load xlsx (calamine)": [], "load xlsx (openpyxl)": []}
for i in range(rounds):
    t = time.perf_counter(); con.execute(sql, [parquet, area]).fetchall(); times["duckdb parquet"].append(time.perf_counter() - t)
    t = time.perf_counter(); ca.load(parquet, mapping=mapping, cache=False); times["load parquet"].append(time.perf_counter() - t)
    t = time.perf_counter(); n = ca.load(xlsx, mapping=mapping, cache=False).rows_read; times["load xlsx (calamine)"].append(time.perf_counter() - t)
    if i == 0:  # openpyxl is slow: once
        limit, record.CALAMINE_MAX_XML_BYTES = record.CALAMINE_MAX_XML_BYTES, -1
        t = time.perf_counter(); ca.load(xlsx, mapping=mapping, cache=False); times["load xlsx (openpyxl)"].append(time.perf_counter() - t)
        record.CALAMINE_MAX_XML_BYTES = limit
print(json.dumps({"xlsx_rows": n, **{k: statistics.median(v) for k, v in times.items()}}))
"""


def fy_label(month: str) -> str:
    """'2021-04' -> '2021/22' (financial years start in April)."""
    year, mon = int(month[:4]), int(month[5:7])
    start = year if mon >= 4 else year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def run_once(cmd: list[str]) -> tuple[float, float, float, str]:
    """Wall seconds, peak RSS in MB, CPU seconds (user + sys), and stdout of one run."""
    env = dict(os.environ, NO_COLOR="1")
    t0 = time.perf_counter()
    r = subprocess.run([TIME_BIN, "-v", *cmd], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")

    def field(pattern: str) -> float:
        m = re.search(pattern, r.stderr)
        if m is None:
            raise SystemExit(f"{TIME_BIN} -v gave no {pattern!r}")
        return float(m.group(1))

    rss = field(r"Maximum resident set size \(kbytes\): (\d+)") / 1024
    cpu = field(r"User time \(seconds\): ([\d.]+)") + field(r"System time \(seconds\): ([\d.]+)")
    return wall, rss, cpu, r.stdout


def check_counts(duck_out: str, csp_out: str) -> int:
    """Compare rank's 2021/22 and 2020/21 counts per offence with DuckDB's; return the offences compared."""
    by_fy: dict[tuple[str, str, str], int] = {}
    for month, group, offence, n in json.loads(duck_out):
        key = (fy_label(month), group, offence)
        by_fy[key] = by_fy.get(key, 0) + int(n)
    prev = f"{int(YEAR[:4]) - 1}/{YEAR[2:4]}"
    doc = json.loads(csp_out)
    compared = 0
    for row in doc["rows"]:
        want = by_fy.get((YEAR, row["major"], row["category"]), 0)
        want_prev = by_fy.get((prev, row["major"], row["category"]), 0)
        if (row["count"], row["previous_count"]) != (want, want_prev):
            raise SystemExit(
                f"counts differ for {row['category']}: csp-assess {row['count']}/{row['previous_count']}, "
                f"DuckDB {want}/{want_prev}"
            )
        compared += row["count"]
    duck_total = sum(n for (fy, _, _), n in by_fy.items() if fy == YEAR)
    if compared != duck_total:
        raise SystemExit(f"{YEAR} totals differ: csp-assess {compared}, DuckDB {duck_total}")
    return compared


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--runs", type=int, default=3, help="rounds; the median wall time is kept (default 3)")
    ap.add_argument("--csv", type=Path, default=None, help="extract to use (made there if missing)")
    ap.add_argument(
        "--formats",
        type=int,
        default=0,
        metavar="ROWS",
        help="also read Parquet (all rows) and .xlsx (the first ROWS rows) copies of the extract",
    )
    a = ap.parse_args()
    if not os.path.exists(TIME_BIN):
        raise SystemExit(f"needs {TIME_BIN} (GNU time) for the peak memory")
    with tempfile.TemporaryDirectory(prefix="bench_record_") as tmp:
        csv_path = (a.csv or Path(tmp) / "record.csv").resolve()
        if not csv_path.exists():
            print(f"generating {a.rows:,} rows into {csv_path} ...", flush=True)
            subprocess.run([PY, str(GENERATOR), str(csv_path), "--rows", str(a.rows)], check=True)
        rows = sum(1 for _ in csv_path.open("rb")) - 1
        print(f"extract: {rows:,} rows, {csv_path.stat().st_size / 1e6:,.0f} MB")
        exe = str(Path(PY).with_name("csp-assess"))
        print(f"timing the csp_assess installed at {compile_package()} (byte-compiled, as pip installs it)")
        # Every 100th row: the same command's fixed cost (start-up, imports, rank) with almost no reading.
        sample = Path(tmp) / "sample.csv"
        with csv_path.open("rb") as src, sample.open("wb") as dst:
            for i, line in enumerate(src):
                if i % 100 == 0:
                    dst.write(line)
        contenders = {
            "duckdb": [PY, "-c", DUCKDB, str(csv_path), AREA],
            "csp-assess rank": [
                exe, "rank", str(csv_path), *MAP, "--area", AREA, "--year", YEAR, "--no-cache", "-f", "json",
            ],
            "rank, 1% sample": [
                exe, "rank", str(sample), *MAP, "--area", AREA, "--year", YEAR, "--no-cache", "-f", "json",
            ],
        }  # fmt: skip
        runs: dict[str, list[tuple[float, float, float]]] = {k: [] for k in contenders}
        outs: dict[str, str] = {}
        for _ in range(a.runs):
            for name, cmd in contenders.items():
                wall, rss, cpu, out = run_once(cmd)
                runs[name].append((wall, rss, cpu))
                outs[name] = out
        compared = check_counts(outs["duckdb"], outs["csp-assess rank"])
        print(f"counts equal DuckDB's: {compared:,} offences in {YEAR} for {AREA}, and the year before")
        warm = json.loads(
            subprocess.run(
                [PY, "-c", WARM, str(csv_path), AREA, str(max(a.runs, 3))],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
    load = os.getloadavg()[0]
    print(f"\nmedian of {a.runs} (load average at end {load:.2f}, {os.cpu_count()} cores)")
    print(
        f"{'contender':16s} {'wall s':>7s} {'x duckdb':>9s} {'peak MB':>8s} {'cpu s':>6s} {'rows/s':>11s}  walls"
    )
    base = statistics.median(w for w, _, _ in runs["duckdb"])
    n_rows = {name: rows // 100 if "sample" in name else rows for name in runs}
    for name, results in runs.items():
        ordered = sorted(results)
        wall, rss, cpu = ordered[len(ordered) // 2]
        walls = " ".join(f"{w:.2f}" for w, _, _ in results)
        print(
            f"{name:16s} {wall:7.2f} {wall / base:9.2f} {rss:8.0f} {cpu:6.2f} {n_rows[name] / wall:11,.0f}  {walls}"
        )
    if a.formats:
        formats_report(csv_path, a.formats, max(a.runs, 3))
    print("\nthe aggregation alone, in one warm process (start-up and imports excluded), median:")
    duck_q = warm["duckdb query"]
    for name, secs in warm.items():
        print(f"{name:16s} {secs:7.2f} {secs / duck_q:9.2f} {rows / secs:>29,.0f}")


def formats_report(csv_path: Path, xlsx_rows: int, rounds: int) -> None:
    """Write Parquet and .xlsx copies beside a temporary folder and time reading them (see FORMATS)."""
    import csv

    import openpyxl
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="bench_formats_") as tmp:
        parquet = Path(tmp) / "record.parquet"
        pq.write_table(pacsv.read_csv(csv_path), parquet)
        xlsx = Path(tmp) / "record.xlsx"
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Data")
        with csv_path.open(newline="") as fh:
            for i, row in enumerate(csv.reader(fh)):
                if i > xlsx_rows:
                    break
                ws.append(row)
        wb.save(xlsx)
        out = subprocess.run(
            [PY, "-c", FORMATS, str(parquet), str(xlsx), AREA, str(rounds)], capture_output=True, text=True
        )
        if out.returncode:
            raise SystemExit(out.stderr[-2000:])
        got = json.loads(out.stdout)
    n = got.pop("xlsx_rows")
    print(f"\nParquet (all rows) and .xlsx ({n:,} rows), in one warm process, median of {rounds}:")
    for name, secs in got.items():
        print(f"{name:22s} {secs:7.2f} s")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark: csp-assess on a large data.police.uk street-level extract, against DuckDB and Polars.

    .venv/bin/python bench/bench_street.py            # 60 months x ~80,000 rows (~1.2 GB), best of 3
    .venv/bin/python bench/bench_street.py --small    # 36 months x 5,000 rows: a quick check
    .venv/bin/python bench/bench_street.py --runs 5 --dir /tmp/street

Every contender runs end to end as its own subprocess (interpreter start to exit), in turn, round after
round, so that background load hits them alike; the best wall time of the rounds is reported with the peak
RSS and the CPU time (user + sys) of that run. Needs ``pip install duckdb polars`` (benchmark only).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from installed import compile_package

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "bench" / "make_street_extract.py"
PY = sys.executable
AREA = "Barking and Dagenham"
TIME_BIN = "/usr/bin/time"

DUCKDB = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
rows = con.execute(
    "SELECT Month, \\"Crime type\\", count(*) FROM read_csv(?) "
    "WHERE \\"LSOA name\\" LIKE 'Barking and Dagenham %' GROUP BY ALL",
    [sys.argv[1] + "/**/*.csv"],
).fetchall()
print(len(rows), sum(r[2] for r in rows))
"""

POLARS = """
import polars as pl, sys
out = (
    pl.scan_csv(sys.argv[1] + "/**/*.csv")
    .filter(pl.col("LSOA name").str.starts_with("Barking and Dagenham "))
    .group_by("Month", "Crime type")
    .len()
    .collect()
)
print(out.height, out["len"].sum())
"""

# The loader alone (files read two at a time), then the same query in pandas: what the loader costs
# without the rest of `rank`. Stands in for `csp-assess rank` while that does not run.
STAND_IN = """
import sys
from pathlib import Path
from csp_assess.load.police_uk import read_police_uk_files
import pandas as pd
files = sorted(Path(sys.argv[1]).rglob("*.csv"))
c = pd.concat([f.counts for f in read_police_uk_files(files)], ignore_index=True)
c = c[c["area"] == "Barking and Dagenham"].groupby(["month", "major"])["count"].sum()
print(len(c), int(c.sum()))
"""


def ensure_extract(directory: Path, small: bool) -> None:
    if directory.is_dir() and any(directory.rglob("*.csv")):
        return
    months, rows = (36, 5000) if small else (60, 80000)
    print(f"generating {months} months x ~{rows} rows under {directory} ...", flush=True)
    subprocess.run(
        [PY, str(GENERATOR), str(directory), "--months", str(months), "--rows-per-month", str(rows)],
        check=True,
    )


def cli_works() -> bool:
    exe = Path(PY).with_name("csp-assess")
    if not exe.exists():
        return False
    r = subprocess.run([str(exe), "rank", "--help"], capture_output=True, text=True)
    return r.returncode == 0 and "--area" in r.stdout


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Wall seconds, peak RSS in MB, CPU seconds (user + sys), and stdout of one run."""
    if os.path.exists(TIME_BIN):
        t0 = time.perf_counter()
        r = subprocess.run([TIME_BIN, "-v", *cmd], capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))  # type: ignore[union-attr]
        user = float(re.search(r"User time \(seconds\): ([\d.]+)", r.stderr).group(1))  # type: ignore[union-attr]
        sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", r.stderr).group(1))  # type: ignore[union-attr]
        return wall, rss / 1024, user + sys_, r.stdout
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    # ru_maxrss of children is the largest child so far, not this one: an upper bound.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, after.ru_maxrss / 1024, cpu, r.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=None, help="extract folder (default bench/out/street)")
    ap.add_argument("--small", action="store_true", help="36 months x 5,000 rows, for a quick check")
    ap.add_argument("--runs", type=int, default=3, help="rounds; the median is reported (default 3)")
    ap.add_argument("--only", default="", help="comma list of contenders to run (default: all)")
    a = ap.parse_args()
    directory = a.dir or ROOT / "bench" / "out" / ("street-small" if a.small else "street")
    directory = directory.resolve()
    ensure_extract(directory, a.small)
    files = sorted(directory.rglob("*.csv"))
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"extract: {len(files)} files, {size_mb:,.0f} MB, {directory}")

    cache_dir = ROOT / "bench" / "out" / "cache"
    env = dict(os.environ, CSP_ASSESS_CACHE_DIR=str(cache_dir), NO_COLOR="1")
    exe = str(Path(PY).with_name("csp-assess"))
    print(f"timing the csp_assess installed at {compile_package()} (byte-compiled, as pip installs it)")
    real_cli = cli_works()
    if real_cli:
        rank = [exe, "rank", str(directory), "--area", AREA, "--format", "csv"]
        cold = [*rank, "--no-cache"]
        warm = rank
    else:
        print("note: `csp-assess rank` does not run yet: using the loader stand-in (python -c ...)")
        cold = [PY, "-c", STAND_IN, str(directory)]
        warm = None
    contenders: dict[str, list[str] | None] = {
        "duckdb": [PY, "-c", DUCKDB, str(directory)],
        "polars": [PY, "-c", POLARS, str(directory)],
        "csp-assess cold": cold,
        "loader only (2 threads)": [PY, "-c", STAND_IN, str(directory)] if real_cli else None,
        "csp-assess warm": warm,
        "import csp_assess.cli": [PY, "-c", "import csp_assess.cli"],
    }
    if a.only:
        keep = {s.strip() for s in a.only.split(",")}
        contenders = {k: v for k, v in contenders.items() if k in keep or k.split()[0] in keep}
    if warm is not None and "csp-assess warm" in contenders:
        shutil.rmtree(cache_dir, ignore_errors=True)
        run_once(warm, env)  # fill the cache

    runs: dict[str, list[tuple[float, float, float]]] = {}
    for rnd in range(a.runs):
        for name, cmd in contenders.items():
            if cmd is None:
                continue
            wall, rss, cpu, out = run_once(cmd, env)
            if rnd == 0 and name in ("duckdb", "polars", "csp-assess cold"):
                print(f"  {name}: {out.strip().splitlines()[0] if out.strip() else ''}")
            runs.setdefault(name, []).append((wall, rss, cpu))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    med = {name: statistics.median(w for w, _, _ in r) for name, r in runs.items()}
    base = med.get("duckdb", float("nan"))
    print(f"\nmedian of {a.runs} rounds (load average at end {load:.2f}, {os.cpu_count()} cores)")
    print(f"{'contender':24s} {'median s':>8s} {'x duckdb':>9s} {'best s':>7s} {'peak MB':>8s} {'cpu s':>7s}")
    for name, r in runs.items():
        best = min(w for w, _, _ in r)
        peak = max(m for _, m, _ in r)
        cpu = statistics.median(c for _, _, c in r)
        print(f"{name:24s} {med[name]:8.2f} {med[name] / base:9.2f} {best:7.2f} {peak:8.0f} {cpu:7.2f}")
    if "csp-assess cold" in runs and "duckdb" in runs:
        ratios = [c[0] / d[0] for c, d in zip(runs["csp-assess cold"], runs["duckdb"], strict=False)]
        print("cold / duckdb per round: " + ", ".join(f"{x:.2f}" for x in ratios))
    if not real_cli:
        print("(csp-assess cold = loader stand-in; warm not measured)")


if __name__ == "__main__":
    main()

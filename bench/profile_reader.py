#!/usr/bin/env python3
"""Where the street-level reader spends its time, per file, in CPU milliseconds (one thread).

    .venv/bin/python bench/profile_reader.py [--dir bench/out/street] [--files 12] [--rounds 5]

CPU time (not wall) so that other load on the machine matters less; the lower quartile of the rounds is
shown. Also prices the Crime ID rule: the same read without the Crime ID column and without the check.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

pa.set_cpu_count(1)  # one thread: CPU time is then the work done

from csp_assess.load import police_uk as P  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=ROOT / "bench" / "out" / "street")
    ap.add_argument("--files", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    files = sorted(a.dir.rglob("*.csv"))[: a.files]
    if not files:
        raise SystemExit(f"no CSV files under {a.dir}: run bench/bench_street.py first")
    stages: dict[str, list[float]] = {}

    def add(name: str, seconds: float) -> None:
        stages.setdefault(name, []).append(seconds * 1000 / len(files))

    clock = time.process_time
    for _ in range(a.rounds):
        totals = dict.fromkeys(
            [
                "open + sniff",
                "parse (5 columns)",
                "aggregate (all)",
                "  of which Crime ID check",
                "whole read",
            ],
            0.0,
        )
        totals["parse without Crime ID"] = 0.0
        for f in files:
            t0 = clock()
            inp = P._open(str(f), f.name)
            assert inp is not None
            t1 = clock()
            table, bad = P._read_table(inp, "utf8", inp.quoted, use_threads=False)
            t2 = clock()
            P._aggregate(P._encode_table(table), bad, f.name, "utf-8", lambda n: (None, []))
            t3 = clock()
            P._repeated_ids(table.column("Crime ID"), np.ones(table.num_rows, dtype=bool), 0)
            t4 = clock()
            saved = P.READ_COLUMNS
            P.READ_COLUMNS = [c for c in saved if c != "Crime ID"]
            try:
                P._read_table(inp, "utf8", inp.quoted, use_threads=False)
            finally:
                P.READ_COLUMNS = saved
            t5 = clock()
            P.read_police_uk_csv(f, f.name, use_threads=False)
            t6 = clock()
            totals["open + sniff"] += t1 - t0
            totals["parse (5 columns)"] += t2 - t1
            totals["aggregate (all)"] += t3 - t2
            totals["  of which Crime ID check"] += t4 - t3
            totals["parse without Crime ID"] += t5 - t4
            totals["whole read"] += t6 - t5
        for k, v in totals.items():
            add(k, v)
    mb = sum(f.stat().st_size for f in files) / len(files) / 1e6
    print(f"{len(files)} files, {mb:.1f} MB each; CPU ms per file (lower quartile of {a.rounds} rounds)")
    for k, v in stages.items():
        print(f"  {k:30s} {sorted(v)[len(v) // 4]:7.1f}")
    parse = sorted(stages["parse (5 columns)"])[a.rounds // 4]
    no_id = sorted(stages["parse without Crime ID"])[a.rounds // 4]
    check = sorted(stages["  of which Crime ID check"])[a.rounds // 4]
    whole = sorted(stages["whole read"])[a.rounds // 4]
    print(f"Crime ID rule costs ~{parse - no_id + check:.1f} ms of {whole:.1f} ms per file")


if __name__ == "__main__":
    main()

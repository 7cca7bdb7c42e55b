"""What the issue-13 hardening costs: each new code path timed against the code it replaced.

The replaced code is taken from git (``--ref``, default 1328b5c) and imported beside the new one, and the
two are run alternately, round after round, so background load falls on both alike; medians are reported.

    .venv/bin/python bench/bench_hardening.py                # all four
    .venv/bin/python bench/bench_hardening.py --rounds 9 --only cache,met

cache    a warm lookup of every file of a street extract (24 months x 30,000 rows, generated with
         ../shared/bench/make_street_extract.py): old key (stat only) vs new (stat + edges hash +
         two SHA-256 checks + reconciliation)
met      read_met_wide of the largest real Met files (ward files) with the old loose and new strict
         count parser
decode   a 30 MB UTF-8 long CSV with one stray cp1252 line: old (whole file re-decoded as cp1252)
         vs new (line by line, only where needed); and a clean UTF-8 file (unchanged fast path)
xlsx     write_xlsx of the sample report: old (wb.save) vs new (fixed dates + atomic write)
header   the duplicate-column check of a 10,000-column long-extract header: old (list.count per cell,
         quadratic: a 1M-column header ran for minutes) vs new (one Counter pass)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def old_module(ref: str, rel: str, name: str) -> ModuleType:
    """The module at ``rel`` as it was at ``ref``, imported under ``name``."""
    src = subprocess.run(["git", "show", f"{ref}:{rel}"], cwd=REPO, capture_output=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / f"{name}.py"
    path.write_bytes(src)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


Times = tuple[list[float], list[float]]


def alternate(rounds: int, old: Callable[[], object], new: Callable[[], object]) -> Times:
    t_old: list[float] = []
    t_new: list[float] = []
    for _ in range(rounds):
        for fn, out in ((old, t_old), (new, t_new)):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return t_old, t_new


def report(what: str, times: Times) -> None:
    """Median (and best) of each: the median is the figure; the best shows how much is background load."""
    (o, n), (bo, bn) = (statistics.median(t) for t in times), (min(t) for t in times)
    print(
        f"{what:52s} old {o * 1000:8.1f} ms  new {n * 1000:8.1f} ms  ({n / o:4.2f}x; "
        f"best {bo * 1000:.1f} / {bn * 1000:.1f} ms, {bn / bo:4.2f}x)"
    )


def bench_cache(ref: str, rounds: int) -> None:
    from csp_assess.load import cache, load_file

    street = REPO / "bench" / "out" / "street24"
    if not list(street.rglob("*.csv")):
        subprocess.run(
            [
                sys.executable,
                str(SHARED / "bench" / "make_street_extract.py"),
                str(street),
                "--months",
                "24",
                "--rows-per-month",
                "30000",
            ],
            check=True,
        )
    files = sorted(street.rglob("*.csv"))
    loads = {f: load_file(f) for f in files}
    old = old_module(ref, "src/csp_assess/load/cache.py", "old_cache")
    with tempfile.TemporaryDirectory() as d:
        os.environ["CSP_ASSESS_CACHE_DIR"] = d
        for f in files:
            old.put_all(f, loads[f])
            cache.put_all(f, loads[f])

        def old_all() -> None:
            assert all(old.get_all(f) is not None for f in files)

        def new_all() -> None:
            assert all(cache.lookup(f).loads is not None for f in files)

        times = alternate(rounds, old_all, new_all)
    size = sum(f.stat().st_size for f in files) / 1e6
    report(f"cache: warm lookup of {len(files)} files ({size:.0f} MB)", times)


def bench_met(ref: str, rounds: int) -> None:
    from csp_assess.load import met_wide
    from csp_assess.load.detect import sniff

    old = old_module(ref, "src/csp_assess/load/met_wide.py", "old_met_wide")
    for name in (
        "mps_ward_24m_oldcats_202202_202401.csv",
        "mps_borough_historical_oldcats_201004_202201.csv",
    ):
        path = SHARED / "data" / name
        det = sniff(path)
        assert det is not None
        a = old.read_met_wide(path, det)
        b = met_wide.read_met_wide(path, det)
        assert a.source.offences == b.source.offences
        times = alternate(
            rounds,
            lambda p=path, d=det: old.read_met_wide(p, d),
            lambda p=path, d=det: met_wide.read_met_wide(p, d),
        )
        report(f"met: read {name[:40]}", times)


def bench_decode(ref: str, rounds: int) -> None:
    from csp_assess.load import textio

    old = old_module(ref, "src/csp_assess/load/textio.py", "old_textio")
    line = "2022-01,Ynys Môn,Burglary,3\n".encode()
    clean = line * 1_000_000
    mixed = line * 500_000 + "2022-01,Ynys Môn,Theft – Other,1\n".encode("cp1252") + line * 500_000
    times = alternate(rounds, lambda: old.decode_bytes(clean, "x"), lambda: textio.decode(clean, "x"))
    report(f"decode: clean UTF-8 ({len(clean) / 1e6:.0f} MB)", times)
    times = alternate(rounds, lambda: old.decode_bytes(mixed, "x"), lambda: textio.decode(mixed, "x"))
    report(f"decode: UTF-8 with one cp1252 line ({len(mixed) / 1e6:.0f} MB)", times)


def bench_xlsx(ref: str, rounds: int) -> None:
    from csp_assess.analysis.rank import RankOptions
    from csp_assess.load import load_extract
    from csp_assess.reference.priorities import load_priorities
    from csp_assess.report.build import ReportOptions, build_report
    from csp_assess.report.xlsx import write_xlsx

    old = old_module(ref, "src/csp_assess/report/xlsx.py", "old_xlsx")
    data = build_report(
        load_extract([REPO / "data" / "sample_offences.csv"], use_cache=False),
        ReportOptions(rank=RankOptions()),
        load_priorities(None),
    )
    with tempfile.TemporaryDirectory() as d:
        times = alternate(
            rounds,
            lambda: old.write_xlsx(data, Path(d) / "a.xlsx"),
            lambda: write_xlsx(data, Path(d) / "b.xlsx"),
        )
    report("xlsx: write the sample report", times)


def bench_header(ref: str, rounds: int) -> None:
    from csp_assess.load.record import check_header

    def old_check(header: list[str]) -> list[str]:  # as it was before the hostile-input pass
        return sorted({c for c in header if c and header.count(c) > 1})

    header = ["month", "area", "minor"] + [f"c{i}" for i in range(10_000)]
    times = alternate(rounds, lambda: old_check(header), lambda: check_header(header, "x"))
    report(f"header: duplicate check of {len(header):,} columns", times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default="1328b5c")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--only", default="cache,met,decode,xlsx,header")
    args = ap.parse_args()
    table = {
        "cache": bench_cache,
        "met": bench_met,
        "decode": bench_decode,
        "xlsx": bench_xlsx,
        "header": bench_header,
    }
    for name in args.only.split(","):
        table[name](args.ref, args.rounds)


if __name__ == "__main__":
    main()

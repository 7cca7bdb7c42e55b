#!/usr/bin/env python3
"""Benchmark: every command end to end on large inputs, side by side with `rank` on the same input.

    .venv/bin/python bench/bench_commands.py                         # street + record, cold, median of 3
    .venv/bin/python bench/bench_commands.py --rounds 5 --only street:rank,street:places
    .venv/bin/python bench/bench_commands.py --warm                  # with the counts cache filled
    .venv/bin/python bench/bench_commands.py --before /tmp/base/src  # before/after, alternated per case

Inputs (made beforehand, not here): a data.police.uk street extract (``--street``, default /tmp/street:
``../shared/bench/make_street_extract.py /tmp/street``, 60 months, ~1 GB), a record-level extract
(``--record``, default /tmp/rec/rec2m.csv: ``../shared/bench/make_record_extract.py ... --rows 2000000``) and
a stop-and-search folder (``--stops``, default /tmp/stops: ``bench/make_stops.py /tmp/stops``, 60 Met-sized
months drawn from the real City of London rows).
Each case is a subprocess timed from interpreter start to exit by ``/usr/bin/time -v`` (wall, peak RSS,
user + sys), every case in turn, round after round, so background load on the shared machine falls on all
alike; the median wall of the rounds is reported with the peak RSS of the largest round, the median CPU,
and the ratio to `rank` on the same input. Cold runs pass ``--no-cache``; ``--warm`` fills a private cache
first (``CSP_ASSESS_CACHE_DIR`` in a temporary folder) and then times with it. ``--before SRC`` runs each
case also with another copy of the package (``PYTHONPATH=SRC``, e.g. ``git archive main | tar -x -C
/tmp/base``, its built ``_csvscan`` copied in), right before the current one, so both see the same load.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from installed import compile_package

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "csp_assess"]
TIME_BIN = "/usr/bin/time"
STREET_AREA = "Barking and Dagenham"
RECORD_MAP = [
    "--map", "month=Committed Date", "--map", "area=Local Authority",
    "--map", "major=Offence Group", "--map", "minor=Offence",
]  # fmt: skip
NO_CACHE_FLAG = ("validate", "weights", "outcomes", "stops")  # these read the files afresh anyway
RECORD_WARD = [*RECORD_MAP, "--map", "subarea=Ward", "--map", "flag_da=DA Flag"]


def cases(street: str, record: str, stops: str, out: Path) -> dict[str, list[str]]:
    """Each case: name -> arguments after ``csp-assess``. Names are ``input:command``."""
    s = [street, "--area", STREET_AREA]
    r = [record, *RECORD_MAP, "--area", STREET_AREA]
    rw = [record, *RECORD_WARD, "--area", STREET_AREA]
    return {
        "street:rank": ["rank", *s, "-f", "csv"],
        "street:summary": ["summary", *s, "-f", "csv"],
        "street:compare": ["compare", *s, "-f", "csv"],
        "street:trend": ["trend", *s, "-f", "csv"],
        "street:trend-priority": ["trend", *s, "--priority", "Knife Crime", "-f", "csv"],
        "street:baseline": ["baseline", *s, "-f", "csv"],
        "street:quarterly": ["quarterly", *s, "-f", "csv"],
        "street:places": ["places", *s, "-f", "csv"],
        "street:outcomes": ["outcomes", *s, "-f", "csv"],
        "street:validate": ["validate", street, "-f", "csv"],
        "street:weights": ["weights", street, "-f", "csv"],
        "street:report-html": ["report", *s, "-o", str(out / "street.html")],
        "street:report-md": ["report", *s, "-o", str(out / "street.md")],
        "street:report-xlsx": ["report", *s, "-o", str(out / "street.xlsx")],
        "street:theme-md": ["report", *s, "--theme", "Serious violence", "-o", str(out / "theme.md")],
        "record:rank": ["rank", *r, "-f", "csv"],
        "record:summary": ["summary", *r, "-f", "csv"],
        "record:compare": ["compare", *r, "-f", "csv"],
        "record:trend": ["trend", *rw, "-f", "csv"],
        "record:baseline": ["baseline", *r, "-f", "csv"],
        "record:quarterly": ["quarterly", *r, "-f", "csv"],
        "record:places": ["places", *rw, "-f", "csv"],
        "record:validate": ["validate", record, *RECORD_MAP, "-f", "csv"],
        "record:weights": ["weights", record, *RECORD_MAP, "-f", "csv"],
        "record:report-html": ["report", *rw, "-o", str(out / "record.html")],
        "record:report-xlsx": ["report", *rw, "-o", str(out / "record.xlsx")],
        "record:theme-md": [
            "report",
            *rw,
            "--priorities",
            str(ROOT / "bench/record_priorities.toml"),
            "--theme",
            "Domestic abuse violence",
            "-o",
            str(out / "rtheme.md"),
        ],
        "stops:stops": ["stops", stops, "-f", "csv"],
    }


def run_once(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """One timed run: wall s, peak MB, cpu s, exit code."""
    proc = subprocess.run([TIME_BIN, "-v", *CLI, *args], env=env, capture_output=True, text=True, check=False)
    err = proc.stderr

    def field(label: str) -> str:
        found = re.search(rf"{re.escape(label)}: (.+)", err)
        return found.group(1).strip() if found else "0"

    parts = [float(p) for p in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    peak = int(field("Maximum resident set size (kbytes)")) / 1024
    code = int(field("Exit status"))
    if code not in (0, 1):
        sys.stderr.write(f"{' '.join(args)}: exit {code}\n{err[-2000:]}\n")
    return wall, peak, cpu, code


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--street", default="/tmp/street")
    ap.add_argument("--record", default="/tmp/rec/rec2m.csv")
    ap.add_argument("--stops", default="/tmp/stops", help="made by bench/make_stops.py (Met-sized)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated case names or prefixes (street:, record:)")
    ap.add_argument("--warm", action="store_true", help="fill a private counts cache, then time with it")
    ap.add_argument(
        "--before",
        metavar="SRC",
        help="another copy's src/ folder (e.g. a git archive of main): each case runs with it too, in turn",
    )
    ns = ap.parse_args()
    compile_package()
    if ns.before and not compileall.compile_dir(ns.before, quiet=1):
        raise SystemExit(f"could not byte-compile {ns.before}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        todo = cases(ns.street, ns.record, ns.stops, out)
        if ns.only:
            wanted = [w for w in ns.only.split(",") if w]
            todo = {k: v for k, v in todo.items() if any(k == w or k.startswith(w) for w in wanted)}
        env = dict(os.environ, CSP_ASSESS_CACHE_DIR=str(out / "cache"), COLUMNS="160")
        variants = {"now": env}
        if ns.before:
            variants = {
                "before": dict(env, PYTHONPATH=ns.before, CSP_ASSESS_CACHE_DIR=str(out / "cache0")),
                **variants,
            }
        if ns.warm:
            for venv in variants.values():
                for args in todo.values():
                    run_once(args, venv)
        else:
            todo = {k: [*v, "--no-cache"] if v[0] not in NO_CACHE_FLAG else v for k, v in todo.items()}
        results: dict[tuple[str, str], list[tuple[float, float, float, int]]] = {}
        for rnd in range(ns.rounds):
            for name, args in todo.items():
                for variant, venv in variants.items():
                    results.setdefault((variant, name), []).append(run_once(args, venv))
            load = os.getloadavg()[0]
            print(f"round {rnd + 1}/{ns.rounds} done, load average {load:.1f}", file=sys.stderr)
    print(table(results, list(todo), list(variants), ns.rounds))
    print(f"load average at the end: {os.getloadavg()}")


def table(
    results: dict[tuple[str, str], list[tuple[float, float, float, int]]],
    names: list[str],
    variants: list[str],
    rounds: int,
) -> str:
    """Markdown: per case, median wall, ratio to rank on the same input, peak MB, median CPU (per variant)."""
    med = {k: statistics.median(r[0] for r in v) for k, v in results.items()}
    head = "| case |"
    for v in variants:
        head += f" {v} wall s | {v} x rank | {v} peak MB | {v} cpu s |"
    lines = [head + " exit |", "|---|" + "---:|---:|---:|---:|" * len(variants) + "---:|"]
    for name in names:
        row = f"| {name} |"
        codes: set[str] = set()
        for v in variants:
            runs = results[(v, name)]
            base = med.get((v, name.split(":")[0] + ":rank"))
            ratio = f"{med[(v, name)] / base:.1f}" if base else "-"
            peak = max(r[1] for r in runs)
            cpu = statistics.median(r[2] for r in runs)
            codes |= {str(r[3]) for r in runs}
            row += f" {med[(v, name)]:.2f} | {ratio} | {peak:.0f} | {cpu:.2f} |"
        lines.append(row + f" {','.join(sorted(codes))} |")
    return f"median of {rounds} round(s)\n" + "\n".join(lines)


if __name__ == "__main__":
    main()

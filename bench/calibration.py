"""Calibration of csp-assess's judgments on real data: are "significant" and "95%" what they say?

    .venv/bin/python bench/calibration.py                      # the Met old-category file, before and after
    .venv/bin/python bench/calibration.py FILE --variance data  # one setting only

Four figures, each computed through the same analysis functions the commands use (``build_compare`` and
``build_baseline``, one area at a time, minor categories), on a Met borough file:

1. stable pairs, Holm: share of categories flagged by ``compare`` on the pre-COVID year pairs 2015/16->16/17,
   16/17->17/18 and 17/18->18/19 in every area (categories with 10+ offences in the pair). Target <= 3%.
2. stable pairs, unadjusted: share of the same with raw p < 0.05. Target <= 8% (nominal 5%).
3. baseline coverage: share of fitted categories whose 2018/19 count is inside the 95% interval of
   ``baseline --year 2018/19 --baseline 2013/14-2017/18``. Target 90-98%.
4. power: share flagged by ``compare --from 2019/20 --to 2020/21`` among pairs with from + to >= 1,000 whose
   count changed by 2x or more (target >= 80%), and by 1.5x or more (target >= 40%).

"before" is the counting-noise-only test and interval (``variance="none"``: exact test, Holm; the Poisson
model interval), "after" the default (``variance="data"``).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from csp_assess.analysis.baseline import build_baseline
from csp_assess.analysis.compare import CompareOptions, build_compare
from csp_assess.load import load_extract
from csp_assess.model import Extract

DEFAULT_FILE = (
    Path(__file__).resolve().parent.parent / "../shared/data/mps_borough_historical_oldcats_201004_202006.csv"
)
STABLE_PAIRS = (("2015/16", "2016/17"), ("2016/17", "2017/18"), ("2017/18", "2018/19"))
POWER_PAIR = ("2019/20", "2020/21")
COVERAGE_YEAR, COVERAGE_BASELINE = "2018/19", "2013/14-2017/18"
POWER_MIN_TOTAL = 1000


@dataclass
class Figures:
    """The four calibration figures (shares in %) and the counts behind them."""

    tested: int
    holm_flagged: int
    raw_flagged: int
    area_pairs: int
    area_pairs_with_flag: int
    fitted: int
    covered: int
    big2: int
    big2_flagged: int
    big15: int
    big15_flagged: int

    @staticmethod
    def share(k: int, n: int) -> float:
        return 100.0 * k / n if n else float("nan")

    @property
    def holm_pct(self) -> float:
        return self.share(self.holm_flagged, self.tested)

    @property
    def raw_pct(self) -> float:
        return self.share(self.raw_flagged, self.tested)

    @property
    def coverage_pct(self) -> float:
        return self.share(self.covered, self.fitted)

    @property
    def power2_pct(self) -> float:
        return self.share(self.big2_flagged, self.big2)

    @property
    def power15_pct(self) -> float:
        return self.share(self.big15_flagged, self.big15)

    def lines(self) -> list[str]:
        return [
            f"1. stable pairs flagged (Holm):      {self.holm_pct:5.1f}%  ({self.holm_flagged} of {self.tested}; "
            f"{self.area_pairs_with_flag} of {self.area_pairs} area-years with a flag)   target <= 3%",
            f"2. stable pairs raw p < 0.05:        {self.raw_pct:5.1f}%  ({self.raw_flagged} of {self.tested})"
            "   target <= 8%",
            f"3. baseline 95% interval coverage:   {self.coverage_pct:5.1f}%  ({self.covered} of {self.fitted})"
            "   target 90-98%",
            f"4. power, >= 2x changes flagged:     {self.power2_pct:5.1f}%  ({self.big2_flagged} of {self.big2})"
            "   target >= 80%",
            f"   power, >= 1.5x changes flagged:   {self.power15_pct:5.1f}%  ({self.big15_flagged} of {self.big15})"
            "   target >= 40%",
        ]


def calibrate(extract: Extract, variance: str, areas: list[str] | None = None) -> Figures:
    """The four figures for one variance setting, over ``areas`` (default: every area)."""
    areas = areas or list(extract.areas)
    tested = holm = raw = with_flag = pairs = 0
    for area in areas:
        for from_y, to_y in STABLE_PAIRS:
            rows = _compare(extract, area, from_y, to_y, variance)
            fam = rows[(rows["from_count"] + rows["to_count"]) >= 10]
            tested += len(fam)
            holm += int(fam["significant"].sum())
            raw += int((fam["p_value"] < 0.05).sum())
            pairs += 1
            with_flag += int(bool(fam["significant"].any()))
    fitted = covered = 0
    for area in areas:
        res = build_baseline(
            extract,
            area=area,
            year=COVERAGE_YEAR,
            baseline=COVERAGE_BASELINE,
            level="minor",
            variance=variance,
        )
        rows = res.tables["rows"].frame
        ok = rows["expected_low"].notna()
        fitted += int(ok.sum())
        inside = (rows["count"] >= rows["expected_low"]) & (rows["count"] <= rows["expected_high"])
        covered += int(inside[ok].sum())
    big2 = big2_f = big15 = big15_f = 0
    for area in areas:
        rows = _compare(extract, area, *POWER_PAIR, variance)
        a, b = rows["from_count"].to_numpy(float), rows["to_count"].to_numpy(float)
        big = (a + b) >= POWER_MIN_TOTAL
        fold = np.maximum(a, b) / np.maximum(np.minimum(a, b), 0.5)
        sig = rows["significant"].to_numpy(bool)
        big2 += int((big & (fold >= 2)).sum())
        big2_f += int((big & (fold >= 2) & sig).sum())
        big15 += int((big & (fold >= 1.5)).sum())
        big15_f += int((big & (fold >= 1.5) & sig).sum())
    return Figures(tested, holm, raw, pairs, with_flag, fitted, covered, big2, big2_f, big15, big15_f)


def _compare(extract: Extract, area: str, from_y: str, to_y: str, variance: str, level: str = "minor"):  # type: ignore[no-untyped-def]
    opts = CompareOptions(area=area, from_year=from_y, to_year=to_y, level=level, variance=variance)
    return build_compare(extract, opts).tables["rows"].frame


def quarterly_level(extract: Extract, variance: str) -> tuple[int, int, dict[str, tuple[int, int]]]:
    """``quarterly`` on stable pre-COVID quarters (each quarter of 2016/17-2018/19 as the latest in the data,
    against a year earlier), every area: measured priorities, those called rising or falling, and by priority.
    """
    from csp_assess.analysis.quarterly import build_quarterly
    from csp_assess.reference.priorities import load_priorities

    pset = load_priorities(None, cwd=Path(__file__).resolve().parent)
    ends = [pd.Period("2016-06", freq="M") + 3 * i for i in range(12)]
    measured = moved = 0
    by: dict[str, tuple[int, int]] = {}
    for end in ends:
        cut = _truncate(extract, end)
        for area in extract.areas:
            rows = build_quarterly(cut, pset, area=area, variance=variance).tables["rows"].frame
            live = rows[rows["direction"].isin(["rising", "falling", "within usual range"])]
            hit = live["direction"].isin(["rising", "falling"])
            measured += len(live)
            moved += int(hit.sum())
            for name, h in zip(live["priority"], hit, strict=True):
                n, k = by.get(name, (0, 0))
                by[name] = (n + 1, k + int(h))
    return measured, moved, by


def _truncate(extract: Extract, end: pd.Period) -> Extract:
    """The extract as if it ended with ``end``."""
    sources = [
        dataclasses.replace(s, months_used=[m for m in s.months_used if m <= end]) for s in extract.sources
    ]
    counts = extract.counts[extract.counts["month"] <= end]
    return dataclasses.replace(extract, counts=counts, sources=sources)


def major_level(extract: Extract, variance: str) -> tuple[int, int, int]:
    """Stable pre-COVID pairs at major-category level (what ``summary`` tests): tested, Holm-flagged, raw p<0.05."""
    tested = holm = raw = 0
    for area in extract.areas:
        for from_y, to_y in STABLE_PAIRS:
            rows = _compare(extract, area, from_y, to_y, variance, level="major")
            fam = rows[(rows["from_count"] + rows["to_count"]) >= 10]
            tested += len(fam)
            holm += int(fam["significant"].sum())
            raw += int((fam["p_value"] < 0.05).sum())
    return tested, holm, raw


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default=str(DEFAULT_FILE))
    ap.add_argument("--variance", choices=("none", "packaged", "data"), action="append")
    ap.add_argument("--major", action="store_true", help="also the stable pairs at major-category level")
    ap.add_argument(
        "--quarterly", action="store_true", help="also quarterly's calls on stable pre-COVID quarters"
    )
    args = ap.parse_args(argv)
    path = Path(args.file)
    if not path.exists():
        print(f"Error: {path} not found (the Met file lives in ../shared/data)", file=sys.stderr)
        return 1
    extract = load_extract([path], use_cache=False)
    settings = args.variance or ["none", "data"]
    print(
        f"{path.name}: {len(extract.areas)} areas, {extract.months_covered[0]} to {extract.months_covered[-1]}"
    )
    for v in settings:
        label = {"none": "before (counting noise only)", "data": "after (year-level variance from the data)"}
        print(f"\n{label.get(v, v)}  [variance={v}]")
        for line in calibrate(extract, v).lines():
            print("  " + line)
        if args.major:
            n, h, r = major_level(extract, v)
            print(
                f"  major level, stable pairs: Holm {100 * h / n:.1f}%, raw p < 0.05 {100 * r / n:.1f}% (of {n})"
            )
        if args.quarterly:
            n, k, by = quarterly_level(extract, v)
            worst = max(by.items(), key=lambda kv: kv[1][1] / kv[1][0])
            print(
                f"  quarterly, stable quarters called rising/falling: {100 * k / n:.1f}% (of {n}); highest "
                f"{worst[0]} {100 * worst[1][1] / worst[1][0]:.1f}%"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build src/csp_assess/reference/year_variance.csv: packaged year-level variances per category and scheme.

Run from the repository root (needs ../shared/data):

    .venv/bin/python scripts/make_year_variance.py

For each Met borough file and category (minor and major level), every whole-financial-year year-on-year pair
before COVID restrictions (2019/20 the last later year), in every area, goes into
``stats.estimate_year_variance``. The result is the default that single-area extracts are shrunk toward.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from csp_assess.analysis.select import crime_only
from csp_assess.analysis.stats import estimate_year_variance
from csp_assess.analysis.yearvar import history_pairs, monthly_matrix
from csp_assess.load import load_extract
from csp_assess.periods import parse_year

DATA = Path("../shared/data")
FILES = {
    "met-old": "mps_borough_historical_oldcats_201004_202006.csv",
    "met-new": "mps_borough_historical_newcats_201004_202303.csv",
    "met-pre2019": "mps_borough_historic_pre2019cats_200801_201812.csv",
}
OUT = Path("src/csp_assess/reference/year_variance.csv")
LAST_LATER = "2019/20"
#: Areas left out: not boroughs (airports; unallocated), whose series are not like a CSP's.
SKIP_AREAS = {"London Heathrow and London City Airports", "Unknown"}


def rows_for(scheme: str, name: str) -> list[dict[str, object]]:
    extract = load_extract([DATA / name], use_cache=False)
    counts = crime_only(extract.counts)
    counts = counts[~counts["area"].isin(SKIP_AREAS)]
    areas = counts["area"].nunique()
    fy = parse_year(LAST_LATER)
    last_covered = max(extract.months_covered)
    last_fy = (
        fy if last_covered >= fy.last else parse_year(f"{last_covered.year - 1}/{str(last_covered.year)[2:]}")
    )
    out: list[dict[str, object]] = []
    total = counts.assign(major="All crime")
    for level, keys, frame in (
        ("minor", ["minor"], counts),
        ("major", ["major"], counts),
        ("total", ["major"], total),
    ):
        monthly = monthly_matrix(frame, keys)
        window = last_fy.shift(1).months
        pairs, labels = history_pairs(monthly, window, last_fy.last)
        for cat, sub in pairs.groupby(level=keys[0]):
            fit = estimate_year_variance(sub["a"].to_numpy(), sub["b"].to_numpy())
            if fit.pairs < 20:
                continue  # too few to be a default for anyone
            src = (
                f"MPS borough file {name} (London Datastore, OGL), {areas} boroughs, {len(labels)} year pairs "
                f"{labels[-1][:4]}-{labels[0][9:13]}, {fit.pairs} pairs"
            )
            out.append(
                {
                    "scheme": scheme,
                    "level": level,
                    "category": cat,
                    "sigma2": f"{fit.sigma2:.6f}",
                    "source": src,
                }
            )
    return out


def main() -> int:
    rows: list[dict[str, object]] = []
    for scheme, name in FILES.items():
        rows += rows_for(scheme, name)
    frame = pd.DataFrame(rows).sort_values(["scheme", "level", "category"], kind="mergesort")
    header = (
        "# Year-level variance (log scale, per year) of recorded crime by category: the default that a\n"
        "# single-area extract's own estimate is shrunk toward. Built by scripts/make_year_variance.py with\n"
        "# analysis.stats.estimate_year_variance from whole financial years before COVID restrictions.\n"
    )
    OUT.write_text(header + frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    print(f"wrote {len(frame)} rows to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

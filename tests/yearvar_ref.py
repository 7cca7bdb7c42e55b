"""A second, plain implementation of the over-dispersed change test, for tests. Never imports csp_assess.

Written from the method's description, not from the code: year-on-year pairs of financial-year totals,
the robust moment equation ``median(d^2 / (v + tau)) = median of chi-square(1)`` solved with scipy's brentq
(the tool bisects), shrinkage toward the packaged value read from the CSV with the csv module, and the
log-ratio z with scipy's normal distribution (the tool uses erfc).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from scipy import optimize
from scipy import stats as sps

TABLE = Path(__file__).resolve().parent.parent / "src/csp_assess/reference/year_variance.csv"
PRIOR_PAIRS = 8
GENERIC_SIGMA2 = 0.15**2


def packaged_sigma2(scheme: str, level: str, category: str) -> float:
    with TABLE.open(encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        for row in rows:
            if (row["scheme"], row["level"], row["category"].lower()) == (scheme, level, category.lower()):
                return float(row["sigma2"])
    return GENERIC_SIGMA2


def robust_sigma2(pairs: list[tuple[float, float]], min_count: int = 10) -> tuple[float, int]:
    """sigma^2 and the number of pairs used (a + b >= min_count)."""
    used = [(a, b) for a, b in pairs if a + b >= min_count]
    if not used:
        return math.nan, 0
    d2 = [math.log((b + 0.5) / (a + 0.5)) ** 2 for a, b in used]
    v = [1 / (a + 0.5) + 1 / (b + 0.5) for a, b in used]
    target = sps.chi2.median(1)

    def f(tau: float) -> float:
        vals = sorted(x / (w + tau) for x, w in zip(d2, v, strict=True))
        n = len(vals)
        med = vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2
        return med - target

    if f(0.0) <= 0:
        return 0.0, len(used)
    tau = optimize.brentq(f, 0.0, 100.0, xtol=1e-14)
    return tau / 2, len(used)


def shrunk(pairs: list[tuple[float, float]], prior: float) -> float:
    s2, n = robust_sigma2(pairs)
    return prior if n == 0 else (PRIOR_PAIRS * prior + n * s2) / (PRIOR_PAIRS + n)


def z_and_p(a: float, b: float, year_var: float, ratio: float = 1.0) -> tuple[float, float]:
    z = (math.log((b + 0.5) / (a + 0.5)) - math.log(ratio)) / math.sqrt(
        1 / (a + 0.5) + 1 / (b + 0.5) + year_var
    )
    return z, 2 * sps.norm.sf(abs(z))


def fy_pairs(totals: dict[str, float], years: list[str]) -> list[tuple[float, float]]:
    """Consecutive pairs among ``years`` (labels in order), as (earlier, later) totals."""
    return [(totals.get(y0, 0.0), totals.get(y1, 0.0)) for y0, y1 in zip(years[:-1], years[1:], strict=True)]

"""Statistics that analysts can trust: tests of count changes, multiplicity corrections, trend baselines.

Recorded-crime counts are small, noisy and many. A percentage change of +100% on 2 -> 4 offences is
noise; the same on 200 -> 400 is not. This module gives the tests that tell them apart (Poisson z,
exact conditional binomial test), corrects for testing many categories at once (Holm, Benjamini-Hochberg),
and projects an expected count from a pre-COVID trend and season (Poisson GLM fitted by IRLS).

Everything here is pure: numbers in, numbers out, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from csp_assess.errors import PeriodError


def _special() -> Any:
    """scipy.special, imported on first use (0.4 s). scipy.stats is avoided altogether: importing it costs
    about 1.5 s, and the few distribution functions needed here are one special function each."""
    from scipy import special

    return special


def _poisson_cdf(k: float, mu: FloatArray | float) -> FloatArray:
    """P(X <= k) for X ~ Poisson(mu): the regularised upper incomplete gamma Q(k + 1, mu)."""
    return np.asarray(_special().gammaincc(k + 1.0, mu), dtype=np.float64)


def _nbinom_cdf(k: float, n: FloatArray | float, p: float) -> FloatArray:
    """P(X <= k) for X ~ NegBinomial(n, p) (failures before the n-th success): I_p(n, k + 1)."""
    return np.asarray(_special().betainc(n, k + 1.0, p), dtype=np.float64)


def _poisson_ppf(q: float, mu: float) -> float:
    """Smallest k with P(X <= k) >= q for X ~ Poisson(mu)."""
    k = 0
    while float(_poisson_cdf(k, mu)) < q:
        k += 1
    return float(k)


FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

__all__ = [
    "Expected",
    "GLMFit",
    "benjamini_hochberg",
    "change_test",
    "exact_poisson_test",
    "expected_from_trend",
    "holm",
    "log_ratio_z",
    "estimate_year_variance",
    "shrink_year_variance",
    "poisson_glm_irls",
    "poisson_z",
    "two_sided_p_from_z",
]

#: Default minimum combined count (earlier + later) before a change can be called significant.
DEFAULT_MIN_COUNT = 10


def _counts(x: ArrayLike, name: str) -> FloatArray:
    """Counts as a float array (NaN allowed for 'missing'); negative counts are a caller bug."""
    arr = np.asarray(x, dtype=np.float64)
    if np.any(arr < 0):  # NaN compares False, so it passes through
        raise ValueError(f"{name} must be non-negative counts")
    return arr


# --------------------------------------------------------------------------------------------------
# 1. Variance-stabilised z
# --------------------------------------------------------------------------------------------------


def poisson_z(a: ArrayLike, b: ArrayLike, ratio: float = 1.0, two_sample: bool = False) -> FloatArray:
    """Variance-stabilised z for a change from count ``a`` (earlier) to ``b`` (later); positive when rising.

    ``z = 2(sqrt(b) - sqrt(ratio * a))``. The square root stabilises Poisson variance (Var 2*sqrt(X) ~ 1), so
    this is the familiar analyst's z: it treats the earlier count as the *known* expected level. When both
    counts are noisy (the usual case) its null variance is ``1 + ratio`` (2 for equal periods), so
    ``two_sample=True`` divides by ``sqrt(1 + ratio)`` to give a z that is N(0, 1) under "no change".
    ``ratio`` is exposure(later) / exposure(earlier), e.g. 11/12 for 11 months against 12.
    """
    if not ratio > 0:
        raise ValueError("ratio must be positive")
    a_ = _counts(a, "a")
    b_ = _counts(b, "b")
    z = 2.0 * (np.sqrt(b_) - np.sqrt(ratio * a_))
    if two_sample:
        z = z / math.sqrt(1.0 + ratio)
    return np.asarray(z, dtype=np.float64)


def two_sided_p_from_z(z: ArrayLike) -> FloatArray:
    """Two-sided normal p-value ``2 * P(Z > |z|)``, computed with the survival function for accuracy."""
    z_ = np.asarray(z, dtype=np.float64)
    # math.erfc, not scipy.special.erfc: the same C library function, without scipy's 0.2-0.4 s import on
    # every command that tests a change (a ranking tests a few hundred values at most).
    half = np.abs(z_).ravel() / math.sqrt(2.0)
    p = np.fromiter((math.erfc(v) if v == v else math.nan for v in half), dtype=np.float64, count=half.size)
    return p.reshape(z_.shape)


# --------------------------------------------------------------------------------------------------
# 1b. Over-dispersed change test: counting noise plus year-level variation
# --------------------------------------------------------------------------------------------------


def log_ratio_z(a: ArrayLike, b: ArrayLike, ratio: float = 1.0, year_var: ArrayLike = 0.0) -> FloatArray:
    """z for a change from ``a`` to ``b`` against counting noise *and* year-level variation.

    ``z = (log((b + 1/2) / (a + 1/2)) - log(ratio)) / sqrt(1/(a + 1/2) + 1/(b + 1/2) + year_var)``.

    Why: recorded crime varies from year to year far more than Poisson counting noise. With a year-level
    effect of variance sigma^2 on the log scale, the log of a ratio of two years' counts has variance
    ``1/a + 1/b`` (counting) plus ``2 sigma^2`` (one effect per year), so ``year_var`` is ``2 sigma^2`` for
    year against year (``sigma^2 (1 + 1/k)`` against the mean of ``k`` years). The half-counts keep zero
    counts finite. ``year_var = 0`` gives the plain log-ratio Poisson z. ``ratio`` is exposure(b) / exposure(a).
    """
    if not ratio > 0:
        raise ValueError("ratio must be positive")
    a_ = _counts(a, "a")
    b_ = _counts(b, "b")
    tau = np.asarray(year_var, dtype=np.float64)
    if np.any(tau < 0):
        raise ValueError("year_var must be non-negative")
    d = np.log((b_ + 0.5) / (a_ + 0.5)) - math.log(ratio)
    return np.asarray(d / np.sqrt(1.0 / (a_ + 0.5) + 1.0 / (b_ + 0.5) + tau), dtype=np.float64)


@dataclass(frozen=True)
class YearVarianceFit:
    """Year-level variance ``sigma2`` (log scale, per year) estimated from ``pairs`` year-on-year changes."""

    sigma2: float
    pairs: int


#: Pairs with fewer offences than this (earlier + later) are left out of the variance estimate: their
#: change is almost all counting noise and says little about year-level variation.
MIN_PAIR_COUNT = 10


#: Median of a chi-square variable with one degree of freedom: the robust estimator's target.
CHI2_1_MEDIAN = 0.454936423119572


#: Up to this many pairs the robust estimator takes its median in plain Python (the same value as numpy).
SMALL_MEDIAN = 64


def estimate_year_variance(
    a: ArrayLike, b: ArrayLike, min_count: int = MIN_PAIR_COUNT, robust: bool = True
) -> YearVarianceFit:
    """Moment estimate of the year-level variance sigma^2 from year-on-year pairs of counts (a -> b).

    Each pair gives ``d = log((b + 1/2) / (a + 1/2))`` with counting variance ``v = 1/(a + 1/2) + 1/(b + 1/2)``.
    Under "no change beyond usual variation", ``E[d^2] = v + tau`` with ``tau = 2 sigma^2``. ``tau`` solves
    ``sum(d^2 / (v + tau)) = n`` (the generalised Q / Paule-Mandel equation, uncentred because a change of
    level *is* year-to-year variation), and is 0 when ``sum(d^2 / v) <= n``. Weighting by ``1/(v + tau)`` keeps
    a few small, noisy pairs from swamping the estimate. With equal ``v`` it is ``mean(d^2) - v``.

    ``robust`` (the default) solves ``median(d^2 / (v + tau)) = 0.4549`` (the median of chi-square(1))
    instead: a recording change that multiplies a category sixfold in one year (racially aggravated public
    order in 2012/13) is a real change, not *usual* variation, and one such pair would otherwise set the
    "usual" range for every later year. With equal ``v`` it is ``median(d^2) / 0.4549 - v``.
    Pairs under ``min_count`` offences and NaN pairs are skipped; no usable pair gives sigma2 NaN, pairs 0.
    """
    a_ = np.atleast_1d(_counts(a, "a")).ravel()
    b_ = np.atleast_1d(_counts(b, "b")).ravel()
    if a_.shape != b_.shape:
        raise ValueError("a and b must be the same length")
    ok = ~np.isnan(a_) & ~np.isnan(b_) & ((a_ + b_) >= min_count)
    a_, b_ = a_[ok], b_[ok]
    n = int(a_.size)
    if n == 0:
        return YearVarianceFit(float("nan"), 0)
    d2 = np.log((b_ + 0.5) / (a_ + 0.5)) ** 2
    v = 1.0 / (a_ + 0.5) + 1.0 / (b_ + 0.5)

    d2_list, v_list = d2.tolist(), v.tolist()
    mid_hi = n // 2
    mid_lo = mid_hi - 1

    def q(tau: float) -> float:
        if robust and n <= SMALL_MEDIAN:
            # np.median's value exactly (the middle one, or the mean of the middle two), without its
            # ~20 microseconds of overhead a call: a breakdown by LSOA solves this for thousands of places
            ratios = sorted([x / (y + tau) for x, y in zip(d2_list, v_list, strict=True)])
            middle = ratios[mid_hi] if n % 2 else (ratios[mid_lo] + ratios[mid_hi]) / 2.0
            return middle - CHI2_1_MEDIAN
        if robust:
            return float(np.median(d2 / (v + tau))) - CHI2_1_MEDIAN
        return float(np.sum(d2 / (v + tau))) - n

    if q(0.0) <= 0:
        return YearVarianceFit(0.0, n)
    hi = max(float(d2.max()), 1e-6)
    while q(hi) > 0:  # q falls below zero as tau grows, so this ends
        hi *= 2.0
    lo = 0.0
    for _ in range(200):  # bisection: q is strictly decreasing in tau
        mid = (lo + hi) / 2.0
        if q(mid) > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * max(hi, 1e-12):
            break
    return YearVarianceFit((lo + hi) / 4.0, n)  # tau / 2


#: Weight of the prior (packaged) variance, in year-on-year pairs. A moment estimate from n pairs has a
#: relative standard error of roughly sqrt(2 / n): with 8 pairs (one area, eight years) it is +-50%, so
#: the packaged value still carries weight; with 33 areas x 5 pairs the data dominate.
PRIOR_PAIRS = 8


def shrink_year_variance(
    sigma2_data: float, pairs: int, sigma2_prior: float, prior_pairs: int = PRIOR_PAIRS
) -> float:
    """Precision-style shrinkage: ``(prior_pairs * prior + pairs * data) / (prior_pairs + pairs)``.

    No usable pairs (``pairs == 0`` or NaN data) gives the prior unchanged.
    """
    if pairs <= 0 or math.isnan(sigma2_data):
        return sigma2_prior
    return (prior_pairs * sigma2_prior + pairs * sigma2_data) / (prior_pairs + pairs)


# --------------------------------------------------------------------------------------------------
# 2. Exact conditional test
# --------------------------------------------------------------------------------------------------


def exact_poisson_test(a: ArrayLike, b: ArrayLike, ratio: float = 1.0) -> FloatArray:
    """Exact two-sided test that counts ``a`` and ``b`` share one underlying rate; valid for tiny counts.

    Conditional on ``n = a + b``, ``b ~ Binomial(n, ratio / (1 + ratio))`` under the null, where ``ratio``
    is exposure(later) / exposure(earlier) (e.g. 11/12 when the later period has 11 months). The p-value
    is scipy's ``binomtest`` two-sided one (sum of outcomes no more likely than the observed), so it
    matches R's ``poisson.test`` / ``binom.test``. ``a + b == 0`` gives p = 1; NaN in gives NaN out.
    """
    if not ratio > 0:
        raise ValueError("ratio must be positive")
    a_ = _counts(a, "a")
    b_ = _counts(b, "b")
    a_, b_ = np.broadcast_arrays(a_, b_)
    prob = ratio / (1.0 + ratio)
    out = np.full(a_.shape, np.nan, dtype=np.float64)
    for idx in np.ndindex(a_.shape):
        ai, bi = float(a_[idx]), float(b_[idx])
        if np.isnan(ai) or np.isnan(bi):
            continue
        if ai != round(ai) or bi != round(bi):
            raise ValueError("exact_poisson_test needs whole-number counts")
        n = int(ai) + int(bi)
        out[idx] = 1.0 if n == 0 else _binom_two_sided(int(bi), n, prob)
    return out


def _binom_two_sided(k: int, n: int, p: float) -> float:
    """Two-sided exact binomial p-value, computed as scipy's ``binomtest`` does (outcomes no likelier than k).

    Pure numpy (log factorials as a cumulative sum of logs) rather than ``binomtest``: importing
    ``scipy.stats`` costs over a second and ``scipy.special`` 0.4 s, which every ``rank`` run would pay.
    """
    log_fact = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, n + 1, dtype=np.float64)))))
    ks = np.arange(n + 1, dtype=np.float64)
    logpmf = log_fact[n] - log_fact - log_fact[::-1] + ks * math.log(p) + (n - ks) * math.log1p(-p)
    pmf = np.exp(logpmf)
    observed = pmf[k]
    # scipy's relative tolerance for "equally likely" outcomes.
    return float(min(1.0, pmf[pmf <= observed * (1 + 1e-7)].sum()))


# --------------------------------------------------------------------------------------------------
# 3. Multiple-comparison adjustment
# --------------------------------------------------------------------------------------------------


def _prepare_p(p: ArrayLike) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim > 1:
        raise ValueError("p-values must be one-dimensional")
    arr = np.atleast_1d(arr)
    ok = ~np.isnan(arr)
    if np.any((arr[ok] < 0) | (arr[ok] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    return arr, ok


def holm(p: ArrayLike) -> FloatArray:
    """Holm step-down adjusted p-values: controls the chance of *any* false alarm across categories.

    Uniformly more powerful than Bonferroni. NaNs stay NaN and do not count towards m; the result is in
    input order, capped at 1, and monotone in the sorted p-values (same as R ``p.adjust(, "holm")``).
    """
    arr, ok = _prepare_p(p)
    out = np.full(arr.shape, np.nan, dtype=np.float64)
    vals = arr[ok]
    m = vals.size
    if m == 0:
        return out
    order = np.argsort(vals, kind="stable")
    scaled = (m - np.arange(m)) * vals[order]
    adj = np.minimum(np.maximum.accumulate(scaled), 1.0)
    res = np.empty(m, dtype=np.float64)
    res[order] = adj
    out[ok] = res
    return out


def benjamini_hochberg(p: ArrayLike) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values: controls the expected share of false alarms among flags.

    Less strict than Holm, so better for screening many categories. NaNs stay NaN and do not count
    towards m; input order, capped at 1, monotone (same as R ``p.adjust(, "BH")``).
    """
    arr, ok = _prepare_p(p)
    out = np.full(arr.shape, np.nan, dtype=np.float64)
    vals = arr[ok]
    m = vals.size
    if m == 0:
        return out
    order = np.argsort(vals, kind="stable")
    ranks = np.arange(1, m + 1, dtype=np.float64)
    scaled = vals[order] * m / ranks
    adj = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    res = np.empty(m, dtype=np.float64)
    res[order] = adj
    out[ok] = res
    return out


# --------------------------------------------------------------------------------------------------
# 4. Change table
# --------------------------------------------------------------------------------------------------


def change_test(
    from_counts: ArrayLike | pd.Series,
    to_counts: ArrayLike | pd.Series,
    method: Literal["exact", "z"] = "exact",
    adjust: Literal["holm", "bh", "none"] = "holm",
    alpha: float = 0.05,
    min_count: int = DEFAULT_MIN_COUNT,
    ratio: float = 1.0,
    year_var: ArrayLike | pd.Series | None = None,
) -> pd.DataFrame:
    """Test each category's change from ``from_counts`` to ``to_counts``, adjusted for many comparisons.

    Returns columns ``z`` (the analyst's ``2(sqrt(to) - sqrt(from))``, descriptive; with ``year_var``, the
    over-dispersed test's own z), ``p_value``,
    ``p_adjusted`` and ``significant``, indexed like the inputs (Series are aligned on their index,
    keeping ``from_counts`` order).

    Significance rule: ``significant`` is True only when ``p_adjusted < alpha`` **and** the combined
    count ``from + to >= min_count`` (default 10). A change is never flagged on its percentage alone.
    Why the floor: below ~10 offences the normal approximation behind ``method="z"`` is poor, and a
    "significant" result rests on a handful of crimes where one reclassified record swings the finding.
    Rows under the floor keep their raw ``p_value`` but get ``p_adjusted = NaN`` and are left out of the
    adjustment family: the conditional test's null distribution does not depend on ``from + to``, so
    filtering on it is independent of the outcome and keeps the error rate valid while not spending
    multiplicity budget on categories that could never be flagged. NaN counts give NaN p and no flag.

    ``method="z"`` p-values use the two-sample-calibrated z (``z / sqrt(1 + ratio)``), because the raw
    analyst's z has null variance 2 and would flag about 1 in 6 unchanged categories at the 5% level.
    ``ratio`` is exposure(to) / exposure(from), for unequal periods.

    ``year_var`` (a number or one per row; a Series is aligned like the counts) switches to the over-dispersed
    test, ``log_ratio_z`` with that extra log-scale variance, whatever ``method`` says: the exact and z tests
    know only counting noise, which on real recorded crime flags a third of unchanged categories. The result
    then also holds ``p_counting``, the counting-noise-only p-value of ``method``, for comparison.
    """
    if method not in ("exact", "z"):
        raise ValueError(f"unknown method {method!r}; use 'exact' or 'z'")
    if adjust not in ("holm", "bh", "none"):
        raise ValueError(f"unknown adjust {adjust!r}; use 'holm', 'bh' or 'none'")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    if min_count < 0:
        raise ValueError("min_count must be non-negative")

    index: pd.Index
    if isinstance(from_counts, pd.Series) and isinstance(to_counts, pd.Series):
        index = from_counts.index.union(to_counts.index, sort=False)  # keep the caller's order
        fs, ts = from_counts.reindex(index), to_counts.reindex(index)
        a = _counts(fs.to_numpy(dtype=np.float64), "from_counts")
        b = _counts(ts.to_numpy(dtype=np.float64), "to_counts")
    else:
        a = np.atleast_1d(_counts(np.asarray(from_counts), "from_counts"))
        b = np.atleast_1d(_counts(np.asarray(to_counts), "to_counts"))
        if a.shape != b.shape or a.ndim != 1:
            raise ValueError("from_counts and to_counts must be 1-D and the same length")
        if isinstance(from_counts, pd.Series):
            index = from_counts.index
        elif isinstance(to_counts, pd.Series):
            index = to_counts.index
        else:
            index = pd.RangeIndex(a.size)

    z = poisson_z(a, b, ratio=ratio)
    if method == "exact":
        p = exact_poisson_test(a, b, ratio=ratio)
    else:
        p = two_sided_p_from_z(poisson_z(a, b, ratio=ratio, two_sample=True))
    extra: dict[str, FloatArray] = {}
    if year_var is not None:
        if isinstance(year_var, pd.Series):
            tau = year_var.reindex(index).to_numpy(dtype=np.float64)
        else:
            tau = np.broadcast_to(np.asarray(year_var, dtype=np.float64), a.shape).copy()
        if np.any(np.isnan(tau)):
            raise ValueError("year_var has no value for some rows")
        extra["p_counting"] = p
        z = log_ratio_z(np.nan_to_num(a), np.nan_to_num(b), ratio=ratio, year_var=tau)
        z = np.where(np.isnan(a) | np.isnan(b), np.nan, z)
        p = two_sided_p_from_z(z)

    eligible = ~np.isnan(p) & ((a + b) >= min_count)
    p_family = np.where(eligible, p, np.nan)
    if adjust == "holm":
        p_adj = holm(p_family)
    elif adjust == "bh":
        p_adj = benjamini_hochberg(p_family)
    else:
        p_adj = p_family
    significant = eligible & (np.nan_to_num(p_adj, nan=1.0) < alpha)

    return pd.DataFrame(
        {"z": z, "p_value": p, "p_adjusted": p_adj, "significant": significant.astype(bool), **extra},
        index=index,
    )


# --------------------------------------------------------------------------------------------------
# 5. Expected count from a pre-COVID trend and season
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GLMFit:
    """A fitted Poisson log-link GLM: coefficients, their (unscaled) covariance, and fitted means."""

    coef: FloatArray
    cov_unscaled: FloatArray
    fitted: FloatArray
    iterations: int
    converged: bool


def poisson_glm_irls(X: FloatArray, y: FloatArray, max_iter: int = 100, tol: float = 1e-10) -> GLMFit:
    """Fit a Poisson GLM with log link by iteratively reweighted least squares (Fisher scoring).

    Exposed so tests can check it against closed forms and direct likelihood maximisation.
    ``cov_unscaled`` is ``(X' W X)^-1`` at the solution; multiply by the dispersion for quasi-Poisson.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.size:
        raise ValueError("X must be n x p and y length n")
    if np.any(y < 0) or np.any(~np.isfinite(y)):
        raise ValueError("y must be finite non-negative counts")
    mu = y + 0.5  # standard start: avoids log(0)
    eta = np.log(mu)
    coef: FloatArray = np.zeros(X.shape[1], dtype=np.float64)
    dev_old = math.inf
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported after the loop
        z = eta + (y - mu) / mu
        w = np.sqrt(mu)
        coef = np.asarray(np.linalg.lstsq(X * w[:, None], z * w, rcond=None)[0], dtype=np.float64)
        eta = X @ coef
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(y > 0, y * np.log(y / mu), 0.0)
        dev = float(2.0 * np.sum(term - (y - mu)))
        if abs(dev - dev_old) <= tol * (abs(dev) + 0.1):
            converged = True
            break
        dev_old = dev
    xtwx = X.T @ (X * mu[:, None])
    cov = np.asarray(np.linalg.pinv(xtwx), dtype=np.float64)
    return GLMFit(coef=coef, cov_unscaled=cov, fitted=mu, iterations=it, converged=converged)


def _fit_year_leverage(
    X: FloatArray, mu: FloatArray, months: pd.PeriodIndex, start: pd.Period, g: FloatArray
) -> float:
    """``|g' A Z|^2``: how much the fit window's year-level effects (variance 1 each) move the log forecast.

    Years are 12-month blocks counted from ``start``. For a mean over k whole years this is 1/k; a trend
    extrapolated a year beyond three fit years gives about 2.3 (the leverage of a point one step past the end).
    """
    block = np.array([(m - start).n // 12 for m in months], dtype=np.int64)
    Z = np.zeros((len(months), int(block.max()) + 1), dtype=np.float64)
    Z[np.arange(len(months)), block] = 1.0
    xtwx_inv = np.linalg.pinv(X.T @ (X * mu[:, None]))
    effect = g @ xtwx_inv @ (X.T @ (mu[:, None] * Z))  # d log(expected) / d(year effect), per fit year
    return float(effect @ effect)


@dataclass(frozen=True)
class Expected:
    """Expected total over the target months, with a prediction interval and how it was modelled.

    ``model`` is ``"trend+season"``, ``"trend"`` or ``"mean"``; ``dispersion`` is the quasi-Poisson
    scale used for the noise (Pearson chi-square / residual df, floored at 1 so it never narrows).
    """

    expected: float
    low: float
    high: float
    model: str
    months_fitted: int
    dispersion: float


#: Fewest fitted months for each model. A seasonal model needs every calendar month seen at least twice
#: (two full years) to separate season from noise; a trend needs a full year so a half-year's seasonal
#: swing is not mistaken for a trend.
MIN_MONTHS_SEASONAL = 24
MIN_MONTHS_TREND = 12


def _to_period(p: pd.Period | str) -> pd.Period:
    per = pd.Period(p, freq="M")
    return per


def _design(months: pd.PeriodIndex, origin: pd.Period, model: str) -> FloatArray:
    """Intercept, time in years since ``origin`` (trend), and 11 month-of-year dummies (season)."""
    n = len(months)
    cols: list[FloatArray] = [np.ones(n, dtype=np.float64)]
    if model in ("trend", "trend+season"):
        t = np.array([(m - origin).n for m in months], dtype=np.float64) / 12.0
        cols.append(t)
    if model == "trend+season":
        moy = np.asarray(months.month, dtype=np.int64)
        for k in range(2, 13):
            cols.append((moy == k).astype(np.float64))
    return np.column_stack(cols)


MIN_TOTAL_TREND = 20  # offences in the fit window below which only a mean is projected


def _choose_model(months: pd.PeriodIndex, y: FloatArray) -> str:
    n = len(months)
    if n >= MIN_MONTHS_SEASONAL:
        moy = np.asarray(months.month, dtype=np.int64)
        seen = np.bincount(moy, minlength=13)[1:]
        totals = np.bincount(moy, weights=y, minlength=13)[1:]
        # Every calendar month seen twice and non-zero in total, else its effect is -inf / unidentified.
        if np.all(seen >= 2) and np.all(totals > 0):
            return "trend+season"
    # A trend needs offences spread over the window: with a handful in one corner the slope diverges.
    if n >= MIN_MONTHS_TREND and y.sum() >= MIN_TOTAL_TREND and np.count_nonzero(y) >= 3:
        return "trend"
    return "mean"


def _mixture_quantiles(
    log_mean: float, se_log: float, dispersion: float, probs: tuple[float, float], nodes: int = 40
) -> tuple[float, float]:
    """Quantiles of a count whose mean is lognormal (parameter uncertainty) and whose noise is
    Poisson, or negative binomial with variance ``dispersion * mean`` (quasi-Poisson), by Gauss-Hermite
    quadrature over the mean. Deterministic, discrete and never negative, unlike a normal interval.
    """
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    # A sparse series can give a diverging trend (huge se_log): cap the log-mean so the search stays finite.
    cap = 27.0  # e^27 ~ 5e11 offences: far beyond any real count, still a finite integer bound
    means = np.exp(np.minimum(log_mean + se_log * x, cap))
    hi_mean = float(np.exp(min(log_mean + se_log * 8.0, cap)))
    upper = int(hi_mean + 12.0 * math.sqrt(dispersion * hi_mean) + 20)

    def cdf(k: int) -> float:
        if dispersion > 1.0 + 1e-12:
            vals = _nbinom_cdf(k, means / (dispersion - 1.0), 1.0 / dispersion)
        else:
            vals = _poisson_cdf(k, means)
        return float(np.dot(vals, w))

    out: list[float] = []
    for q in probs:
        lo, hi = 0, upper  # smallest k with cdf(k) >= q, by bisection (cdf is monotone in k)
        while lo < hi:
            mid = (lo + hi) // 2
            if cdf(mid) >= q - 1e-12:
                hi = mid
            else:
                lo = mid + 1
        out.append(float(lo))
    return out[0], out[1]


def expected_from_trend(
    monthly: pd.Series,
    fit_start: pd.Period | str,
    fit_end: pd.Period | str,
    target_months: Iterable[pd.Period | str],
    level: float = 0.95,
    year_var: float = 0.0,
) -> Expected:
    """Expected count over ``target_months`` had the pre-COVID trend and season continued.

    Fits ``log E[y_t] = b0 + b1 * t + season(month)`` to ``monthly`` counts (a Series indexed by monthly
    Periods) between ``fit_start`` and ``fit_end`` inclusive, by Poisson IRLS. With under 24 usable
    months (or a calendar month with no crimes at all) it drops the season; under 12 it also drops the
    trend and uses the mean. NaN months are skipped. The prediction interval covers both parameter
    uncertainty (delta method, lognormal on the mean) and count noise (Poisson, or quasi-Poisson when
    the data are overdispersed).

    ``year_var`` is the category's year-level variance sigma^2 (log scale; ``analysis.yearvar``). Month-to-month
    scatter does not show it: a whole year sits above or below the trend together. It widens the interval
    twice: the target year has its own effect (sigma^2), and the fit years' effects move the fitted trend
    (sigma^2 times ``|g' A Z|^2``, where ``A = (X'WX)^-1 X'W`` maps working responses to coefficients, ``Z``
    maps months to their fit year and ``g`` is the gradient of the log expected total). With ``year_var`` 0
    the interval is the counting-noise one.
    """
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    if not isinstance(monthly.index, pd.PeriodIndex) or monthly.index.freqstr not in ("M", "ME"):
        raise ValueError("monthly must be indexed by monthly pandas Periods (PeriodIndex, freq 'M')")
    start, end = _to_period(fit_start), _to_period(fit_end)
    if end < start:
        raise ValueError("fit_end is before fit_start")
    targets = pd.PeriodIndex([_to_period(t) for t in target_months], freq="M")
    if len(targets) == 0:
        raise ValueError("target_months is empty")

    window = monthly[(monthly.index >= start) & (monthly.index <= end)]
    window = window[window.notna()]
    y = window.to_numpy(dtype=np.float64)
    if np.any(y < 0):
        raise ValueError("monthly counts must be non-negative")
    months = pd.PeriodIndex(window.index, freq="M")
    n = len(months)
    if n == 0:
        raise PeriodError(f"No monthly counts between {start} and {end} to fit a baseline")

    model = _choose_model(months, y)
    lo_q, hi_q = (1.0 - level) / 2.0, 1.0 - (1.0 - level) / 2.0

    if y.sum() == 0:
        # No crimes at all in the fit window: the rate's MLE is 0, so use the exact one-sided upper bound
        # on the monthly rate (rule of three generalised) for the top of the interval.
        rate_hi = -math.log(1.0 - level) / n
        high = _poisson_ppf(hi_q, rate_hi * len(targets))
        return Expected(0.0, 0.0, high, "mean", n, 1.0)

    X = _design(months, start, model)
    with np.errstate(all="ignore"):
        try:
            fit = poisson_glm_irls(X, y)
            ok = fit.converged and bool(np.all(np.isfinite(fit.coef)))
        except np.linalg.LinAlgError:
            ok = False
    if not ok and model != "mean":
        model = "mean"  # the richer model did not converge (sparse series): fall back, and say so in `model`
        X = _design(months, start, model)
        fit = poisson_glm_irls(X, y)
    p = X.shape[1]
    df_resid = n - p
    if df_resid > 0:
        pearson = float(np.sum((y - fit.fitted) ** 2 / fit.fitted) / df_resid)
        dispersion = max(1.0, pearson)
    else:
        dispersion = 1.0

    Xt = _design(targets, start, model)
    mu_t = np.exp(Xt @ fit.coef)
    if model != "mean" and float(mu_t.max()) > 3.0 * float(y.max()):
        # An exponential trend projected far beyond anything observed is not a credible expectation.
        model = "mean"
        X = _design(months, start, model)
        fit = poisson_glm_irls(X, y)
        Xt = _design(targets, start, model)
        mu_t = np.exp(Xt @ fit.coef)
        dispersion = max(1.0, float(np.sum((y - fit.fitted) ** 2 / fit.fitted) / max(n - 1, 1)))
    expected = float(mu_t.sum())
    grad = (mu_t[:, None] * Xt).sum(axis=0)  # d(expected)/d(coef)
    var_expected = float(dispersion * grad @ fit.cov_unscaled @ grad)
    se_log = math.sqrt(max(var_expected, 0.0)) / expected
    if year_var < 0:
        raise ValueError("year_var must be non-negative")
    if year_var > 0:
        se_log = math.sqrt(
            se_log**2 + year_var * (1.0 + _fit_year_leverage(X, fit.fitted, months, start, grad / expected))
        )
    low, high = _mixture_quantiles(math.log(expected), se_log, dispersion, (lo_q, hi_q))
    return Expected(expected, low, high, model, n, dispersion)

"""Tests for csp_assess.analysis.stats against hand-worked values and independent implementations."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy import stats as sps

from csp_assess.analysis.stats import (
    Expected,
    benjamini_hochberg,
    change_test,
    exact_poisson_test,
    expected_from_trend,
    holm,
    poisson_glm_irls,
    poisson_z,
    two_sided_p_from_z,
)
from csp_assess.errors import PeriodError

# ------------------------------------------------------------------------------------------------
# Independent reference implementations (exact rational arithmetic / brute-force definitions)
# ------------------------------------------------------------------------------------------------


def exact_binomial_two_sided(a: int, b: int, ratio: Fraction = Fraction(1)) -> float:
    """Two-sided conditional test by direct summation with math.comb in exact rationals.

    p = sum of P(Y = y) over all y in 0..n with P(Y = y) <= P(Y = b) (scipy/R use a 1e-7 relative slack
    for float ties; with exact rationals ties are exact, so no slack is needed).
    """
    n = a + b
    if n == 0:
        return 1.0
    q = ratio / (1 + ratio)
    pmf = [math.comb(n, y) * q**y * (1 - q) ** (n - y) for y in range(n + 1)]
    observed = pmf[b]
    return float(min(Fraction(1), sum(x for x in pmf if x <= observed)))


def holm_bruteforce(p: list[float]) -> list[float]:
    """Holm by its definition: adj(i) = max over j ranked no later than i of min(1, (m - rank_j + 1) p_j)."""
    m = len(p)
    order = sorted(range(m), key=lambda i: (p[i], i))
    rank = {i: r for r, i in enumerate(order, start=1)}
    return [max(min(1.0, (m - rank[j] + 1) * p[j]) for j in range(m) if rank[j] <= rank[i]) for i in range(m)]


def bh_bruteforce(p: list[float]) -> list[float]:
    """BH by its definition: adj(i) = min over j ranked no earlier than i of min(1, m p_j / rank_j)."""
    m = len(p)
    order = sorted(range(m), key=lambda i: (p[i], i))
    rank = {i: r for r, i in enumerate(order, start=1)}
    return [min(min(1.0, m * p[j] / rank[j]) for j in range(m) if rank[j] >= rank[i]) for i in range(m)]


def poisson_nll(beta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    eta = X @ beta
    return float(np.sum(np.exp(eta) - y * eta))


def poisson_nll_grad(beta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.asarray(X.T @ (np.exp(X @ beta) - y))


# ------------------------------------------------------------------------------------------------
# 1. poisson_z and two_sided_p_from_z
# ------------------------------------------------------------------------------------------------


def test_poisson_z_worked_values() -> None:
    # Perfect squares make the arithmetic checkable by eye: 2(3 - 2) = 2, 2(12 - 10) = 4.
    np.testing.assert_allclose(poisson_z([4, 100, 9, 0], [9, 144, 4, 0]), [2.0, 4.0, -2.0, 0.0])
    assert float(poisson_z(0, 25)) == 10.0


def test_poisson_z_two_sample_and_ratio() -> None:
    assert float(poisson_z(4, 9, two_sample=True)) == pytest.approx(2 / math.sqrt(2))
    # ratio scales the earlier count to the later exposure: 2(sqrt(16) - sqrt(0.25 * 64)) = 0.
    assert float(poisson_z(64, 16, ratio=0.25)) == 0.0
    assert float(poisson_z(36, 16, ratio=0.25, two_sample=True)) == pytest.approx(
        2 * (4 - 3) / math.sqrt(1.25)
    )


def test_poisson_z_nan_and_negative() -> None:
    z = poisson_z([np.nan, 4], [1, np.nan])
    assert np.isnan(z).all()
    with pytest.raises(ValueError):
        poisson_z(-1, 3)
    with pytest.raises(ValueError):
        poisson_z(1, 3, ratio=0)


def test_poisson_z_null_calibration_by_simulation() -> None:
    """Under 'no change' the analyst's z has variance 2 (flags ~17% at |z|>1.96); the two-sample z has 1."""
    rng = np.random.default_rng(20240401)
    a = rng.poisson(50, size=40_000)
    b = rng.poisson(50, size=40_000)
    raw = poisson_z(a, b)
    two = poisson_z(a, b, two_sample=True)
    assert np.var(raw) == pytest.approx(2.0, rel=0.05)
    assert np.var(two) == pytest.approx(1.0, rel=0.05)
    assert np.mean(np.abs(raw) > 1.96) == pytest.approx(2 * sps.norm.sf(1.96 / math.sqrt(2)), abs=0.01)
    assert np.mean(two_sided_p_from_z(two) < 0.05) == pytest.approx(0.05, abs=0.01)


def test_two_sided_p_from_z_against_erfc() -> None:
    zs = np.array([0.0, 1.0, -1.959963984540054, 2.5758293035489, 5.0, -8.0])
    expected = [math.erfc(abs(z) / math.sqrt(2)) for z in zs]  # 2 * (1 - Phi(|z|))
    np.testing.assert_allclose(two_sided_p_from_z(zs), expected, rtol=1e-12)
    assert float(two_sided_p_from_z(1.959963984540054)) == pytest.approx(0.05, rel=1e-9)
    assert np.isnan(two_sided_p_from_z(np.nan))


# ------------------------------------------------------------------------------------------------
# 2. exact_poisson_test
# ------------------------------------------------------------------------------------------------


def test_exact_test_hand_worked_examples() -> None:
    # 2 -> 10: n = 12, p = 1/2. Tails P(Y<=2) + P(Y>=10) = 2 * (1 + 12 + 66) / 4096 = 158/4096.
    assert float(exact_poisson_test(2, 10)) == pytest.approx(158 / 4096, rel=1e-12)
    # 0 -> 5 is *not* significant at 5% (2/32 = 0.0625) even though it is "+infinity %"; 0 -> 6 is (2/64).
    assert float(exact_poisson_test(0, 5)) == pytest.approx(1 / 16, rel=1e-12)
    assert float(exact_poisson_test(0, 6)) == pytest.approx(1 / 32, rel=1e-12)
    # 1 -> 4 (+300%): n = 5, P(Y<=1) + P(Y>=4) = 2 * (1 + 5) / 32 = 0.375.
    assert float(exact_poisson_test(1, 4)) == pytest.approx(12 / 32, rel=1e-12)
    assert float(exact_poisson_test(5, 5)) == 1.0
    assert float(exact_poisson_test(0, 0)) == 1.0  # nothing to test


def test_exact_test_unequal_exposure_hand_worked() -> None:
    # 11 months against 12: q = (11/12) / (1 + 11/12) = 11/23. a = 1, b = 3, n = 4.
    q = Fraction(11, 23)
    pmf = [math.comb(4, y) * q**y * (1 - q) ** (4 - y) for y in range(5)]
    # pmf ~ [0.0740, 0.2703, 0.3703, 0.2255, 0.0514]; outcomes no likelier than y=3: y in {0, 3, 4}.
    assert pmf[0] <= pmf[3] and pmf[4] <= pmf[3] and pmf[1] > pmf[3]
    expected = float(pmf[0] + pmf[3] + pmf[4])
    assert float(exact_poisson_test(1, 3, ratio=11 / 12)) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("ratio", [Fraction(1), Fraction(11, 12), Fraction(3, 1)])
def test_exact_test_matches_direct_binomial_sum_on_random_counts(ratio: Fraction) -> None:
    rng = np.random.default_rng(7)
    a = rng.integers(0, 60, size=200)
    b = rng.integers(0, 60, size=200)
    got = exact_poisson_test(a, b, ratio=float(ratio))
    want = [exact_binomial_two_sided(int(x), int(y), ratio) for x, y in zip(a, b, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)


def test_exact_test_vectorised_nan_and_validation() -> None:
    p = exact_poisson_test(np.array([[2, np.nan], [0, 0]]), np.array([[10, 3], [0, 6]]))
    assert p.shape == (2, 2)
    assert np.isnan(p[0, 1])
    assert p[1, 0] == 1.0 and p[1, 1] == pytest.approx(1 / 32)
    with pytest.raises(ValueError):
        exact_poisson_test(1.5, 2)
    with pytest.raises(ValueError):
        exact_poisson_test(-1, 2)


# ------------------------------------------------------------------------------------------------
# 3. holm and benjamini_hochberg
# ------------------------------------------------------------------------------------------------


def test_adjustments_small_hand_example() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # Sorted 0.005, 0.01, 0.03, 0.04. Holm x4, x3, x2, x1 = .02, .03, .06, .04 -> running max .02 .03 .06 .06
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02])
    # BH x4/1, 4/2, 4/3, 4/4 = .02, .02, .04, .04 -> running min from the top is unchanged.
    np.testing.assert_allclose(benjamini_hochberg(p), [0.02, 0.04, 0.04, 0.02])


# Benjamini & Hochberg (1995, JRSS B 57:289-300), section 4 worked example: 15 p-values from a trial.
BH1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
          0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000]  # fmt: skip


def test_bh_1995_published_example() -> None:
    # The paper: at q = 0.05 BH rejects the 4 smallest; the Bonferroni-type (Holm) procedure rejects 3.
    assert int(np.sum(benjamini_hochberg(BH1995) < 0.05)) == 4
    assert int(np.sum(holm(BH1995) < 0.05)) == 3
    # Hand-computed adjusted values: BH(1..4) = .0001*15, .0004*15/2, .0019*15/3, .0095*15/4.
    np.testing.assert_allclose(benjamini_hochberg(BH1995)[:4], [0.0015, 0.003, 0.0095, 0.035625])
    # Holm(1..5) = .0001*15, .0004*14, .0019*13, .0095*12, .0201*11 (already increasing).
    np.testing.assert_allclose(holm(BH1995)[:5], [0.0015, 0.0056, 0.0247, 0.114, 0.2211])
    assert holm(BH1995)[-1] == 1.0 and benjamini_hochberg(BH1995)[-1] == 1.0


def test_adjustments_match_bruteforce_and_scipy_on_random_p() -> None:
    rng = np.random.default_rng(11)
    for m in (1, 2, 5, 37, 200):
        p = rng.uniform(size=m) ** 3  # skewed towards small p so adjustments bite
        p[: m // 5] = np.round(p[: m // 5], 2)  # include ties
        np.testing.assert_allclose(holm(p), holm_bruteforce(list(p)), rtol=1e-12)
        np.testing.assert_allclose(benjamini_hochberg(p), bh_bruteforce(list(p)), rtol=1e-12)
        np.testing.assert_allclose(benjamini_hochberg(p), sps.false_discovery_control(p), rtol=1e-12)


def test_adjustments_are_monotone_capped_and_at_least_raw() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(size=100)
    for adj in (holm(p), benjamini_hochberg(p)):
        order = np.argsort(p)
        assert np.all(np.diff(adj[order]) >= 0)
        assert np.all(adj <= 1.0) and np.all(adj >= p)
    assert np.all(holm(p) >= benjamini_hochberg(p))


def test_adjustments_nan_safe() -> None:
    p = [0.01, np.nan, 0.04]
    # m = 2, not 3: Holm .01*2, .04*1 -> .02, .04 ; BH .01*2/1, .04*2/2 -> .02, .04.
    np.testing.assert_allclose(holm(p), [0.02, np.nan, 0.04])
    np.testing.assert_allclose(benjamini_hochberg(p), [0.02, np.nan, 0.04])
    assert np.isnan(holm([np.nan, np.nan])).all()
    assert holm([]).shape == (0,)
    assert float(holm([0.3])[0]) == 0.3
    with pytest.raises(ValueError):
        holm([0.5, 1.2])


# ------------------------------------------------------------------------------------------------
# 4. change_test
# ------------------------------------------------------------------------------------------------


def test_change_test_table_and_significance_rule() -> None:
    before = pd.Series({"burglary": 100, "arson": 1, "robbery": 0, "drugs": 2, "shoplifting": 300})
    after = pd.Series({"shoplifting": 300, "robbery": 6, "arson": 4, "burglary": 150, "drugs": 10})
    out = change_test(before, after, min_count=10)
    assert list(out.columns) == ["z", "p_value", "p_adjusted", "significant"]
    assert list(out.index) == list(before.index)
    # Raw p-values are the exact test's: 0 -> 6 is 1/32, 2 -> 10 is 158/4096, 1 -> 4 is 12/32.
    assert out.loc["robbery", "p_value"] == pytest.approx(1 / 32)
    assert out.loc["drugs", "p_value"] == pytest.approx(158 / 4096)
    assert out.loc["arson", "p_value"] == pytest.approx(12 / 32)
    assert out.loc["burglary", "z"] == pytest.approx(2 * (math.sqrt(150) - 10))
    # Family = categories with at least 10 offences in total: burglary, drugs, shoplifting (m = 3).
    family = ["burglary", "drugs", "shoplifting"]
    np.testing.assert_allclose(out.loc[family, "p_adjusted"], holm(out.loc[family, "p_value"]))
    assert out.loc[["arson", "robbery"], "p_adjusted"].isna().all()
    # robbery 0 -> 6 has raw p = 0.031 < 0.05 but only 6 offences: never flagged. arson +300%: not flagged.
    assert out["significant"].to_dict() == {
        "burglary": True,
        "arson": False,
        "robbery": False,
        "drugs": False,  # 0.0386 * 2 (Holm, second smallest of 3) = 0.077 > 0.05
        "shoplifting": False,
    }
    assert out.loc["drugs", "p_adjusted"] == pytest.approx(2 * 158 / 4096)


def test_change_test_significance_needs_adjusted_p_below_alpha() -> None:
    out = change_test([0, 2], [6, 10], adjust="none", min_count=0)
    assert out["significant"].tolist() == [True, True]
    out = change_test([0, 2], [6, 10], adjust="none", min_count=0, alpha=0.035)
    assert out["significant"].tolist() == [True, False]  # 0.03125 < 0.035 <= 0.0386
    out = change_test([0, 2], [6, 10], adjust="holm", min_count=0)
    # Holm: 1/32 * 2 = 0.0625 ; max(0.0625, 158/4096) -> neither below 0.05.
    np.testing.assert_allclose(out["p_adjusted"], [0.0625, 0.0625])
    assert not out["significant"].any()
    out = change_test([0, 2], [6, 10], adjust="bh", min_count=0)
    np.testing.assert_allclose(out["p_adjusted"], [158 / 4096, 158 / 4096])  # min(1/16, 158/4096 * 2/2)
    assert out["significant"].all()


def test_change_test_z_method_uses_calibrated_z() -> None:
    out = change_test([100, 50], [144, 50], method="z", adjust="none")
    np.testing.assert_allclose(out["z"], [4.0, 0.0])
    np.testing.assert_allclose(out["p_value"], [math.erfc(4 / math.sqrt(2) / math.sqrt(2)), 1.0])


def test_change_test_nan_zero_and_arrays() -> None:
    out = change_test(np.array([0, np.nan, 40]), np.array([0, 5, 80]))
    assert isinstance(out.index, pd.RangeIndex)
    assert out.loc[0, "p_value"] == 1.0 and not out.loc[0, "significant"]
    assert np.isnan(out.loc[1, ["z", "p_value", "p_adjusted"]].astype(float)).all()
    assert not out.loc[1, "significant"]
    assert out.loc[2, "significant"]  # 40 -> 80 is clear: exact p ~ 1e-5, alone in the family
    assert out["significant"].dtype == bool
    # Series with different categories: missing ones become NaN (callers fill 0 if they mean zero).
    out = change_test(pd.Series({"a": 5}), pd.Series({"b": 5}))
    assert out["p_value"].isna().all()
    with pytest.raises(ValueError):
        change_test([1, 2], [1], method="exact")
    with pytest.raises(ValueError):
        change_test([1], [1], method="chi2")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        change_test([1], [1], adjust="bonferroni")  # type: ignore[arg-type]


def test_change_test_unequal_exposure() -> None:
    out = change_test([12], [11], ratio=11 / 12, adjust="none")
    # Same monthly rate over 12 and 11 months: z = 2(sqrt 11 - sqrt 11) = 0.
    assert out.loc[0, "z"] == pytest.approx(0.0, abs=1e-12)
    assert out.loc[0, "p_value"] == pytest.approx(exact_binomial_two_sided(12, 11, Fraction(11, 12)))


# ------------------------------------------------------------------------------------------------
# 5. IRLS and expected_from_trend
# ------------------------------------------------------------------------------------------------


def _monthly(values: np.ndarray, start: str = "2014-04") -> pd.Series:
    return pd.Series(values, index=pd.period_range(start, periods=len(values), freq="M"))


def test_irls_mean_only_closed_form() -> None:
    y = np.array([3.0, 0, 7, 2, 5, 4, 1])
    fit = poisson_glm_irls(np.ones((7, 1)), y)
    assert fit.converged
    assert fit.coef[0] == pytest.approx(math.log(y.mean()), rel=1e-12)
    # Fisher information for log-mean is n * mean = sum(y), so the variance is 1 / sum(y).
    assert fit.cov_unscaled[0, 0] == pytest.approx(1 / y.sum(), rel=1e-9)


def test_irls_trend_and_season_match_direct_likelihood_maximisation() -> None:
    rng = np.random.default_rng(5)
    n = 48
    t = np.arange(n) / 12.0
    moy = np.arange(n) % 12
    season = np.column_stack([(moy == k).astype(float) for k in range(1, 12)])
    X_trend = np.column_stack([np.ones(n), t])
    X_season = np.column_stack([X_trend, season])
    beta_true = np.r_[math.log(30), -0.15, rng.normal(0, 0.2, 11)]
    y = rng.poisson(np.exp(X_season @ beta_true)).astype(float)
    for X in (X_trend, X_season):
        fit = poisson_glm_irls(X, y)
        assert fit.converged
        res = optimize.minimize(
            poisson_nll, np.zeros(X.shape[1]), args=(X, y), jac=poisson_nll_grad, method="BFGS",
            options={"gtol": 1e-10, "maxiter": 10_000},
        )  # fmt: skip
        np.testing.assert_allclose(fit.coef, res.x, atol=1e-6)
        assert poisson_nll(fit.coef, X, y) <= res.fun + 1e-9
        # Score equations: fitted totals match observed totals for each column (intercept, months).
        np.testing.assert_allclose(X.T @ fit.fitted, X.T @ y, rtol=1e-8, atol=1e-8)


def test_irls_covariance_matches_numerical_hessian() -> None:
    rng = np.random.default_rng(9)
    t = np.arange(36) / 12.0
    X = np.column_stack([np.ones(36), t])
    y = rng.poisson(np.exp(3.0 + 0.2 * t)).astype(float)
    fit = poisson_glm_irls(X, y)
    h = 1e-4
    hess = np.zeros((2, 2))
    for i in range(2):
        e = np.eye(2)[i] * h
        hess[:, i] = (poisson_nll_grad(fit.coef + e, X, y) - poisson_nll_grad(fit.coef - e, X, y)) / (2 * h)
    np.testing.assert_allclose(fit.cov_unscaled, np.linalg.inv(hess), rtol=1e-6)


def test_expected_mean_only_closed_form() -> None:
    s = _monthly(np.array([10, 12, 8, 11, 9, 10]), start="2019-10")  # 6 months: too few for a trend
    res = expected_from_trend(s, "2019-10", "2020-03", pd.period_range("2022-04", "2023-03", freq="M"))
    assert isinstance(res, Expected)
    assert res.model == "mean" and res.months_fitted == 6
    assert res.expected == pytest.approx(12 * 10.0, rel=1e-10)
    # Pearson dispersion = sum((y - 10)^2 / 10) / 5 = 10 / 50 = 0.2 -> floored at 1 (Poisson).
    assert res.dispersion == 1.0
    assert res.low < res.expected < res.high
    # Wider than Poisson noise alone (parameter uncertainty counts): Poisson(120) 95% range is 99..142.
    assert (res.low, res.high) != (sps.poisson.ppf(0.025, 120), sps.poisson.ppf(0.975, 120))
    assert res.low <= sps.poisson.ppf(0.025, 120) and res.high >= sps.poisson.ppf(0.975, 120)


def test_expected_trend_projection_matches_scipy_fit() -> None:
    rng = np.random.default_rng(21)
    y = rng.poisson(np.exp(3.5 + 0.1 * np.arange(18) / 12)).astype(float)
    s = _monthly(y, start="2018-10")
    targets = pd.period_range("2021-04", "2022-03", freq="M")
    res = expected_from_trend(s, "2018-10", "2020-03", targets)
    assert res.model == "trend" and res.months_fitted == 18
    X = np.column_stack([np.ones(18), np.arange(18) / 12])
    beta = optimize.minimize(poisson_nll, np.zeros(2), args=(X, y), jac=poisson_nll_grad, method="BFGS").x
    t_target = np.arange(30, 42) / 12  # 2021-04 is 30 months after 2018-10
    assert res.expected == pytest.approx(float(np.exp(beta[0] + beta[1] * t_target).sum()), rel=1e-5)


def test_expected_model_fallbacks_and_nan_months() -> None:
    rng = np.random.default_rng(2)
    y = rng.poisson(20, size=60).astype(float)
    s = _monthly(y, start="2015-04")
    target = ["2023-01"]
    assert expected_from_trend(s, "2015-04", "2020-03", target).model == "trend+season"
    assert expected_from_trend(s, "2018-04", "2020-03", target).model == "trend+season"  # exactly 24
    assert expected_from_trend(s, "2018-05", "2020-03", target).model == "trend"  # 23
    assert expected_from_trend(s, "2019-04", "2020-03", target).model == "trend"  # 12
    assert expected_from_trend(s, "2019-05", "2020-03", target).model == "mean"  # 11
    # A calendar month with no crimes in any year cannot carry a seasonal effect: fall back to trend.
    y0 = y.copy()
    y0[np.asarray(pd.PeriodIndex(s.index).month) == 2] = 0
    assert expected_from_trend(_monthly(y0, "2015-04"), "2015-04", "2020-03", target).model == "trend"
    # NaN months are skipped and not counted.
    y_nan = y.copy()
    y_nan[:3] = np.nan
    res = expected_from_trend(_monthly(y_nan, "2015-04"), "2015-04", "2020-03", target)
    assert res.months_fitted == 57


def test_expected_all_zero_window() -> None:
    s = _monthly(np.zeros(6), start="2019-10")
    res = expected_from_trend(s, "2019-10", "2020-03", pd.period_range("2022-04", periods=12, freq="M"))
    assert (res.expected, res.low, res.model) == (0.0, 0.0, "mean")
    # Upper bound on the monthly rate after 0 events in 6 months: -ln(0.05) / 6; over 12 months, 97.5% point.
    assert res.high == sps.poisson.ppf(0.975, 12 * -math.log(0.05) / 6)


def test_expected_validation() -> None:
    with pytest.raises(ValueError):
        expected_from_trend(pd.Series([1.0, 2.0]), "2019-01", "2019-02", ["2020-01"])
    s = _monthly(np.ones(12), start="2019-01")
    with pytest.raises(PeriodError):
        expected_from_trend(s, "2010-01", "2010-12", ["2020-01"])
    with pytest.raises(ValueError):
        expected_from_trend(s, "2019-01", "2019-12", [])
    with pytest.raises(ValueError):
        expected_from_trend(s, "2019-12", "2019-01", ["2020-01"])


@pytest.mark.parametrize("dispersion", [1.0, 3.0])
def test_expected_interval_coverage_by_simulation(dispersion: float) -> None:
    """Fit 5 pre-COVID years of a seasonal trend, predict a later year's total: ~95% of totals covered.

    With overdispersed (negative binomial, variance = 3 x mean) counts the quasi-Poisson scaling must
    recover the dispersion, or the interval would be too narrow.
    """
    rng = np.random.default_rng(42 + int(dispersion))
    months = pd.period_range("2015-04", "2023-03", freq="M")
    t = np.arange(len(months)) / 12
    season = 0.25 * np.sin(2 * np.pi * np.asarray(months.month) / 12)
    mu = np.exp(math.log(25) + 0.08 * t + season)
    fit_mask = months <= pd.Period("2020-03", "M")
    target = months[-12:]
    covered, disp = 0, []
    reps = 300
    for _ in range(reps):
        if dispersion == 1.0:
            y = rng.poisson(mu)
        else:
            size = mu / (dispersion - 1)
            y = rng.negative_binomial(size, 1 / dispersion)
        s = pd.Series(y[fit_mask].astype(float), index=months[fit_mask])
        res = expected_from_trend(s, "2015-04", "2020-03", target)
        assert res.model == "trend+season" and res.months_fitted == 60
        future_total = y[-12:].sum()
        covered += int(res.low <= future_total <= res.high)
        disp.append(res.dispersion)
    assert 0.91 <= covered / reps <= 0.99
    assert np.mean(disp) == pytest.approx(max(dispersion, 1.0), rel=0.15)


def test_expected_interval_matches_monte_carlo_predictive() -> None:
    """Second implementation of the prediction interval: draw coefficients from N(beta, phi * cov),
    sum the projected means, draw counts with variance phi * mean, and read off the 2.5% / 97.5% points.
    Also rebuilds the design and the Pearson dispersion by hand rather than through the module."""
    rng = np.random.default_rng(123)
    months = pd.period_range("2015-04", "2020-03", freq="M")
    t = np.arange(60) / 12
    moy = np.asarray(months.month)
    mu = np.exp(math.log(30) + 0.05 * t + 0.3 * np.cos(2 * np.pi * moy / 12))
    y = rng.negative_binomial(mu / 1.5, 1 / 2.5).astype(float)  # variance = 2.5 x mean
    targets = pd.period_range("2022-04", "2023-03", freq="M")
    res = expected_from_trend(pd.Series(y, index=months), "2015-04", "2020-03", targets)

    def design(ts: np.ndarray, mo: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones(len(ts)), ts] + [(mo == k).astype(float) for k in range(2, 13)])

    X = design(t, moy)
    fit = poisson_glm_irls(X, y)
    phi = max(1.0, float(np.sum((y - fit.fitted) ** 2 / fit.fitted)) / (60 - 13))
    assert res.dispersion == pytest.approx(phi, rel=1e-9)
    Xt = design(np.arange(84, 96) / 12, np.asarray(targets.month))
    assert res.expected == pytest.approx(float(np.exp(Xt @ fit.coef).sum()), rel=1e-9)
    betas = rng.multivariate_normal(fit.coef, phi * fit.cov_unscaled, size=200_000)
    means = np.exp(betas @ Xt.T).sum(axis=1)
    totals = rng.negative_binomial(means / (phi - 1), 1 / phi)
    lo, hi = np.quantile(totals, [0.025, 0.975])
    assert res.low == pytest.approx(lo, rel=0.02)
    assert res.high == pytest.approx(hi, rel=0.02)


def test_special_function_distributions_match_scipy_stats() -> None:
    """The cdf/ppf written with scipy.special (to avoid importing scipy.stats) agree with scipy.stats."""
    from scipy import stats as sps

    from csp_assess.analysis import stats as st

    mu = np.array([0.1, 3.0, 50.0, 1e4])
    for k in (0, 2, 40, 9900):
        np.testing.assert_allclose(st._poisson_cdf(k, mu), sps.poisson.cdf(k, mu), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(
            st._nbinom_cdf(k, mu, 0.3), sps.nbinom.cdf(k, mu, 0.3), rtol=1e-10, atol=1e-14
        )
    for q, m in ((0.975, 3.7), (0.5, 0.01), (0.99, 120.0)):
        assert st._poisson_ppf(q, m) == sps.poisson.ppf(q, m)
    z = np.array([-3.0, 0.0, 1.96, 5.0])
    np.testing.assert_allclose(st.two_sided_p_from_z(z), 2 * sps.norm.sf(np.abs(z)), rtol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 8, 40, 64, 65])
def test_year_variance_small_median_equals_numpys(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plain-Python median of small pair sets gives numpy's estimate to the last bit."""
    import csp_assess.analysis.stats as st

    rng = np.random.default_rng(n)
    a = rng.poisson(rng.uniform(5, 400, n)).astype(float)
    b = rng.poisson(a * rng.lognormal(0, 0.3, n)).astype(float)
    fast = st.estimate_year_variance(a, b)
    monkeypatch.setattr(st, "SMALL_MEDIAN", 0)
    assert st.estimate_year_variance(a, b) == fast

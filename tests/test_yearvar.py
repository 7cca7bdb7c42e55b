"""The over-dispersed change test and the year-level variance estimator: hand calculations, a second
method, and a simulation with year-level random effects (the tool's old tests drew from its own model)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from csp_assess.analysis.priorities import _candidates
from csp_assess.analysis.stats import (
    _fit_year_leverage,
    change_test,
    estimate_year_variance,
    exact_poisson_test,
    expected_from_trend,
    log_ratio_z,
    poisson_glm_irls,
    shrink_year_variance,
)
from csp_assess.analysis.yearvar import category_variances, covid_note, history_pairs, usual_range
from csp_assess.periods import FinancialYear
from csp_assess.reference.priorities import Rules
from yearvar_ref import packaged_sigma2

CHI2_MEDIAN = 0.454936423119572  # qchisq(0.5, 1)


# ------------------------------------------------------------------------------------ hand calculations


def test_log_ratio_z_by_hand() -> None:
    # 100 -> 150 with year-level sd 10% (2 sigma^2 = 0.02):
    # d = ln(150.5 / 100.5) = 0.4038054; var = 1/100.5 + 1/150.5 + 0.02 = 0.0365948; z = 2.110875
    z = float(log_ratio_z(100, 150, year_var=0.02)[()])
    assert z == pytest.approx(0.4038054 / math.sqrt(0.0365948), rel=1e-6)
    assert z == pytest.approx(2.110875, abs=1e-6)
    # Against the mean of 3 baseline years: a = 3-year total 300, ratio 1/3: d = ln(150.5/300.5) + ln 3
    z3 = float(log_ratio_z(300, 150, ratio=1 / 3, year_var=0.0)[()])
    assert z3 == pytest.approx((math.log(150.5 / 300.5) + math.log(3)) / math.sqrt(1 / 300.5 + 1 / 150.5))
    with pytest.raises(ValueError):
        log_ratio_z(1, 2, year_var=-0.1)


def test_change_test_with_year_var_uses_it_and_keeps_the_counting_p() -> None:
    res = change_test([100, 500], [150, 520], year_var=[0.02, 0.02], adjust="none")
    p0 = math.erfc(2.110875 / math.sqrt(2))  # two-sided normal p of the hand z above
    assert res["p_value"].iloc[0] == pytest.approx(p0, rel=1e-5)
    assert res["p_counting"].iloc[0] == pytest.approx(float(exact_poisson_test(100, 150)[()]))
    assert p0 == pytest.approx(0.0348, abs=1e-4)  # under 0.05 with no adjustment: flagged
    assert bool(res["significant"].iloc[0]) is True
    # 500 -> 520 (+4%): inside counting noise and year-level variation alike.
    assert bool(res["significant"].iloc[1]) is False


def test_variance_estimator_by_hand_equal_counting_variance() -> None:
    # Three pairs with the same counts, so the same v: the robust equation gives
    # tau = d^2 / median(chi2_1) - v, the mean equation tau = d^2 - v; sigma^2 = tau / 2.
    a, b = [100, 150, 100], [150, 100, 150]
    d2 = math.log(150.5 / 100.5) ** 2  # 0.163049
    v = 1 / 100.5 + 1 / 150.5
    robust = estimate_year_variance(a, b)
    assert robust.pairs == 3
    assert robust.sigma2 == pytest.approx((d2 / CHI2_MEDIAN - v) / 2, rel=1e-9)
    mean = estimate_year_variance(a, b, robust=False)
    assert mean.sigma2 == pytest.approx((d2 - v) / 2, rel=1e-9)
    # Changes smaller than counting noise: no year-level variance at all.
    assert estimate_year_variance([100, 100], [101, 99]).sigma2 == 0.0
    # Pairs under 10 offences and NaN are left out; none left gives NaN and 0 pairs.
    few = estimate_year_variance([3, np.nan], [4, 50])
    assert few.pairs == 0 and math.isnan(few.sigma2)


def test_variance_estimator_unequal_v_solves_its_equation() -> None:
    a = np.array([40.0, 400.0, 4000.0, 90.0, 900.0])
    b = np.array([55.0, 330.0, 4600.0, 70.0, 1000.0])
    fit = estimate_year_variance(a, b, robust=False)
    d2 = np.log((b + 0.5) / (a + 0.5)) ** 2
    v = 1 / (a + 0.5) + 1 / (b + 0.5)
    assert float(np.sum(d2 / (v + 2 * fit.sigma2))) == pytest.approx(len(a), rel=1e-9)
    rob = estimate_year_variance(a, b)
    assert float(np.median(d2 / (v + 2 * rob.sigma2))) == pytest.approx(CHI2_MEDIAN, rel=1e-9)


def test_shrinkage_by_hand() -> None:
    # 8 prior pairs at 0.01, 24 data pairs at 0.03 -> (8 * 0.01 + 24 * 0.03) / 32 = 0.025
    assert shrink_year_variance(0.03, 24, 0.01) == pytest.approx(0.025)
    assert shrink_year_variance(float("nan"), 0, 0.01) == 0.01


def test_usual_range_by_hand() -> None:
    sd = math.sqrt(2 / 100.5 + 2 * 0.01)
    assert (
        usual_range(100, 0.01)
        == f"{(math.exp(-1.96 * sd) - 1) * 100:+.0f}% to {(math.exp(1.96 * sd) - 1) * 100:+.0f}%"
    )


# ------------------------------------------------------------------------------------ history and COVID


def _monthly(area_counts: dict[tuple[str, str], list[int]], first: str) -> pd.DataFrame:
    """A counts table (area, month, major, minor, count) from per-(area, minor) monthly lists."""
    rows = []
    for (area, minor), counts in area_counts.items():
        for i, c in enumerate(counts):
            rows.append((area, pd.Period(first, freq="M") + i, "Arson and Criminal Damage", minor, c))
    frame = pd.DataFrame(rows, columns=["area", "month", "major", "minor", "count"])
    frame["month"] = frame["month"].astype("period[M]")
    return frame


def test_history_pairs_leave_out_covid_and_later_years() -> None:
    # Five financial years 2017/18..2021/22 of one category, 10 a month in year k (k = 0..4) plus k.
    counts = [10 + k for k in range(5) for _ in range(12)]
    frame = _monthly({("A", "Arson"): counts}, "2017-04")
    wide = frame.groupby(["area", "minor", "month"])["count"].sum().unstack("month")
    window = FinancialYear(2022, 4).months  # 2022/23, not in the data
    pairs, labels = history_pairs(wide, window, pd.Period("2022-03", freq="M"))
    # Candidate pairs 21/22<-20/21, 20/21<-19/20 (COVID months), 19/20<-18/19 (March 2020), 18/19<-17/18.
    assert labels == ["2017-04->2018-04"]
    assert (pairs["a"].tolist(), pairs["b"].tolist()) == ([120.0], [132.0])
    note = covid_note("2020/21", FinancialYear(2020, 4).months)
    assert note is not None and "throughout" in note
    partial = covid_note("2021/22", FinancialYear(2021, 4).months)
    assert partial is not None and "4 month(s)" in partial
    assert covid_note("2018/19", FinancialYear(2018, 4).months) is None


def test_category_variances_pool_areas_and_shrink_toward_the_packaged_value() -> None:
    # Two areas, three pre-COVID years (2016/17..2018/19), monthly counts constant within a year.
    a_years, b_years = [20, 26, 21], [40, 33, 41]
    frame = _monthly(
        {
            ("A", "Arson"): [c for c in a_years for _ in range(12)],
            ("B", "Arson"): [c for c in b_years for _ in range(12)],
        },
        "2016-04",
    )
    out, labels = category_variances(
        frame, ["minor"], "met-old", FinancialYear(2019, 4).months, pd.Period("2019-03", freq="M")
    )
    assert labels == ["2017-04->2018-04", "2016-04->2017-04"]
    got = out["Arson"]
    # By hand: the four annual pairs, pooled; then 8 packaged pairs at the packaged Arson value.
    pairs_a = [12 * x for x in a_years[:-1]]
    pairs_b = [12 * x for x in a_years[1:]]
    pairs_a += [12 * x for x in b_years[:-1]]
    pairs_b += [12 * x for x in b_years[1:]]
    pooled = estimate_year_variance(pairs_a, pairs_b)
    prior = packaged_sigma2("met-old", "minor", "Arson")
    assert (got.pairs, got.areas) == (4, 2)
    assert got.sigma2_data == pytest.approx(pooled.sigma2)
    assert got.sigma2 == pytest.approx((8 * prior + 4 * pooled.sigma2) / 12)
    assert "2 areas" in got.basis and "MPS borough file" in got.default_source
    # No history at all: the packaged value alone, and it says so.
    none, _ = category_variances(
        frame, ["minor"], "met-old", FinancialYear(2016, 4).months, pd.Period("2016-03", freq="M")
    )
    assert none["Arson"].pairs == 0 and none["Arson"].sigma2 == pytest.approx(prior)
    assert none["Arson"].basis.startswith("no earlier years in the extract")
    # A category in no packaged table gets the generic default (sd 15%), stated.
    custom, _ = category_variances(
        frame, ["minor"], "custom", FinancialYear(2016, 4).months, pd.Period("2016-03", freq="M")
    )
    assert custom["Arson"].sigma2 == pytest.approx(0.15**2) and "generic default" in custom["Arson"].basis


# ------------------------------------------------------------------------------------ baseline interval


def test_fit_year_leverage_against_a_numerical_derivative() -> None:
    # A trend + season Poisson fit over three years; nudging one fit year's counts by a factor e^delta moves
    # the log forecast by (leverage of that year) * delta. Compare the closed form with refits.
    months = pd.period_range("2015-04", periods=36, freq="M")
    t = np.arange(36) / 12
    X = np.column_stack([np.ones(36), t] + [(months.month == k).astype(float) for k in range(2, 13)])
    # Counts exactly on a trend + season curve, so the fit reproduces them (fitted = y) and nudging y is
    # nudging the mean, as a year-level effect does.
    beta0 = np.array([math.log(200), 0.1] + [0.05 * ((k % 5) - 2) for k in range(2, 13)])
    y = np.exp(X @ beta0)
    targets = pd.period_range("2018-04", periods=12, freq="M")
    Xt = np.column_stack(
        [np.ones(12), np.arange(36, 48) / 12] + [(targets.month == k).astype(float) for k in range(2, 13)]
    )
    fit = poisson_glm_irls(X, y)

    def log_forecast(yy: np.ndarray) -> float:
        return math.log(float(np.exp(Xt @ poisson_glm_irls(X, yy).coef).sum()))

    mu_t = np.exp(Xt @ fit.coef)
    g = (mu_t[:, None] * Xt).sum(axis=0) / mu_t.sum()
    delta = 1e-5
    effects = []
    for year in range(3):
        bumped = y.copy()
        bumped[12 * year : 12 * year + 12] *= math.exp(delta)
        effects.append((log_forecast(bumped) - log_forecast(y)) / delta)
    numeric = sum(e * e for e in effects)
    assert _fit_year_leverage(X, fit.fitted, months, months[0], g) == pytest.approx(numeric, rel=1e-3)
    # A mean over three whole years: each year moves the mean by a third, so 3 * (1/3)^2 = 1/3.
    X1 = np.ones((36, 1))
    fit1 = poisson_glm_irls(X1, y)
    assert _fit_year_leverage(X1, fit1.fitted, months, months[0], np.array([1.0])) == pytest.approx(1 / 3)


def test_year_var_widens_the_baseline_interval() -> None:
    months = pd.period_range("2015-04", periods=36, freq="M")
    series = pd.Series(100.0, index=months)
    targets = list(pd.period_range("2018-04", periods=12, freq="M"))
    plain = expected_from_trend(series, months[0], months[-1], targets)
    wide = expected_from_trend(series, months[0], months[-1], targets, year_var=0.01)
    assert plain.expected == pytest.approx(wide.expected)
    assert wide.low < plain.low and wide.high > plain.high
    # By hand: a linear trend through three equally weighted years (t = 0, 1, 2) forecast at t = 3 has
    # leverage 1/3 + (3 - 1)^2 / 2 = 7/3, so the year effects add 0.01 * (1 + 7/3) to the log variance;
    # counting noise adds 1/1200 for the year and about 7/3 * 1/3600 for the fitted trend.
    sd = math.sqrt(0.01 * (1 + 7 / 3) + 1 / 1200 + 7 / 3 / 3600)
    assert wide.low == pytest.approx(1200 * math.exp(-1.96 * sd), rel=0.03)
    assert wide.high == pytest.approx(1200 * math.exp(1.96 * sd), rel=0.03)


# ------------------------------------------------------------------------------------ simulation


def test_simulation_with_year_level_random_effects() -> None:
    """Counts drawn with a year-level effect (log-normal, sd by category) and Poisson noise, 60 areas x 9
    years. The estimator should recover each sd; on the last (unchanged) pair the calibrated test should
    flag about 5% unadjusted where counting noise alone flags far more; real doublings are still found."""
    rng = np.random.default_rng(20261202)
    sds = {"Big": 0.08, "Mid": 0.15, "Small": 0.25}
    means = {"Big": 3000.0, "Mid": 400.0, "Small": 80.0}
    areas = [f"area{i:02d}" for i in range(60)]
    years = 9  # 2009/10 .. 2017/18: all before COVID
    rows = []
    for area in areas:
        level = rng.normal(0, 0.3)
        for cat in sds:
            for y in range(years):
                u = rng.normal(0, sds[cat])
                monthly = rng.poisson(means[cat] * math.exp(level + u) / 12, size=12)
                for m, c in enumerate(monthly):
                    rows.append((area, pd.Period("2009-04", freq="M") + 12 * y + m, "X", cat, int(c)))
    frame = pd.DataFrame(rows, columns=["area", "month", "major", "minor", "count"])
    frame["month"] = frame["month"].astype("period[M]")
    last = FinancialYear(2017, 4)
    est, labels = category_variances(frame, ["minor"], "custom", last.months, last.first - 1)
    assert len(labels) == years - 2  # pairs up to 2015/16 -> 2016/17: the tested pair is not in them
    for cat, sd in sds.items():
        assert est[cat].sd == pytest.approx(sd, rel=0.2), cat
    annual = frame.assign(fy=(frame["month"] - pd.Period("2009-04", freq="M")).map(lambda d: d.n // 12))
    totals = annual.groupby(["area", "minor", "fy"])["count"].sum()
    raw_new = raw_old = n = 0
    for cat in sds:
        a = totals.xs(cat, level="minor").xs(years - 2, level="fy").to_numpy(float)
        b = totals.xs(cat, level="minor").xs(years - 1, level="fy").to_numpy(float)
        res = change_test(a, b, year_var=2 * est[cat].sigma2, adjust="none")
        raw_new += int((res["p_value"] < 0.05).sum())
        raw_old += int((res["p_counting"] < 0.05).sum())
        n += len(a)
        # Power: the same areas with the later year doubled. With sd 8% a doubling survives Holm across all
        # 60 areas; with sd 15% (z about 3) it is found unadjusted; with sd 25% a doubling can be usual.
        doubled = change_test(a, 2 * b, year_var=2 * est[cat].sigma2, adjust="holm")
        if cat == "Big":
            assert doubled["significant"].mean() >= 0.9
        if cat == "Mid":
            assert (doubled["p_value"] < 0.05).mean() >= 0.8
    assert raw_new / n <= 0.10  # nominal 5%: 180 tests, so allow for chance
    assert raw_old / n >= 0.30  # the counting-noise test is badly miscalibrated on such data


# ------------------------------------------------------------------------------------ candidate rule


def test_candidates_need_a_minimum_share_of_volume_or_harm() -> None:
    ranked = pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "major": ["M", "M", "M"],
            "category": ["Big", "Tiny", "Harmful"],
            "count": [900, 5, 95],
            "previous_count": [800, 4, 90],
            "change_pct": [12.5, 25.0, 5.6],
            "baseline_count": [np.nan, np.nan, np.nan],
            "baseline_change_pct": [np.nan, np.nan, np.nan],
            "harm": [100.0, 1.0, 899.0],
            "score": [50.0, 0.3, 49.7],
            "volume_share": [90.0, 0.5, 9.5],
            "harm_share": [10.0, 0.1, 89.9],
        }
    )
    period = type("P", (), {"label": "2021/22"})()
    names = [r["name"] for r in _candidates(ranked, set(), Rules(3, 0.05, 1.0), "2019/20", period, [], None)]
    assert names == ["Big", "Harmful"]  # Tiny holds 0.5% of volume and 0.1% of harm
    names0 = [r["name"] for r in _candidates(ranked, set(), Rules(3, 0.05, 0.0), "2019/20", period, [], None)]
    assert names0 == ["Big", "Tiny", "Harmful"]


def test_summary_words_say_one_sd_once_and_count_in_english() -> None:
    """Every category on the generic default: one sd, not 'sd 15.0% to 15.0%'; one category without
    history is 'category ... uses', several are 'categories ... use'."""
    from csp_assess.analysis.yearvar import GENERIC_SOURCE, YearVariance, summary_words

    default = YearVariance(0.15**2, None, 0, 0, 0.15**2, GENERIC_SOURCE)
    words = summary_words([default, default, default], [])
    assert "year-level sd 15.0% for all 3 categories" in words
    assert "to 15.0%" not in words
    data = YearVariance(0.2**2, 0.2**2, 8, 3, 0.15**2, "packaged")
    one = summary_words([data, default], ["2017->2018", "2010->2011"])
    assert "1 category had no history and uses the default alone" in one
    two = summary_words([data, default, default], ["2017->2018", "2010->2011"])
    assert "2 categories had no history and use the default alone" in two


def test_a_sparse_measure_alone_keeps_its_year_pairs() -> None:
    """measure_variances with one sparse measure (firearms offences: months with none): every month of
    the extract is a column, so the zero months are 0 and its year pairs are kept; the figure equals
    measure_variance's, which pads months the same way (two routes to one pooled estimate)."""
    import pandas as pd

    import csp_assess as ca
    from csp_assess.analysis.yearvar import measure_variance, measure_variances

    ex = ca.load("data/sample_offences.csv", cache=False)
    counts = ex.counts
    firearms = counts["minor"].isin(["Possession of Firearms Offences", "Other Firearm Offences"])
    months = sorted(counts["month"].unique())
    assert set(months) - set(counts.loc[firearms & (counts["count"] > 0), "month"])  # months with none
    window = [p for p in months if pd.Period("2021-04", "M") <= p <= pd.Period("2022-03", "M")]
    last = pd.Period("2021-03", "M")
    many, _ = measure_variances(counts, {"firearms": firearms}, ex.scheme, window, last)
    one = measure_variance(counts, firearms, ex.scheme, window, last)
    assert one is not None
    assert many["firearms"].pairs > 0
    assert many["firearms"].pairs == one.pairs
    assert many["firearms"].sigma2 == pytest.approx(one.sigma2)

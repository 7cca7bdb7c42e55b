"""One measure, one expected range: the theme pack and ``baseline`` (and the report's baseline table) give
the same pre-COVID expected range for the same measure, and that range is checked against a second method
for its year-level variance (``yearvar_ref``: year-on-year pairs of the raw file's financial-year totals,
robust moment estimate, shrunk toward the packaged value read from the CSV)."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.conftest import SAMPLE
from tests.independent import met_wide_monthly

import csp_assess as ca
from csp_assess.analysis.stats import expected_from_trend
from yearvar_ref import PRIOR_PAIRS, fy_pairs, packaged_sigma2, robust_sigma2

AREA = "Barking and Dagenham"
#: History for 2021/22 against 2019/20: whole earlier years whose later year ends by March 2020 and holds no
#: COVID month (2019/20 holds March 2020), so 2010/11 -> 2011/12 ... 2017/18 -> 2018/19.
YEARS = [f"{y}/{(y + 1) % 100:02d}" for y in range(2010, 2019)]


def _fy(month: str) -> str:
    y, m = int(month[:4]), int(month[4:])
    s = y if m >= 4 else y - 1
    return f"{s}/{(s + 1) % 100:02d}"


def _raw(pred) -> tuple[dict[str, float], pd.Series, dict[str, int]]:  # type: ignore[no-untyped-def]
    """Financial-year totals, the monthly series and the minor categories' totals of the raw sample where
    pred(major, minor) holds."""
    totals: dict[str, float] = {}
    monthly: dict[pd.Period, float] = {}
    minors: dict[str, int] = {}
    for (month, major, minor), n in met_wide_monthly([SAMPLE], AREA).items():
        if pred(major, minor):
            totals[_fy(month)] = totals.get(_fy(month), 0.0) + n
            p = pd.Period(f"{month[:4]}-{month[4:]}", freq="M")
            monthly[p] = monthly.get(p, 0.0) + n
            minors[minor] = minors.get(minor, 0) + n
    s = pd.Series(monthly).sort_index()
    s.index = pd.PeriodIndex(s.index, freq="M")
    return totals, s, minors


def _shrunk(pairs: list[tuple[float, float]], prior: float) -> float:
    s2, n = robust_sigma2(pairs)
    return prior if n == 0 else (PRIOR_PAIRS * prior + n * s2) / (PRIOR_PAIRS + n)


def _second_method_range(monthly: pd.Series, sigma2: float) -> tuple[int, int]:
    """2021/22's range from the 2017-04..2020-03 fit (the baseline year extended back to three years)."""
    months = list(pd.period_range("2021-04", "2022-03", freq="M"))
    e = expected_from_trend(monthly, "2017-04", "2020-03", months, year_var=sigma2)
    return int(e.low), int(e.high)


@pytest.fixture(scope="module")
def extract() -> ca.Extract:
    return ca.load([SAMPLE], cache=False)


def _theme_range(extract: ca.Extract, theme: str) -> tuple[float | None, float | None]:
    h = ca.theme_pack(extract, theme=theme, year="2021/22", baseline="2019/20").data.headline
    return h.expected_low, h.expected_high


def test_theme_and_baseline_give_one_range_for_one_category(extract: ca.Extract) -> None:
    """Sexual Offences is one category: the priority's pack, the Women's safety group (whose merged
    measure is Sexual Offences here), ``baseline`` and the report's baseline table agree exactly, and the
    range is the one a second method's variance gives (the analyst saw 583-1,582 against 609-1,520)."""
    rows = ca.baseline(extract, year="2021/22", baseline="2019/20").tables["rows"]
    frame = rows if isinstance(rows, pd.DataFrame) else rows.frame
    row = frame.set_index("category").loc["Sexual Offences"]
    base = (float(row["expected_low"]), float(row["expected_high"]))
    report = ca.report(extract, year="2021/22", baseline="2019/20").data.baseline_table
    assert report is not None
    rrow = report.frame.set_index("category").loc["Sexual Offences"]
    assert (float(rrow["expected_low"]), float(rrow["expected_high"])) == base
    assert _theme_range(extract, "Sexual Offences") == base
    assert _theme_range(extract, "Women's safety") == base

    totals, monthly, _ = _raw(lambda major, minor: major == "Sexual Offences")
    sigma2 = _shrunk(fy_pairs(totals, YEARS), packaged_sigma2("met-old", "major", "Sexual Offences"))
    assert base == _second_method_range(monthly, sigma2)
    assert float(row["year_sd"]) == pytest.approx(round(sigma2**0.5, 3))


def test_a_measure_across_categories_uses_its_own_pooled_variance(extract: ca.Extract) -> None:
    """Gun Crime (three firearms minors in two majors) has no row in ``baseline``: its range uses the
    measure's own pooled variance, shrunk toward its minors' count-weighted packaged values."""
    gun = {"Possession of Firearms Offences", "Possession of Firearm with Intent", "Other Firearm Offences"}
    totals, monthly, minors = _raw(lambda major, minor: minor in gun)
    packaged = {
        m: packaged_sigma2("met-old", "minor", m)
        for m in minors
        if packaged_sigma2("met-old", "minor", m) != 0.15**2
    }
    weight = sum(minors[m] for m in packaged)
    prior = sum(packaged[m] * minors[m] for m in packaged) / weight
    sigma2 = _shrunk(fy_pairs(totals, YEARS), prior)
    assert _theme_range(extract, "Gun Crime") == _second_method_range(monthly, sigma2)

"""`csp-assess baseline`: each category against the pre-COVID baseline and a trend-projected expected count.

Two yardsticks, because they answer different questions:

- ``baseline_count``: the count in the baseline year (or the mean of a baseline range), same months as the
  year analysed. "Is it above pre-COVID levels?" ``p_value``/``significant`` test the difference against
  counting noise plus the category's usual year-to-year variation (``stats.log_ratio_z`` with year-level
  variance ``sigma^2 (1 + 1/years)``: the year's own effect and the baseline mean's; ``analysis.yearvar``),
  the baseline years' total against the year (exposure ratio 1/years), Holm-adjusted.
- ``expected`` [``expected_low``, ``expected_high``]: the count had the pre-COVID trend and season
  continued, from a Poisson model fitted to the monthly counts of the fit window (the baseline years,
  extended back to three years where the data has them, ending with the last baseline month), with a 95%
  prediction interval that includes year-level variation (``stats.expected_from_trend``), so about 95 in
  100 ordinary years fall inside it. A count outside it is outside the old trend's usual range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csp_assess.analysis.select import (
    AreaArg,
    baseline_counts,
    crime_only,
    period_counts,
    resolve_baseline,
    resolve_year,
    select_area,
)
from csp_assess.analysis.stats import change_test, expected_from_trend
from csp_assess.analysis.yearvar import (
    VARIANCE_SOURCES,
    YearVariance,
    category_variances,
    covid_note,
    summary_words,
)
from csp_assess.errors import PeriodError, SelectionError
from csp_assess.model import Extract
from csp_assess.periods import Period, span_label
from csp_assess.result import Result, Table, reconciliation, source_record

BASELINE_COLUMNS = [
    "category",
    "count",
    "baseline_count",
    "change",
    "change_pct",
    "above_baseline",
    "significant",
    "expected",
    "expected_low",
    "expected_high",
]
BASELINE_DETAIL = ["major", "vs_expected", "model", "months_fitted", "year_sd", "p_value", "p_adjusted"]
EXPECTED_COLUMNS = ["expected", "expected_low", "expected_high", "model", "months_fitted"]
#: Years of monthly data the expected-count model is fitted to, where the data has them.
FIT_YEARS = 3
#: Fewest offences in the fit window for a projection: below this a trend is noise.
MIN_FIT_OFFENCES = 10


def _keys(level: str) -> list[str]:
    if level not in ("major", "minor"):
        raise SelectionError(f"{{level}} must be minor or major, not '{level}'", params=["level"])
    return ["major"] if level == "major" else ["major", "minor"]


def fit_window(baseline: list[Period], covered: list[pd.Period]) -> tuple[pd.Period, pd.Period] | None:
    """First and last month of the trend fit: the baseline years, extended back to FIT_YEARS years."""
    if not baseline:
        return None
    first_fy = min(p.fy for p in baseline)
    last_fy = max(p.fy for p in baseline)
    start = min(first_fy, last_fy.shift(-(FIT_YEARS - 1))).first
    start = max(start, min(covered))
    return start, last_fy.last


def variance_end(baseline: list[Period]) -> pd.Period:
    """The last month whose year-on-year pairs may inform the year-level variance: the baseline's last."""
    return max(max(p.months) for p in baseline)


def expected_range(
    monthly: pd.Series,
    window: tuple[pd.Period, pd.Period],
    period: Period,
    covered: list[pd.Period],
    year_var: float = 0.0,
) -> dict[str, object]:
    """The expected range of one measure (a category, a priority, a theme) against its baseline: the count
    had the pre-COVID trend and season continued, with its 95% prediction interval including ``year_var``
    (the measure's year-level variance). ``monthly``: the measure's counts by month in the area (Period
    index; covered months it lacks are 0).

    Returns expected (1 dp), expected_low, expected_high, model and months_fitted, or only ``model`` saying
    why there is no projection; empty when the window has no months. ``baseline`` and the theme pack both
    call this, so one measure has one range."""
    start, end = window
    months = pd.PeriodIndex([m for m in covered if start <= m <= end], freq="M")
    series = pd.Series(monthly, dtype="float64").groupby(level=0).sum().reindex(months).fillna(0.0)
    series.index = months
    if series.sum() < MIN_FIT_OFFENCES:
        return {"model": f"not fitted (under {MIN_FIT_OFFENCES} offences)"}
    try:
        e = expected_from_trend(series, start, end, list(period.months), year_var=year_var)
    except PeriodError:
        return {}
    except (TypeError, OverflowError, ValueError, FloatingPointError):
        # A sparse series can make the trend diverge (its interval overflows): no projection.
        return {"model": "not fitted (trend unstable)"}
    return {
        "expected": round(e.expected, 1),
        "expected_low": int(e.low),
        "expected_high": int(e.high),
        "model": e.model,
        "months_fitted": e.months_fitted,
    }


def expected_counts(
    counts: pd.DataFrame,
    keys: list[str],
    window: tuple[pd.Period, pd.Period],
    period: Period,
    covered: list[pd.Period],
    variances: dict[object, YearVariance] | None = None,
) -> pd.DataFrame:
    """expected, expected_low, expected_high, model, months_fitted per category (index = keys).

    With ``variances`` the interval includes each category's year-level variance (``expected_range``)."""
    start, end = window
    sel = counts[(counts["month"] >= start) & (counts["month"] <= end)]
    monthly = sel.groupby(keys + ["month"], observed=True)["count"].sum()
    rows = []
    cats = counts[keys].drop_duplicates()
    for cat in cats.itertuples(index=False):
        key = tuple(cat)
        try:
            series = monthly.loc[key if len(key) > 1 else key[0]]
        except KeyError:
            series = pd.Series(dtype="float64", index=pd.PeriodIndex([], freq="M"))
        var = variances[key if len(key) > 1 else key[0]].sigma2 if variances is not None else 0.0
        found = expected_range(series, window, period, covered, var)
        if found:
            rows.append({**dict(zip(keys, key, strict=True)), **found})
    # Every column, even when no category could be fitted (e.g. an area with too few offences).
    return pd.DataFrame(rows, columns=keys + EXPECTED_COLUMNS).set_index(keys)


def baseline_table(
    crimes: pd.DataFrame,
    period: Period,
    baseline: list[Period],
    level: str,
    covered: list[pd.Period],
    variances: dict[object, YearVariance] | None = None,
) -> pd.DataFrame:
    """One row per category: the year's count against the baseline and the trend-projected expected count.

    ``variances`` (category key -> year-level variance) puts year-to-year variation into the test and the
    interval; without it both know counting noise only."""
    keys = _keys(level)
    frame = pd.concat(
        {
            "count": period_counts(crimes, period, keys),
            "baseline_count": baseline_counts(crimes, baseline, keys),
        },
        axis=1,
    )
    frame["count"] = frame["count"].fillna(0).astype("int64")
    frame["baseline_count"] = frame["baseline_count"].fillna(0.0)
    window = fit_window(baseline, covered)
    if window is not None:
        exp = expected_counts(crimes, keys, window, period, covered, variances)
        frame = frame.join(exp, how="left")
    else:
        for col in EXPECTED_COLUMNS:
            frame[col] = np.nan
    frame = frame.reset_index()
    frame.columns = [str(c) for c in frame.columns]
    if "level_0" in frame.columns:
        frame = frame.rename(columns={"level_0": "major", "level_1": "minor"})
    frame["category"] = frame["major"] if level == "major" else frame["minor"]
    years = len(baseline)
    frame["change"] = (frame["count"] - frame["baseline_count"]).round(1)
    old = frame["baseline_count"].where(frame["baseline_count"] > 0)
    frame["change_pct"] = ((frame["count"] - old) / old * 100).round(1)
    frame["above_baseline"] = frame["count"] > frame["baseline_count"]
    frame["baseline_count"] = frame["baseline_count"].round(1)
    sigma2 = None
    if variances is not None:
        cat_keys = (
            list(zip(frame["major"], frame["minor"], strict=True))
            if level == "minor"
            else list(frame["major"])
        )
        sigma2 = np.array([variances[k].sigma2 for k in cat_keys], dtype=np.float64)
        frame["year_sd"] = np.sqrt(sigma2).round(3)
    else:
        frame["year_sd"] = np.nan
    if years:
        base_sum = (frame["baseline_count"] * years).round()
        tests = change_test(
            base_sum.to_numpy(),
            frame["count"].to_numpy(),
            ratio=1.0 / years,
            year_var=None if sigma2 is None else sigma2 * (1.0 + 1.0 / years),
        )
        for col in ("p_value", "p_adjusted", "significant"):
            frame[col] = tests[col].to_numpy()
    else:
        frame["above_baseline"] = None
        for col in ("p_value", "p_adjusted", "significant"):
            frame[col] = None

    def vs(count: float, low: float, high: float) -> str | None:
        if pd.isna(low) or pd.isna(high):
            return None
        if count > high:
            return "above expected"
        if count < low:
            return "below expected"
        return "within expected"

    frame["vs_expected"] = [
        vs(c, lo, hi)
        for c, lo, hi in zip(frame["count"], frame["expected_low"], frame["expected_high"], strict=True)
    ]
    for col in ("expected_low", "expected_high", "months_fitted"):
        frame[col] = frame[col].astype("Int64")
    return frame.sort_values(["count", "category"], ascending=[False, True], kind="mergesort").reset_index(
        drop=True
    )


def _list_words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def build_baseline(
    extract: Extract,
    area: AreaArg = None,
    year: str | None = None,
    baseline: str | None = None,
    level: str = "major",
    start_month: int = 4,
    variance: str = "data",
) -> Result:
    """Each category against the baseline and the trend-projected expected count.

    ``variance``: where year-level variation comes from (``analysis.yearvar.VARIANCE_SOURCES``)."""
    keys = _keys(level)
    if variance not in VARIANCE_SOURCES:
        raise SelectionError(f"variance must be one of {', '.join(VARIANCE_SOURCES)}, not '{variance}'")
    warnings = list(extract.warnings)
    sel = select_area(extract, area)
    warnings += sel.warnings
    covered = extract.months_covered
    period, w = resolve_year(year, covered, start_month, extract.months_with_rows)
    warnings += w
    base_periods, base_label, w = resolve_baseline(baseline, period, covered, start_month)
    warnings += w
    if not base_periods:
        raise PeriodError(
            f"baseline {base_label} is not fully in the data (the same months as {period.label} are needed), "
            f"which covers {span_label(covered)}: give files covering it, or choose another with {{baseline}}",
            params=["baseline"],
        )
    crimes = crime_only(sel.counts)
    variances: dict[object, YearVariance] | None = None
    history: list[str] = []
    if variance != "none":
        last_base = variance_end(base_periods)
        variances, history = category_variances(
            crime_only(extract.counts), keys, extract.scheme, list(period.months), last_base, variance
        )
    frame = baseline_table(crimes, period, base_periods, level, covered, variances)
    live = frame[(frame["count"] > 0) | (frame["baseline_count"] > 0)]
    below = live.loc[live["count"] < live["baseline_count"], "category"].tolist()
    above = live.loc[live["count"] > live["baseline_count"], "category"].tolist()
    kind = "major crime types" if level == "major" else "minor categories"
    if live.empty:
        headline = (
            f"In {period.label} {sel.label} recorded no offences in the year or the {base_label} baseline: "
            "nothing to compare."
        )
    elif not below:
        headline = f"In {period.label} no {kind} in {sel.label} were below the {base_label} baseline."
    elif not above:
        headline = f"In {period.label} no {kind} in {sel.label} were above the {base_label} baseline."
    elif len(below) <= min(len(above), 8):
        headline = (
            f"In {period.label} all {kind} in {sel.label} exceeded {base_label} levels except "
            f"{_list_words(sorted(below))}."
        )
    elif len(above) <= 8:
        headline = (
            f"In {period.label} {len(above)} of {len(live)} {kind} in {sel.label} exceeded {base_label} levels: "
            f"{_list_words(sorted(above))}."
        )
    else:
        headline = (
            f"In {period.label} {len(above)} of {len(live)} {kind} in {sel.label} exceeded {base_label} levels "
            f"and {len(below)} were below them."
        )
    window = fit_window(base_periods, covered)
    notes = [reconciliation(extract)]
    if window is not None:
        notes.append(
            f"Expected counts continue the trend (and season, where 24+ months allow) of {window[0]}–{window[1]}, "
            "with a 95% prediction interval; model per row in 'model'"
            + (
                "; the interval includes the category's usual year-to-year variation (year_sd)"
                if variances is not None
                else "; the interval allows for counting noise only, not year-to-year variation"
            )
        )
        if window[1] >= pd.Period("2020-03", freq="M"):
            notes.append("The fit window includes March 2020, when the first lockdown began in its last week")
    if variances is not None:
        method = summary_words(list(variances.values()), history)
        notes.append(method)
    else:
        method = "Counting noise only (variance none): year-to-year variation is not allowed for"
    for lab, months in [(period.label, period.months)] + [(p.fy.label, p.months) for p in base_periods]:
        note = covid_note(lab, months)
        if note:
            warnings.append(note)
    total = int(frame["count"].sum())
    base_total = float(frame["baseline_count"].sum())
    meta: dict[str, object] = {
        "area": sel.label,
        "year": period.label,
        "year_complete": period.complete,
        "baseline": base_label,
        "baseline_years": [p.fy.label for p in base_periods],
        "level": level,
        "total": total,
        "baseline_total": round(base_total, 1),
        "change_pct": round((total - base_total) / base_total * 100, 1) if base_total else None,
        "fit_window": f"{window[0]}/{window[1]}" if window else None,
        "variance_source": variance,
        "variance_method": method,
        "history_pairs": history,
        "year_variance": None
        if variances is None
        else {" / ".join(k) if isinstance(k, tuple) else str(k): v.to_dict() for k, v in variances.items()},
        "headline": headline,
        "below_baseline": sorted(below),
    }
    return Result(
        command="baseline",
        meta=meta,
        tables={
            "rows": Table(
                frame, BASELINE_COLUMNS, f"Against the {base_label} baseline, {period.label}", BASELINE_DETAIL
            )
        },
        sources=[source_record(s) for s in extract.sources],
        warnings=warnings,
        title=headline,
        notes=notes,
    )

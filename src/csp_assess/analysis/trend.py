"""`csp-assess trend`: the deep dive on one category or priority.

The series by month, financial quarter or financial year (each step against the same step a year
earlier), a sparkline of the complete steps, the minor categories in the year analysed, and for ward or
LSOA data the areas with most offences. A step with months missing is labelled partial, and its change is
worked out on the same months a year earlier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csp_assess.analysis.priorities import measure_mask, priorities_in_use
from csp_assess.analysis.select import AreaArg, crime_only, resolve_year, select_area
from csp_assess.analysis.summary import change_frame
from csp_assess.analysis.yearvar import breakdown_variances
from csp_assess.errors import OptionError, PeriodError, SelectionError, option
from csp_assess.model import ASB_MAJOR, Extract, level_name
from csp_assess.periods import Period, detached_months, months_present, span_label, year_of
from csp_assess.reference.priorities import PrioritySet
from csp_assess.render.sparkline import sparkline
from csp_assess.result import Result, Table, reconciliation, source_record

SERIES_COLUMNS = ["period", "count", "previous_count", "change", "change_pct", "complete"]
SERIES_DETAIL = ["months", "first_month", "last_month"]
BREAKDOWN_COLUMNS = ["category", "count", "previous_count", "change", "change_pct", "significant"]
BREAKDOWN_DETAIL = ["share_pct", "z", "p_value", "p_adjusted", "usual_range", "year_sd"]
BY_STEPS = ("month", "quarter", "year")


@dataclass
class TrendOptions:
    area: AreaArg = None
    category: str | None = None
    priority: str | None = None
    by: str = "month"
    year: str | None = None
    top: int | None = None  # None: the default 10; a number given where there are no places is noted
    start_month: int = 4


DEFAULT_TOP = 10


def category_hint(counts: pd.DataFrame, want: str) -> str:
    """What to try instead of a category that is not in the data: the close or containing names
    (case aside: 'violence' finds the three violence categories), else every name, so the reader never
    has to guess again."""
    import difflib

    majors = sorted(str(m) for m in counts["major"].dropna().unique())
    minors = sorted(str(m) for m in counts["minor"].dropna().unique() if str(m) not in set(majors))
    by_norm = {_norm(n): n for n in majors + minors}
    close = difflib.get_close_matches(want, list(by_norm), n=3, cutoff=0.6)
    close += [k for k in by_norm if want and want in k and k not in close]
    if close:
        return f": did you mean {', '.join(repr(by_norm[c]) for c in close[:6])}?"
    return f"; major categories: {', '.join(majors)}; minor categories: {', '.join(minors)}"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _normed(column: pd.Series) -> pd.Series:
    """``column.map(_norm)``, normalising each distinct name once rather than once per row."""
    codes, names = pd.factorize(column)
    normed = np.array([_norm(n) for n in names] + [np.nan], dtype=object)  # code -1 (missing) -> NaN
    return pd.Series(normed[codes], index=column.index, dtype=object)


def bucket_of(month: pd.Period, by: str, start_month: int) -> str:
    """The label of the step holding ``month``: 2021-04, 2021/22 Q1 or 2021/22."""
    if by == "month":
        return str(month)
    fy = year_of(month, start_month)
    if by == "year":
        return fy.label
    q = (month - fy.first).n // 3 + 1
    return f"{fy.label} Q{q}"


def series_table(counts: pd.DataFrame, covered: list[pd.Period], by: str, start_month: int) -> pd.DataFrame:
    """One row per step over the covered months, with the same months a year earlier."""
    if by not in BY_STEPS:
        raise SelectionError(f"{{by}} must be month, quarter or year, not '{by}'", params=["by"])
    monthly = counts.groupby("month", observed=True)["count"].sum()
    cov = sorted(set(covered))
    have = set(cov)
    values = monthly.reindex(pd.PeriodIndex(cov, freq="M")).fillna(0).to_numpy()
    by_month: dict[pd.Period, int] = {m: int(v) for m, v in zip(cov, values, strict=True)}
    size = {"month": 1, "quarter": 3, "year": 12}[by]
    steps: dict[str, list[pd.Period]] = {}
    for m in cov:
        steps.setdefault(bucket_of(m, by, start_month), []).append(m)
    rows = []
    for label, months in steps.items():
        count = sum(by_month[m] for m in months)
        prev_months = [m - 12 for m in months]
        prev = sum(by_month[m] for m in prev_months) if all(m in have for m in prev_months) else None
        complete = len(months) == size
        shown = (
            label if complete else f"{label} (partial: {span_label(months)}, {len(months)} of {size} months)"
        )
        rows.append(
            {
                "period": shown,
                "count": count,
                "previous_count": prev,
                "change": count - prev if prev is not None else None,
                "change_pct": round((count - prev) / prev * 100, 1) if prev else None,
                "complete": complete,
                "months": len(months),
                "first_month": str(min(months)),
                "last_month": str(max(months)),
            }
        )
    frame = pd.DataFrame(rows)
    for col in ("previous_count", "change"):
        frame[col] = frame[col].astype("Int64")
    frame["change_pct"] = frame["change_pct"].astype("float64")
    return frame


def _select_rows(
    counts: pd.DataFrame, opts: TrendOptions, pset: PrioritySet | None, scheme: str
) -> tuple[pd.DataFrame, str, str, list[str]]:
    """(rows, what, measure description, warnings) for the category, the priority, or all crime."""
    if opts.category:
        want = _norm(opts.category)
        majors = _normed(counts["major"])
        minors = _normed(counts["minor"])
        if (majors == want).any():
            rows = counts[majors == want]
            return rows, str(rows["major"].iloc[0]), "major category", []
        if (minors == want).any():
            rows = counts[minors == want]
            return rows, str(rows["minor"].iloc[0]), f"minor category of {rows['major'].iloc[0]}", []
        raise SelectionError(f"category '{opts.category}' is not in the data{category_hint(counts, want)}")
    if opts.priority:
        if pset is None:
            raise SelectionError("{priority} needs a priorities set", params=["priority"])
        found = [p for p in pset.priorities if _norm(p.name) == _norm(opts.priority)]
        if not found:
            known = ", ".join(p.name for p in pset.priorities)
            raise SelectionError(
                f"priority '{opts.priority}' is not in {pset.source}; priorities are: {known}"
            )
        pdef = found[0]
        measure = pdef.measure_for(scheme)
        if measure is None or measure.not_measurable:
            why = (
                measure.not_measurable if measure and measure.not_measurable else "no measure for this layout"
            )
            raise SelectionError(f"priority '{pdef.name}' is not measurable from this extract: {why}")
        from csp_assess.analysis.priorities import missing_flag

        partner = (
            f"it is measured by the partner indicator '{measure.indicator}', not by crime: see the indicators "
            f"table of summary, rank or quarterly with {option('indicators')}"
            if measure.indicator
            else missing_flag(counts, measure)
        )
        if partner:
            raise SelectionError(f"priority '{pdef.name}' has no crime series here: {partner}")
        rows = counts[measure_mask(counts, measure)]
        warnings = [f"{pdef.name} is a proxy measure: {measure.proxy}"] if measure.proxy else []
        return rows, pdef.name, measure.describe(), warnings
    return crime_only(counts), "All crime", "all offences (anti-social behaviour excluded)", []


def _breakdown_year(extract: Extract, opts: TrendOptions) -> tuple[Period, list[str]]:
    """The year of the minor-category and place breakdowns: the one asked for, else the latest complete
    one, else (the series needs no whole year: 13 monthly files from May to May hold none) the year with
    most months, partial and labelled. Before, a trend of data with no complete year was an error."""
    try:
        return resolve_year(opts.year, extract.months_covered, opts.start_month, extract.months_with_rows)
    except PeriodError:
        if opts.year is not None or not extract.months_with_rows:
            raise
    _, bulk = detached_months(extract.months_with_rows)
    years = {year_of(m, opts.start_month) for m in bulk}
    fullest = max(years, key=lambda fy: (len(months_present(fy, bulk)), fy.start_year))
    period, w = resolve_year(
        fullest.label, extract.months_covered, opts.start_month, extract.months_with_rows
    )
    return period, [
        f"the data holds no complete financial year: the breakdowns are for {period.label}, the year with "
        f"most months (give another with {option('year')})",
        *w,
    ]


def build_trend(extract: Extract, opts: TrendOptions, pset: PrioritySet | None = None) -> Result:
    if opts.category and opts.priority:
        raise OptionError("give {category} or {priority}, not both", params=["category", "priority"])
    warnings = list(extract.warnings)
    sel = select_area(extract, opts.area)
    warnings += sel.warnings
    covered = extract.months_covered
    rows, what, measure, w = _select_rows(sel.counts, opts, pset, extract.scheme)
    warnings += w
    series = series_table(rows, covered, opts.by, opts.start_month)
    complete = series[series["complete"]]
    spark = sparkline(complete["count"].tolist())
    period, w = _breakdown_year(extract, opts)
    warnings += w
    prev: Period | None = period.same_months_in(period.fy.shift(-1))
    if prev is not None and any(m not in set(covered) for m in prev.months):
        warnings.append(f"{prev.fy.label} is not fully in the data: breakdowns show no change")
        prev = None
    tables: dict[str, Table] = {"rows": Table(series, SERIES_COLUMNS, f"{what} by {opts.by}", SERIES_DETAIL)}
    in_year = rows[rows["month"].isin(list(period.months))]
    in_prev = rows[rows["month"].isin(list(prev.months))] if prev else None
    minor = change_frame(
        in_year.groupby("minor")["count"].sum(),
        in_prev.groupby("minor")["count"].sum() if in_prev is not None else None,
        breakdown_variances(
            extract.without_subareas().counts, rows, "minor", extract.scheme, period.months, max(prev.months)
        )
        if prev
        else None,
    )
    year_total = int(minor["count"].sum())
    minor["share_pct"] = (minor["count"] / year_total * 100).round(1) if year_total else None
    minor = minor.sort_values(["count", "category"], ascending=[False, True], kind="mergesort").reset_index(
        drop=True
    )
    tables["by_minor"] = Table(
        minor, BREAKDOWN_COLUMNS, f"By minor category, {period.label}", BREAKDOWN_DETAIL
    )
    level = None
    top = opts.top if opts.top is not None else DEFAULT_TOP
    if "subarea" in rows.columns:
        level = extract.level
        sub = change_frame(
            in_year.groupby("subarea")["count"].sum(),
            in_prev.groupby("subarea")["count"].sum() if in_prev is not None else None,
            breakdown_variances(
                extract.counts, rows, "subarea", extract.scheme, period.months, max(prev.months)
            )
            if prev
            else None,
        )
        sub["share_pct"] = (sub["count"] / year_total * 100).round(1) if year_total else None
        sub = sub.sort_values(["count", "category"], ascending=[False, True], kind="mergesort")
        tables["top_subareas"] = Table(
            sub.head(top).reset_index(drop=True),
            BREAKDOWN_COLUMNS,
            f"Top {min(top, len(sub))} of {len(sub)} {level_name(level)}s, {period.label}",
            BREAKDOWN_DETAIL,
            headers={"category": level_name(level)[:1].upper() + level_name(level)[1:]},  # a place
        )
    notes = [reconciliation(extract)]
    if opts.top is not None and "subarea" not in rows.columns:
        notes.append(
            f"{option('top', opts.top)} lists wards or LSOAs, and this data has none (no ward or LSOA column): "
            "there are no places to list"
        )
    if opts.priority and pset is not None:
        note, w = priorities_in_use(pset, extract.scheme, extract.without_subareas().counts)
        notes.append(note)
        warnings += w
    if len(complete) < len(series):
        notes.append("The sparkline shows complete steps only; partial steps are labelled in the table")
    if what != "All crime" and (rows["major"] == ASB_MAJOR).any():
        notes.append("This measure includes anti-social behaviour incidents, which are not crimes")
    title = f"{sel.label}: {what} by {opts.by}  {spark}"
    meta: dict[str, object] = {
        "area": sel.label,
        "subject": what,
        "measure": measure,
        "by": opts.by,
        "sparkline": spark,
        "steps": len(series),
        "first_month": str(min(covered)) if covered else None,
        "last_month": str(max(covered)) if covered else None,
        "year": period.label,
        "previous_year": prev.fy.label if prev else None,
        "year_total": year_total,
        "subarea_level": level,
        "priorities_in_use": pset.describe() if opts.priority and pset is not None else None,
    }
    return Result(
        command="trend",
        meta=meta,
        tables=tables,
        sources=[source_record(s) for s in extract.sources],
        warnings=warnings,
        title=title,
        notes=notes,
    )

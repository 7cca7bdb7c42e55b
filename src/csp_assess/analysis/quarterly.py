"""`csp-assess quarterly`: the board's quarterly oversight of each priority.

For the latest complete financial quarter (Q1 = the first three months of the financial year), each
priority's count against the same quarter a year earlier and the same quarter of the plan's start year.
Direction of travel is ``rising``/``falling`` only when the change is larger than the measure's usual
year-to-year variation for that quarter (``stats.log_ratio_z`` with the year-level variance of the same
quarter in earlier years, pooled over the extract's areas; ``analysis.yearvar``), Holm-adjusted across the
distinct measures (two priorities counted by the same categories are tested once), with at least 10 offences
in the two quarters together; otherwise ``within usual range``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csp_assess.analysis.priorities import measure_mask, priorities_in_use
from csp_assess.analysis.select import AreaArg, select_area
from csp_assess.analysis.stats import change_test
from csp_assess.analysis.yearvar import (
    VARIANCE_SOURCES,
    YearVariance,
    covid_note,
    default_for,
    measure_variances,
    summary_words,
)
from csp_assess.errors import PeriodError, SelectionError, option
from csp_assess.model import Extract
from csp_assess.periods import FinancialYear, parse_year, span_label, trusted_coverage, year_of
from csp_assess.reference.priorities import Measure, PrioritySet
from csp_assess.result import Result, Table, reconciliation, source_record

QUARTERLY_COLUMNS = [
    "priority",
    "count",
    "year_ago_count",
    "change_pct",
    "direction",
    "plan_start_count",
    "plan_change_pct",
    "plan_direction",
]
QUARTERLY_DETAIL = [
    "class",
    "quarter",
    "year_ago_quarter",
    "plan_start_quarter",
    "measure",
    "proxy",
    "change",
    "p_value",
    "p_adjusted",
    "significant",
    "plan_change",
    "plan_p_value",
    "plan_p_adjusted",
    "plan_significant",
    "year_sd",
    "note",
]
WITHIN = "within usual range"
# Without a plan (no --plan or --plan-start) these hold nothing: JSON keeps them (null) for a stable
# schema; the tables people read leave them out.
PLAN_COLUMNS = [c for c in QUARTERLY_COLUMNS + QUARTERLY_DETAIL if c.startswith("plan_")]


def quarter_months(fy: FinancialYear, q: int) -> list[pd.Period]:
    return [fy.first + 3 * (q - 1) + i for i in range(3)]


def quarter_label(fy: FinancialYear, q: int) -> str:
    return f"{fy.label} Q{q} ({span_label(quarter_months(fy, q))})"


def latest_complete_quarter(covered: list[pd.Period], start_month: int) -> tuple[FinancialYear, int]:
    have = set(covered)
    for m in sorted(have, reverse=True):
        fy = year_of(m, start_month)
        q = (m - fy.first).n // 3 + 1
        if all(x in have for x in quarter_months(fy, q)):
            return fy, q
    raise PeriodError("the data holds no complete financial quarter")


def _direction(change: float, significant: bool, available: bool) -> str:
    if not available:
        return "unknown"
    if not significant:
        return WITHIN
    return "rising" if change > 0 else "falling"


def _pct(new: float, old: float) -> float | None:
    return round((new - old) / old * 100, 1) if old and not np.isnan(old) else None


def _partner_measure(
    measure: Measure, counts: pd.DataFrame, indicators: pd.DataFrame | None, spans: list[list[pd.Period]]
) -> str | tuple[pd.DataFrame, str] | None:
    """For a flag or indicator measure: why it cannot be counted (str), or the indicator's counts and
    source; None for a plain category measure."""
    from csp_assess.analysis.indicators import indicator_counts
    from csp_assess.analysis.priorities import missing_flag

    if not measure.indicator:
        return missing_flag(counts, measure)
    rows = (
        indicators[indicators["indicator"].str.lower() == measure.indicator.lower()]
        if indicators is not None
        else None
    )
    if rows is None or rows.empty:
        return f"the partner indicator '{measure.indicator}' is not loaded (give it with {option('indicators', placeholder='FILE')})"
    ind = indicator_counts(rows, measure.indicator)
    have = set(ind["month"])
    if any(m not in have for span in spans for m in span):
        return f"the partner indicator '{measure.indicator}' does not cover every month compared"
    return ind, "; ".join(sorted(rows["source"].unique()))


def build_quarterly(
    extract: Extract,
    pset: PrioritySet,
    area: AreaArg = None,
    plan_start: str | None = None,
    alpha: float = 0.05,
    start_month: int = 4,
    indicators: pd.DataFrame | None = None,  # the area's partner indicator rows (analysis.indicators)
    variance: str = "data",
) -> Result:
    """Each priority's latest complete quarter against a year earlier (and the plan start).

    ``variance``: where the usual year-to-year variation comes from (``analysis.yearvar.VARIANCE_SOURCES``;
    "none" tests counting noise only, with the exact test)."""
    if variance not in VARIANCE_SOURCES:
        raise SelectionError(
            f"{{variance}} must be one of {', '.join(VARIANCE_SOURCES)}, not '{variance}'",
            params=["variance"],
        )
    warnings = list(extract.warnings)
    sel = select_area(extract, area)
    warnings += sel.warnings
    pset_note, w = priorities_in_use(pset, extract.scheme, extract.counts)
    warnings += w
    covered, w = trusted_coverage(extract.months_covered, extract.months_with_rows)
    warnings += w
    have = set(covered)
    fy, q = latest_complete_quarter(covered, start_month)
    months = quarter_months(fy, q)
    ago_fy = fy.shift(-1)
    ago_months = quarter_months(ago_fy, q)
    ago_ok = all(m in have for m in ago_months)
    if not ago_ok:
        warnings.append(f"{quarter_label(ago_fy, q)} is not fully in the data: no year-on-year change")
    plan_fy = parse_year(plan_start, start_month, "plan_start") if plan_start else None
    plan_months: list[pd.Period] = []
    plan_ok = False
    if plan_fy is not None:
        if plan_fy > fy:
            raise PeriodError(
                f"the plan starts in {plan_fy.label}, after the latest complete quarter ({fy.label} Q{q})"
            )
        plan_months = quarter_months(plan_fy, q)
        plan_ok = all(m in have for m in plan_months)
        if not plan_ok:
            warnings.append(
                f"{quarter_label(plan_fy, q)} is not fully in the data: no change on the plan start"
            )
    counts = sel.counts

    def total(mask: pd.Series, ms: list[pd.Period]) -> int:
        return int(counts.loc[mask & counts["month"].isin(ms), "count"].sum())

    rows: list[dict[str, object]] = []
    all_masks: dict[str, pd.Series] = {}  # measure key (first priority using it) -> rows, every area
    by_signature: dict[tuple[tuple[str, str], ...], str] = {}
    for pdef in pset.priorities:
        measure = pdef.measure_for(extract.scheme)
        row: dict[str, object] = {
            "priority": pdef.name,
            "class": pdef.klass,
            "quarter": quarter_label(fy, q),
            "year_ago_quarter": quarter_label(ago_fy, q) if ago_ok else None,
            "plan_start_quarter": quarter_label(plan_fy, q) if plan_fy is not None and plan_ok else None,
        }
        if measure is None or measure.not_measurable:
            why = (
                measure.not_measurable if measure and measure.not_measurable else "no measure for this layout"
            )
            row.update(measure="", proxy=False, note=f"not measurable: {why}", direction="not measurable")
            rows.append(row)
            continue
        why_not = _partner_measure(measure, counts, indicators, [months, ago_months if ago_ok else [],
                                                                plan_months if plan_ok else []])  # fmt: skip
        if isinstance(why_not, str):
            row.update(
                measure=measure.describe(),
                proxy=False,
                note=f"not measurable: {why_not}",
                direction="not measurable",
            )
            rows.append(row)
            continue
        if why_not is not None:  # a partner indicator's counts, never crime
            ind, source = why_not
            row.update(
                measure=f"{measure.describe()} (source: {source})",
                measure_key=f"indicator: {pdef.name}",
                proxy=False,
                note="year-level variation of a partner indicator: the packaged generic default",
                count=int(ind.loc[ind["month"].isin(months), "count"].sum()),
                year_ago_count=int(ind.loc[ind["month"].isin(ago_months), "count"].sum()) if ago_ok else None,
                plan_start_count=int(ind.loc[ind["month"].isin(plan_months), "count"].sum())
                if plan_ok
                else None,
            )
            rows.append(row)
            continue
        mask = measure_mask(counts, measure)
        every = measure_mask(extract.counts, measure)
        signature = tuple(
            sorted(
                set(zip(extract.counts.loc[every, "major"], extract.counts.loc[every, "minor"], strict=True))
            )
        )
        signature += tuple(
            (kind, f) for kind, f in (("flag", measure.flag), ("not_flag", measure.not_flag)) if f
        )
        key = by_signature.setdefault(signature, pdef.name)
        all_masks.setdefault(key, every)
        notes_row = [f"proxy: {measure.proxy}"] if measure.proxy else []
        if key != pdef.name:
            notes_row.append(f"same categories as {key}: tested once")
        row.update(
            measure=measure.describe(),
            measure_key=key,
            proxy=bool(measure.proxy),
            note="; ".join(notes_row),
            count=total(mask, months),
            year_ago_count=total(mask, ago_months) if ago_ok else None,
            plan_start_count=total(mask, plan_months) if plan_ok else None,
        )
        rows.append(row)
    frame = pd.DataFrame(rows)
    for col in ("count", "year_ago_count", "plan_start_count"):
        if col not in frame.columns:
            frame[col] = None
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    measured = (
        frame["direction"].isna() if "direction" in frame.columns else pd.Series(True, index=frame.index)
    )
    if "direction" not in frame.columns:
        frame["direction"] = None
    frame["plan_direction"] = None
    variances: dict[str, YearVariance] = {}
    history: list[str] = []
    if all_masks and (ago_ok or plan_ok) and variance != "none":
        last = max(ago_months) if ago_ok else max(plan_months)
        variances, history = measure_variances(
            extract.counts, all_masks, extract.scheme, months, last, variance
        )
    if "measure_key" not in frame.columns:
        frame["measure_key"] = None
    frame["year_sd"] = [
        round(variances[k].sd, 3) if isinstance(k, str) and k in variances else np.nan
        for k in frame["measure_key"]
    ]
    for prefix, col, ok in (("", "year_ago_count", ago_ok), ("plan_", "plan_start_count", plan_ok)):
        frame[f"{prefix}change"] = (frame["count"] - frame[col]).astype("Int64") if ok else pd.NA
        frame[f"{prefix}change_pct"] = [_pct(c, p) for c, p in zip(frame["count"], frame[col], strict=True)]
        frame[f"{prefix}change_pct"] = frame[f"{prefix}change_pct"].astype("float64")
        for c in ("p_value", "p_adjusted", "significant"):
            frame[f"{prefix}{c}"] = None
        if ok and measured.any():
            # One test per distinct measure: the first priority using it carries the counts for all.
            sub = frame[measured].drop_duplicates("measure_key").set_index("measure_key")
            generic = default_for(extract.scheme, "all", "").sigma2  # a measure without an estimate
            year_var = (
                2.0
                * np.array(
                    [variances[str(k)].sigma2 if str(k) in variances else generic for k in sub.index],
                    dtype=np.float64,
                )
                if variances
                else None
            )
            tests = change_test(
                sub[col].to_numpy(), sub["count"].to_numpy(), alpha=alpha, year_var=year_var
            ).set_axis(sub.index)
            keys = frame.loc[measured, "measure_key"]
            frame.loc[measured, f"{prefix}p_value"] = tests["p_value"].reindex(keys).to_numpy()
            frame.loc[measured, f"{prefix}p_adjusted"] = tests["p_adjusted"].reindex(keys).to_numpy()
            frame.loc[measured, f"{prefix}significant"] = tests["significant"].reindex(keys).to_numpy()
        dir_col = f"{prefix}direction"
        frame.loc[measured, dir_col] = [
            _direction(float(c) - float(p) if ok else 0.0, bool(s) if ok else False, ok)
            for c, p, s in zip(
                frame.loc[measured, "count"],
                frame.loc[measured, col],
                frame.loc[measured, f"{prefix}significant"],
                strict=True,
            )
        ]
    frame.loc[~measured, "plan_direction"] = "not measurable"
    if plan_fy is None:
        frame["plan_direction"] = None  # no plan: no direction on it, rather than "unknown"
    for col in ("count", "year_ago_count", "plan_start_count"):
        frame[col] = frame[col].astype("Int64")
    for col in ("p_value", "p_adjusted", "plan_p_value", "plan_p_adjusted"):
        frame[col] = frame[col].astype("float64")
    n_tested = int(frame.loc[measured, "measure_key"].nunique())
    notes = [
        reconciliation(extract),
        pset_note,
        f"Direction of travel: rising or falling only when the change is larger than the measure's usual "
        f"year-to-year variation for this quarter (over-dispersed log-ratio z, Holm-adjusted over the {n_tested} "
        f"distinct measures, alpha {alpha}); under 10 offences in the two quarters together is never called a "
        "change"
        + (
            ". The change on the plan start uses the same year-to-year variance, which understates drift "
            "over several years"
            if plan_fy is not None
            else ""
        ),
    ]
    if variances:
        method = summary_words(list(variances.values()), history)
    elif variance == "none":
        method = "Counting noise only (variance none, exact test): year-to-year variation is not allowed for"
    else:
        method = "No change tested"
    notes.append(method)
    for lab, ms, ok in ((quarter_label(fy, q), months, True), (quarter_label(ago_fy, q), ago_months, ago_ok)):
        note = covid_note(lab, ms) if ok else None
        if note:
            warnings.append(note)
    label = quarter_label(fy, q)
    title = f"{sel.label}: priorities, {label}, against a year earlier" + (
        f" and the plan start ({plan_fy.label})" if plan_fy is not None else ""
    )
    meta: dict[str, object] = {
        "area": sel.label,
        "quarter": label,
        "quarter_first_month": str(months[0]),
        "year_ago_quarter": quarter_label(ago_fy, q) if ago_ok else None,
        "plan_start": plan_fy.label if plan_fy is not None else None,
        "plan_start_quarter": quarter_label(plan_fy, q) if plan_fy is not None and plan_ok else None,
        "alpha": alpha,
        "priorities_source": pset.source,
        "priorities_in_use": pset.describe(),
        "history_pairs": history,
        "variance_method": method,
        "year_variance": {k: v.to_dict() for k, v in variances.items()},
    }
    return Result(
        command="quarterly",
        meta=meta,
        tables={
            "rows": Table(
                frame, QUARTERLY_COLUMNS, title, QUARTERLY_DETAIL, PLAN_COLUMNS if plan_fy is None else []
            )
        },
        sources=[source_record(s) for s in extract.sources],
        warnings=warnings,
        title=title,
        notes=notes,
    )

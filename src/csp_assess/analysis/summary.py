"""`csp-assess summary`: the headline total, its change on the previous period, and the same by major category.

Periods (``--period``):

- ``year`` (default): a financial year (``--year``, default the latest complete one) against the year
  before. A partial year is compared with the *same months* of the year before and labelled partial.
- ``ytd``: financial year to date (the year holding the latest month in the data, or ``--year``) against
  the same months a year earlier.
- ``rolling12``: the twelve months ending with the latest month in the data against the twelve before.

Anti-social behaviour (incidents, not crimes) is never in the crime totals; where the data holds it, it is
shown in its own table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csp_assess.analysis.contribution import add_contribution
from csp_assess.analysis.rates import RateContext, borough_context, per_thousand, population_for
from csp_assess.analysis.select import AreaArg, crime_only, period_counts, resolve_year, select_area
from csp_assess.analysis.stats import change_test
from csp_assess.analysis.yearvar import (
    YearVariance,
    category_variances,
    covid_note,
    summary_words,
    total_variance,
    usual_range,
)
from csp_assess.errors import OptionError, PeriodError, option
from csp_assess.model import ASB_MAJOR, Extract
from csp_assess.periods import (
    Period,
    month_label,
    months_present,
    parse_year,
    span_label,
    trusted_coverage,
    year_of,
)
from csp_assess.result import Result, Table, reconciliation, source_record

PERIOD_KINDS = ("year", "ytd", "rolling12")
BY_MAJOR_COLUMNS = [
    "category", "count", "previous_count", "change", "change_pct", "contribution_pct", "significant"
]  # fmt: skip
BY_MAJOR_DETAIL = ["z", "p_value", "p_adjusted", "usual_range", "year_sd", "share_pct"]
ASB_COLUMNS = ["category", "count", "previous_count", "change", "change_pct"]
#: A year to date shorter than this is flagged as unreliable.
SHORT_YTD_MONTHS = 6


@dataclass(frozen=True)
class Window:
    """The months analysed and the months they are compared with, each with an honest label."""

    kind: str  # year | ytd | rolling12
    period: Period
    label: str
    previous: Period | None
    previous_label: str | None
    complete_year: bool  # a whole financial year (not a partial year, year to date or rolling window)


def _prev_label(prev: Period, kind: str, complete_year: bool) -> str:
    if kind == "rolling12":
        return f"12 months to {month_label(max(prev.months))} ({span_label(list(prev.months))})"
    if complete_year:
        return prev.fy.label
    return f"{prev.fy.label} same months ({span_label(list(prev.months))})"


def resolve_window(
    kind: str,
    year: str | None,
    covered: list[pd.Period],
    start_month: int,
    with_rows: list[pd.Period] | None = None,
) -> tuple[Window, list[str]]:
    """The period asked for and its comparison period (the same months one year earlier)."""
    if kind not in PERIOD_KINDS:
        raise OptionError(
            f"{{period}} must be one of {', '.join(PERIOD_KINDS)}, not '{kind}'", params=["period"]
        )
    if not covered:
        raise PeriodError("the data covers no months")
    warnings: list[str] = []
    latest = max(covered)
    if kind != "year" and with_rows is not None:  # a typo month years ahead is not the latest month
        trusted, warnings = trusted_coverage(covered, with_rows)
        covered = trusted or covered
        latest = max(covered)
    if kind == "year":
        period, w = resolve_year(year, covered, start_month, with_rows)
        warnings += w
        label = period.label
    elif kind == "ytd":
        fy = parse_year(year, start_month, "year") if year else year_of(latest, start_month)
        present = months_present(fy, covered)
        if not present:
            raise PeriodError(
                f"{fy.label} is not in the data, which covers {span_label(covered)}: choose another with {{year}}",
                params=["year"],
            )
        period = Period(fy, tuple(present))
        if period.complete:
            label = f"{fy.label} (whole year)"
        else:
            label = f"{fy.label} year to date ({span_label(present)}, {len(present)} of 12 months: partial)"
            if len(present) < SHORT_YTD_MONTHS:
                warnings.append(
                    f"{fy.label} year to date is only {len(present)} month(s): early-year figures are "
                    f"unreliable; prefer {option('period', 'rolling12')}"
                )
    else:
        if year:
            raise OptionError(
                "{year} does not apply to {period} rolling12 (it ends with the latest month)",
                params=["year", "period"],
            )
        months = tuple(latest - i for i in range(11, -1, -1))
        missing = [m for m in months if m not in set(covered)]
        if missing:
            raise PeriodError(
                f"the 12 months to {month_label(latest)} are not all in the data ({len(missing)} missing)"
            )
        period = Period(year_of(months[0], start_month), months)
        label = f"12 months to {month_label(latest)} ({span_label(list(months))}, rolling)"
    complete_year = kind != "rolling12" and period.complete
    same = period.same_months_in(period.fy.shift(-1))
    cov = set(covered)
    previous: Period | None = same
    previous_label: str | None = None
    if any(m not in cov for m in same.months):
        previous = None
        warnings.append(
            f"the previous period ({span_label(list(same.months))}) is not fully in the data: no change shown"
        )
    else:
        previous_label = _prev_label(same, kind, complete_year)
    return Window(kind, period, label, previous, previous_label, complete_year), warnings


def pct(new: float, old: float | None) -> float | None:
    if old is None or old == 0 or (isinstance(old, float) and np.isnan(old)):
        return None
    return round((new - old) / old * 100.0, 1)


def change_frame(
    current: pd.Series, previous: pd.Series | None, variances: dict[object, YearVariance] | None = None
) -> pd.DataFrame:
    """category, count, previous_count, change, change_pct (+ the test columns) from two Series.

    With ``variances`` (category -> year-level variance) the test allows for usual year-to-year variation
    and the frame shows each category's ``usual_range``; without it the test knows counting noise only."""
    idx = current.index.union(previous.index) if previous is not None else current.index
    frame = pd.DataFrame({"category": list(idx)})
    frame["count"] = current.reindex(idx).fillna(0).astype("int64").to_numpy()
    if previous is not None:
        prev = previous.reindex(idx).fillna(0).astype("int64")
        frame["previous_count"] = prev.to_numpy()
        frame["change"] = frame["count"] - frame["previous_count"]
        frame["change_pct"] = [
            pct(c, p) for c, p in zip(frame["count"], frame["previous_count"], strict=True)
        ]
        sigma2 = (
            np.array([variances[k].sigma2 for k in idx], dtype=np.float64) if variances is not None else None
        )
        tests = change_test(
            frame["previous_count"], frame["count"], year_var=None if sigma2 is None else 2.0 * sigma2
        ).reset_index(drop=True)
        for col in ("z", "p_value", "p_adjusted", "significant"):
            frame[col] = tests[col].to_numpy()
        frame["z"] = frame["z"].round(2)
        if sigma2 is not None:
            frame["year_sd"] = np.sqrt(sigma2).round(3)
            frame["usual_range"] = [
                usual_range(p, v) for p, v in zip(frame["previous_count"], sigma2, strict=True)
            ]
    else:
        for col in ("previous_count", "change", "change_pct", "z", "p_value", "p_adjusted", "significant"):
            frame[col] = None
    for col in ("year_sd", "usual_range"):  # None: no year-level variance given (counting noise only)
        if col not in frame.columns:
            frame[col] = None
    frame["change_pct"] = frame["change_pct"].astype("float64")
    return frame


def _direction_words(change: int, change_pct: float | None) -> str:
    if change == 0:
        return "level with"
    word = "up" if change > 0 else "down"
    pct_text = f" ({change_pct:+.1f}%)" if change_pct is not None else ""
    return f"{word} {abs(change):,}{pct_text} on"


def build_summary(
    extract: Extract,
    area: AreaArg = None,
    year: str | None = None,
    period_kind: str = "year",
    start_month: int = 4,
    population: str | None = None,
) -> Result:
    warnings = list(extract.warnings)
    sel = select_area(extract, area)
    warnings += sel.warnings
    covered = extract.months_covered
    window, w = resolve_window(period_kind, year, covered, start_month, extract.months_with_rows)
    warnings += w
    crimes = crime_only(sel.counts)
    current = period_counts(crimes, window.period, ["major"])
    previous = period_counts(crimes, window.previous, ["major"]) if window.previous else None
    variances: dict[object, YearVariance] | None = None
    total_var: YearVariance | None = None
    history: list[str] = []
    if window.previous is not None:
        all_crimes = crime_only(extract.counts)
        last = max(window.previous.months)
        variances, history = category_variances(
            all_crimes, ["major"], extract.scheme, list(window.period.months), last
        )
        total_var, _ = total_variance(all_crimes, extract.scheme, list(window.period.months), last)
    by_major = change_frame(current, previous, variances)
    total = int(by_major["count"].sum())
    by_major["share_pct"] = (by_major["count"] / total * 100).round(1) if total else np.nan
    by_major = by_major.sort_values(["count", "category"], ascending=[False, True], kind="mergesort")
    by_major = by_major.reset_index(drop=True)
    by_major, contribution_note = add_contribution(by_major)  # each category's share of the net change
    prev_total = int(by_major["previous_count"].sum()) if previous is not None else None
    change = total - prev_total if prev_total is not None else None
    change_pct = pct(total, prev_total) if prev_total is not None else None
    total_test = (
        change_test(
            np.array([prev_total]),
            np.array([total]),
            year_var=None if total_var is None else 2.0 * total_var.sigma2,
        ).iloc[0]
        if prev_total is not None
        else None
    )

    if prev_total is not None and change is not None:
        headline = (
            f"In {window.label} there were {total:,} offences in {sel.label}, "
            f"{_direction_words(change, change_pct)} {window.previous_label} ({prev_total:,})."
        )
    else:
        headline = f"In {window.label} there were {total:,} offences in {sel.label}."
    notes = [reconciliation(extract)]
    method = None
    if variances is not None and total_var is not None:
        method = (
            summary_words([variances[k] for k in by_major["category"]], history)
            + f"; all crime: year-level sd {total_var.sd:.1%}. 'significant' = a change larger than that usual "
            "variation (Holm-adjusted across the major categories, alpha 0.05, 10+ offences)"
        )
        notes.append(method)
    for lab, per in ((window.label, window.period), (window.previous_label, window.previous)):
        note = covid_note(lab, per.months) if per is not None and lab else None
        if note:
            warnings.append(note)
    if contribution_note:
        notes.append(contribution_note)
    if not window.complete_year:
        notes.append(
            f"{window.label} is not a complete financial year: it is compared with the same months a year "
            "earlier, never with a whole year"
        )
    tables: dict[str, Table] = {
        "by_major": Table(
            by_major, BY_MAJOR_COLUMNS, f"Offences by major category, {window.label}", BY_MAJOR_DETAIL
        )
    }
    asb_sel = sel.counts[sel.counts["major"] == ASB_MAJOR]
    asb_meta = None
    # An area with no ASB in an extract that records it has 0 incidents, not "not measured": the table is
    # there whatever the area, so a script's JSON keys never depend on which area it asked for.
    if len(asb_sel) or bool((extract.counts["major"] == ASB_MAJOR).any()):
        a_now = period_counts(asb_sel, window.period, ["major"]).reindex([ASB_MAJOR], fill_value=0)
        a_prev = (
            period_counts(asb_sel, window.previous, ["major"]).reindex([ASB_MAJOR], fill_value=0)
            if window.previous
            else None
        )
        asb = change_frame(a_now, a_prev)
        tables["asb"] = Table(asb, ASB_COLUMNS, "Anti-social behaviour incidents (not in crime totals)")
        asb_meta = int(asb["count"].sum())
        notes.append(
            f"Anti-social behaviour: {asb_meta:,} incidents in {window.label}, kept out of crime totals"
        )

    meta: dict[str, object] = {
        "area": sel.label,
        "year": window.label,
        "period": window.kind,
        "year_complete": window.complete_year,
        "months": len(window.period.months),
        "first_month": str(min(window.period.months)),
        "last_month": str(max(window.period.months)),
        "previous_year": window.previous_label,
        "total": total,
        "previous_total": prev_total,
        "change": change,
        "change_pct": change_pct,
        "change_z": round(float(total_test["z"]), 2) if total_test is not None else None,
        "change_p_value": float(total_test["p_value"]) if total_test is not None else None,
        "change_unusual": bool(total_test["significant"]) if total_test is not None else None,
        "total_usual_range": usual_range(prev_total, total_var.sigma2)
        if total_var is not None and prev_total is not None
        else None,
        "history_pairs": history,
        "variance_method": method,
        "year_variance": None
        if variances is None or total_var is None
        else {"All crime": total_var.to_dict(), **{str(k): v.to_dict() for k, v in variances.items()}},
        "headline": headline,
        "asb_incidents": asb_meta,
    }
    if population is not None:
        pop, w = population_for(population, sel.label)
        warnings += w
        if pop is not None:
            meta["population"] = pop
            meta["rate_per_1000"] = per_thousand(total, pop)
            meta["previous_rate_per_1000"] = per_thousand(prev_total, pop) if prev_total is not None else None
            by_major["rate_per_1000"] = [per_thousand(int(c), pop) for c in by_major["count"]]
            tables["by_major"].detail_columns.append("rate_per_1000")
            rate = meta["rate_per_1000"]
            before = meta["previous_rate_per_1000"]
            notes.append(
                f"Rate: {rate:.1f} offences per 1,000 residents"
                + (
                    f" ({before:.1f} in {meta.get('previous_year') or 'the previous period'})"
                    if before
                    else ""
                )
                + f", using a population of {pop:,} for {sel.label}"
            )
    ctx: RateContext | None = borough_context(extract, sel.label, window.period, population)
    if ctx is not None:
        meta.update(ctx.meta)
        tables["boroughs"] = Table(ctx.table, ctx.columns, "All areas in the extract, ranked by offences")
        notes += ctx.notes
        warnings += ctx.warnings
    return Result(
        command="summary",
        meta=meta,
        tables=tables,
        sources=[source_record(s) for s in extract.sources],
        warnings=warnings,
        title=headline,
        notes=notes,
        primary="by_major",
    )

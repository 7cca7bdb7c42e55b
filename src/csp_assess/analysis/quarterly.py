"""`csp-assess quarterly`: the board's quarterly oversight of each priority.

For the latest complete financial quarter (Q1 = the first three months of the financial year), each
priority's count against the same quarter a year earlier and the same quarter of the plan's start year.
Direction of travel is ``rising``/``falling`` only when the change is beyond noise: an exact conditional
Poisson test, Holm-adjusted across the priorities measured, with at least 10 offences in the two quarters
together; otherwise ``no significant change``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csp_assess.analysis.priorities import measure_mask
from csp_assess.analysis.select import select_area
from csp_assess.analysis.stats import change_test
from csp_assess.errors import PeriodError
from csp_assess.model import Extract
from csp_assess.periods import FinancialYear, parse_year, span_label, trusted_coverage, year_of
from csp_assess.reference.priorities import PrioritySet
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
    "note",
]


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
        return "no significant change"
    return "rising" if change > 0 else "falling"


def _pct(new: float, old: float) -> float | None:
    return round((new - old) / old * 100, 1) if old and not np.isnan(old) else None


def build_quarterly(
    extract: Extract,
    pset: PrioritySet,
    area: str | None = None,
    plan_start: str | None = None,
    alpha: float = 0.05,
    start_month: int = 4,
) -> Result:
    warnings = list(extract.warnings)
    sel = select_area(extract, area)
    warnings += sel.warnings
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
    plan_fy = parse_year(plan_start, start_month) if plan_start else None
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
        mask = measure_mask(counts, measure)
        row.update(
            measure=measure.describe(),
            proxy=bool(measure.proxy),
            note=f"proxy: {measure.proxy}" if measure.proxy else "",
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
    for prefix, col, ok in (("", "year_ago_count", ago_ok), ("plan_", "plan_start_count", plan_ok)):
        frame[f"{prefix}change"] = (frame["count"] - frame[col]).astype("Int64") if ok else pd.NA
        frame[f"{prefix}change_pct"] = [_pct(c, p) for c, p in zip(frame["count"], frame[col], strict=True)]
        frame[f"{prefix}change_pct"] = frame[f"{prefix}change_pct"].astype("float64")
        for c in ("p_value", "p_adjusted", "significant"):
            frame[f"{prefix}{c}"] = None
        if ok and measured.any():
            sub = frame[measured]
            tests = change_test(sub[col].to_numpy(), sub["count"].to_numpy(), alpha=alpha)
            frame.loc[measured, f"{prefix}p_value"] = tests["p_value"].to_numpy()
            frame.loc[measured, f"{prefix}p_adjusted"] = tests["p_adjusted"].to_numpy()
            frame.loc[measured, f"{prefix}significant"] = tests["significant"].to_numpy()
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
    for col in ("count", "year_ago_count", "plan_start_count"):
        frame[col] = frame[col].astype("Int64")
    for col in ("p_value", "p_adjusted", "plan_p_value", "plan_p_adjusted"):
        frame[col] = frame[col].astype("float64")
    n_measured = int(measured.sum())
    notes = [
        reconciliation(extract),
        f"Direction of travel: exact Poisson test, Holm-adjusted over the {n_measured} measured priorities, "
        f"alpha {alpha}; under 10 offences in the two quarters together is never called a change",
    ]
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
    }
    return Result(
        command="quarterly",
        meta=meta,
        tables={"rows": Table(frame, QUARTERLY_COLUMNS, title, QUARTERLY_DETAIL)},
        sources=[source_record(s) for s in extract.sources],
        warnings=warnings,
        title=title,
        notes=notes,
    )

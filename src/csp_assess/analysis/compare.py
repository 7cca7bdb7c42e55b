"""`csp-assess compare`: each category's change between two periods, with a Poisson test of it.

Two uses:

- Two years of one extract (``--from 2020/21 --to 2021/22``): did each category really change? A partial
  ``--to`` year is compared with the same months of ``--from``.
- The same year in two extracts (``--against``): what did data revisions change? Revisions are the same
  crimes re-recorded, not independent samples, so there the test only scales each revision against the
  noise a year-on-year change would carry; it says so in the output.

Tests (``analysis.stats.change_test``): exact conditional binomial test (default) or variance-stabilised z,
adjusted with Holm (default) or Benjamini-Hochberg across the categories tested. A change is flagged only
when the adjusted p-value is below alpha *and* the two counts add up to at least 10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csp_assess.analysis.select import crime_only, period_counts, resolve_year, select_area
from csp_assess.analysis.stats import DEFAULT_MIN_COUNT, change_test
from csp_assess.errors import PeriodError, SelectionError
from csp_assess.model import Extract
from csp_assess.periods import Period, parse_year, span_label
from csp_assess.result import Result, Table, reconciliation, source_record

COMPARE_COLUMNS = [
    "category",
    "from_count",
    "to_count",
    "change",
    "change_pct",
    "z",
    "p_value",
    "p_adjusted",
    "significant",
]
COMPARE_DETAIL = ["major"]
METHOD_NAMES = {
    "exact": "exact conditional Poisson (binomial) test",
    "z": "variance-stabilised Poisson z test",
}
ADJUST_NAMES = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no"}


@dataclass
class CompareOptions:
    area: str | None = None
    from_year: str | None = None
    to_year: str | None = None
    level: str = "minor"
    method: str = "exact"
    adjust: str = "holm"
    alpha: float = 0.05
    start_month: int = 4


def compare_table(
    from_counts: pd.Series, to_counts: pd.Series, level: str, method: str, adjust: str, alpha: float
) -> pd.DataFrame:
    """One row per category in either period, with the change and its adjusted test."""
    idx = from_counts.index.union(to_counts.index)
    a = from_counts.reindex(idx).fillna(0).astype("int64")
    b = to_counts.reindex(idx).fillna(0).astype("int64")
    tests = change_test(a, b, method=method, adjust=adjust, alpha=alpha)  # type: ignore[arg-type]
    frame = pd.DataFrame(
        {
            "from_count": a.to_numpy(),
            "to_count": b.to_numpy(),
            "z": tests["z"].round(2).to_numpy(),
            "p_value": tests["p_value"].to_numpy(),
            "p_adjusted": tests["p_adjusted"].to_numpy(),
            "significant": tests["significant"].to_numpy(),
        }
    )
    if isinstance(idx, pd.MultiIndex):
        frame["major"] = idx.get_level_values(0)
        frame["category"] = idx.get_level_values(1) if level == "minor" else idx.get_level_values(0)
    else:
        frame["major"] = list(idx)
        frame["category"] = list(idx)
    frame["change"] = frame["to_count"] - frame["from_count"]
    old = frame["from_count"].astype(float).where(frame["from_count"] > 0)
    frame["change_pct"] = ((frame["to_count"] - old) / old * 100).round(1)
    order = np.argsort(-np.abs(frame["z"].to_numpy()), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def _validate(opts: CompareOptions) -> None:
    if opts.level not in ("major", "minor"):
        raise SelectionError(f"--level must be minor or major, not '{opts.level}'")
    if opts.method not in METHOD_NAMES:
        raise SelectionError(f"--method must be exact or z, not '{opts.method}'")
    if opts.adjust not in ADJUST_NAMES:
        raise SelectionError(f"--adjust must be holm, bh or none, not '{opts.adjust}'")


def build_compare(extract: Extract, opts: CompareOptions, other: Extract | None = None) -> Result:
    _validate(opts)
    keys = ["major"] if opts.level == "major" else ["major", "minor"]
    warnings = list(extract.warnings)
    sel = select_area(extract, opts.area)
    warnings += sel.warnings
    notes = [reconciliation(extract)]
    sources = [source_record(s) for s in extract.sources]
    if other is None:
        covered = extract.months_covered
        to_period, w = resolve_year(opts.to_year, covered, opts.start_month, extract.months_with_rows)
        warnings += w
        from_fy = parse_year(opts.from_year, opts.start_month) if opts.from_year else to_period.fy.shift(-1)
        if from_fy == to_period.fy:
            raise SelectionError("--from and --to are the same year; use --against to compare two extracts")
        from_period = to_period.same_months_in(from_fy)
        missing = [m for m in from_period.months if m not in set(covered)]
        if missing:
            raise PeriodError(
                f"{from_fy.label} ({span_label(list(from_period.months))}) is not fully in the data, which covers "
                f"{span_label(covered)}"
            )
        crimes = crime_only(sel.counts)
        a = period_counts(crimes, from_period, keys)
        b = period_counts(crimes, to_period, keys)
        from_label = _label(from_period)
        to_label = to_period.label
        mode = "years"
        title_what = f"{from_label} to {to_label}"
    else:
        other_sel = select_area(other, sel.label if sel.label != "All areas" else "all")
        warnings += [f"--against: {w}" for w in list(other.warnings) + other_sel.warnings]
        if other.scheme != extract.scheme:
            warnings.append(
                f"the extracts use different category sets ({extract.scheme} and {other.scheme}): categories "
                "do not match one for one and totals differ by design"
            )
        covered = sorted(set(extract.months_covered) & set(other.months_covered))
        if not covered:
            raise PeriodError("the two extracts have no month in common")
        to_period, w = resolve_year(opts.to_year or opts.from_year, covered, opts.start_month)
        warnings += w
        a = period_counts(crime_only(sel.counts), to_period, keys)
        b = period_counts(crime_only(other_sel.counts), to_period, keys)
        from_label = f"{to_period.label} in FILES"
        to_label = f"{to_period.label} in --against"
        mode = "revisions"
        title_what = f"data revisions to {to_period.label}"
        notes.append(reconciliation(other) + " (--against)")
        notes.append(
            "Revisions re-count the same crimes, so the test is a yardstick (is the revision larger than "
            "year-on-year noise?), not evidence of a real change in crime"
        )
        sources += [dict(source_record(s), role="against") for s in other.sources]
    frame = compare_table(a, b, opts.level, opts.method, opts.adjust, opts.alpha)
    from_total, to_total = int(frame["from_count"].sum()), int(frame["to_count"].sum())
    n_sig = int(frame["significant"].sum())
    tested = int(((frame["from_count"] + frame["to_count"]) >= DEFAULT_MIN_COUNT).sum())
    rule = (
        f"{METHOD_NAMES[opts.method]}, {ADJUST_NAMES[opts.adjust]} adjustment over {tested} categories with "
        f"{DEFAULT_MIN_COUNT}+ offences, alpha {opts.alpha}"
    )
    headline = f"{sel.label}, {title_what}: {n_sig} of {len(frame)} categories changed beyond noise ({rule})."
    notes.append(
        f"Categories with under {DEFAULT_MIN_COUNT} offences in the two periods together are never flagged"
    )
    total_change = to_total - from_total
    meta: dict[str, object] = {
        "area": sel.label,
        "mode": mode,
        "from": from_label,
        "to": to_label,
        "level": opts.level,
        "method": opts.method,
        "adjust": opts.adjust,
        "alpha": opts.alpha,
        "min_count": DEFAULT_MIN_COUNT,
        "from_total": from_total,
        "to_total": to_total,
        "change": total_change,
        "change_pct": round(total_change / from_total * 100, 1) if from_total else None,
        "significant_count": n_sig,
        "categories_tested": tested,
        "headline": headline,
    }
    return Result(
        command="compare",
        meta=meta,
        tables={"rows": Table(frame, COMPARE_COLUMNS, f"Change, {title_what}", COMPARE_DETAIL)},
        sources=sources,
        warnings=warnings,
        title=headline,
        notes=notes,
    )


def _label(p: Period) -> str:
    return (
        p.fy.label
        if p.complete
        else f"{p.fy.label} (same {len(p.months)} months: {span_label(list(p.months))})"
    )

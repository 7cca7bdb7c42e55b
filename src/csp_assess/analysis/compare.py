"""`csp-assess compare`: each category's change between two periods, with a Poisson test of it.

Two uses:

- Two years of one extract (``--from 2020/21 --to 2021/22``): did each category really change? A partial
  ``--to`` year is compared with the same months of ``--from``.
- The same year in two extracts (``--against``): what did data revisions change? Revisions are the same
  crimes re-recorded, not independent samples, so there the test only scales each revision against the
  noise a year-on-year change would carry; it says so in the output.

Test (``analysis.stats.change_test``): by default the over-dispersed log-ratio z, which adds each category's
usual year-to-year variation (``analysis.yearvar``: estimated from the extract's earlier years of the same
months, pooled over its areas, shrunk toward a packaged table) to counting noise, because recorded crime
varies from year to year far more than Poisson noise. ``variance="none"`` keeps counting noise only (the
exact conditional binomial test or the variance-stabilised z of ``method``). Adjusted with Holm (default) or
Benjamini-Hochberg across the categories tested. A change is flagged only when the adjusted p-value is
below alpha *and* the two counts add up to at least 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from csp_assess.analysis.select import (
    AreaArg,
    crime_only,
    period_counts,
    period_total,
    resolve_year,
    select_area,
)
from csp_assess.analysis.stats import DEFAULT_MIN_COUNT, change_test
from csp_assess.analysis.yearvar import (
    VARIANCE_SOURCES,
    YearVariance,
    category_variances,
    covid_note,
    summary_words,
    usual_range,
)
from csp_assess.errors import OptionError, PeriodError, SelectionError, on_command_line, option
from csp_assess.model import ASB_MAJOR, Extract
from csp_assess.periods import Period, month_label, parse_year, span_label
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
COMPARE_DETAIL = ["major", "usual_range", "year_sd", "p_counting"]
ASB_COLUMNS = ["category", "from_count", "to_count", "change", "change_pct"]
ASB_TITLE = "Anti-social behaviour incidents (not in crime totals)"
METHOD_NAMES = {
    "exact": "exact conditional Poisson (binomial) test",
    "z": "variance-stabilised Poisson z test",
}
ADJUST_NAMES = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no"}
OVERDISPERSED_NAME = "over-dispersed log-ratio z test (counting noise plus usual year-to-year variation)"


def _key_label(key: object) -> str:
    return " / ".join(str(k) for k in key) if isinstance(key, tuple) else str(key)


@dataclass
class CompareOptions:
    area: AreaArg = None
    from_year: str | None = None
    to_year: str | None = None
    level: str = "minor"
    method: str = "exact"
    adjust: str = "holm"
    alpha: float = 0.05
    start_month: int = 4
    variance: str = "data"  # year-level variance: data | packaged | none (see analysis.yearvar)


def compare_table(
    from_counts: pd.Series,
    to_counts: pd.Series,
    level: str,
    method: str,
    adjust: str,
    alpha: float,
    variances: dict[object, YearVariance] | None = None,
) -> pd.DataFrame:
    """One row per category in either period, with the change and its adjusted test.

    ``variances`` (category key -> year-level variance) switches on the over-dispersed test; without it the
    test knows counting noise only.
    """
    idx = from_counts.index.union(to_counts.index)
    a = from_counts.reindex(idx).fillna(0).astype("int64")
    b = to_counts.reindex(idx).fillna(0).astype("int64")
    sigma2 = None
    if variances is not None:
        sigma2 = pd.Series([variances[k].sigma2 for k in idx], index=idx, dtype="float64")
    tests = change_test(
        a,
        b,
        method=method,  # type: ignore[arg-type]
        adjust=adjust,  # type: ignore[arg-type]
        alpha=alpha,
        year_var=None if sigma2 is None else 2.0 * sigma2,
    )
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
    if sigma2 is not None:
        frame["year_sd"] = np.sqrt(sigma2.to_numpy()).round(3)
        frame["usual_range"] = [
            usual_range(float(x), float(s)) for x, s in zip(a.to_numpy(), sigma2.to_numpy(), strict=True)
        ]
        frame["p_counting"] = tests["p_counting"].to_numpy()
    else:
        frame["year_sd"] = np.nan
        frame["usual_range"] = None
        frame["p_counting"] = tests["p_value"].to_numpy()
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
        raise SelectionError(f"{{level}} must be minor or major, not '{opts.level}'", params=["level"])
    if opts.method not in METHOD_NAMES:
        raise SelectionError(f"{{method}} must be exact or z, not '{opts.method}'", params=["method"])
    if opts.adjust not in ADJUST_NAMES:
        raise SelectionError(f"{{adjust}} must be holm, bh or none, not '{opts.adjust}'", params=["adjust"])
    if opts.variance not in VARIANCE_SOURCES:
        raise SelectionError(
            f"{{variance}} must be one of {', '.join(VARIANCE_SOURCES)}, not '{opts.variance}'",
            params=["variance"],
        )


def build_compare(extract: Extract, opts: CompareOptions, other: Extract | None = None) -> Result:
    _validate(opts)
    keys = ["major"] if opts.level == "major" else ["major", "minor"]
    warnings = list(extract.warnings)
    sel = select_area(extract, opts.area)
    warnings += sel.warnings
    notes = [reconciliation(extract)]
    sources = [source_record(s) for s in extract.sources]
    variances: dict[object, YearVariance] | None = None
    history: list[str] = []
    if other is None:
        covered = extract.months_covered
        to_period, w = resolve_year(
            opts.to_year, covered, opts.start_month, extract.months_with_rows, param="to_year"
        )
        warnings += w
        from_fy = (
            parse_year(opts.from_year, opts.start_month, "from_year")
            if opts.from_year
            else to_period.fy.shift(-1)
        )
        if from_fy == to_period.fy:
            raise OptionError(
                "{from_year} and {to_year} are the same year; use {against} to compare two extracts",
                params=["from_year", "to_year", "against"],
            )
        from_period = to_period.same_months_in(from_fy)
        missing = [m for m in from_period.months if m not in set(covered)]
        if missing:
            shown = ", ".join(month_label(m) for m in missing[:6]) + (" ..." if len(missing) > 6 else "")
            raise PeriodError(
                f"{from_fy.label} ({span_label(list(from_period.months))}) is not fully in the data, which covers "
                f"{span_label(covered)}: {len(missing)} month(s) missing ({shown}); give the missing file, "
                "or choose years with {from_year} and {to_year}",
                params=["from_year", "to_year"],
            )
        crimes = crime_only(sel.counts)
        a = period_counts(crimes, from_period, keys)
        b = period_counts(crimes, to_period, keys)
        asb = asb_change(sel.counts, from_period, sel.counts, to_period)
        from_label = _label(from_period)
        to_label = to_period.label
        mode = "years"
        title_what = f"{from_label} to {to_label}"
        for lab, per in ((from_label, from_period), (to_label, to_period)):
            note = covid_note(lab, per.months)
            if note:
                warnings.append(note)
        if opts.variance != "none":
            variances, history = category_variances(
                crime_only(extract.counts),
                keys,
                extract.scheme,
                list(to_period.months),
                max(from_period.months),
                opts.variance,
            )
    else:
        other_sel = select_area(other, opts.area if opts.area is not None else sel.label)
        warnings += [f"{option('against')}: {w}" for w in list(other.warnings) + other_sel.warnings]
        if other.scheme != extract.scheme:
            warnings.append(
                f"the extracts use different category sets ({extract.scheme} and {other.scheme}): categories "
                "do not match one for one and totals differ by design"
            )
        covered = sorted(set(extract.months_covered) & set(other.months_covered))
        if not covered:
            raise PeriodError("the two extracts have no month in common")
        to_period, w = resolve_year(
            opts.to_year or opts.from_year,
            covered,
            opts.start_month,
            param="to_year" if opts.to_year else "from_year",
        )
        warnings += w
        a = period_counts(crime_only(sel.counts), to_period, keys)
        b = period_counts(crime_only(other_sel.counts), to_period, keys)
        asb = asb_change(sel.counts, to_period, other_sel.counts, to_period)
        name_a, name_b = snapshot_names(extract, other)
        from_label = f"{to_period.label} in {name_a}"
        to_label = f"{to_period.label} in {name_b}"
        mode = "revisions"
        title_what = f"data revisions to {to_period.label}"
        notes.append(reconciliation(other) + f" ({option('against')})")
        notes.append(
            "Revisions re-count the same crimes, so the test is a yardstick (is the revision larger than "
            "year-on-year noise?), not evidence of a real change in crime"
        )
        sources += [dict(source_record(s), role="against") for s in other.sources]
    frame = compare_table(a, b, opts.level, opts.method, opts.adjust, opts.alpha, variances)
    from_total, to_total = int(frame["from_count"].sum()), int(frame["to_count"].sum())
    n_sig = int(frame["significant"].sum())
    tested = int(((frame["from_count"] + frame["to_count"]) >= DEFAULT_MIN_COUNT).sum())
    test_name = OVERDISPERSED_NAME if variances is not None else METHOD_NAMES[opts.method]
    rule = (
        f"{test_name}, {ADJUST_NAMES[opts.adjust]} adjustment over {tested} categories with "
        f"{DEFAULT_MIN_COUNT}+ offences, alpha {opts.alpha}"
    )
    if variances is not None:
        what = "changed by more than their usual year-to-year variation"
        used = [variances[k] for k in a.index.union(b.index)]
        method = summary_words(used, history)
        notes.append(method)
        notes.append("usual_range: the change a category shows in 95% of ordinary years at its earlier level")
    else:
        what = "changed by more than counting noise (year-to-year variation not allowed for)"
        method = "Counting noise only: year-to-year variation is not allowed for"
    total_change = to_total - from_total
    pct = f", {total_change / from_total * 100:+.1f}%" if from_total else ""
    snapshots = (
        f", {from_label.split(' in ', 1)[1]} → {to_label.split(' in ', 1)[1]}" if mode == "revisions" else ""
    )
    headline = (
        f"{sel.label}, {title_what}{snapshots}: total {from_total:,} → {to_total:,} ({total_change:+,}{pct}); "
        f"{n_sig} of {len(frame)} categories {what} ({rule})."
    )
    notes.append(
        f"Categories with under {DEFAULT_MIN_COUNT} offences in the two periods together are never flagged"
    )
    asb_from = int(asb["from_count"].sum()) if asb is not None else None
    asb_to = int(asb["to_count"].sum()) if asb is not None else None
    if asb is not None:
        notes.append(
            f"Anti-social behaviour: {asb_from:,} → {asb_to:,} incidents, kept out of crime totals and tests"
        )
    total_row: dict[str, object] = {
        "category": "Total" if asb is None else "Total crime",
        "from_count": from_total,
        "to_count": to_total,
        "change": total_change,
        "change_pct": round(total_change / from_total * 100, 1) if from_total else None,
    }
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
        "test": test_name,
        "variance_source": opts.variance if variances is not None else "none",
        "variance_method": method,
        "history_pairs": history,
        "year_variance": None
        if variances is None
        else {_key_label(k): v.to_dict() for k, v in variances.items() if k in set(a.index.union(b.index))},
        "headline": headline,
        "asb_from_incidents": asb_from,
        "asb_to_incidents": asb_to,
    }
    tables = {"rows": Table(frame, COMPARE_COLUMNS, f"Change, {title_what}", COMPARE_DETAIL, total=total_row)}
    if asb is not None:
        tables["asb"] = Table(asb, ASB_COLUMNS, ASB_TITLE)
    return Result(
        command="compare",
        meta=meta,
        tables=tables,
        sources=sources,
        warnings=warnings,
        title=headline,
        notes=notes,
    )


def asb_change(
    from_counts: pd.DataFrame, from_period: Period, to_counts: pd.DataFrame, to_period: Period
) -> pd.DataFrame | None:
    """Anti-social behaviour apart from crime, as ``summary`` shows it: incidents in each period and the
    change (no test: ASB is not a crime category). None when neither side holds any ASB."""
    a_rows = from_counts[from_counts["major"] == ASB_MAJOR]
    b_rows = to_counts[to_counts["major"] == ASB_MAJOR]
    if a_rows.empty and b_rows.empty:
        return None
    a, b = int(period_total(a_rows, from_period)), int(period_total(b_rows, to_period))
    return pd.DataFrame(
        {
            "category": [ASB_MAJOR],
            "from_count": pd.array([a], dtype="Int64"),
            "to_count": pd.array([b], dtype="Int64"),
            "change": pd.array([b - a], dtype="Int64"),
            "change_pct": pd.array([round((b - a) / a * 100, 1) if a else np.nan], dtype="float64"),
        }
    )


def snapshot_names(a: Extract, b: Extract) -> tuple[str, str]:
    """Short names for two snapshots of the same data, for headings: their file (or folder) names, with
    the parent folder added when the names alone are the same, and FILES/--against as a last resort."""

    def name(extract: Extract, parents: int) -> str:
        paths = [Path(str(s.path)) for s in extract.sources]
        if not paths:
            return "?"
        if len(paths) == 1:
            parts = paths[0].parts[-1 - parents :]
            return "/".join(parts)
        folders = {p.parent for p in paths}
        if len(folders) == 1:
            folder = next(iter(folders))
            return "/".join(folder.parts[-1 - parents :]) + f"/ ({len(paths)} files)"
        return f"{paths[0].name} and {len(paths) - 1} more"

    for parents in (0, 1, 2):
        first, second = name(a, parents), name(b, parents)
        if first != second:
            return first, second
    return f"{first} ({'FILES' if on_command_line() else 'data'})", f"{second} ({option('against')})"


def _label(p: Period) -> str:
    return (
        p.fy.label
        if p.complete
        else f"{p.fy.label} (same {len(p.months)} months: {span_label(list(p.months))})"
    )

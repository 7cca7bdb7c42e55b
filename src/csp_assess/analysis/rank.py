"""`csp-assess rank`: load -> select -> ranked table -> priorities, as one Result.

The options and the weights they resolve live in ``rank_options`` (shared with the sensitivity view, the
matrix and the weights listing without importing the ranking itself)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from csp_assess.analysis.priorities import PRIORITY_COLUMNS, evaluate, priorities_in_use
from csp_assess.analysis.rank_options import HARM_INDEX_NAMES, RankOptions, resolve_weights
from csp_assess.analysis.ranking import ACTIVITY_NOTE, DETAIL_COLUMNS, RANK_COLUMNS, rank_categories
from csp_assess.analysis.select import (
    comparison_period,
    crime_only,
    resolve_baseline,
    resolve_year,
    select_area,
)
from csp_assess.analysis.sensitivity import SENSITIVITY_COLUMNS, sensitivity_table
from csp_assess.analysis.yearvar import VARIANCE_SOURCES, history_pairs, monthly_matrix
from csp_assess.errors import SelectionError
from csp_assess.model import ASB_MAJOR, Extract
from csp_assess.periods import Period
from csp_assess.reference.ho_codes import code_mix
from csp_assess.reference.priorities import PrioritySet
from csp_assess.result import Result, Table, reconciliation, source_record


def _indicator_rows(indicators: Any, label: str, parts: tuple[str, ...]) -> pd.DataFrame | None:
    if indicators is None:
        return None
    from csp_assess.analysis.indicators import select_indicators

    return select_indicators(indicators, label, parts)[0]


def _history(extract: Extract, period: Period, previous: Period | None) -> list[str]:
    """The earlier year-on-year pairs of the year's months the change tests estimate year-level variance
    from (as the priorities' tests pair them); none without a previous year. Before, the methods note said
    the variance was "estimated from the extract's earlier years" on data that had none (Leicestershire,
    Dec 2019 - Oct 2022), where every measure took the packaged default."""
    if previous is None:
        return []
    crimes = crime_only(extract.counts)
    if not len(crimes):
        return []
    _, labels = history_pairs(monthly_matrix(crimes, "major"), list(period.months), max(previous.months))
    return labels


def build_rank(extract: Extract, opts: RankOptions, pset: PrioritySet) -> Result:
    if opts.level not in ("minor", "major"):
        raise SelectionError(f"{{level}} must be minor or major, not '{opts.level}'", params=["level"])
    if opts.variance not in VARIANCE_SOURCES:
        raise SelectionError(
            f"{{variance}} must be one of {', '.join(VARIANCE_SOURCES)}, not '{opts.variance}'",
            params=["variance"],
        )
    warnings = list(extract.warnings)
    sel = select_area(extract, opts.area)
    warnings += sel.warnings
    covered = extract.months_covered
    period, w = resolve_year(opts.year, covered, opts.start_month, extract.months_with_rows)
    warnings += w
    previous, w = comparison_period(period, period.fy.shift(-1), covered, "previous year")
    warnings += w
    baseline, baseline_label, w = resolve_baseline(opts.baseline, period, covered, opts.start_month)
    warnings += w
    crimes = crime_only(sel.counts)
    cats = crimes[["major", "minor"]].drop_duplicates().sort_values(["major", "minor"])
    mix = code_mix(extract.counts)
    weights, w = resolve_weights(
        cats, extract.scheme, opts.harm_index, opts.weight_overrides, opts.uprating, ho_codes=mix
    )
    warnings += w
    if opts.top_n is not None:
        pset = dataclasses.replace(pset, rules=dataclasses.replace(pset.rules, candidate_top_n=opts.top_n))
    ranked = rank_categories(crimes, period, previous, baseline, opts.level, weights, opts.score_weights)
    missing = ranked[(ranked["count"] > 0) & ranked["harm"].isna()]
    if len(missing) and opts.harm_index != "none":
        warnings.append(
            f"{len(missing)} categor{'y has' if len(missing) == 1 else 'ies have'} no {opts.harm_index} harm "
            f"weight and are scored on the other measures: {', '.join(missing['category'].head(8))}"
        )
    pset_note, w = priorities_in_use(pset, extract.scheme, extract.counts)
    warnings += w
    priorities = evaluate(
        pset,
        extract.scheme,
        sel.counts,
        period,
        previous,
        baseline,
        baseline_label,
        ranked,
        opts.level,
        weights,
        all_counts=extract.counts,
        variance=opts.variance,
        indicators=_indicator_rows(opts.indicators, sel.label, sel.parts),
    )
    asb = sel.counts[sel.counts["major"] == ASB_MAJOR]
    notes = [reconciliation(extract), pset_note]
    history = _history(extract, period, previous) if opts.variance == "data" else []
    variance_method = (
        "Change tests allow for counting noise only (variance none): real year-to-year variation is larger"
        if opts.variance == "none"
        else "Rising, falling and 'above the baseline by more than usual variation' allow for each measure's usual "
        "year-to-year variation, estimated from the extract's earlier years"
        + (f" pooled over its {len(extract.areas)} areas" if len(extract.areas) > 1 else "")
        + f" ({len(history)} year-on-year pair(s) of the same months)"
        + " and shrunk toward the packaged table, or a generic sd of 15% for categories it lacks (year_sd per row)"
        if history
        else "Rising, falling and 'above the baseline by more than usual variation' allow for each measure's usual "
        "year-to-year variation, taken from the packaged table, or a generic sd of 15% for categories it lacks "
        "(year_sd per row)"
        + (
            ": the extract has no earlier year-on-year pairs of the same months to estimate it from"
            if opts.variance == "data"
            else ""
        )
    )
    notes.append(variance_method)
    activity = ranked.loc[ranked["indicator"] == "police activity", "category"].tolist()
    if activity:
        notes.append(f"Police activity indicators, not crime levels: {', '.join(activity)} ({ACTIVITY_NOTE})")
    if len(asb):
        n = int(asb[asb["month"].isin(list(period.months))]["count"].sum())
        notes.append(f"Anti-social behaviour: {n:,} incidents in {period.label}, kept out of crime totals")
    total = int(ranked["count"].sum())
    prev_total = ranked["previous_count"].sum() if previous else None
    meta = {
        "area": sel.label,
        "year": period.label,
        "year_complete": period.complete,
        "previous_year": previous.label if previous else None,
        "baseline": baseline_label if baseline else None,
        "level": opts.level,
        "harm_index": opts.harm_index,
        "harm_index_description": HARM_INDEX_NAMES.get(opts.harm_index, opts.harm_index),
        "score_weights": opts.score_weights.describe(),
        "cost_prices": opts.uprating.prices,
        "cost_uprating": opts.uprating.describe(),
        "weights_file": opts.weights_file,
        "candidate_top_n": pset.rules.candidate_top_n,
        "alpha": pset.rules.alpha,
        "candidate_min_share_pct": pset.rules.candidate_min_share_pct,
        "variance_source": opts.variance,
        "variance_method": variance_method,
        "history_pairs": history,
        "total": total,
        "previous_total": int(prev_total) if prev_total is not None else None,
        "priorities_source": pset.source,
        "priorities_in_use": pset.describe(),
        "rows_read": extract.rows_read,
        "rows_counted": extract.rows_counted,
        "rows_rejected": extract.rows_rejected,
    }
    title = f"{sel.label}: offences ranked by volume, harm and cost, {period.label}"
    tables: dict[str, Table] = {
        "rows": Table(ranked, RANK_COLUMNS, title, DETAIL_COLUMNS),
        "priorities": Table(
            priorities,
            PRIORITY_COLUMNS,
            "Recommended priorities",
            [c for c in priorities.columns if c not in PRIORITY_COLUMNS],
        ),
    }
    if opts.sensitivity:
        sens, sens_notes = sensitivity_table(
            crimes, extract.scheme, period, previous, baseline, opts, pset, ho_codes=mix
        )
        tables["sensitivity"] = Table(
            sens,
            SENSITIVITY_COLUMNS,
            f"Sensitivity: top {pset.rules.candidate_top_n} by composite score under each harm weighting",
        )
        notes += sens_notes
    return Result(
        command="rank",
        meta=meta,
        tables=tables,
        sources=[source_record(s) for s in extract.sources],
        warnings=warnings,
        title=title,
        notes=notes,
    )

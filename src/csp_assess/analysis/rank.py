"""`csp-assess rank`: load -> select -> ranked table -> priorities, as one Result."""

from __future__ import annotations

from dataclasses import dataclass, field

from csp_assess.analysis.priorities import PRIORITY_COLUMNS, evaluate
from csp_assess.analysis.ranking import DETAIL_COLUMNS, RANK_COLUMNS, rank_categories
from csp_assess.analysis.scoring import ScoreWeights
from csp_assess.analysis.select import (
    comparison_period,
    crime_only,
    resolve_baseline,
    resolve_year,
    select_area,
)
from csp_assess.errors import SelectionError
from csp_assess.model import ASB_MAJOR, Extract
from csp_assess.reference.priorities import PrioritySet
from csp_assess.reference.weights import weights_for
from csp_assess.result import Result, Table, reconciliation, source_record

HARM_INDEX_NAMES = {
    "cchi": "Cambridge Crime Harm Index (days of imprisonment; CCHI 2026 update, subgroup medians)",
    "css": "ONS Crime Severity Score (experimental; many group weights unknown)",
    "cost": "Home Office unit cost of crime (2015/16 prices) used as the harm weight",
    "none": "no harm weighting",
}


@dataclass
class RankOptions:
    area: str | None = None
    year: str | None = None
    baseline: str | None = None
    level: str = "minor"
    harm_index: str = "cchi"
    start_month: int = 4
    score_weights: ScoreWeights = field(default_factory=ScoreWeights)


def build_rank(extract: Extract, opts: RankOptions, pset: PrioritySet) -> Result:
    if opts.level not in ("minor", "major"):
        raise SelectionError(f"--level must be minor or major, not '{opts.level}'")
    warnings = list(extract.warnings)
    sel = select_area(extract, opts.area)
    warnings += sel.warnings
    covered = extract.months_covered
    period, w = resolve_year(opts.year, covered, opts.start_month)
    warnings += w
    previous, w = comparison_period(period, period.fy.shift(-1), covered, "previous year")
    warnings += w
    baseline, baseline_label, w = resolve_baseline(opts.baseline, period, covered, opts.start_month)
    warnings += w
    crimes = crime_only(sel.counts)
    cats = crimes[["major", "minor"]].drop_duplicates().sort_values(["major", "minor"])
    weights = weights_for(cats, extract.scheme, opts.harm_index)
    ranked = rank_categories(crimes, period, previous, baseline, opts.level, weights, opts.score_weights)
    missing = ranked[(ranked["count"] > 0) & ranked["harm"].isna()]
    if len(missing) and opts.harm_index != "none":
        warnings.append(
            f"{len(missing)} categor{'y has' if len(missing) == 1 else 'ies have'} no {opts.harm_index} harm "
            f"weight and are scored on the other measures: {', '.join(missing['category'].head(8))}"
        )
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
    )
    asb = sel.counts[sel.counts["major"] == ASB_MAJOR]
    notes = [reconciliation(extract)]
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
        "cost_prices": "2015/16",
        "total": total,
        "previous_total": int(prev_total) if prev_total is not None else None,
        "priorities_source": pset.source,
        "rows_read": extract.rows_read,
        "rows_counted": extract.rows_counted,
        "rows_rejected": extract.rows_rejected,
    }
    title = f"{sel.label}: offences ranked by volume, harm and cost, {period.label}"
    return Result(
        command="rank",
        meta=meta,
        tables={
            "rows": Table(ranked, RANK_COLUMNS, title, DETAIL_COLUMNS),
            "priorities": Table(
                priorities,
                PRIORITY_COLUMNS,
                "Recommended priorities",
                [c for c in priorities.columns if c not in PRIORITY_COLUMNS],
            ),
        },
        sources=[source_record(s) for s in extract.sources],
        warnings=warnings,
        title=title,
        notes=notes,
    )

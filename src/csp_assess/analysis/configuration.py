"""The configuration a ranking rests on: the priority set (how each layout measures each priority) and
every category's harm and cost weight with its source and status."""

from __future__ import annotations

import pandas as pd

from csp_assess.analysis.rank_options import HARM_INDEX_NAMES, resolve_weights
from csp_assess.analysis.select import crime_only
from csp_assess.errors import ConfigError, SelectionError, option
from csp_assess.model import Extract
from csp_assess.reference.ho_codes import code_mix
from csp_assess.reference.prices import Uprating
from csp_assess.reference.priorities import SCHEMES, PriorityDef, PrioritySet
from csp_assess.reference.weights import weight_table
from csp_assess.result import Result, Table, source_record

SCHEME_CHOICES = ("met-old", "met-new", "met-pre2019", "police-uk", "custom")
PRIORITY_VIEW = ["name", "class", "set_by", "scheme", "status", "measure", "note"]


def check_scheme(scheme: str | None) -> None:
    if scheme is not None and scheme not in SCHEME_CHOICES:
        raise SelectionError(
            f"{{scheme}} must be one of {', '.join(SCHEME_CHOICES)}, not '{scheme}'", params=["scheme"]
        )


def _measure_rows(priorities: list[PriorityDef], scheme: str | None) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for p in priorities:
        for sch in [scheme] if scheme else list(SCHEMES):
            m = p.measure_for(sch)
            if m is None:
                status, measure, note = "not measurable", "", "no measure defined for this layout"
            elif m.not_measurable:
                status, measure, note = "not measurable", "", m.not_measurable
            else:
                status = "proxy" if m.proxy else "measured"
                measure, note = m.describe(), m.proxy or ""
            rows.append(
                {
                    "name": p.name,
                    "class": p.klass,
                    "set_by": p.set_by,
                    "scheme": sch,
                    "status": status,
                    "measure": measure,
                    "note": note,
                }
            )
    return rows


def priorities_result(pset: PrioritySet, scheme: str | None) -> Result:
    """The priority set, one row per priority and layout: measured, a proxy, or not measurable (and why)."""
    check_scheme(scheme)
    frame = pd.DataFrame(_measure_rows(pset.priorities, scheme), columns=PRIORITY_VIEW)
    title = f"Priority set: {len(pset.priorities)} priorities from {pset.source}"
    return Result(
        command="priorities",
        meta={
            "priorities_source": pset.source,
            "priorities": len(pset.priorities),
            "scheme": scheme,
            "candidate_top_n": pset.rules.candidate_top_n,
            "alpha": pset.rules.alpha,
        },
        tables={"rows": Table(frame, PRIORITY_VIEW, title)},
        sources=[],
        warnings=[],
        title=title,
        notes=[
            f"Rules: candidates are categories outside the set in the top {pset.rules.candidate_top_n} by "
            f"composite score, or above the pre-COVID baseline by more than their usual year-to-year variation "
            f"(the calibrated change test, Holm-adjusted, alpha {pset.rules.alpha:g}). Edit [rules] in the file "
            "to change them.",
        ],
    )


_SHORT = (
    ("Cambridge Crime Harm Index", "CCHI 2026 (subgroup median days)"),
    ("ONS Crime Severity Score", "ONS CSS (c. 2016)"),
    ("Home Office, The economic", "Home Office 2018 unit cost"),
)
WEIGHT_VIEW = [
    "major",
    "minor",
    "harm_weight",
    "harm_status",
    "harm_from",
    "unit_cost_gbp",
    "cost_status",
    "cost_from",
]
WEIGHT_DETAIL = ["prc_subgroup", "harm_source", "cost_source", "note", "weight_route"]


def _short(source: str, status: str) -> str:
    if status == "user":
        return source
    if not source:
        return "-"
    label = next((s for key, s in _SHORT if source.startswith(key)), source[:40])
    return label + (" (blend)" if "volume-weighted" in source else "")


def weights_result(
    extract: Extract | None,
    scheme: str | None,
    harm: str,
    overrides: pd.DataFrame | None,
    override_warnings: list[str],
    weights_file: str | None,
    uprating: Uprating,
) -> Result:
    """Every category's weights: of the extract's categories, or of a whole scheme's when no extract."""
    check_scheme(scheme)
    warnings: list[str] = []
    sources: list[dict[str, object]] = []
    if extract is not None:
        if scheme and scheme != extract.scheme:
            raise ConfigError(
                f"{{scheme}} {scheme} does not match the files' categories ({extract.scheme})",
                params=["scheme"],
            )
        scheme = extract.scheme
        cats = (
            crime_only(extract.counts)[["major", "minor"]].drop_duplicates().sort_values(["major", "minor"])
        )
        sources = [source_record(s) for s in extract.sources]
        warnings += extract.warnings
    elif scheme:
        cats = weight_table(scheme, harm)[["major", "minor"]]
    else:
        raise SelectionError("give {scheme}, or extract files to detect it from", params=["scheme"])
    warnings += override_warnings
    mix = code_mix(extract.counts) if extract is not None else None
    table, w = resolve_weights(cats.reset_index(drop=True), scheme, harm, overrides, uprating, ho_codes=mix)
    warnings += w
    table["harm_from"] = [
        _short(s, st) for s, st in zip(table["harm_source"], table["harm_status"], strict=True)
    ]
    table["cost_from"] = [
        _short(s, st) for s, st in zip(table["cost_source"], table["cost_status"], strict=True)
    ]
    counts = {f"harm_{k}": int(v) for k, v in table["harm_status"].value_counts().sort_index().items()}
    title = f"Harm ({harm}) and cost weights, {scheme} categories"
    view = WEIGHT_VIEW + ["weight_route"] * (scheme == "custom")  # custom: matched by name, or not
    full_sources = sorted({s for s in pd.concat([table["harm_source"], table["cost_source"]]) if s})
    notes = [
        "Status: confirmed = published value seen in a cited source; transcribed = from a transcription; "
        "inferred = position in an unlabelled list, needs checking; unverified = remembered, not checked; "
        "blended = volume-weighted from PRC subgroups (by national counts, or by a category's own offences "
        f"per Home Office offence code); user = from {option('weights_file')}; unknown = no figure (never "
        "guessed).",
        f"Costs: {uprating.describe()}.",
        *[f"Source: {s}" for s in full_sources],
    ]
    return Result(
        command="weights",
        meta={
            "scheme": scheme,
            "harm_index": harm,
            "harm_index_description": HARM_INDEX_NAMES.get(harm, harm),
            "cost_prices": uprating.prices,
            "cost_uprating": uprating.describe(),
            "weights_file": weights_file,
            "categories": len(table),
            **counts,
        },
        tables={"rows": Table(table, view, title, [c for c in WEIGHT_DETAIL if c not in view])},
        sources=sources,
        warnings=warnings,
        title=title,
        notes=notes,
    )

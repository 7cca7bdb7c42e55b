"""How the top of the ranking moves between harm weightings (``rank --sensitivity``).

The same counts are ranked three times, with the harm column weighted by the Cambridge Crime Harm Index
(``cchi``), the ONS Crime Severity Score (``css``) and the Home Office unit cost (``cost``); volume and cost
keep their own columns and the composite score weights stay as chosen. Every category that reaches the top N
(the candidate rule's N) under any of them is listed with its rank under each, so a board can see whether
a priority or candidate depends on one choice of weights.

User overrides from ``--weights``: unit costs apply to every weighting; harm weights apply only to the
harm index they were given for (the run's ``--harm``), since a CSS list says nothing about CCHI days.
"""

from __future__ import annotations

import pandas as pd

from csp_assess.analysis.priorities import measure_mask
from csp_assess.analysis.rank_options import RankOptions, resolve_weights
from csp_assess.analysis.ranking import rank_categories
from csp_assess.periods import Period
from csp_assess.reference.priorities import PrioritySet

INDEXES = ("cchi", "css", "cost")
SENSITIVITY_COLUMNS = [
    "category",
    "rank_cchi",
    "rank_css",
    "rank_cost",
    "top_n_under",
    "priority",
    "verdict",
]
_LABEL = {"cchi": "CCHI", "css": "CSS", "cost": "cost"}


def _priority_of(cats: pd.DataFrame, scheme: str, pset: PrioritySet, level: str) -> dict[str, str]:
    """category name -> the priorities whose measure selects it ("; "-joined)."""
    key = "minor" if level == "minor" else "major"
    out: dict[str, list[str]] = {}
    for pdef in pset.priorities:
        m = pdef.measure_for(scheme)
        if m is None or m.not_measurable:
            continue
        for c in cats.loc[measure_mask(cats, m), key].unique():
            out.setdefault(str(c), []).append(pdef.name)
    return {k: "; ".join(v) for k, v in out.items()}


def verdict(in_top: list[str], n: int) -> str:
    """Words for the board: does the category's place in the top N depend on the weighting?"""
    labels = [_LABEL[i] for i in in_top]
    if len(in_top) == len(INDEXES):
        return f"top {n} under every weighting: does not depend on the choice of harm weights"
    if len(in_top) == 1:
        return f"top {n} only under {labels[0]} weighting: depends on that choice"
    missing = [_LABEL[i] for i in INDEXES if i not in in_top]
    return f"top {n} under {' and '.join(labels)}, not under {' and '.join(missing)}"


def sensitivity_table(
    crimes: pd.DataFrame,
    scheme: str,
    period: Period,
    previous: Period | None,
    baseline: list[Period],
    opts: RankOptions,
    pset: PrioritySet,
    ho_codes: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The sensitivity table and notes; ``pset.rules.candidate_top_n`` is N. ``ho_codes``: as for
    ``resolve_weights``."""
    n = pset.rules.candidate_top_n
    cats = crimes[["major", "minor"]].drop_duplicates().sort_values(["major", "minor"])
    ranks: dict[str, pd.Series] = {}
    notes: list[str] = []
    for idx in INDEXES:
        weights, _ = resolve_weights(
            cats,
            scheme,
            idx,
            opts.weight_overrides,
            opts.uprating,
            harm_overrides=(idx == opts.harm_index),
            ho_codes=ho_codes,
        )
        ranked = rank_categories(crimes, period, previous, baseline, opts.level, weights, opts.score_weights)
        ranks[idx] = ranked.set_index("category")["rank"]
        live = ranked[ranked["count"] > 0]
        unweighted = int(live["harm"].isna().sum())
        if unweighted:
            notes.append(
                f"Sensitivity, {_LABEL[idx]}: {unweighted} of {len(live)} categories have no harm weight "
                "and are scored on the measures they have"
            )
    frame = pd.DataFrame({f"rank_{i}": ranks[i] for i in INDEXES})
    frame.index.name = "category"
    top_mask = (frame <= n).any(axis=1)
    frame = frame[top_mask].copy()
    frame["best"] = frame.min(axis=1)
    frame = frame.sort_values(["best", "rank_cchi", "rank_css", "rank_cost"], kind="mergesort")
    owners = _priority_of(cats, scheme, pset, opts.level)
    rows = []
    for cat, r in frame.iterrows():
        in_top = [i for i in INDEXES if int(r[f"rank_{i}"]) <= n]
        rows.append(
            {
                "category": str(cat),
                **{f"rank_{i}": int(r[f"rank_{i}"]) for i in INDEXES},
                "top_n_under": ", ".join(_LABEL[i] for i in in_top),
                "priority": owners.get(str(cat), "not in the set"),
                "verdict": verdict(in_top, n),
            }
        )
    out = pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
    stable = int((out["top_n_under"].str.count(",") == len(INDEXES) - 1).sum()) if len(out) else 0
    notes.insert(
        0,
        f"Sensitivity: {stable} of {len(out)} categories in a top {n} stay there under CCHI, CSS and cost "
        f"weighting (volume {opts.score_weights.volume:g}, harm {opts.score_weights.harm:g}, "
        f"cost {opts.score_weights.cost:g})",
    )
    return out, notes

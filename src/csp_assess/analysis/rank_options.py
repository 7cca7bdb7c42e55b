"""The ranking's options and the weights they resolve to: what ``rank``, its sensitivity view, the scoring
matrix and the ``weights`` listing share (kept apart from ``rank`` so none of them imports another)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from csp_assess.analysis.scoring import ScoreWeights
from csp_assess.analysis.select import AreaArg
from csp_assess.reference.prices import NO_UPRATING, Uprating
from csp_assess.reference.weights import apply_overrides, weights_for

HARM_INDEX_NAMES = {
    "cchi": "Cambridge Crime Harm Index (days of imprisonment; CCHI 2026 update, subgroup medians)",
    "css": "ONS Crime Severity Score (experimental; many group weights unknown)",
    "cost": "Home Office unit cost of crime (2015/16 prices) used as the harm weight",
    "none": "no harm weighting",
}


@dataclass
class RankOptions:
    area: AreaArg = None
    year: str | None = None
    baseline: str | None = None
    level: str = "minor"
    harm_index: str = "cchi"
    start_month: int = 4
    score_weights: ScoreWeights = field(default_factory=ScoreWeights)
    weight_overrides: pd.DataFrame | None = None  # from reference.weights.load_weight_overrides
    weights_file: str | None = None
    uprating: Uprating = NO_UPRATING
    top_n: int | None = None  # overrides the priorities file's [rules] candidate_top_n
    sensitivity: bool = False
    variance: str = (
        "data"  # year-level variance for the change tests: data | packaged | none (analysis.yearvar)
    )
    indicators: Any = None  # load.indicators.Indicators: partner indicators, for priorities measured by one


def resolve_weights(
    categories: pd.DataFrame,
    scheme: str,
    harm_index: str,
    overrides: pd.DataFrame | None = None,
    uprating: Uprating = NO_UPRATING,
    harm_overrides: bool = True,
    ho_codes: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Packaged weights for ``categories``, then the user's overrides, then cost uprating.

    ``ho_codes`` (``reference.ho_codes.code_mix`` of the whole extract) lets a custom extract's categories
    that no name matches be weighted by the Home Office offence codes their rows carry.

    Order matters and is documented: a user's ``unit_cost_gbp`` is read as 2015/16 prices like the packaged
    ones, so every cost is uprated by the same stated factor. With ``harm_overrides=False`` only the user's
    unit costs are applied (the sensitivity view uses this for the harm indexes the user did not choose).
    Returns the weights and warnings (override lines that matched no category).
    """
    weights = weights_for(categories, scheme, harm_index, ho_codes)
    warnings: list[str] = []
    if overrides is not None and len(overrides):
        ov = overrides if harm_overrides else overrides.assign(harm_weight=math.nan)
        ov = ov[ov["harm_weight"].notna() | ov["unit_cost_gbp"].notna()]
        weights, warnings = apply_overrides(weights, ov)
    if uprating.factor != 1.0:
        weights["unit_cost_gbp"] = weights["unit_cost_gbp"] * uprating.factor
        stamp = f"uprated to {uprating.describe()}"
        weights["cost_source"] = [f"{s}; {stamp}" if s else s for s in weights["cost_source"]]
        if harm_index == "cost":
            packaged = weights["harm_status"] != "user"
            weights.loc[packaged, "harm_weight"] = weights.loc[packaged, "harm_weight"] * uprating.factor
    return weights, warnings

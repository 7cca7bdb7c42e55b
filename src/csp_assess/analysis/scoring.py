"""The composite score: how volume, harm and cost are combined into one number per category.

    score = (w_v * volume_share + w_h * harm_share + w_c * cost_share) / (sum of the weights used)

Each share is the category's percentage of the year's total for that measure (so each measure's shares
add up to 100 across the table). A category whose harm or cost weight is unknown is scored on the
measures it has, and the table says so: a missing weight is never invented. With equal weights (the
default) a score of 12.0 reads "on average, 12% of the year's offences, harm and cost".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ScoreWeights:
    volume: float = 1.0
    harm: float = 1.0
    cost: float = 1.0

    def describe(self) -> str:
        return f"volume {self.volume:g}, harm {self.harm:g}, cost {self.cost:g}"


def shares(values: pd.Series) -> pd.Series:
    """Each value as a percentage of the sum of known values (NaN stays NaN)."""
    total = values.sum(skipna=True)
    if not total or np.isnan(total):
        return pd.Series(np.nan, index=values.index)
    return values / total * 100.0


def composite_score(
    count: pd.Series, harm: pd.Series, cost: pd.Series, weights: ScoreWeights
) -> pd.DataFrame:
    """volume_share, harm_share, cost_share and score for each row."""
    v, h, c = shares(count.astype(float)), shares(harm), shares(cost)
    num = weights.volume * v.fillna(0) + weights.harm * h.fillna(0) + weights.cost * c.fillna(0)
    den = (
        weights.volume * v.notna().astype(float)
        + weights.harm * h.notna().astype(float)
        + weights.cost * c.notna().astype(float)
    )
    score = (num / den.replace(0, np.nan)).fillna(0.0)
    return pd.DataFrame({"volume_share": v, "harm_share": h, "cost_share": c, "score": score})

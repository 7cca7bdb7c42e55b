"""The ranked offence table: count, change on last year and on the pre-COVID baseline, harm, cost, score."""

from __future__ import annotations

import numpy as np
import pandas as pd

from csp_assess.analysis.scoring import ScoreWeights, composite_score
from csp_assess.analysis.select import baseline_counts, period_counts
from csp_assess.periods import Period

#: Why possession offences are not read as crime levels (used in the ranking and in priority reasons).
ACTIVITY_NOTE = (
    "drug and weapon possession offences are mostly found by police searches, so they measure police "
    "activity as much as crime"
)
_ACTIVITY_NAMES = {
    "possession of drugs",
    "possession of weapons",
    "possession of article with blade or point",
    "possession of other weapon",
    "possession of firearms offences",
    "possession of firearm with intent",
    "offensive weapon",
    "drugs",
}


def is_activity_indicator(major: str, category: str) -> bool:
    """Drug or weapon possession: counts driven by police activity (stop and search), not crime levels.

    Matched on the minor (or major) name, case-insensitively: police.uk's "Drugs" and "Possession of weapons",
    the Met's "Possession of Drugs", the possession minors of "Possession of Weapons", and the pre-2019
    "Offensive Weapon". A whole major such as "Drug Offences" is not (trafficking is crime found otherwise too).
    """
    name = " ".join(str(category).split()).lower()
    return name in _ACTIVITY_NAMES


RANK_COLUMNS = [
    "rank",
    "major",
    "category",
    "count",
    "previous_count",
    "change",
    "change_pct",
    "baseline_count",
    "baseline_change_pct",
    "harm",
    "cost_gbp",
    "score",
]
DETAIL_COLUMNS = [
    "volume_share",
    "harm_share",
    "cost_share",
    "harm_weight",
    "harm_status",
    "unit_cost_gbp",
    "cost_status",
    "weight_note",
    "indicator",
]


def pct_change(new: pd.Series, old: pd.Series) -> pd.Series:
    """Percentage change, NaN where the old value is zero or unknown (never an infinite percentage)."""
    old_f = old.astype(float)
    return ((new.astype(float) - old_f) / old_f.where(old_f > 0) * 100.0).round(1)


def rank_categories(
    counts: pd.DataFrame,
    period: Period,
    previous: Period | None,
    baseline: list[Period],
    level: str,
    weights: pd.DataFrame,
    score_weights: ScoreWeights,
) -> pd.DataFrame:
    """One row per category seen in the year, the previous year or the baseline, sorted by score.

    ``counts`` must already be one area's crime rows. ``weights`` has major, minor, harm_weight,
    harm_status, unit_cost_gbp, cost_status, note (see ``reference.weights``). Harm and cost are worked
    out per minor category and summed, so a major category's harm is exact even when its minors differ.
    """
    keys = ["major", "minor"]
    frame = pd.concat(
        {
            "count": period_counts(counts, period, keys),
            "previous_count": period_counts(counts, previous, keys),
            "baseline_count": baseline_counts(counts, baseline, keys),
        },
        axis=1,
    )
    frame["count"] = frame["count"].fillna(0).astype("int64")
    frame = frame.reset_index().rename(columns={"level_0": "major", "level_1": "minor"})
    idx = pd.MultiIndex.from_frame(frame[["major", "minor"]])
    w = weights.set_index(["major", "minor"])[
        ["harm_weight", "unit_cost_gbp", "harm_status", "cost_status", "note"]
    ].reindex(idx)
    frame["harm_weight"] = w["harm_weight"].to_numpy()
    frame["unit_cost_gbp"] = w["unit_cost_gbp"].to_numpy()
    frame["harm_status"] = w["harm_status"].fillna("unknown").to_numpy()
    frame["cost_status"] = w["cost_status"].fillna("unknown").to_numpy()
    frame["weight_note"] = w["note"].fillna("").to_numpy()
    frame["harm"] = frame["count"] * frame["harm_weight"]
    frame["cost_gbp"] = frame["count"] * frame["unit_cost_gbp"]
    # A category absent from a period that the data covers had no offences in it: zero, not unknown.
    frame["previous_count"] = frame["previous_count"].fillna(0) if previous is not None else np.nan
    frame["baseline_count"] = frame["baseline_count"].fillna(0) if baseline else np.nan

    if level == "major":
        frame = _to_major(frame)
    else:
        frame["category"] = frame["minor"]

    scored = composite_score(frame["count"], frame["harm"], frame["cost_gbp"], score_weights)
    frame = pd.concat([frame, scored], axis=1)
    frame["change"] = frame["count"] - frame["previous_count"]
    frame["change_pct"] = pct_change(frame["count"], frame["previous_count"])
    frame["baseline_change_pct"] = pct_change(frame["count"], frame["baseline_count"])
    frame["baseline_count"] = frame["baseline_count"].round(1)
    frame = frame.sort_values(
        ["score", "count", "major", "category"], ascending=[False, False, True, True], kind="mergesort"
    ).reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame["indicator"] = [
        "police activity" if is_activity_indicator(m, c) else "crime level"
        for m, c in zip(frame["major"], frame["category"], strict=True)
    ]
    # Whole offences; <NA> when the year is not in the data.
    for col in ("previous_count", "change"):
        frame[col] = frame[col].round().astype("Int64")
    for col in ("harm", "cost_gbp", "score", "volume_share", "harm_share", "cost_share"):
        frame[col] = frame[col].astype(float).round(2)
    return frame[RANK_COLUMNS + DETAIL_COLUMNS]


def _to_major(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum minors into majors; harm/cost are 'partial' when some offences had no weight."""

    def status(sub: pd.DataFrame, weight_col: str, status_col: str) -> str:
        live = sub[sub["count"] > 0]
        if live.empty:
            live = sub
        known = live[weight_col].notna()
        if known.all():
            statuses = sorted(set(live[status_col]))
            return statuses[0] if len(statuses) == 1 else "mixed: " + ", ".join(statuses)
        if not known.any():
            return "unknown"
        share = live.loc[known, "count"].sum() / max(live["count"].sum(), 1) * 100
        return f"partial ({share:.0f}% of offences weighted)"

    rows = []
    for major, sub in frame.groupby("major", sort=True):
        has_harm = sub["harm"].notna().any()
        has_cost = sub["cost_gbp"].notna().any()
        rows.append(
            {
                "major": major,
                "category": major,
                "count": int(sub["count"].sum()),
                "previous_count": sub["previous_count"].sum(min_count=1),
                "baseline_count": sub["baseline_count"].sum(min_count=1),
                "harm": sub["harm"].sum() if has_harm else np.nan,
                "cost_gbp": sub["cost_gbp"].sum() if has_cost else np.nan,
                "harm_weight": (sub["harm"].sum() / sub["count"].sum())
                if has_harm and sub["count"].sum()
                else np.nan,
                "unit_cost_gbp": (sub["cost_gbp"].sum() / sub["count"].sum())
                if has_cost and sub["count"].sum()
                else np.nan,
                "harm_status": status(sub, "harm_weight", "harm_status"),
                "cost_status": status(sub, "unit_cost_gbp", "cost_status"),
                "weight_note": "; ".join(sorted({n for n in sub["weight_note"] if n}))[:300],
            }
        )
    return pd.DataFrame(rows)

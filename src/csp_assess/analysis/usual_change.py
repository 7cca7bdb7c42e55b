"""The one change test the matrix's trend and the plan's RAG status share, and the words they print.

Both ask "did this measure change by more than usual?". Like every other change test in csp-assess (issue
#11) the answer allows for the measure's usual year-to-year variation, not counting noise alone: recorded
crime moves from year to year by far more than Poisson noise, so a counting-noise test calls a third of
unchanged categories "significant" and would turn a plan's priorities red or green on ordinary wobble.

The test (``stats.change_test`` with ``year_var``): for counts ``a`` (earlier) and ``b`` (later),
``z = log((b+1/2)/(a+1/2)) / sqrt(1/(a+1/2) + 1/(b+1/2) + 2 sigma^2)``, ``sigma^2`` the measure's
year-level variance (``analysis.yearvar``: the extract's earlier years, shrunk toward the packaged table),
Holm-adjusted across the distinct measures tested together (identical measures tested once), flagged when
``p_adjusted < alpha`` and ``a + b >= 10``. With variance "none" the exact conditional Poisson test of
counting noise alone is used instead, and the words say "chance variation", since that is all it measures.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from csp_assess.analysis.stats import change_test
from csp_assess.reference.priorities import Measure

# How a change flagged by the calibrated test is described in notes and reasons, and one that is not.
BEYOND = "larger than usual year-to-year variation"
WITHIN = "within usual year-to-year variation"
# The same with variance "none": the test then knows counting noise only.
NOISE_BEYOND = "beyond chance variation"
NOISE_WITHIN = "within chance variation"

RULE = (
    "over-dispersed log-ratio z = log((b+1/2)/(a+1/2)) / sqrt(1/(a+1/2) + 1/(b+1/2) + 2 sigma^2), a and b "
    "the two counts and sigma^2 the measure's year-level variance (year_sd = sigma), Holm-adjusted across "
    "the distinct measures tested together (identical measures once), p < alpha, with at least 10 offences "
    "in the two periods combined"
)
NOISE_RULE = (
    "exact conditional Poisson test of the two counts (counting noise only: variance none), Holm-adjusted "
    "across the distinct measures tested together (identical measures once), p < alpha, with at least 10 "
    "offences in the two periods combined"
)


def words(variance: str) -> tuple[str, str]:
    """(beyond, within): how a flagged and an unflagged change are described for this variance source."""
    return (NOISE_BEYOND, NOISE_WITHIN) if variance == "none" else (BEYOND, WITHIN)


def rule(variance: str) -> str:
    """The test in words, exactly as ``unusual_changes`` computes it for this variance source."""
    return NOISE_RULE if variance == "none" else RULE


def signature(every: pd.DataFrame, mask: pd.Series, measure: Measure | None = None) -> tuple[Hashable, ...]:
    """What a measure counts (its (major, minor) pairs in every area, and any flag), so two priorities
    counted by the same rows are one test, not two findings."""
    sig: tuple[Hashable, ...] = tuple(
        sorted(set(zip(every.loc[mask, "major"], every.loc[mask, "minor"], strict=True)))
    )
    if measure is not None:
        sig += tuple((kind, f) for kind, f in (("flag", measure.flag), ("not_flag", measure.not_flag)) if f)
    return sig


def unusual_changes(
    before: ArrayLike,
    after: ArrayLike,
    alpha: float,
    sigma2: ArrayLike | None = None,
    groups: Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """``p_value``, ``p_adjusted``, ``significant`` and ``tested_with`` (the row that carried the test) per pair.

    ``sigma2``: each row's year-level variance (None: counting noise only, the exact test). ``groups``: a key
    per row; rows with the same key are one measure, tested once (the first row's counts) and counted once in
    the Holm family. NaN pairs are left out of the family.
    """
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    keys: list[Hashable] = list(groups) if groups is not None else list(range(len(a)))
    var = None if sigma2 is None else np.asarray(sigma2, dtype=float)
    out = pd.DataFrame(
        {"p_value": np.nan, "p_adjusted": np.nan, "significant": False, "tested_with": -1},
        index=range(len(a)),
    )
    ok = ~(np.isnan(a) | np.isnan(b))
    first: dict[Hashable, int] = {}
    for i in np.flatnonzero(ok):
        first.setdefault(keys[i], int(i))
    if first:
        uniq = list(first.values())
        res = change_test(
            a[uniq],
            b[uniq],
            adjust="holm",
            alpha=alpha,
            year_var=None if var is None else 2.0 * var[uniq],
        )
        by_first = {i: j for j, i in enumerate(uniq)}
        for i in np.flatnonzero(ok):
            j = by_first[first[keys[i]]]
            out.loc[i, ["p_value", "p_adjusted"]] = res[["p_value", "p_adjusted"]].iloc[j].to_numpy()
            out.loc[i, "significant"] = bool(res["significant"].iloc[j])
            out.loc[i, "tested_with"] = first[keys[i]]
    out["significant"] = out["significant"].astype(bool)
    return out

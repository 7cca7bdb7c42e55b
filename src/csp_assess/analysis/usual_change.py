"""The one place the matrix and the plan call the change test, so the test can be swapped in one line.

The trend score of the scoring matrix and the RAG status of the plan both ask "did this change by more
than usual?". They ask it here, through ``stats.change_test``, so when the calibrated test (year-level
variance) replaces it, both follow, and so does the wording they print.

Wording: today's test measures chance (Poisson counting) variation only, so a change it flags is called
"beyond chance variation", not "unusual". When the calibrated test lands, ``BEYOND`` becomes "larger than
usual year-to-year variation" (and the trend scale in ``reference.scoring_file`` says the same).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from csp_assess.analysis.stats import change_test

# How a change flagged by the test is described in notes and reasons.
BEYOND = "beyond chance variation"
RULE = (
    "exact conditional Poisson test of the two counts, Holm-adjusted across the issues tested together, "
    "p < alpha, with at least 10 offences in the two periods combined"
)


def unusual_changes(before: ArrayLike, after: ArrayLike, alpha: float, ratio: float = 1.0) -> pd.DataFrame:
    """``p_adjusted`` and ``significant`` for each pair; NaN pairs are left out of the family."""
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    out = pd.DataFrame({"p_adjusted": np.nan, "significant": False}, index=range(len(a)))
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.any():
        res = change_test(a[ok], b[ok], adjust="holm", alpha=alpha, ratio=ratio)
        out.loc[ok, "p_adjusted"] = res["p_adjusted"].to_numpy()
        out.loc[ok, "significant"] = res["significant"].to_numpy(dtype=bool)
    out["significant"] = out["significant"].astype(bool)
    return out

"""Month-of-year seasonality: which calendar months a measure peaks in, for timing deep dives and operations.

Each calendar month's index is its mean count over the years the data covers it, against the mean of the
twelve monthly means (100 = an average month). Months are averaged separately, so an extract covering
some months three times and others twice is not biased towards the months it has more of. February's
fewer days are not adjusted for: the index is of offences per calendar month, as analysts count them.
"""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

MONTH_COLUMNS = [calendar.month_abbr[m].lower() for m in range(1, 13)]
SEASON_COLUMNS = ["subject", "peak_months", "low_months", "years_per_month", *MONTH_COLUMNS]
SEASON_DETAIL = ["measure", "months_covered", "monthly_mean"]
PEAKS = 3  # months named as the peak (and the low) of each measure


def seasonal_row(
    rows: pd.DataFrame, covered: list[pd.Period], subject: str, measure: str
) -> dict[str, object]:
    """The month-of-year index of ``rows`` (a counts table) over the ``covered`` months."""
    monthly = rows.groupby("month", observed=True)["count"].sum()
    values = monthly.reindex(pd.PeriodIndex(sorted(covered), freq="M")).fillna(0)
    by_cal: dict[int, list[float]] = {}
    for month, value in values.items():
        by_cal.setdefault(month.month, []).append(float(value))  # type: ignore[attr-defined]
    means = {m: float(np.mean(v)) for m, v in by_cal.items()}
    overall = float(np.mean(list(means.values()))) if means else 0.0
    out: dict[str, object] = {"subject": subject, "measure": measure}
    index: dict[int, float] = {}
    for m, col in enumerate(MONTH_COLUMNS, start=1):
        if m in means and overall > 0:
            index[m] = round(means[m] / overall * 100.0, 1)
        out[col] = index.get(m)
    # Ties are broken by calendar order, so the same data always names the same months.
    ranked = sorted(index, key=lambda m: (-index[m], m))
    full_year = len(index) == 12
    out["peak_months"] = ", ".join(calendar.month_abbr[m] for m in ranked[:PEAKS]) if full_year else None
    out["low_months"] = (
        ", ".join(calendar.month_abbr[m] for m in sorted(ranked[-PEAKS:], key=lambda m: (index[m], m)))
        if full_year
        else None
    )
    seen = [len(v) for v in by_cal.values()]
    out["years_per_month"] = (
        (f"{min(seen)}" if min(seen) == max(seen) else f"{min(seen)}-{max(seen)}") if seen else "0"
    )
    out["months_covered"] = len(values)
    out["monthly_mean"] = round(overall, 1)
    return out


def seasonality_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=SEASON_COLUMNS + SEASON_DETAIL)
    for col in MONTH_COLUMNS + ["monthly_mean"]:
        frame[col] = frame[col].astype("float64")
    return frame

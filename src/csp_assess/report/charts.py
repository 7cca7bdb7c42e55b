"""Charts for the report, drawn with matplotlib (Agg) as SVG: sharp in print, small, and byte-for-byte repeatable.

matplotlib is imported on first use only, so other commands never pay for it. Every chart is readable in
black and white: the series is a solid line, the baseline a dashed one, and periods are shaded and labelled.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from csp_assess.periods import Period
from csp_assess.render.values import printable

SALT = "csp-assess"  # svg.hashsalt: fixed, so element ids (and so the file) do not change from run to run
INK = "#1b1b1b"
SERIES = "#1f4e79"
BASELINE = "#b35900"
YEAR_SHADE = "#d9e6f2"
BASE_SHADE = "#f6e3cf"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update(
        {
            "svg.hashsalt": SALT,
            "svg.fonttype": "none",  # text stays text: selectable, and the browser's own font
            "text.parse_math": False,  # a '$' in an area or category name is a dollar, not mathtext
            "font.family": "sans-serif",
            "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica", "Liberation Sans"],
            "font.size": 9,
            "axes.edgecolor": INK,
            "axes.labelcolor": INK,
            "xtick.color": INK,
            "ytick.color": INK,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "path.simplify": False,
        }
    )
    return plt


def _x(month: pd.Period) -> float:
    """A month as a fractional year, the month's midpoint (no datetimes, so no timezone surprises)."""
    return month.year + (month.month - 0.5) / 12.0


def _shade(ax: Any, period: Period, color: str, label: str) -> None:
    lo, hi = min(period.months), max(period.months)
    ax.axvspan(_x(lo) - 0.5 / 12, _x(hi) + 0.5 / 12, color=color, zorder=0, lw=0, label=label)


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    _pyplot().close(fig)
    return buf.getvalue()


def date_ticks(first: pd.Period, last: pd.Period) -> tuple[list[float], list[str]]:
    """Tick positions (fractional years) and labels for a monthly axis, each label once.

    Over two years or more: one tick at the start of each January, labelled with the year (every second
    or fifth year on long spans). Shorter: one tick at the start of each quarter, labelled "Jan 2022".
    """
    span = (last - first).n + 1
    if span >= 24:
        step = 1 if span <= 12 * 12 else 2 if span <= 12 * 24 else 5
        years = [y for y in range(first.year + 1, last.year + 1) if y % step == 0]
        return [float(y) for y in years], [str(y) for y in years]
    starts = [m for m in pd.period_range(first, last, freq="M") if m.month in (1, 4, 7, 10)]
    return [m.year + (m.month - 1) / 12.0 for m in starts], [m.strftime("%b %Y") for m in starts]


def monthly_chart(
    monthly: pd.Series,
    period: Period,
    baseline: list[Period],
    baseline_mean: float | None,
    baseline_label: str | None,
    title: str,
    width: float = 7.2,
    height: float = 3.4,
    rolling: bool = True,
    noun: str = "offences",
) -> str:
    """The monthly series, the year analysed and the baseline year(s) shaded, the baseline's monthly mean.

    ``noun`` names what is counted ("incidents" for ASB, which are not offences) on the axis and legend."""
    return _svg(
        monthly_figure(
            monthly, period, baseline, baseline_mean, baseline_label, title, width, height, rolling, noun
        )
    )


def monthly_figure(
    monthly: pd.Series,
    period: Period,
    baseline: list[Period],
    baseline_mean: float | None,
    baseline_label: str | None,
    title: str,
    width: float = 7.2,
    height: float = 3.4,
    rolling: bool = True,
    noun: str = "offences",
) -> Any:
    """``monthly_chart``'s matplotlib figure (tests read its tick labels)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(width, height))
    fig.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.1 + 0.55 / height)
    xs = [_x(m) for m in monthly.index]
    if baseline:
        for i, p in enumerate(baseline):
            _shade(ax, p, BASE_SHADE, f"Pre-COVID baseline ({baseline_label})" if i == 0 else "_nolegend_")
    assessed = "year assessed" if period.complete else f"year assessed, partial: {len(period.months)} months"
    _shade(ax, period, YEAR_SHADE, f"{period.fy.label} ({assessed})")
    per_month = f"{noun[:1].upper()}{noun[1:]} per month"
    ax.plot(xs, monthly.to_numpy(), color=SERIES, lw=1.1, label=per_month)
    if rolling and len(monthly) >= 12:
        roll = monthly.rolling(12, min_periods=12).mean()
        ax.plot(xs, roll.to_numpy(), color=INK, lw=1.6, label="12-month average")
    if baseline_mean is not None:
        ax.axhline(baseline_mean, color=BASELINE, lw=1.4, ls=(0, (5, 3)), label="Baseline monthly average")
    ax.set_title(printable(title), loc="left", fontsize=10, color=INK)
    ax.set_ylabel(per_month)
    top = float(monthly.max()) if monthly.notna().any() else 1.0
    ax.set_ylim(0, top * 1.12 + 1)
    if xs:
        ax.set_xlim(min(xs) - 0.1, max(xs) + 0.1)
    if len(monthly):
        ticks, tick_labels = date_ticks(monthly.index.min(), monthly.index.max())
        ax.set_xticks(ticks, tick_labels)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.grid(axis="y", color="#cccccc", lw=0.5)
    # Below the plot, never over the data.
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.1 - 0.2 / height), fontsize=7.5, frameon=False, ncol=3
    )
    return fig


def deep_dive_chart(
    monthly: pd.Series,
    period: Period,
    baseline: list[Period],
    baseline_mean: float | None,
    baseline_label: str | None,
    title: str,
    years: int = 6,
    noun: str = "offences",
) -> str:
    """A priority's last few years by month: the same chart, narrower, so each deep dive fits a page."""
    start = min(period.months) - 12 * (years - 1)
    recent = monthly[monthly.index >= start]
    return monthly_chart(
        recent,
        period,
        baseline,
        baseline_mean,
        baseline_label,
        title,
        width=7.2,
        height=2.9,
        rolling=True,
        noun=noun,
    )

"""Date axes label each year once: a 35-month series must not read "2020 2020 2021 2021 2022 2022"."""

from __future__ import annotations

import re

import pandas as pd
from tests.conftest import shared

from csp_assess.periods import FinancialYear, Period
from csp_assess.report.charts import date_ticks, monthly_chart, monthly_figure


def _labels(series: pd.Series, period: Period) -> list[str]:
    fig = monthly_figure(series, period, [], None, None, "test")
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    import matplotlib.pyplot as plt

    plt.close(fig)
    return labels


def _series(first: str, months: int) -> pd.Series:
    idx = pd.period_range(first, periods=months, freq="M")
    return pd.Series([float(100 + i % 7) for i in range(months)], index=idx)


def _year(label: str) -> Period:
    fy = FinancialYear(int(label[:4]), 4)
    return Period(fy, tuple(fy.months))


def test_a_35_month_series_labels_each_year_once() -> None:
    s = _series("2019-12", 35)  # Dec 2019 .. Oct 2022, the Leicestershire span
    labels = _labels(s, _year("2021/22"))
    assert labels == ["2020", "2021", "2022"]  # each January inside the span, once


def test_short_series_label_quarters_and_long_ones_thin_out() -> None:
    assert _labels(_series("2021-04", 13), _year("2021/22")) == [
        "Apr 2021",
        "Jul 2021",
        "Oct 2021",
        "Jan 2022",
        "Apr 2022",
    ]
    ticks, labels = date_ticks(pd.Period("2010-04", "M"), pd.Period("2023-02", "M"))
    assert labels == [str(y) for y in range(2012, 2024, 2)]  # 155 months: every second year
    assert ticks == [float(y) for y in range(2012, 2024, 2)]


def test_leicestershire_chart_tick_labels_are_unique() -> None:
    import csp_assess as ca

    folder = shared("police_uk_leicestershire")
    ex = ca.load([folder])
    res = ca.trend(ex, area="Charnwood") if "Charnwood" in set(ex.counts["area"]) else ca.trend(ex)
    rows = res.rows
    s = pd.Series(
        rows["count"].to_numpy(dtype="float64"),
        index=pd.PeriodIndex([pd.Period(p[:7], freq="M") for p in rows["period"]], freq="M"),
    )
    assert len(s) == 35
    labels = _labels(s, _year("2021/22"))
    assert len(labels) == len(set(labels)) == 3
    # The SVG the report embeds carries the same text labels, once each.
    svg = monthly_chart(s, _year("2021/22"), [], None, None, "Charnwood")
    x_axis = svg[svg.index('id="matplotlib.axis_1"') : svg.index('id="matplotlib.axis_2"')]
    assert re.findall(r"<text [^>]*>([^<]*)</text>", x_axis) == ["2020", "2021", "2022"]

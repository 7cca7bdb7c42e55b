"""A theme pack as one self-contained HTML file, in the full report's style (same CSS, tables, figures).

Sections: headline, what the theme counts, the series, season, sub-categories, places, the quarterly
view, data and methods. Every piece of text is escaped; no scripts, no network; same input, same bytes.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from csp_assess.report.charts import deep_dive_chart
from csp_assess.report.html import CSS, cards_html, figure, table_html
from csp_assess.report.theme import ThemeData
from csp_assess.result import SOURCE_SUMMARY_COLUMNS

SECTIONS = [
    ("headline", "Headline"),
    ("counts", "What the theme counts"),
    ("series", "The series"),
    ("season", "Season"),
    ("categories", "Sub-categories"),
    ("places", "Places"),
    ("quarterly", "Quarterly view"),
    ("methods", "Data and methods"),
]
QUARTERLY_SHOWN = [
    "priority",
    "count",
    "year_ago_count",
    "change_pct",
    "direction",
    "plan_start_count",
    "plan_change_pct",
    "plan_direction",
]
#: How the sub-category column is judged: trend's breakdown test (yearvar.breakdown_variances), not bare Poisson.
BREAKDOWN_NOTE = (
    "Larger than usual: a change beyond the sub-category's usual year-to-year variation (over-dispersed "
    "log-ratio test, Holm-adjusted across the sub-categories, at least 10 in the two years together), "
    "as in trend."
)
MEMBERS_SHOWN = [
    "name",
    "class",
    "status",
    "count",
    "previous_count",
    "change_pct",
    "direction",
    "baseline_change_pct",
    "reason",
]


def theme_heads(data: ThemeData) -> dict[str, str]:
    """Column headings for people, naming the actual years."""
    h = data.headline
    year = data.period.label.split(" ")[0]
    prev = (h.previous_label or "previous year").split(" ")[0]
    base = h.baseline_label or "baseline"
    base_head = (
        f"Baseline {h.baseline_label}" if h.baseline_label else "Baseline"
    )  # never "Baseline baseline"
    return {
        "name": "Priority",
        "priority": "Priority",
        "class": "Kind",
        "status": "Recommendation",
        "reason": "Reason",
        "category": "Category",
        "period": "Year",
        "month": "Month",
        "count": year,
        "previous_count": prev,
        "change": "Change",
        "change_pct": f"Change on {prev}",
        "direction": "Direction",
        "significant": "Larger than usual",
        "baseline_count": base_head,
        "baseline_change_pct": f"Change on {base}",
        "baseline_mean": base_head,
        "vs_baseline_pct": "Against baseline",
        "complete": "Complete",
        "year_ago_count": "Year earlier",
        "plan_start_count": "Plan start",
        "plan_change_pct": "Change on plan start",
        "plan_direction": "Direction on plan start",
        "path": "File",
        "layout": "Layout",
        "categories": "Categories",
        "encoding": "Encoding",
        "rows_read": "Rows read",
        "rows_counted": "Counted",
        "rows_rejected": "Rejected",
        "months_used_span": "Months used",
    }


def years_heads(data: ThemeData) -> dict[str, str]:
    """The year-by-year table: each row is against its own year earlier, not the assessed year's."""
    return {
        **theme_heads(data),
        "count": data.noun.capitalize(),
        "previous_count": "Year earlier",
        "change": "Change",
        "change_pct": "Change on a year earlier",
    }


def quarterly_heads(data: ThemeData) -> dict[str, str]:
    """The quarterly table counts a quarter (``data.quarter``), not the assessed financial year."""
    quarter = data.quarter.split(" (")[0]
    return {
        **theme_heads(data),
        "count": quarter,
        "year_ago_count": "Same quarter a year earlier",
        "change_pct": "Change on a year earlier",
    }


def _cards(data: ThemeData) -> str:
    h = data.headline
    cards = [(f"{data.noun.capitalize()}, {data.period.label}", f"{h.count:,}", data.area)]
    if h.change is not None and h.previous_count is not None:
        pct = f" ({h.change_pct:+.1f}%)" if h.change_pct is not None else ""
        cards.append(
            (
                f"Change on {h.previous_label}",
                f"{h.change:+,}{pct}",
                f"from {h.previous_count:,}; {h.direction}",
            )
        )
    if h.baseline_count is not None:
        pct = f"{h.baseline_change_pct:+.1f}%" if h.baseline_change_pct is not None else "-"
        cards.append(
            (f"Against pre-COVID ({h.baseline_label})", pct, f"baseline {h.baseline_count:,.1f} a year")
        )
    if h.expected is not None and h.expected_low is not None and h.expected_high is not None:
        cards.append(
            (
                "Expected from pre-COVID trend and season",
                f"{h.expected:,.0f}",
                f"95% range {h.expected_low:,.0f}–{h.expected_high:,.0f}",
            )
        )
    return cards_html(cards)


def theme_chart(data: ThemeData) -> str:
    return deep_dive_chart(
        data.monthly,
        data.period,
        data.baseline,
        data.baseline_monthly_mean,
        data.headline.baseline_label,
        f"{data.theme.name}: {data.noun} per month",
        noun=data.noun,
    )


def chart_caption(data: ThemeData) -> str:
    cap = "Last six years by month, with the 12-month average; shaded: the year assessed"
    if data.baseline_monthly_mean is not None:
        cap += (
            f" and the pre-COVID baseline {data.headline.baseline_label}; dashed: the baseline's monthly average "
            f"({data.baseline_monthly_mean:,.1f})"
        )
    return cap + "."


def render_theme_html(data: ThemeData) -> str:
    h = data.headline
    heads = theme_heads(data)
    parts: list[str] = []
    add = parts.append
    add('<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f'<meta name="generator" content="csp-assess"><title>{escape(data.title)}</title>')
    add(f'<style>{CSS}</style></head><body class="theme-pack">')
    add(f'<header><h1>{escape(data.title)}</h1><p class="subtitle">{escape(data.subtitle)}')
    if data.rotation_quarter:
        add(f"<br>Deep dive on rotation for {escape(data.rotation_quarter)}")
    if data.lead:
        add(f"<br>Lead: {escape(data.lead)}")
    if data.date:
        add(f"<br>Produced {escape(data.date)}")
    add("</p></header>")
    add("<nav><strong>Contents</strong><ol>")
    for sid, name in SECTIONS:
        add(f'<li><a href="#{sid}">{escape(name)}</a></li>')
    add("</ol></nav>")

    add('<section id="headline"><h2 class="keep">Headline</h2>')
    add(f'<p class="lead" id="headline-text">{escape(h.sentence)}</p>')
    if h.baseline_sentence:
        add(f'<p class="lead">{escape(h.baseline_sentence)}</p>')
    add(_cards(data))
    add("</section>")

    add('<section id="counts"><h2>What the theme counts</h2>')
    if data.theme.about:
        add(f"<p>{escape(data.theme.about)}</p>")
    kind = (
        "one priority"
        if data.theme.kind == "priority"
        else f"a group of {len(data.theme.members)} priorities"
    )
    add(
        f"<p><strong>{escape(data.theme.name)}</strong> is {escape(kind)}, counted as: {escape(data.measure)}.</p>"
    )
    if data.not_measurable:
        add(
            "<p>Not measurable from this extract:</p><ul>"
            + "".join(f"<li>{escape(x)}</li>" for x in data.not_measurable)
            + "</ul>"
        )
    if data.theme.missing:
        add(f"<p>Not in the priority set, so not counted: {escape(', '.join(data.theme.missing))}.</p>")
    if data.proxies:
        add("<p>Proxy measures:</p><ul>" + "".join(f"<li>{escape(x)}</li>" for x in data.proxies) + "</ul>")
    add(table_html(data.members.frame, MEMBERS_SHOWN, heads, data.members.title, row_class="priority"))
    add("</section>")

    add('<section id="series"><h2>The series</h2>')
    add(
        figure(
            theme_chart(data), f"Line chart of {data.theme.name} {data.noun} per month", chart_caption(data)
        )
    )
    add(
        table_html(
            data.years.frame,
            ["period", "count", "previous_count", "change", "change_pct"],
            years_heads(data),
            data.years.title,
        )
    )
    add("</section>")

    add('<section id="season"><h2>Season</h2>')
    add(
        "<p>Each month of the year against the same month a year earlier and the same month's mean over the "
        "pre-COVID baseline years: a month far above its usual level shows here before it moves the year.</p>"
    )
    add(table_html(data.season.frame, data.season.columns, heads, data.season.title))
    add("</section>")

    add('<section id="categories"><h2>Sub-categories</h2>')
    add(table_html(data.breakdown.frame, data.breakdown.columns, heads, data.breakdown.title))
    add(f'<p class="small">{escape(BREAKDOWN_NOTE)}</p>')
    add("</section>")

    add('<section id="places"><h2>Places</h2>')
    if data.subareas is not None:
        add(
            table_html(
                data.subareas.frame,
                data.subareas.columns,
                {**heads, "category": "Place"},
                data.subareas.title,
            )
        )
    else:
        add(
            "<p>The extract has no ward or LSOA column, so places cannot be shown (ward files or police.uk street data can).</p>"
        )
    add("</section>")

    add('<section id="quarterly"><h2>Quarterly view</h2>')
    add(
        f"<p>{escape(data.quarter)}, against the same quarter a year earlier (as the quarterly command reports it).</p>"
    )
    add(
        table_html(
            data.quarterly.frame,
            [c for c in QUARTERLY_SHOWN if c in data.quarterly.shown_columns()],
            quarterly_heads(data),
        )
    )
    add("</section>")

    add('<section id="methods"><h2>Data and methods</h2><dl class="meta">')
    for k, v in data.options.items():
        add(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>")
    add("</dl><h3>Files</h3>")
    add(table_html(pd.DataFrame(data.sources), SOURCE_SUMMARY_COLUMNS, heads))
    add("<h3>Caveats</h3><ul>" + "".join(f"<li>{escape(c)}</li>" for c in data.caveats) + "</ul>")
    add("</section>")
    add(
        "<footer>Made with csp-assess from police recorded crime extracts. Figures agree with the "
        "<code>rank</code>, <code>trend --priority</code> and <code>quarterly</code> commands for the same files "
        "and options.</footer>"
    )
    add("</body></html>\n")
    return "".join(parts)

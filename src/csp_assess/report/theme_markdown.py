"""A theme pack as Markdown: the HTML pack's sections, tables as pipe tables, the chart as an image."""

from __future__ import annotations

import pandas as pd

from csp_assess.report.images import ImageLink, inline_image
from csp_assess.report.markdown import _esc, md_table
from csp_assess.report.theme import ThemeData
from csp_assess.report.theme_html import (
    BREAKDOWN_NOTE,
    MEMBERS_SHOWN,
    QUARTERLY_SHOWN,
    chart_caption,
    quarterly_heads,
    theme_chart,
    theme_heads,
    years_heads,
)
from csp_assess.result import SOURCE_SUMMARY_COLUMNS


def render_theme_markdown(data: ThemeData, image: ImageLink = inline_image) -> str:
    h = data.headline
    heads = theme_heads(data)
    out: list[str] = [f"# {_esc(data.title)}", "", _esc(data.subtitle)]
    if data.rotation_quarter:
        out += ["", f"Deep dive on rotation for {_esc(data.rotation_quarter)}"]
    if data.lead:
        out += ["", f"Lead: {_esc(data.lead)}"]
    if data.date:
        out += ["", f"Produced {_esc(data.date)}"]
    out += ["", "## Headline", "", _esc(h.sentence)]
    if h.baseline_sentence:
        out += ["", _esc(h.baseline_sentence)]
    out += ["", "## What the theme counts", ""]
    if data.theme.about:
        out += [_esc(data.theme.about), ""]
    out.append(f"**{_esc(data.theme.name)}** is counted as: {_esc(data.measure)}.")
    if data.not_measurable:
        out += ["", "Not measurable from this extract:", ""] + [f"- {_esc(x)}" for x in data.not_measurable]
    if data.theme.missing:
        out += ["", f"Not in the priority set, so not counted: {_esc(', '.join(data.theme.missing))}."]
    if data.proxies:
        out += ["", "Proxy measures:", ""] + [f"- {_esc(x)}" for x in data.proxies]
    out += ["", f"**{_esc(data.members.title)}**", ""] + md_table(data.members.frame, MEMBERS_SHOWN, heads)
    out += [
        "",
        "## The series",
        "",
        image(theme_chart(data), f"{data.theme.name} {data.noun} per month", "series"),
    ]
    out += ["", _esc(chart_caption(data)), ""]
    out += md_table(
        data.years.frame,
        ["period", "count", "previous_count", "change", "change_pct"],
        years_heads(data),
    )
    out += ["", "## Season", ""] + md_table(data.season.frame, data.season.columns, heads)
    out += ["", "## Sub-categories", ""] + md_table(data.breakdown.frame, data.breakdown.columns, heads)
    out += ["", _esc(BREAKDOWN_NOTE)]
    out += ["", "## Places", ""]
    if data.subareas is not None:
        out += [f"**{_esc(data.subareas.title)}**", ""]
        out += md_table(data.subareas.frame, data.subareas.columns, {**heads, "category": "Place"})
    else:
        out.append("The extract has no ward or LSOA column, so places cannot be shown.")
    out += ["", "## Quarterly view", "", _esc(data.quarter), ""]
    out += md_table(
        data.quarterly.frame,
        [c for c in QUARTERLY_SHOWN if c in data.quarterly.shown_columns()],
        quarterly_heads(data),
    )
    out += ["", "## Data and methods", ""] + [f"- **{_esc(k)}**: {_esc(v)}" for k, v in data.options.items()]
    out += ["", "### Files", ""] + md_table(pd.DataFrame(data.sources), SOURCE_SUMMARY_COLUMNS, heads)
    out += ["", "### Caveats", ""] + [f"- {_esc(c)}" for c in data.caveats]
    return "\n".join(out) + "\n"

"""The report as one Markdown file: the same sections as the HTML, charts embedded as SVG data URIs."""

from __future__ import annotations

import pandas as pd

from csp_assess.render.values import md_text
from csp_assess.report.build import ReportData, breakdown_note
from csp_assess.report.charts import deep_dive_chart, monthly_chart
from csp_assess.report.html import (
    BASELINE_HEADS,
    BASELINE_SHOWN,
    PRIORITY_SHOWN,
    RANK_SHOWN,
    WEIGHT_HEADS,
    WEIGHT_SHOWN,
    cell,
    labels,
)
from csp_assess.report.images import ImageLink, inline_image
from csp_assess.report.places import place_section_markdown
from csp_assess.report.section_layout import section_markdown
from csp_assess.result import SOURCE_SUMMARY_COLUMNS


def _esc(text: str) -> str:
    """Table-safe and inline-safe: names from the data never become HTML, code, images or links."""
    return md_text(text)


def md_table(frame: pd.DataFrame, columns: list[str], heads: dict[str, str]) -> list[str]:
    cols = [c for c in columns if c in frame.columns]
    num = {c: frame[c].dtype.kind in "iuf" for c in cols}
    lines = [
        "| " + " | ".join(_esc(heads.get(c, c.replace("_", " "))) for c in cols) + " |",
        "|" + "|".join("---:" if num[c] else "---" for c in cols) + "|",
    ]
    for row in frame[cols].itertuples(index=False):
        lines.append("| " + " | ".join(_esc(cell(v, c)) for c, v in zip(cols, row, strict=True)) + " |")
    return lines


def render_markdown(data: ReportData, image: ImageLink = inline_image) -> str:
    """The report as Markdown; ``image`` places each chart (inline, or a file beside the report)."""
    h = data.headline
    heads = labels(data)
    base = h.baseline_label
    out: list[str] = [f"# {_esc(data.title)}", "", _esc(data.subtitle)]
    if data.date:
        out += ["", f"Produced {_esc(data.date)}"]
    out += ["", "## Headline", "", _esc(h.sentence)]
    if h.baseline_sentence:
        out += ["", _esc(h.baseline_sentence)]
    out += ["", f"- **Offences recorded, {_esc(h.year)}**: {h.total:,}"]
    if h.previous_total is not None and h.change is not None:
        pct = f" ({h.change_pct:+.1f}%)" if h.change_pct is not None else ""
        out.append(
            f"- **Change on {_esc(str(h.previous_label))}**: {h.change:+,}{pct}, from {h.previous_total:,}"
        )
    if h.baseline_total is not None and h.baseline_change is not None:
        pct = f" ({h.baseline_change_pct:+.1f}%)" if h.baseline_change_pct is not None else ""
        out.append(
            f"- **Against pre-COVID ({_esc(str(base))})**: {h.baseline_change:+,.0f}{pct}, baseline "
            f"{h.baseline_total:,.0f}"
        )
    if h.expected is not None and h.expected_low is not None and h.expected_high is not None:
        out.append(
            f"- **Expected had the pre-COVID trend continued**: {h.expected:,.0f} "
            f"(95% range {h.expected_low:,.0f}–{h.expected_high:,.0f})"
        )
    if h.asb_incidents:  # as the HTML pack and summary: incidents on their own line, never in the total
        out += [
            "",
            f"Anti-social behaviour: {h.asb_incidents:,} incidents in {_esc(h.year)}, kept out of crime totals.",
        ]
    out += ["", "## Offences by month", ""]
    svg = monthly_chart(
        data.monthly,
        data.period,
        data.baseline,
        data.baseline_monthly_mean,
        base,
        f"{h.area}: offences recorded per month",
    )
    out.append(image(svg, f"Offences per month in {h.area}", "monthly"))
    out += ["", "## Offences by major category", ""]
    out += md_table(
        data.by_major.frame,
        ["category", "count", "previous_count", "change", "change_pct", "contribution_pct", "share_pct"],
        heads,
    )
    if data.baseline_table is not None:
        out += ["", "## Against pre-COVID levels", ""]
        out += md_table(data.baseline_table.frame, BASELINE_SHOWN, {**heads, **BASELINE_HEADS})
    out += ["", "## Ranking by volume, harm and cost", ""]
    out += md_table(data.rank.tables["rows"].frame, RANK_SHOWN, heads)
    out += ["", "## Recommended priorities", ""]
    out += md_table(data.rank.tables["priorities"].frame, PRIORITY_SHOWN, heads)
    for sid, section in (("matrix", data.matrix), ("plan", data.plan)):
        if section is not None:
            out += section_markdown(sid, section, md_table, image, _esc, heads)
    out += ["", "## Deep dives"]
    for i, dd in enumerate(data.deep_dives, 1):
        out += [
            "",
            f"### {i}. {_esc(dd.name)}",
            "",
            f"**{_esc(dd.status.capitalize())}** ({_esc(dd.klass)}). {_esc(dd.reason)}",
        ]
        out += ["", f"Measured by: {_esc(dd.measure)}. {dd.count:,} {dd.noun} in {_esc(h.year)}.", ""]
        svg = deep_dive_chart(
            dd.monthly,
            data.period,
            data.baseline,
            dd.baseline_monthly_mean,
            base,
            f"{dd.name}: {dd.noun} per month",
            noun=dd.noun,
        )
        out += [image(svg, f"{dd.name} {dd.noun} per month", dd.name), ""]
        out += md_table(dd.years, ["year", "count", "complete"], {**heads, "count": dd.noun.capitalize()}) + [
            ""
        ]
        out += ["", f"**{_esc(dd.breakdown.title)}**", ""] + md_table(
            dd.breakdown.frame, dd.breakdown.columns, heads
        )
        out += ["", _esc(breakdown_note(dd))]
        if dd.subareas is not None:
            out += ["", f"**{_esc(dd.subareas.title)}**", ""] + md_table(
                dd.subareas.frame, dd.subareas.columns, {**heads, **dd.subareas.headers}
            )
    if data.places is not None:
        out += place_section_markdown(data.places, image, md_table, _esc, heads)
    out += ["", "## Data and methods", ""]
    out += [f"- **{_esc(k)}**: {_esc(v)}" for k, v in data.options.items()]
    out += [
        "",
        "### Files",
        "",
        f"Read {data.rows_read:,} rows: {data.rows_counted:,} counted + {data.rows_rejected:,} rejected.",
        "",
    ]
    out += md_table(
        pd.DataFrame(data.sources),
        SOURCE_SUMMARY_COLUMNS,
        heads,
    )
    out += ["", "### Snapshots", ""] + [f"- {_esc(s)}" for s in data.snapshots]
    out += ["", "### Coverage gaps", ""]
    out += [f"- {_esc(g)}" for g in data.gaps] or ["None: every month from the first to the last is covered."]
    out += ["", "### Rejected rows", ""]
    out += (
        md_table(data.rejects, ["reason", "rows", "examples"], heads)
        if len(data.rejects)
        else ["None: every row read was counted."]
    )
    out += ["", "### Weight sources and their status", ""]
    out += md_table(data.weights, WEIGHT_SHOWN, {**heads, **WEIGHT_HEADS})
    out += ["", "### Caveats", ""] + [f"- {_esc(c)}" for c in data.caveats]
    return "\n".join(out) + "\n"

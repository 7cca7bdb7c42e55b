"""The matrix and plan sections laid out in HTML and Markdown (the PDF prints the HTML).

Each section shows its tables, then the rules it rests on (the scales and thresholds of the matrix, the
RAG rule and the change test of the plan) right beneath, so nobody reads a score or a colour without the
rule that set it; the same rules are repeated in the methods text.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from csp_assess.report.sections import Section
from csp_assess.result import Table

HEADS = {
    "order": "Order",
    "issue": "Issue",
    "kind": "Kind",
    "volume": "Volume",
    "harm": "Harm",
    "cost": "Cost",
    "trend": "Trend",
    "rate": "Rate",
    "public_concern": "Public concern",
    "vulnerability": "Vulnerability / threat",
    "capacity": "Capacity",
    "reputational_risk": "Reputational risk",
    "total": "Weighted total",
    "likelihood": "Likelihood",
    "impact": "Impact",
    "overrides": "Overrides",
    "priority": "Priority",
    "target": "Target",
    "target_year_count": "Target year count",
    "latest_12m_count": "Latest 12 months",
    "change_pct": "Change %",
    "target_count": "Target count",
    "rag": "RAG",
    "reason": "Reason",
    "decision": "Decision",
    "previous_target": "Previous target",
}
INTRO = {
    "matrix": "Each candidate issue scored 1-5 on the stated scales: volume, harm, cost, trend and rate computed "
    "from the data, the rest from the partnership's workshop. The order is by the weighted total; a computed "
    "score the workshop changed is used but named under Overrides. The chart places each issue by likelihood "
    "and impact; the scales, thresholds and weights follow the table.",
    "plan": "Each priority of the plan: the latest 12 months against its target year, with a RAG status set by "
    "the rule stated beneath the table.",
}
RULES_HEADING = {"matrix": "Scales, thresholds and weights", "plan": "How the status is set"}

TableHtml = Callable[..., str]
FigureHtml = Callable[[str, str, str], str]


def section_html(
    sid: str, section: Section, table_html: TableHtml, figure: FigureHtml, heads: dict[str, str]
) -> str:
    """One section as HTML: its first table, the chart, the rules, any warnings, then further tables."""
    h = {**heads, **HEADS}
    out = [f'<section id="{sid}"><h2>{escape(section.title)}</h2><p>{escape(INTRO[sid])}</p>']
    first, *rest = section.tables
    out.append(table_html(first.frame, first.columns, h, first.title))
    if section.svg is not None:
        out.append(
            figure(
                section.svg,
                "Scatter chart of the issues by likelihood and impact",
                "Impact against likelihood: likelihood is the mean of the volume, trend and rate scores; impact "
                "the mean of the harm, cost, public concern and vulnerability scores (those scored). Numbers are "
                "places in the matrix order.",
            )
        )
    out.append(f"<h3>{escape(RULES_HEADING[sid])}</h3><ul>")
    out += [f"<li>{escape(n)}</li>" for n in section.notes]
    out.append("</ul>")
    if section.warnings:
        out.append("<h3>Read with care</h3><ul>")
        out += [f"<li>{escape(w)}</li>" for w in section.warnings]
        out.append("</ul>")
    for t in rest:
        out.append(f"<h3>{escape(_short(t))}</h3>")
        out.append(table_html(t.frame, t.columns, h, t.title))
    out.append("</section>")
    return "".join(out)


def section_markdown(
    sid: str,
    section: Section,
    md_table: Callable[..., list[str]],
    image: Callable[[str, str, str], str],
    esc: Callable[[str], str],
    heads: dict[str, str],
) -> list[str]:
    """The same section as Markdown lines."""
    h = {**heads, **HEADS}
    out = ["", f"## {esc(section.title)}", "", esc(INTRO[sid]), ""]
    first, *rest = section.tables
    out += [f"**{esc(first.title)}**", ""] + md_table(first.frame, first.columns, h)
    if section.svg is not None:
        out += ["", image(section.svg, "Impact against likelihood", sid)]
    out += ["", f"### {esc(RULES_HEADING[sid])}", ""] + [f"- {esc(n)}" for n in section.notes]
    if section.warnings:
        out += ["", "### Read with care", ""] + [f"- {esc(w)}" for w in section.warnings]
    for t in rest:
        out += ["", f"### {esc(_short(t))}", "", f"**{esc(t.title)}**", ""] + md_table(t.frame, t.columns, h)
    return out


def _short(t: Table) -> str:
    return t.title.split(":")[0] if t.title else "Table"

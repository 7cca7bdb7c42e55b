"""Terminal output with rich: the tables people read, then provenance and warnings beneath."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from csp_assess.render.values import human
from csp_assess.result import Result

HEADERS = {
    "count": "Count",
    "previous_count": "Prev",
    "change": "Change",
    "change_pct": "Change %",
    "contribution_pct": "Share of change %",
    "share_pct": "Share %",
    "searches": "Searches",
    "outcome_linked": "Linked",
    "outcome_linked_pct": "Linked %",
    "crimes": "Crimes",
    "charged_summonsed_pct": "Charged %",
    "out_of_court_pct": "Out of court %",
    "no_suspect_pct": "No suspect %",
    "unable_to_prosecute_pct": "Unable to prosecute %",
    "under_investigation_pct": "Under invest. %",
    "baseline_count": "Baseline",
    "baseline_change_pct": "vs base %",
    "harm": "Harm",
    "cost_gbp": "Cost",
    "score": "Score",
    "rank": "#",
    "major": "Major",
    "category": "Category",
    "name": "Priority",
    "class": "Class",
    "status": "Status",
    "measure": "Measure",
    "proxy": "Proxy",
    "reason": "Reason",
    # the prioritisation matrix (analysis.matrix): short, so the issue names keep their width
    "issue": "Issue",
    "public_concern": "Concern",
    "vulnerability": "Vuln",
    "capacity": "Capacity",
    "reputational_risk": "Risk",
    "likelihood": "Likelihood",
}
NARROW_SKIP = {"major"}


def render_table(result: Result, console: Console) -> None:
    meta = result.meta
    console.print(Text(result.title or result.command, style="bold"))
    facts = [
        f"{k.replace('_', ' ')}: {meta[k]}"
        for k in ("previous_year", "baseline", "harm_index", "level")
        if meta.get(k) is not None
    ]
    if facts:
        console.print(Text("  ".join(facts), style="dim"))
    for name, table in result.tables.items():
        cols = [c for c in table.columns if c in table.frame.columns]
        if name == "priorities":
            cols = [c for c in cols if c != "proxy"]
        if console.width < 140:
            cols = [c for c in cols if c not in NARROW_SKIP]
        rt = RichTable(
            title=table.title if name != "rows" else None,
            title_justify="left",
            show_lines=False,
            header_style="bold",
            expand=False,
        )
        for c in cols:
            numeric = table.frame[c].dtype.kind in "iuf" and c not in ("rank",)
            rt.add_column(
                HEADERS.get(c, c.replace("_", " ")),
                justify="right" if numeric else "left",
                overflow="fold",
                no_wrap=numeric,
                max_width=70 if c == "reason" else None,
                min_width=18 if c in ("category", "name", "issue") else None,
            )
        for row in table.frame[cols].itertuples(index=False):
            cells = [human(v, c) for c, v in zip(cols, row, strict=True)]
            rt.add_row(*cells)
        console.print(rt)
    if result.meta.get("harm_index") and result.meta.get("cost_prices"):
        console.print(
            Text(
                f"Harm: {meta.get('harm_index_description', '')}. Cost: Home Office unit costs, "
                f"{meta['cost_prices']} prices. Score = mean share (%) of volume, harm and cost "
                f"({meta.get('score_weights', '')}).",
                style="dim",
            )
        )
    for s in result.sources:
        sup = "; ".join(
            f"{x['months']} month(s) {x['span']} superseded by {x['by']}" for x in s["superseded"]
        )
        console.print(
            Text(
                f"Source: {s['path']} [{s['layout']}, {s['encoding']}] months used "
                f"{s['months_used_span']}" + (f"; {sup}" if sup else ""),
                style="dim",
            )
        )
    for n in result.notes:
        console.print(Text(n, style="dim"))
    for w in result.warnings:
        console.print(Text(f"Warning: {w}", style="yellow"))

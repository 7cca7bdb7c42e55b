"""Terminal output with rich: the tables people read, then provenance and warnings beneath."""

from __future__ import annotations

import os
import sys
from typing import IO

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from csp_assess.render.values import human, printable
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


class _Console(Console):
    """rich exits with status 1 when the reader of a pipe goes away (``rank ... | head``); the CSV and
    JSON outputs treat that as success, and so does the table."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # later flushes of stdout go nowhere, quietly
        raise SystemExit(0)


def terminal_console(
    file: IO[str] | None = None, width: int | None = None, no_color: bool = False
) -> Console:
    """A console that never reads markup or emoji codes in what it prints: data names are shown literally."""
    return _Console(file=file, width=width, no_color=no_color, highlight=False, markup=False, emoji=False)


def _text(value: str, style: str = "") -> Text:
    """Data text for the terminal: never markup, control characters and escape sequences made visible."""
    return Text(printable(value), style=style)


def render_table(result: Result, console: Console) -> None:
    """The result's tables, then provenance and warnings. Every string from the data goes in as ``Text``
    (rich reads markup such as ``[bold]`` or ``[/]`` in plain strings: a name could crash or restyle it)."""
    meta = result.meta
    console.print(_text(result.title or result.command, style="bold"))
    facts = [
        f"{k.replace('_', ' ')}: {meta[k]}"
        for k in ("previous_year", "baseline", "harm_index", "level")
        if meta.get(k) is not None
    ]
    if facts:
        console.print(_text("  ".join(facts), style="dim"))
    for name, table in result.tables.items():
        cols = [c for c in table.columns if c in table.frame.columns]
        if name == "priorities":
            cols = [c for c in cols if c != "proxy"]
        if console.width < 140:
            cols = [c for c in cols if c not in NARROW_SKIP]
        rt = RichTable(
            title=_text(table.title) if name != "rows" and table.title else None,
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
            cells = [_text(human(v, c)) for c, v in zip(cols, row, strict=True)]
            rt.add_row(*cells)
        console.print(rt)
    if result.meta.get("harm_index") and result.meta.get("cost_prices"):
        console.print(
            _text(
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
            _text(
                f"Source: {s['path']} [{s['layout']}, {s['encoding']}] months used "
                f"{s['months_used_span']}" + (f"; {sup}" if sup else ""),
                style="dim",
            )
        )
    for n in result.notes:
        console.print(_text(n, style="dim"))
    for w in result.warnings:
        console.print(_text(f"Warning: {w}", style="yellow"))

"""Hooks the evidence pack can call for the matrix and the plan: a table, its notes and (matrix) a chart.

The report's layout belongs to ``report.build``; these only hand over what a section shows, so the
command line, the API and the pack show the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from csp_assess.result import Result, Table


@dataclass
class Section:
    title: str
    tables: list[Table]
    notes: list[str] = field(default_factory=list)
    svg: str | None = None


def matrix_section(rank_result: Result) -> Section | None:
    """The prioritisation matrix of a ranking built with a scoring file (None without one)."""
    table = rank_result.tables.get("matrix")
    if table is None:
        return None
    from csp_assess.report.matrix_chart import matrix_chart

    notes = [n for n in rank_result.notes if n.startswith(("Matrix", "Trend:", "Rate:", "Anti-social"))]
    return Section("Prioritisation matrix", [table], notes, matrix_chart(table.frame))


def plan_section(quarterly_result: Result) -> Section | None:
    """Progress against the plan (RAG) and the decision log of a quarterly run with a plan file."""
    tables = [quarterly_result.tables[n] for n in ("plan", "decisions") if n in quarterly_result.tables]
    if not tables:
        return None
    notes = [n for n in quarterly_result.notes if n.startswith(("Plan", "RAG"))]
    return Section("Progress against the plan", tables, notes)

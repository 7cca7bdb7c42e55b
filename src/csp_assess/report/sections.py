"""The evidence pack's matrix and plan sections: a table (or two), the notes that state their rules, a chart.

The report's layout belongs to ``report.html``/``markdown``/``xlsx``; these only hand over what a section
shows, built by the same functions as ``rank --scoring`` and ``quarterly --plan``, so the command line, the
API and the pack show the same figures and print the same rules.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from csp_assess.result import Result, Table

if TYPE_CHECKING:
    from csp_assess.analysis.rank_options import RankOptions
    from csp_assess.model import Extract
    from csp_assess.reference.plan import Plan
    from csp_assess.reference.priorities import PrioritySet
    from csp_assess.reference.scoring_file import ScoringFile

MATRIX_NOTES = ("Matrix", "Trend:", "Trend year-level", "Rate:", "Anti-social behaviour incidents are not")
PLAN_NOTES = ("Plan", "RAG", "Usual variation", "Decision log")


@dataclass
class Section:
    title: str
    tables: list[Table]
    notes: list[str] = field(default_factory=list)  # the scales, thresholds and rules, for the methods text
    svg: str | None = None
    warnings: list[str] = field(default_factory=list)  # overrides, COVID years: read with care


def matrix_section(rank_result: Result, notes: list[str] | None = None) -> Section | None:
    """The prioritisation matrix of a ranking built with a scoring file (None without one); ``notes``
    default to the ranking's matrix notes."""
    table = rank_result.tables.get("matrix")
    if table is None:
        return None
    from csp_assess.report.matrix_chart import matrix_chart

    if notes is None:
        notes = [n for n in rank_result.notes if n.startswith(MATRIX_NOTES)]
    return Section("Prioritisation matrix", [table], notes, matrix_chart(table.frame))


def plan_section(quarterly_result: Result, notes: list[str] | None = None) -> Section | None:
    """Progress against the plan (RAG) and the decision log of a quarterly run with a plan file."""
    tables = [quarterly_result.tables[n] for n in ("plan", "decisions") if n in quarterly_result.tables]
    if not tables:
        return None
    if notes is None:
        notes = [n for n in quarterly_result.notes if n.startswith(PLAN_NOTES)]
    return Section("Progress against the plan", tables, notes)


def report_matrix(
    rank: Result,
    extract: Extract,
    opts: RankOptions,
    pset: PrioritySet,
    scoring: ScoringFile,
    population: str | float | None,
) -> Section:
    """The matrix section of the evidence pack: ``rank --scoring`` on the pack's own ranking (left as it is)."""
    from csp_assess.analysis.matrix import add_matrix, matrix_for

    pop = population if population is not None else scoring.population
    own = dataclasses.replace(rank, tables=dict(rank.tables), meta=dict(rank.meta), notes=[], warnings=[])
    add_matrix(own, matrix_for(rank, extract, opts, pset, pop), scoring)
    section = matrix_section(own, own.notes)
    assert section is not None  # add_matrix always adds the table
    section.warnings = own.warnings
    return section


def report_plan(
    extract: Extract,
    pset: PrioritySet,
    plan: Plan,
    previous: Plan | None,
    opts: RankOptions,
    alpha: float,
) -> Section:
    """The plan section of the evidence pack: ``quarterly --plan``'s progress table and decision log."""
    from csp_assess.analysis.plan_progress import add_plan

    own = Result(command="quarterly", meta={}, tables={}, sources=[], warnings=[])
    add_plan(own, extract, pset, plan, previous, opts.area, alpha, opts.start_month, opts.variance)
    section = plan_section(own, own.notes)
    assert section is not None  # add_plan always adds the plan table
    section.warnings = own.warnings
    return section

"""`csp-assess report`: the evidence pack, or one theme's pack, as one file (HTML, Markdown, Excel or PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from csp_assess import api
from csp_assess.cli.options import (
    Inputs,
    PlanOpt,
    PopulationOpt,
    PreviousPlanOpt,
    Scope,
    ScoringOpt,
    Weighting,
    command,
)

app = typer.Typer()


@command(app)
def report(
    inputs: Inputs,
    scope: Scope,
    weighting: Weighting,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Report file: .html, .md, .xlsx or .pdf (the extension picks the format). Markdown's charts "
            "are SVG files in a <name>_charts folder beside it.",
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="Report format: html, markdown, xlsx or pdf. Default: from --output."
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Report title.")] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Date printed on the report, e.g. 'March 2023'. None by default, so the same input gives "
            "the same file.",
        ),
    ] = None,
    theme: Annotated[
        str | None,
        typer.Option(
            "--theme",
            help="Make a theme pack: one priority (e.g. 'Violence Against Women and Girls') or a named group "
            "(e.g. 'Serious violence'; groups in reference/themes.toml or the --rotation plan).",
        ),
    ] = None,
    rotation: Annotated[
        Path | None,
        typer.Option(
            "--rotation",
            help="Plan file (TOML) whose [[rotation]] names the theme and lead of each quarter; with --quarter.",
        ),
    ] = None,
    quarter: Annotated[
        str | None,
        typer.Option("--quarter", help="The rotation quarter whose theme pack to make, e.g. 2023/24-Q2."),
    ] = None,
    scoring: ScoringOpt = None,
    population: PopulationOpt = None,
    plan: PlanOpt = None,
    previous_plan: PreviousPlanOpt = None,
) -> None:
    """The strategic assessment evidence pack in one file: headline, charts, ranking, priorities, deep dives.

    HTML is self-contained (charts embedded, no network) and prints cleanly; Excel has one sheet per
    table. Figures are those of the summary, baseline and rank commands for the same options, and it
    takes the same weighting options as rank. With --scoring the pack lays out the prioritisation matrix
    (as rank --scoring); with --plan, progress against the plan and its RAG rule (as quarterly --plan).

    Example: csp-assess report data/sample_offences.csv --output assessment.html

    Example: csp-assess report data/sample_offences.csv --year 2021/22 --output assessment.xlsx

    Example: csp-assess report data/sample_offences.csv --theme "Violence Against Women and Girls" -o vawg.pdf

    Example: csp-assess report data/sample_offences.csv --rotation plan.toml --quarter 2023/24-Q2 -o pack.html

    Example: csp-assess report data/sample_offences.csv --scoring workshop.toml --plan plan.toml -o pack.pdf
    """
    from csp_assess.report import report_format

    kind = report_format(output, fmt)  # before the work: a bad name fails at once
    made = api.report(
        inputs.load(places=True, areas=scope.area),
        output=output,
        format=kind,
        title=title,
        date=date,
        theme=theme,
        rotation=rotation,
        quarter=quarter,
        scoring=scoring,
        population=population,
        plan=plan,
        previous_plan=previous_plan,
        **scope.kwargs(),
        **weighting.kwargs(),
    )
    typer.echo(f"Wrote {output} ({kind})", err=True)
    ranking = getattr(made.data, "rank", None)  # a theme pack has no ranking of its own
    in_use = ranking.meta.get("priorities_in_use") if ranking is not None else None
    if in_use:
        typer.echo(f"Priorities: {in_use}", err=True)

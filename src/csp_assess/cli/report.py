"""`csp-assess report`: the evidence pack as one file (HTML, Markdown or Excel)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from csp_assess import api
from csp_assess.cli.options import Inputs, Scope, Weighting, command

app = typer.Typer()


@command(app)
def report(
    inputs: Inputs,
    scope: Scope,
    weighting: Weighting,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Report file: .html, .md or .xlsx (the extension picks the format)."
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="Report format: html, markdown or xlsx. Default: from --output."),
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
) -> None:
    """The strategic assessment evidence pack in one file: headline, charts, ranking, priorities, deep dives.

    HTML is self-contained (charts embedded, no network) and prints cleanly; Excel has one sheet per
    table. Figures are those of the summary, baseline and rank commands for the same options, and it
    takes the same weighting options as rank.

    Example: csp-assess report data/sample_offences.csv --output assessment.html

    Example: csp-assess report data/sample_offences.csv --year 2021/22 --output assessment.xlsx
    """
    from csp_assess.report import report_format

    kind = report_format(output, fmt)  # before the work: a bad name fails at once
    api.report(
        inputs.load(places=True),
        output=output,
        format=kind,
        title=title,
        date=date,
        **scope.kwargs(),
        **weighting.kwargs(),
    )
    typer.echo(f"Wrote {output} ({kind})", err=True)

"""`csp-assess report`: the evidence pack as one file (HTML, Markdown or Excel). Thin: parse, load, build, write."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from csp_assess.cli_options import (
    AreaOpt,
    BaselineOpt,
    FilesArg,
    HarmIndex,
    HarmOpt,
    Level,
    LevelOpt,
    MapOpt,
    NoCacheOpt,
    PrioritiesOpt,
    StartMonthOpt,
    WCostOpt,
    WHarmOpt,
    WVolumeOpt,
    YearOpt,
    load_files,
    score_weights,
)


class ReportFormat(StrEnum):
    html = "html"
    markdown = "markdown"
    xlsx = "xlsx"


def report(
    files: FilesArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Report file: .html, .md or .xlsx (the extension picks the format)."
        ),
    ],
    area: AreaOpt = None,
    year: YearOpt = None,
    baseline: BaselineOpt = None,
    level: LevelOpt = Level.minor,
    harm: HarmOpt = HarmIndex.cchi,
    priorities: PrioritiesOpt = None,
    w_volume: WVolumeOpt = 1.0,
    w_harm: WHarmOpt = 1.0,
    w_cost: WCostOpt = 1.0,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option("--format", "-f", help="Report format. Default: from the --output file's extension."),
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
    fy_start: StartMonthOpt = 4,
    map_: MapOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """The strategic assessment evidence pack in one file: headline, charts, ranking, priorities, deep dives.

    HTML is self-contained (charts embedded, no network) and prints cleanly; Excel has one sheet per
    table. Figures are those of the summary, baseline and rank commands for the same options.

    Example: csp-assess report data/sample_offences.csv --output assessment.html

    Example: csp-assess report data/sample_offences.csv --year 2021/22 --output assessment.xlsx
    """
    from csp_assess.analysis.rank import RankOptions
    from csp_assess.output import check_not_input
    from csp_assess.reference.priorities import load_priorities
    from csp_assess.report import report_format, write_report
    from csp_assess.report.build import ReportOptions, build_report

    weights = score_weights(w_volume, w_harm, w_cost)
    kind = report_format(output, fmt.value if fmt else None)
    check_not_input(output, files)
    pset = load_priorities(priorities)
    extract = load_files(files, map_, no_cache)
    opts = ReportOptions(
        rank=RankOptions(
            area=area,
            year=year,
            baseline=baseline,
            level=level.value,
            harm_index=harm.value,
            start_month=fy_start,
            score_weights=weights,
        ),
        date=date,
        title=title,
    )
    data = build_report(extract, opts, pset)
    write_report(data, kind, output)
    typer.echo(f"Wrote {output} ({kind})", err=True)


def register(app: typer.Typer) -> None:
    app.command(name="report")(report)

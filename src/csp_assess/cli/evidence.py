"""Partnership evidence beyond the crime counts: stop and search (``stops``) and outcomes (``outcomes``).

Thin commands: parse -> api -> emit.
"""

from __future__ import annotations

from typing import Annotated

import typer

from csp_assess import api
from csp_assess.cli.options import FilesArg, Output, PrioritiesOpt, Scope, command
from csp_assess.cli.output import emit

app = typer.Typer()

ForceOpt = Annotated[
    str | None,
    typer.Option(
        "--force", help="The force, when the stop-and-search files cover several (named from the file names)."
    ),
]


@command(app)
def stops(files: FilesArg, scope: Scope, out: Output, force: ForceOpt = None) -> None:
    """Stop and search: searches by month, legislation, object of search and outcome, and the share whose
    outcome was linked to the object searched for.

    Give police.uk *-stop-and-search.csv files (or folders or zips holding them); any crime files given
    too are loaded, and drug and weapon possession offences are shown by month beside the searches (for
    --area; default the area named like the force, else all areas). police.uk dates are UTC timestamps:
    each search is counted in its month in UK local time (Europe/London). Searches are counted by force
    and never added to crime totals. --year restricts to a financial year; default every month in the files.

    Example: csp-assess stops ../shared/data/police_uk_city_of_london_2017_2020 --year 2019/20

    Example: csp-assess stops 2020-*-city-of-london-stop-and-search.csv --format json
    """
    emit(api.stops(files, **scope.kwargs(), force=force), out)


@command(app)
def outcomes(
    files: FilesArg,
    scope: Scope,
    out: Output,
    priorities: PrioritiesOpt = None,
) -> None:
    """Outcomes of an area's crimes (police.uk Last outcome category): the share charged or summonsed, dealt
    with out of court, closed with no suspect identified, unable to prosecute, still under investigation,
    and so on, by category, by month recorded and by priority.

    Only police.uk street-level files carry outcomes; they are read by a small projection reader (five
    columns), apart from the counts. Recent months' outcomes are not final: crimes recorded lately are
    often still under investigation or awaiting court, so compare periods of the same age.

    Example: csp-assess outcomes ../shared/data/police_uk_leicestershire --area Charnwood --year 2021/22

    Example: csp-assess outcomes street_files/ --area Charnwood --format json
    """
    emit(api.outcomes(files, **scope.kwargs(), priorities=priorities), out)

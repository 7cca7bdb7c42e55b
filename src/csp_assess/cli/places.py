"""The ``places`` command: where crime concentrates in the area, with an optional map (SVG)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from csp_assess import api
from csp_assess.cli.options import Inputs, Output, PrioritiesOpt, Scope, command
from csp_assess.cli.output import emit

app = typer.Typer()


@command(app)
def places(
    inputs: Inputs,
    scope: Scope,
    out: Output,
    category: Annotated[
        str | None,
        typer.Option(
            "--category", "-c", help="Major or minor category (case-insensitive). Default: all crime."
        ),
    ] = None,
    priority: Annotated[
        str | None, typer.Option("--priority", help="A priority by name, counted by its measure.")
    ] = None,
    priorities: PrioritiesOpt = None,
    population: Annotated[
        Path | None,
        typer.Option(
            "--population",
            help="CSV of code,population[,year] per place (LSOA, ward or lookup place code) for rates per "
            "1,000 residents. With a year column, the estimate of the year's first calendar year (else the "
            "latest before it) is used, and named. Places not in the file get no rate.",
        ),
    ] = None,
    places_lookup: Annotated[
        Path | None,
        typer.Option(
            "--places-lookup",
            help="CSV of lsoa_code,place[,place_code] grouping LSOAs into wards or neighbourhoods (the "
            "second column's header names the level).",
        ),
    ] = None,
    top: Annotated[
        int | None,
        typer.Option("--top", min=1, help="Rows to list (default: every place); figures use all places."),
    ] = None,
    map_svg: Annotated[
        Path | None,
        typer.Option(
            "--map-svg",
            help="Also draw FILE.svg: a point-density (hexagon) map of the offences for police.uk files, a "
            "ranked bar chart of places for ward files. No tiles, no network; the same data gives the same file.",
        ),
    ] = None,
) -> None:
    """Places: each ward or LSOA's count, share, change, rank and rate; concentration; seasonality.

    For one area and year (default: the latest complete year), all crime, a --category or a --priority:
    the share of offences in the top 5% and 10% of places, the fewest places holding half of them, the
    persistent hotspots (top 10% this year and last), and the month-of-year index of each priority.

    Example: csp-assess places leics/ --area Charnwood --year 2021/22 --top 20

    Example: csp-assess places ward_file.csv --area Camden --priority "Knife Crime" --format csv

    Example: csp-assess places leics/ --area Melton --population lsoa_pop.csv --map-svg melton.svg
    """
    if category and priority:
        raise typer.BadParameter("give --category or --priority, not both")
    extract = inputs.load(places=True, areas=scope.area)
    result = api.places(
        extract,
        **scope.kwargs(),
        category=category,
        priority=priority,
        priorities=priorities,
        population=population,
        places_lookup=places_lookup,
        top=top,
    )
    if map_svg is not None:  # drawn first, so a map that cannot be written fails before any output
        from csp_assess.report.places import write_place_map

        write_place_map(result, map_svg)
    emit(result, out)
    if map_svg is not None:
        print(f"Wrote {map_svg} (map)", file=sys.stderr)

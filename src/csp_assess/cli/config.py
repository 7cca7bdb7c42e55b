"""`priorities` and `weights`: show (and write out) the configuration a ranking rests on."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from csp_assess import api
from csp_assess.analysis.configuration import SCHEME_CHOICES
from csp_assess.api import HarmIndex
from csp_assess.cli.options import (
    HarmOpt,
    Inputs,
    MapFileOpt,
    MapOpt,
    Output,
    PopulationOpt,
    PriceIndexOpt,
    PriceSourceOpt,
    PriceYearOpt,
    Scope,
    UprateOpt,
    Weighting,
    WeightsFileOpt,
    build_mapping,
    command,
    file_arg,
)
from csp_assess.cli.output import emit
from csp_assess.errors import ConfigError

app = typer.Typer()

SchemeOpt = Annotated[
    str | None,
    typer.Option("--scheme", help=f"Category scheme: {', '.join(SCHEME_CHOICES)}."),
]


@command(app)
def priorities(
    out: Output,
    scope: Scope,
    weighting: Weighting,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Extract files (needed with --write-scoring).", show_default=False, parser=file_arg
        ),
    ] = None,
    write_default_to: Annotated[
        Path | None,
        typer.Option(
            "--write-default",
            help="Write the packaged set (MOPAC, or --template), with comments, to FILE as a starting point "
            "and exit.",
        ),
    ] = None,
    write_scoring: Annotated[
        Path | None,
        typer.Option(
            "--write-scoring",
            help="Write the scoring-matrix file for a workshop to FILE: every priority and top-ranked or "
            "candidate category of FILES, computed 1-5 scores filled in, workshop dimensions empty. Read it "
            "back with rank --scoring.",
        ),
    ] = None,
    population: PopulationOpt = None,
    list_templates: Annotated[
        bool, typer.Option("--list-templates", help="List the packaged priority-set templates and exit.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --write-default or --write-scoring file.")
    ] = False,
    scheme: SchemeOpt = None,
    map_: MapOpt = None,
    map_file: MapFileOpt = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not read or write the cache of aggregated counts.")
    ] = False,
) -> None:
    """List the active priority set: class, who set it and how each layout measures it.

    With FILES and --write-scoring, write the scoring matrix a workshop fills in (the ranking options
    --year, --area, --level, --harm, --w-* and --weights apply).

    Example: csp-assess priorities --write-default csp-assess.toml

    Example: csp-assess priorities --list-templates

    Example: csp-assess priorities --template police-crime-plan --scheme police-uk

    Example: csp-assess priorities data/sample_offences.csv --year 2021/22 --write-scoring workshop.toml
    """
    if list_templates:
        for t in api.templates():
            typer.echo(f"{t.name}: {t.description}")
        return
    if write_default_to is not None:
        write_default(write_default_to, force, weighting.template)
        typer.echo(
            f"Wrote the packaged {weighting.template or 'MOPAC'} priorities to {write_default_to}; "
            "edit it and pass --priorities"
        )
        return
    if write_scoring is not None:
        if not files:
            raise typer.BadParameter("--write-scoring needs extract FILES to compute the scores from")
        extract = Inputs(files, build_mapping(map_, map_file), not no_cache).load()
        result = api.write_scoring(
            extract,
            write_scoring,
            population=population,
            force=force,
            **scope.kwargs(),
            **weighting.kwargs(),
        )
        emit(result, out)
        print(
            f"Wrote the scoring matrix to {write_scoring}; fill in the workshop scores and pass "
            "rank --scoring",
            file=sys.stderr,
        )
        return
    emit(api.priorities(weighting.priorities, template=weighting.template, scheme=scheme), out)


def write_default(target: Path, force: bool, template: str | None = None) -> None:
    from csp_assess.reference.templates import MOPAC, template_text

    if target.exists() and not force:
        raise ConfigError("file exists; use --force to overwrite it", file=str(target))
    text = template_text(template or MOPAC)
    from csp_assess.output import write_atomic

    write_atomic(target, text)  # a failed --force write leaves the old file as it was


@command(app)
def weights(
    out: Output,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Extract files to detect the category scheme from (or give --scheme).",
            show_default=False,
            parser=file_arg,
        ),
    ] = None,
    scheme: SchemeOpt = None,
    harm: HarmOpt = HarmIndex.cchi,
    weights_file: WeightsFileOpt = None,
    price_year: PriceYearOpt = None,
    price_index: PriceIndexOpt = None,
    uprate: UprateOpt = None,
    price_source: PriceSourceOpt = None,
    map_: MapOpt = None,
    map_file: MapFileOpt = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not read or write the cache of aggregated counts.")
    ] = False,
) -> None:
    """List every category's harm and cost weight with its source and status.

    Example: csp-assess weights --scheme met-old --harm css --weights ons_css.csv

    Example: csp-assess weights data/sample_offences.csv
    """
    if not files and scheme is None:
        raise typer.BadParameter("give --scheme or extract FILES to detect it from")
    extract = None
    if files:
        extract = Inputs(files, build_mapping(map_, map_file), not no_cache).load()
    result = api.weights(
        extract,
        scheme=scheme,
        harm=harm,
        weights_file=weights_file,
        price_year=price_year,
        price_index=price_index,
        uprate=uprate,
        price_source=price_source,
    )
    emit(result, out)

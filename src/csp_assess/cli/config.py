"""`priorities` and `weights`: show (and write out) the configuration a ranking rests on."""

from __future__ import annotations

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
    PriceIndexOpt,
    PriceSourceOpt,
    PriceYearOpt,
    PrioritiesOpt,
    UprateOpt,
    WeightsFileOpt,
    build_mapping,
    command,
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
    priorities: PrioritiesOpt = None,
    write_default_to: Annotated[
        Path | None,
        typer.Option(
            "--write-default",
            help="Write the packaged MOPAC set, with comments, to FILE as a starting point and exit.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the --write-default file.")] = False,
    scheme: SchemeOpt = None,
) -> None:
    """List the active priority set: class, who set it and how each layout measures it.

    Example: csp-assess priorities --write-default csp-assess.toml
    """
    if write_default_to is not None:
        write_default(write_default_to, force)
        typer.echo(
            f"Wrote the packaged MOPAC priorities to {write_default_to}; edit it and pass --priorities"
        )
        return
    emit(api.priorities(priorities, scheme=scheme), out)


def write_default(target: Path, force: bool) -> None:
    from csp_assess.reference.priorities import default_text

    if target.exists() and not force:
        raise ConfigError("file exists; use --force to overwrite it", file=str(target))
    try:
        target.write_text(default_text(), encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot write file ({err.strerror})", file=str(target)) from err


@command(app)
def weights(
    out: Output,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Extract files to detect the category scheme from (or give --scheme).", show_default=False
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

"""Options shared by every command (the same flags everywhere), and the load/emit steps they all use."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from csp_assess.analysis.scoring import ScoreWeights
    from csp_assess.model import Extract
    from csp_assess.result import Result


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


class Level(StrEnum):
    minor = "minor"
    major = "major"


class HarmIndex(StrEnum):
    cchi = "cchi"
    css = "css"
    cost = "cost"
    none = "none"


FilesArg = Annotated[
    list[Path],
    typer.Argument(help="Extract files, folders of monthly files, or .zip downloads.", show_default=False),
]
AreaOpt = Annotated[
    str | None,
    typer.Option("--area", "-a", help="Area to analyse (case-insensitive); 'all' sums every area."),
]
YearOpt = Annotated[
    str | None,
    typer.Option(
        "--year", "-y", help="Financial year, e.g. 2021/22. Default: the latest complete year in the data."
    ),
]
BaselineOpt = Annotated[
    str | None,
    typer.Option(
        "--baseline", help="Pre-COVID baseline year or range (2019/20 or 2017/18-2019/20). Default 2019/20."
    ),
]
FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format", "-f", help="Output format. Default: table, or from the --output file's extension."
    ),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of the terminal.")
]
StartMonthOpt = Annotated[
    int, typer.Option("--fy-start", min=1, max=12, help="First month of the financial year.")
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map", help='Column mapping for long extracts, e.g. --map month="Committed Date" (repeatable).'
    ),
]
MapFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--map-file",
        help='Column mapping file for long extracts: TOML (month = "Committed Date") or CSV of '
        "canonical,column lines. --map entries override it.",
    ),
]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Do not read or write the cache of aggregated counts.")
]
PrioritiesOpt = Annotated[
    Path | None,
    typer.Option(
        "--priorities",
        help="Priorities TOML file (default: ./csp-assess.toml if present, else the MOPAC set).",
    ),
]


def build_mapping(mapping: list[str] | None, map_file: Path | None = None) -> dict[str, str]:
    """The column mapping from --map-file, then --map (which wins for the same canonical name)."""
    from csp_assess.load.long import mapping_from_file, mapping_from_options

    out = mapping_from_file(map_file) if map_file is not None else {}
    out.update(mapping_from_options(mapping or []))
    return out


LevelOpt = Annotated[Level, typer.Option("--level", "-l", help="Rank minor or major categories.")]
HarmOpt = Annotated[HarmIndex, typer.Option("--harm", help="Harm index for the harm column.")]
WVolumeOpt = Annotated[float, typer.Option("--w-volume", min=0, help="Score weight of volume.")]
WHarmOpt = Annotated[float, typer.Option("--w-harm", min=0, help="Score weight of harm.")]
WCostOpt = Annotated[float, typer.Option("--w-cost", min=0, help="Score weight of cost.")]


def score_weights(volume: float, harm: float, cost: float) -> ScoreWeights:
    """The composite score weights from --w-volume/--w-harm/--w-cost; all zero is a usage error."""
    from csp_assess.analysis.scoring import ScoreWeights

    if volume + harm + cost <= 0:
        raise typer.BadParameter("at least one of --w-volume, --w-harm, --w-cost must be above 0")
    return ScoreWeights(volume, harm, cost)


_LOADED: list[Path] = []  # FILES (and --against) of this command line, checked by emit_result


def load_files(
    files: list[Path], mapping: list[str] | None, no_cache: bool, map_file: Path | None = None
) -> Extract:
    """Load every file named, with a progress bar on a terminal."""
    from csp_assess.load import load_extract
    from csp_assess.render.progress import progress_callback

    cols = build_mapping(mapping, map_file)
    _LOADED.extend(files)
    with progress_callback() as progress:
        return load_extract(files, mapping=cols, use_cache=not no_cache, progress=progress)


def emit_result(result: Result, fmt: Format | None, output: Path | None) -> None:
    """Render in the format asked for (or implied by --output), to stdout or the file; never over an input
    (the command's FILES and --against, folders included)."""
    from csp_assess.output import check_not_input
    from csp_assess.render import emit

    inputs = list(_LOADED)
    _LOADED.clear()
    check_not_input(output, inputs)
    emit(result, fmt.value if fmt else None, output)

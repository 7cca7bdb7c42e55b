"""The command line: parse options, call load -> analysis -> render, turn errors into one line and an exit code.

Exit codes: 0 success, 1 bad input or data error (one ``Error: ...`` line on stderr), 2 usage error.
``--debug`` anywhere on the line shows the traceback instead.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from csp_assess import __version__
from csp_assess.errors import CspAssessError, InputError

app = typer.Typer(
    name="csp-assess",
    help="Crime and disorder strategic assessment from police offence extracts, in one command.\n\n"
    "Example: csp-assess rank data/sample_offences.csv",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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


def _version(value: bool) -> None:
    if value:
        typer.echo(f"csp-assess {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Crime and disorder strategic assessment from police offence extracts."""


def _load(files: list[Path], mapping: list[str] | None, no_cache: bool):
    from csp_assess.load import load_extract
    from csp_assess.load.long import mapping_from_options
    from csp_assess.render.progress import progress_callback

    with progress_callback() as progress:
        return load_extract(
            files, mapping=mapping_from_options(mapping or []), use_cache=not no_cache, progress=progress
        )


def _emit(result, fmt: Format | None, output: Path | None) -> None:
    from csp_assess.render import emit

    emit(result, fmt.value if fmt else None, output)


@app.command()
def rank(
    files: FilesArg,
    area: AreaOpt = None,
    year: YearOpt = None,
    baseline: BaselineOpt = None,
    level: Annotated[
        Level, typer.Option("--level", "-l", help="Rank minor or major categories.")
    ] = Level.minor,
    harm: Annotated[
        HarmIndex, typer.Option("--harm", help="Harm index for the harm column.")
    ] = HarmIndex.cchi,
    priorities: PrioritiesOpt = None,
    w_volume: Annotated[float, typer.Option("--w-volume", min=0, help="Score weight of volume.")] = 1.0,
    w_harm: Annotated[float, typer.Option("--w-harm", min=0, help="Score weight of harm.")] = 1.0,
    w_cost: Annotated[float, typer.Option("--w-cost", min=0, help="Score weight of cost.")] = 1.0,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fy_start: StartMonthOpt = 4,
    map_: MapOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Rank offence categories by volume, harm and cost, and recommend priorities.

    Example: csp-assess rank data/sample_offences.csv --year 2021/22 --format json
    """
    from csp_assess.analysis.rank import RankOptions, build_rank
    from csp_assess.analysis.scoring import ScoreWeights
    from csp_assess.reference.priorities import load_priorities

    if w_volume + w_harm + w_cost <= 0:
        raise typer.BadParameter("at least one of --w-volume, --w-harm, --w-cost must be above 0")
    pset = load_priorities(priorities)
    extract = _load(files, map_, no_cache)
    opts = RankOptions(
        area=area,
        year=year,
        baseline=baseline,
        level=level.value,
        harm_index=harm.value,
        start_month=fy_start,
        score_weights=ScoreWeights(w_volume, w_harm, w_cost),
    )
    _emit(build_rank(extract, opts, pset), fmt, output)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one line per error, no traceback unless --debug."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    try:
        # Standalone mode: typer prints usage errors itself and exits 2.
        app(args=args, prog_name="csp-assess")
        code = 0
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else (0 if err.code is None else 1)
    except CspAssessError as err:
        if debug:
            raise
        print(f"Error: {err}", file=sys.stderr)
        code = err.exit_code
    except BrokenPipeError:
        code = 0
    except KeyboardInterrupt:
        print("Interrupted", file=sys.stderr)
        code = 130
    except MemoryError:
        if debug:
            raise
        print("Error: out of memory", file=sys.stderr)
        code = 1
    except OSError as err:
        if debug:
            raise
        print(f"Error: {InputError(err.strerror or str(err), file=err.filename)}", file=sys.stderr)
        code = 1
    except Exception as err:  # the last line of defence: one line, never a traceback
        if debug:
            raise
        print(
            f"Error: internal error ({type(err).__name__}: {err}); rerun with --debug and report it",
            file=sys.stderr,
        )
        code = 1
    sys.exit(code)

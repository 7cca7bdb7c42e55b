"""The command line: parse options, call load -> analysis -> render, turn errors into one line and an exit code.

Exit codes: 0 success, 1 bad input or data error (one ``Error: ...`` line on stderr), 2 usage error.
``--debug`` anywhere on the line shows the traceback instead.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from csp_assess import __version__
from csp_assess.cli_config import (
    PriceIndexOpt,
    PriceSourceOpt,
    PriceYearOpt,
    UprateOpt,
    WeightsFileOpt,
    load_overrides,
    uprating_from_options,
)
from csp_assess.cli_options import (
    AreaOpt,
    BaselineOpt,
    FilesArg,
    FormatOpt,
    HarmIndex,
    HarmOpt,
    Level,
    LevelOpt,
    MapFileOpt,
    MapOpt,
    NoCacheOpt,
    OutputOpt,
    PrioritiesOpt,
    StartMonthOpt,
    WCostOpt,
    WHarmOpt,
    WVolumeOpt,
    YearOpt,
    emit_result,
    load_files,
    score_weights,
)
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


@app.command()
def rank(
    files: FilesArg,
    area: AreaOpt = None,
    year: YearOpt = None,
    baseline: BaselineOpt = None,
    level: LevelOpt = Level.minor,
    harm: HarmOpt = HarmIndex.cchi,
    priorities: PrioritiesOpt = None,
    w_volume: WVolumeOpt = 1.0,
    w_harm: WHarmOpt = 1.0,
    w_cost: WCostOpt = 1.0,
    weights_file: WeightsFileOpt = None,
    price_year: PriceYearOpt = None,
    price_index: PriceIndexOpt = None,
    uprate: UprateOpt = None,
    price_source: PriceSourceOpt = None,
    top_n: Annotated[
        int | None,
        typer.Option(
            "--top-n",
            min=0,
            help="Candidate rule: top N by composite score (default: [rules] in the priorities file, 5).",
        ),
    ] = None,
    sensitivity: Annotated[
        bool,
        typer.Option(
            "--sensitivity", help="Also show how the top N moves between CCHI, CSS and cost harm weighting."
        ),
    ] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fy_start: StartMonthOpt = 4,
    map_: MapOpt = None,
    map_file: MapFileOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Rank offence categories by volume, harm and cost, and recommend priorities.

    Example: csp-assess rank data/sample_offences.csv --year 2021/22 --format json

    Example: csp-assess rank data/sample_offences.csv --weights my_weights.csv --sensitivity --top-n 10
    """
    from csp_assess.analysis.rank import RankOptions, build_rank
    from csp_assess.reference.priorities import load_priorities

    weights = score_weights(w_volume, w_harm, w_cost)
    pset = load_priorities(priorities)
    overrides, override_warnings = load_overrides(weights_file)
    uprating = uprating_from_options(price_year, price_index, uprate, price_source)
    extract = load_files(files, map_, no_cache, map_file)
    extract.warnings.extend(override_warnings)
    opts = RankOptions(
        area=area,
        year=year,
        baseline=baseline,
        level=level.value,
        harm_index=harm.value,
        start_month=fy_start,
        score_weights=weights,
        weight_overrides=overrides,
        weights_file=str(weights_file) if weights_file else None,
        uprating=uprating,
        top_n=top_n,
        sensitivity=sensitivity,
    )
    emit_result(build_rank(extract, opts, pset), fmt, output)


def _register_commands() -> None:
    """Commands live in small modules by theme; each registers itself on ``app``."""
    from csp_assess import cli_assess, cli_config, cli_report, cli_validate

    for module in (cli_assess, cli_config, cli_validate, cli_report):
        module.register(app)


_register_commands()


def main(argv: list[str] | None = None, *, scanning: bool = False) -> None:
    """Run one command line: one line per error, no traceback unless --debug.

    ``scanning``: the launcher has already started the scan-ahead for this command line.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    if not debug:  # library warnings (pandas, numpy, pyarrow) are for developers: --debug shows them
        import warnings

        warnings.simplefilter("ignore")
    if not scanning:
        from csp_assess.load import scan_ahead

        scan_ahead.start_from_argv(args)  # before typer parses: the files are read while it does
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

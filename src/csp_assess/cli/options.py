"""Options shared by every command, declared once, and the groups commands take them in.

A command names a group by a parameter typed with its class (``inputs: Inputs``, ``scope: Scope``,
``weighting: Weighting``, ``out: Output``); ``command`` swaps that parameter for the group's options in
the signature typer reads, and builds the group object from them when the command runs. So every
command that loads files takes the same file, area, period, weighting and output options, spelled the
same way (the shape of sqlite-utils' shared option decorators).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer

from csp_assess.api import HarmIndex, Level, Variance


def file_arg(text: str | Path) -> Path:
    """A file or folder named on the command line. An empty name is refused (a usage error): ``Path("")``
    is the current folder, so an unset shell variable (``csp-assess rank "$FILES"``) read every data file
    under it."""
    if isinstance(text, Path):
        return text
    if not text.strip():
        raise typer.BadParameter(
            "an empty file name (an unset shell variable?): name the extract files or folders"
        )
    return Path(text)


FilesArg = Annotated[
    list[Path],
    typer.Argument(
        help="Extract files, folders of monthly files, or .zip downloads.",
        show_default=False,
        parser=file_arg,
    ),
]
PrioritiesOpt = Annotated[
    Path | None,
    typer.Option(
        "--priorities",
        help="Priorities TOML file (default: ./csp-assess.toml if present, else the packaged MOPAC set).",
    ),
]
TemplateOpt = Annotated[
    str | None,
    typer.Option(
        "--template",
        help="A packaged priority set instead of --priorities, e.g. police-crime-plan (outside London) or "
        "mopac; list them with: csp-assess priorities --list-templates.",
    ),
]
PopulationOpt = Annotated[
    str | None,
    typer.Option(
        "--population",
        help="Residents for rates per 1,000: a number for the area, or a CSV file with columns area,population.",
    ),
]
LevelOpt = Annotated[Level, typer.Option("--level", "-l", help="Minor or major categories.")]
ScoringOpt = Annotated[
    Path | None,
    typer.Option(
        "--scoring",
        help="Scoring-matrix file filled in at a workshop (write one with priorities --write-scoring): "
        "adds the matrix (every dimension, the weighted total, the order); changed computed scores are "
        "shown as overrides.",
    ),
]
PlanOpt = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        help="Plan file (TOML: start year, priorities, targets): adds progress against each target with "
        "a RAG status by the stated rule; sets --plan-start and, unless given, the priority set.",
    ),
]
PreviousPlanOpt = Annotated[
    Path | None,
    typer.Option("--previous-plan", help="Last year's plan file: adds the decision log (needs --plan)."),
]
VarianceOpt = Annotated[
    Variance,
    typer.Option(
        "--variance",
        help="Year-level variance in the change tests: data (estimated from the extract's earlier years, "
        "shrunk toward the packaged table), packaged (the packaged table) or none (counting noise only: "
        "flags far too often on real data).",
    ),
]
HarmOpt = Annotated[HarmIndex, typer.Option("--harm", help="Harm index for the harm column.")]
WeightsFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--weights",
        help="CSV overriding harm and/or cost weights: key column minor (optional major) or prc_subgroup; "
        "value columns harm_weight, unit_cost_gbp (2015/16 prices); optional source. Unmatched rows are "
        "reported.",
    ),
]
PriceYearOpt = Annotated[
    str | None,
    typer.Option(
        "--price-year",
        help="Uprate unit costs from 2015/16 prices to this financial year's (needs --price-index or --uprate).",
    ),
]
PriceIndexOpt = Annotated[
    Path | None,
    typer.Option(
        "--price-index",
        help="CSV of year,index (e.g. HM Treasury GDP deflators) used with --price-year; optional source column "
        "or '# source: ...' line.",
    ),
]
UprateOpt = Annotated[
    float | None,
    typer.Option("--uprate", help="Factor from 2015/16 to --price-year prices, if you have it already."),
]
PriceSourceOpt = Annotated[
    str | None,
    typer.Option(
        "--price-source", help="Where the --uprate factor or --price-index comes from (shown in outputs)."
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format: table, csv, json, markdown or xlsx. Default: table, or from the --output "
        "file's extension (.csv, .json, .md, .txt, .xlsx). JSON has every column whatever the data; the "
        "others leave out a Major column that only repeats Category (one-level layouts such as police.uk) "
        "and quarterly's plan columns when no plan is given.",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file instead of the terminal ('-' is the terminal)."),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help='Column mapping for long extracts, e.g. --map month="Committed Date" (repeatable); '
        '--map ho_code="HO Code" weights categories no name matches by their Home Office offence codes.',
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

# The flag of each API parameter, for error messages (``{level}`` in the core's message -> ``--level``).
FLAG_OF = {
    "from_year": "--from",
    "to_year": "--to",
    "mapping": "--map",
    "weights_file": "--weights",
    "priorities": "--priorities",
    "fy_start": "--fy-start",
}


def flag_of(param: str) -> str:
    return FLAG_OF.get(param, "--" + param.replace("_", "-"))


@dataclass
class Inputs:
    """The files to read and how: the same on every loading command."""

    files: list[Path]
    mapping: dict[str, str]
    cache: bool

    def load(self, places: bool = False, areas: list[str] | None = None) -> Any:
        """Load every file named, with a progress bar on a terminal; ``places``: keep LSOAs of street-level
        files (the commands that break figures down by place ask for them; the rest sum to areas as they
        read, which halves a large extract's time), of the ``areas`` asked for only when given (the other
        areas' LSOAs summed: a tenth of the table for one borough of the Met)."""
        from csp_assess.api import load
        from csp_assess.render.progress import progress_callback

        with progress_callback() as progress:
            return load(
                self.files,
                mapping=self.mapping,
                cache=self.cache,
                progress=progress,
                subareas=places,
                places_for=areas if places else None,
            )


@dataclass
class Scope:
    """Which area(s) and financial year: the same on every assessment command."""

    area: list[str] | None
    area_name: str | None
    year: str | None
    fy_start: int

    def kwargs(self, year: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "area": self.area or None,
            "area_name": self.area_name,
            "fy_start": self.fy_start,
        }
        if year:
            out["year"] = self.year
        return out


@dataclass
class Where:
    """Which area(s), for commands that choose their own period (quarterly)."""

    area: list[str] | None
    area_name: str | None
    fy_start: int

    def kwargs(self) -> dict[str, Any]:
        return {"area": self.area or None, "area_name": self.area_name, "fy_start": self.fy_start}


@dataclass
class Weighting:
    """How categories are weighed and which priority set they are judged against (rank and report)."""

    baseline: str | None
    level: Level
    harm: HarmIndex
    priorities: Path | None
    template: str | None
    w_volume: float
    w_harm: float
    w_cost: float
    weights_file: Path | None
    price_year: str | None
    price_index: Path | None
    uprate: float | None
    price_source: str | None
    top_n: int | None
    sensitivity: bool
    variance: Variance

    def kwargs(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Output:
    """Where and how to write: the same on every command."""

    fmt: str | None
    output: Path | None


def _p(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


def build_mapping(items: list[str] | None, map_file: Path | None = None) -> dict[str, str]:
    """The column mapping from --map-file, then --map (which wins for the same canonical name)."""
    from csp_assess.load.long import mapping_from_file, mapping_from_options

    mapping = mapping_from_file(map_file) if map_file is not None else {}
    mapping.update(mapping_from_options(items or []))
    return mapping


def _inputs(kw: dict[str, Any]) -> Inputs:
    mapping = build_mapping(kw.pop("map_"), kw.pop("map_file"))
    return Inputs(kw.pop("files"), mapping, not kw.pop("no_cache"))


AREA_PARAMS = [
    _p(
        "area",
        Annotated[
            list[str] | None,
            typer.Option(
                "--area",
                "-a",
                help="Area to analyse: an exact name, or a unique case-insensitive one; 'all' sums every "
                "area. Repeat to analyse several areas as one partnership (a merged CSP).",
            ),
        ],
        None,
    ),
    _p(
        "area_name",
        Annotated[
            str | None,
            typer.Option("--area-name", help="Name for the areas given with --area, analysed as one."),
        ],
        None,
    ),
    _p(
        "fy_start",
        Annotated[int, typer.Option("--fy-start", min=1, max=12, help="First month of the financial year.")],
        4,
    ),
]
YEAR_PARAM = _p(
    "year",
    Annotated[
        str | None,
        typer.Option(
            "--year",
            "-y",
            help="Financial year, e.g. 2021/22. Default: the latest complete year in the data (stops: "
            "every month in the files; trend, when no year is complete: the year with most months).",
        ),
    ],
    None,
)


@dataclass
class Partner:
    """Partner indicators shown beside crime (summary, rank, trend, quarterly); never in crime totals."""

    indicators: Path | None
    indicator_map: dict[str, str]

    def kwargs(self) -> dict[str, Any]:
        return {"indicators": self.indicators, "indicator_map": self.indicator_map or None}


def _partner(kw: dict[str, Any]) -> Partner:
    from csp_assess.load.long import mapping_from_options

    return Partner(kw.pop("indicators"), mapping_from_options(kw.pop("indicator_map") or [], "indicator_map"))


PARTNER_PARAMS = [
    _p(
        "indicators",
        Annotated[
            Path | None,
            typer.Option(
                "--indicators",
                help="Partner indicators file (CSV, .xlsx or Parquet; columns month,area[,subarea],indicator,"
                "count[,source]): shown beside crime, never added to crime totals; priorities can be measured "
                'by one (measure = { indicator = "Deliberate fires" }).',
            ),
        ],
        None,
    ),
    _p(
        "indicator_map",
        Annotated[
            list[str] | None,
            typer.Option(
                "--indicator-map",
                help='Column mapping for the indicators file, e.g. --indicator-map indicator="Measure" (repeatable).',
            ),
        ],
        None,
    ),
]


GROUPS: dict[type, tuple[list[inspect.Parameter], Callable[[dict[str, Any]], Any]]] = {
    Partner: (PARTNER_PARAMS, _partner),
    Inputs: (
        [
            _p("files", FilesArg),
            _p("map_", MapOpt, None),
            _p("map_file", MapFileOpt, None),
            _p(
                "no_cache",
                Annotated[
                    bool,
                    typer.Option("--no-cache", help="Do not read or write the cache of aggregated counts."),
                ],
                False,
            ),
        ],
        _inputs,
    ),
    Scope: (
        [*AREA_PARAMS[:2], YEAR_PARAM, AREA_PARAMS[2]],
        lambda kw: Scope(kw.pop("area"), kw.pop("area_name"), kw.pop("year"), kw.pop("fy_start")),
    ),
    Where: (AREA_PARAMS, lambda kw: Where(kw.pop("area"), kw.pop("area_name"), kw.pop("fy_start"))),
    Weighting: (
        [
            _p(
                "baseline",
                Annotated[
                    str | None,
                    typer.Option(
                        "--baseline",
                        help="Pre-COVID baseline year or range (2019/20 or 2017/18-2019/20). Default 2019/20.",
                    ),
                ],
                None,
            ),
            _p(
                "level",
                Annotated[Level, typer.Option("--level", "-l", help="Rank minor or major categories.")],
                Level.minor,
            ),
            _p("harm", HarmOpt, HarmIndex.cchi),
            _p("priorities", PrioritiesOpt, None),
            _p("template", TemplateOpt, None),
            _p(
                "w_volume",
                Annotated[float, typer.Option("--w-volume", min=0, help="Score weight of volume.")],
                1.0,
            ),
            _p(
                "w_harm", Annotated[float, typer.Option("--w-harm", min=0, help="Score weight of harm.")], 1.0
            ),
            _p(
                "w_cost", Annotated[float, typer.Option("--w-cost", min=0, help="Score weight of cost.")], 1.0
            ),
            _p("weights_file", WeightsFileOpt, None),
            _p("price_year", PriceYearOpt, None),
            _p("price_index", PriceIndexOpt, None),
            _p("uprate", UprateOpt, None),
            _p("price_source", PriceSourceOpt, None),
            _p(
                "top_n",
                Annotated[
                    int | None,
                    typer.Option(
                        "--top-n",
                        min=0,
                        help="Candidate rule: top N by composite score (default: [rules] in the priorities file, 5).",
                    ),
                ],
                None,
            ),
            _p(
                "sensitivity",
                Annotated[
                    bool,
                    typer.Option(
                        "--sensitivity",
                        help="Also show how the top N moves between CCHI, CSS and cost harm weighting.",
                    ),
                ],
                False,
            ),
            _p("variance", VarianceOpt, Variance.data),
        ],
        lambda kw: Weighting(**{f.name: kw.pop(f.name) for f in fields(Weighting)}),
    ),
    Output: (
        [_p("fmt", FormatOpt, None), _p("output", OutputOpt, None)],
        lambda kw: Output(kw.pop("fmt"), kw.pop("output")),
    ),
}


# Options that name files the command reads, and files it writes: no written file may be one it reads.
INPUT_PARAMS = (
    "files",
    "against",
    "indicators",
    "scoring",
    "plan",
    "previous_plan",
    "population",
    "places_lookup",
)
OUTPUT_PARAMS = ("output", "map_svg", "matrix_chart", "write_scoring", "write_default_to")


def _refuse_outputs_over_inputs(kwargs: dict[str, Any]) -> None:
    """Before anything is read or written: an output naming an input (the same file, a link to it, or a
    file inside an input folder) is refused, so a typo can never destroy the data."""
    from csp_assess.output import check_not_input

    inputs: list[Path] = []
    for name in INPUT_PARAMS:
        value = kwargs.get(name)
        if isinstance(value, Path):
            inputs.append(value)
        elif isinstance(value, list):
            inputs.extend(v for v in value if isinstance(v, Path))
    for name in OUTPUT_PARAMS:
        value = kwargs.get(name)
        if isinstance(value, Path):
            check_not_input(value, inputs)
    _refuse_one_file_for_two_outputs(kwargs)


def _refuse_one_file_for_two_outputs(kwargs: dict[str, Any]) -> None:
    """Two outputs naming one file (``--matrix-chart out.json -o out.json``, or a link to it): the second
    written would silently replace the first. A usage error, before anything is read."""
    import os

    from csp_assess.output import is_stdout

    seen: dict[str, str] = {}
    for name in OUTPUT_PARAMS:
        value = kwargs.get(name)
        if not isinstance(value, Path) or is_stdout(value) or not _is_file_target(value):
            continue
        key = os.path.realpath(value)
        if key in seen:
            raise typer.BadParameter(
                f"{flag_of(seen[key])} and {flag_of(name)} name the same file {value}: one would overwrite "
                "the other; give each its own file"
            )
        seen[key] = name


def _is_file_target(path: Path) -> bool:
    """True unless ``path`` is a device or FIFO (``/dev/null`` may take several outputs)."""
    import stat

    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return True


def command(
    app: typer.Typer, name: str | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``fn`` on ``app`` with each group parameter expanded into the group's options."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        sig = inspect.signature(fn, eval_str=True)
        params: list[inspect.Parameter] = []
        groups: dict[str, Callable[[dict[str, Any]], Any]] = {}
        for p in sig.parameters.values():
            if p.annotation in GROUPS:
                group_params, build = GROUPS[p.annotation]
                groups[p.name] = build
                params.extend(group_params)
            else:
                params.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY))

        @functools.wraps(fn)
        def run(**kwargs: Any) -> None:
            _refuse_outputs_over_inputs(kwargs)
            for pname, build in groups.items():
                kwargs[pname] = build(kwargs)
            fn(**kwargs)

        run.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        app.command(name=name or fn.__name__)(run)
        return run

    return register

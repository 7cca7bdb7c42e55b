"""`priorities` and `weights`: show (and write out) the configuration a ranking rests on.

Thin: parse options, call reference/ and analysis/, hand a Result to the renderer. The weight options
(``--weights``, ``--price-year``, ``--price-index``, ``--uprate``, ``--price-source``) are shared with ``rank``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from csp_assess.cli_options import FormatOpt, HarmIndex, MapOpt, NoCacheOpt, OutputOpt, PrioritiesOpt
from csp_assess.errors import ConfigError
from csp_assess.reference.prices import Uprating, resolve_uprating

if TYPE_CHECKING:  # pandas is imported by the commands that need it, not by `import csp_assess.cli`
    import pandas as pd

    from csp_assess.result import Result

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
SCHEME_CHOICES = ("met-old", "met-new", "met-pre2019", "police-uk", "custom")


def load_overrides(path: Path | None) -> tuple[pd.DataFrame | None, list[str]]:
    if path is None:
        return None, []
    from csp_assess.reference.weights import load_weight_overrides

    return load_weight_overrides(path)


def uprating_from_options(
    price_year: str | None, price_index: Path | None, uprate: float | None, price_source: str | None
) -> Uprating:
    return resolve_uprating(price_year, price_index, uprate, price_source)


# --------------------------------------------------------------------------------------------- priorities


def _measure_rows(pset_priorities: list, scheme: str | None) -> list[dict[str, object]]:
    from csp_assess.reference.priorities import SCHEMES

    rows: list[dict[str, object]] = []
    for p in pset_priorities:
        for sch in [scheme] if scheme else list(SCHEMES):
            m = p.measure_for(sch)
            if m is None:
                status, measure, note = "not measurable", "", "no measure defined for this layout"
            elif m.not_measurable:
                status, measure, note = "not measurable", "", m.not_measurable
            else:
                status = "proxy" if m.proxy else "measured"
                measure, note = m.describe(), m.proxy or ""
            rows.append(
                {
                    "name": p.name,
                    "class": p.klass,
                    "set_by": p.set_by,
                    "scheme": sch,
                    "status": status,
                    "measure": measure,
                    "note": note,
                }
            )
    return rows


def priorities_result(priorities: Path | None, scheme: str | None) -> Result:
    import pandas as pd

    from csp_assess.reference.priorities import load_priorities
    from csp_assess.result import Result, Table

    pset = load_priorities(priorities)
    columns = ["name", "class", "set_by", "scheme", "status", "measure", "note"]
    frame = pd.DataFrame(_measure_rows(pset.priorities, scheme), columns=columns)
    title = f"Priority set: {len(pset.priorities)} priorities from {pset.source}"
    return Result(
        command="priorities",
        meta={
            "priorities_source": pset.source,
            "priorities": len(pset.priorities),
            "scheme": scheme,
            "candidate_top_n": pset.rules.candidate_top_n,
            "alpha": pset.rules.alpha,
        },
        tables={"rows": Table(frame, columns, title)},
        sources=[],
        warnings=[],
        title=title,
        notes=[
            f"Rules: candidates are categories outside the set in the top {pset.rules.candidate_top_n} by "
            f"composite score, or significantly above the pre-COVID baseline (exact Poisson test, Holm-adjusted, "
            f"alpha {pset.rules.alpha:g}). Edit [rules] in the file to change them.",
        ],
    )


def write_default(target: Path, force: bool) -> None:
    from csp_assess.reference.priorities import default_text

    if target.exists() and not force:
        raise ConfigError("file exists; use --force to overwrite it", file=str(target))
    from csp_assess.output import write_atomic

    write_atomic(target, default_text())  # a failed --force write leaves the old file as it was


# ------------------------------------------------------------------------------------------------ weights

_SHORT = (
    ("Cambridge Crime Harm Index", "CCHI 2026 (subgroup median days)"),
    ("ONS Crime Severity Score", "ONS CSS (c. 2016)"),
    ("Home Office, The economic", "Home Office 2018 unit cost"),
)
WEIGHT_VIEW = [
    "major",
    "minor",
    "harm_weight",
    "harm_status",
    "harm_from",
    "unit_cost_gbp",
    "cost_status",
    "cost_from",
]
WEIGHT_DETAIL = ["prc_subgroup", "harm_source", "cost_source", "note"]


def _short(source: str, status: str) -> str:
    if status == "user":
        return source
    if not source:
        return "-"
    label = next((s for key, s in _SHORT if source.startswith(key)), source[:40])
    return label + (" (blend)" if "volume-weighted" in source else "")


def weights_result(
    scheme: str | None,
    files: list[Path] | None,
    harm: str,
    weights_file: Path | None,
    uprating: Uprating,
    mapping: list[str] | None,
    no_cache: bool,
) -> Result:
    import pandas as pd

    from csp_assess.analysis.rank import HARM_INDEX_NAMES, resolve_weights
    from csp_assess.reference.weights import weight_table
    from csp_assess.result import Result, Table

    warnings: list[str] = []
    sources: list[dict[str, object]] = []
    if files:
        from csp_assess.analysis.select import crime_only
        from csp_assess.cli_options import load_files
        from csp_assess.result import source_record

        extract = load_files(files, mapping, no_cache)
        if scheme and scheme != extract.scheme:
            raise ConfigError(f"--scheme {scheme} does not match the files' categories ({extract.scheme})")
        scheme = extract.scheme
        cats = (
            crime_only(extract.counts)[["major", "minor"]].drop_duplicates().sort_values(["major", "minor"])
        )
        sources = [source_record(s) for s in extract.sources]
        warnings += extract.warnings
    elif scheme:
        cats = weight_table(scheme, harm)[["major", "minor"]]
    else:
        raise typer.BadParameter("give --scheme or extract FILES to detect it from")
    overrides, w = load_overrides(weights_file)
    warnings += w
    table, w = resolve_weights(cats.reset_index(drop=True), scheme, harm, overrides, uprating)
    warnings += w
    table["harm_from"] = [
        _short(s, st) for s, st in zip(table["harm_source"], table["harm_status"], strict=True)
    ]
    table["cost_from"] = [
        _short(s, st) for s, st in zip(table["cost_source"], table["cost_status"], strict=True)
    ]
    counts = {f"harm_{k}": int(v) for k, v in table["harm_status"].value_counts().sort_index().items()}
    title = f"Harm ({harm}) and cost weights, {scheme} categories"
    full_sources = sorted({s for s in pd.concat([table["harm_source"], table["cost_source"]]) if s})
    notes = [
        "Status: confirmed = published value seen in a cited source; transcribed = from a transcription; "
        "inferred = position in an unlabelled list, needs checking; unverified = remembered, not checked; "
        "blended = volume-weighted from PRC subgroups; user = from --weights; unknown = no figure (never guessed).",
        f"Costs: {uprating.describe()}.",
        *[f"Source: {s}" for s in full_sources],
    ]
    return Result(
        command="weights",
        meta={
            "scheme": scheme,
            "harm_index": harm,
            "harm_index_description": HARM_INDEX_NAMES.get(harm, harm),
            "cost_prices": uprating.prices,
            "cost_uprating": uprating.describe(),
            "weights_file": str(weights_file) if weights_file else None,
            "categories": len(table),
            **counts,
        },
        tables={"rows": Table(table, WEIGHT_VIEW, title, WEIGHT_DETAIL)},
        sources=sources,
        warnings=warnings,
        title=title,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------------- commands


def register(app: typer.Typer) -> None:
    @app.command()
    def priorities(
        priorities: PrioritiesOpt = None,
        write_default_to: Annotated[
            Path | None,
            typer.Option(
                "--write-default",
                help="Write the packaged MOPAC set, with comments, to FILE as a starting point and exit.",
            ),
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Overwrite the --write-default file.")] = False,
        scheme: Annotated[
            str | None,
            typer.Option(
                "--scheme", help=f"Show the measure for one layout only ({', '.join(SCHEME_CHOICES)})."
            ),
        ] = None,
        fmt: FormatOpt = None,
        output: OutputOpt = None,
    ) -> None:
        """List the active priority set: class, who set it and how each layout measures it.

        Example: csp-assess priorities --write-default csp-assess.toml
        """
        from csp_assess.cli_options import emit_result

        if write_default_to is not None:
            write_default(write_default_to, force)
            typer.echo(
                f"Wrote the packaged MOPAC priorities to {write_default_to}; edit it and pass --priorities"
            )
            return
        if scheme is not None and scheme not in SCHEME_CHOICES:
            raise typer.BadParameter(f"--scheme must be one of {', '.join(SCHEME_CHOICES)}")
        emit_result(priorities_result(priorities, scheme), fmt, output)

    @app.command()
    def weights(
        files: Annotated[
            list[Path] | None,
            typer.Argument(
                help="Extract files to detect the category scheme from (or give --scheme).",
                show_default=False,
            ),
        ] = None,
        scheme: Annotated[
            str | None,
            typer.Option("--scheme", help=f"Category scheme: {', '.join(SCHEME_CHOICES)}."),
        ] = None,
        harm: Annotated[HarmIndex, typer.Option("--harm", help="Harm index to list.")] = HarmIndex.cchi,
        weights_file: WeightsFileOpt = None,
        price_year: PriceYearOpt = None,
        price_index: PriceIndexOpt = None,
        uprate: UprateOpt = None,
        price_source: PriceSourceOpt = None,
        fmt: FormatOpt = None,
        output: OutputOpt = None,
        map_: MapOpt = None,
        no_cache: NoCacheOpt = False,
    ) -> None:
        """List every category's harm and cost weight with its source and status.

        Example: csp-assess weights --scheme met-old --harm css --weights ons_css.csv
        """
        from csp_assess.cli_options import emit_result

        if scheme is not None and scheme not in SCHEME_CHOICES:
            raise typer.BadParameter(f"--scheme must be one of {', '.join(SCHEME_CHOICES)}")
        uprating = uprating_from_options(price_year, price_index, uprate, price_source)
        emit_result(
            weights_result(scheme, files, harm.value, weights_file, uprating, map_, no_cache), fmt, output
        )

"""The public Python API: ``load`` an extract, then one function per analysis.

Every function takes an ``Extract`` (or the paths to load) and keyword options, and returns a typed
result with ``.rows`` (the main table) and ``.to_dict()`` (the ``--format json`` document of the
matching command). The command line calls exactly these functions, so a notebook and a shell get the
same figures. Options are plain strings or the enums below; errors name these parameters.

    >>> import csp_assess as ca
    >>> ex = ca.load(["data/sample_offences.csv"])
    >>> ca.summary(ex, year="2021/22").total
    20516
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from csp_assess.analysis.scoring import ScoreWeights
from csp_assess.analysis.select import AreaArg, as_areas
from csp_assess.errors import OptionError, SelectionError
from csp_assess.model import Extract
from csp_assess.periods import parse_year
from csp_assess.reference.prices import Uprating, resolve_uprating
from csp_assess.reference.priorities import PrioritySet, load_priorities
from csp_assess.results import (
    BaselineResult,
    CompareResult,
    PlacesResult,
    PrioritiesResult,
    QuarterlyResult,
    RankResult,
    ReportResult,
    SummaryResult,
    ThemeResult,
    TrendResult,
    ValidateResult,
    WeightsResult,
)

if TYPE_CHECKING:
    import pandas as pd

    from csp_assess.analysis.rank import RankOptions
    from csp_assess.load.indicators import Indicators
    from csp_assess.load.stop_search import StopSearchData
    from csp_assess.reference.templates import Template
    from csp_assess.results import AssessmentResult as AssessmentResult_
    from csp_assess.results import OutcomesResult, StopsResult

PathLike = str | Path
Data = Extract | PathLike | Sequence[PathLike]
Progress = Callable[[str, int, int], None]


class Level(StrEnum):
    minor = "minor"
    major = "major"


class HarmIndex(StrEnum):
    cchi = "cchi"
    css = "css"
    cost = "cost"
    none = "none"


class PeriodKind(StrEnum):
    year = "year"
    ytd = "ytd"
    rolling12 = "rolling12"


class Step(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"


class Method(StrEnum):
    exact = "exact"
    z = "z"


class Adjust(StrEnum):
    holm = "holm"
    bh = "bh"
    none = "none"


class Variance(StrEnum):
    """Year-level variance added to counting noise in every change test (see ``analysis.yearvar``):
    ``data`` estimates it from the extract's earlier years (shrunk toward the packaged table), ``packaged``
    uses the packaged table, ``none`` keeps Poisson counting noise only (not calibrated)."""

    data = "data"
    packaged = "packaged"
    none = "none"


E = TypeVar("E", bound=StrEnum)


def _choice(value: str | StrEnum, enum: type[E], param: str) -> str:
    """An option given as an enum member or its plain string; anything else names the parameter."""
    text = value.value if isinstance(value, StrEnum) else str(value)
    if text not in {m.value for m in enum}:
        allowed = ", ".join(m.value for m in enum)
        raise OptionError(f"{{{param}}} must be one of {allowed}, not '{text}'", params=[param])
    return text


def _paths(paths: PathLike | Sequence[PathLike]) -> list[PathLike]:
    return [paths] if isinstance(paths, str | Path) else list(paths)


def load(
    paths: PathLike | Sequence[PathLike],
    *,
    mapping: Mapping[str, str] | None = None,
    map_file: PathLike | None = None,
    cache: bool = True,
    progress: Progress | None = None,
    subareas: bool = True,
    places_for: Sequence[str] | None = None,
) -> Extract:
    """Read files, folders of monthly files or zip downloads into one table of counts.

    ``mapping`` names the columns of a long extract (canonical name -> column, e.g.
    ``{"month": "Committed Date"}``), over any ``map_file`` (TOML or CSV); ``{"ho_code": "HO Code"}``
    keeps each row's Home Office offence code, so categories no name matches are weighted by their codes'
    PRC subgroups (``weights``, ``rank``). Overlapping snapshots are
    resolved (the newer wins each month); ``.sources`` says which file supplied which months and
    ``.rejects`` every row not counted: rows read = counted + rejected. ``subareas=False`` sums
    street-level rows to areas as they are read (no LSOA column: faster and smaller, for analyses that
    need no places); ``places_for`` (area names) keeps LSOAs only for those areas and sums the rest into
    their areas (a blank subarea): the same figures for those areas' places, at a tenth of the size.
    """
    from csp_assess.load import load_extract
    from csp_assess.load.long import mapping_from_file

    cols = mapping_from_file(map_file) if map_file is not None else {}
    cols.update(mapping or {})
    return load_extract(
        _paths(paths),
        mapping=cols,
        use_cache=cache,
        progress=progress,
        subareas=subareas,
        places_for=places_for,
    )


def _extract(data: Data) -> Extract:
    return data if isinstance(data, Extract) else load(_paths(data))


def _priorities(priorities: PrioritySet | PathLike | None, template: str | None = None) -> PrioritySet:
    """The priority set given, else the packaged ``template``, else ./csp-assess.toml or the MOPAC set."""
    if template is not None:
        if priorities is not None:
            raise OptionError("give {priorities} or {template}, not both", params=["priorities", "template"])
        from csp_assess.reference.templates import load_template

        return load_template(template)
    return priorities if isinstance(priorities, PrioritySet) else load_priorities(priorities)


def _score_weights(w_volume: float, w_harm: float, w_cost: float) -> ScoreWeights:
    import math

    for name, value in (("w_volume", w_volume), ("w_harm", w_harm), ("w_cost", w_cost)):
        if not math.isfinite(value) or value < 0:
            raise OptionError(f"{{{name}}} must be a finite number of 0 or more, not {value}", params=[name])
    if w_volume + w_harm + w_cost <= 0:
        raise OptionError(
            "at least one of {w_volume}, {w_harm}, {w_cost} must be above 0",
            params=["w_volume", "w_harm", "w_cost"],
        )
    return ScoreWeights(w_volume, w_harm, w_cost)


def _uprating(
    price_year: str | None, price_index: PathLike | None, uprate: float | None, price_source: str | None
) -> Uprating:
    return resolve_uprating(price_year, Path(price_index) if price_index else None, uprate, price_source)


def summary(
    data: Data,
    *,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    period: str | PeriodKind = PeriodKind.year,
    population: str | float | PathLike | None = None,
    fy_start: int = 4,
    indicators: Indicators | PathLike | None = None,
    indicator_map: Mapping[str, str] | None = None,
) -> SummaryResult:
    """Total offences for a period against the one before, by major category; ASB on its own.

    ``period``: ``year`` (a financial year), ``ytd`` (year to date, partial and labelled), ``rolling12``.
    ``population``: residents of the area (a number) or a CSV of area,population, for rates per 1,000.
    ``indicators``: partner indicators (a file, see ``load_indicators``), shown beside crime, never in it.
    """
    from csp_assess.analysis.summary import build_summary

    kind = _choice(period, PeriodKind, "period")
    pop = None if population is None else str(population)
    ind = load_indicators(indicators, indicator_map=indicator_map) if indicators is not None else None
    result = SummaryResult(
        build_summary(_extract(data), as_areas(area, area_name), year, kind, fy_start, pop)
    )
    if ind is not None:
        meta = result.result.meta
        import pandas as pd

        months = list(pd.period_range(meta["first_month"], meta["last_month"], freq="M"))
        _beside_crime(result, ind, months, meta.get("previous_year") is not None, area, area_name)
    return result


def rank(
    data: Data,
    *,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    baseline: str | None = None,
    level: str | Level = Level.minor,
    harm: str | HarmIndex = HarmIndex.cchi,
    priorities: PrioritySet | PathLike | None = None,
    template: str | None = None,
    w_volume: float = 1.0,
    w_harm: float = 1.0,
    w_cost: float = 1.0,
    weights_file: PathLike | None = None,
    price_year: str | None = None,
    price_index: PathLike | None = None,
    uprate: float | None = None,
    price_source: str | None = None,
    top_n: int | None = None,
    sensitivity: bool = False,
    variance: str | Variance = Variance.data,
    fy_start: int = 4,
    scoring: PathLike | None = None,
    population: str | float | None = None,
    indicators: Indicators | PathLike | None = None,
    indicator_map: Mapping[str, str] | None = None,
) -> RankResult:
    """Every offence category in the year ranked by volume, harm and cost; the recommended priorities.

    The score is the mean of each category's share (%) of the year's offences, harm and cost, weighted
    by ``w_volume``/``w_harm``/``w_cost``. ``priorities`` is a priority set or a TOML file (default:
    ./csp-assess.toml if present, else the packaged MOPAC set; ``template`` a packaged set).
    ``scoring``: a scoring file (see ``write_scoring``) filled in at a workshop; the result then has a
    ``matrix`` table (every dimension, the weighted total, the order). ``population`` (residents, or an
    area,population CSV) scores each issue's rate; by default the scoring file's.
    """
    from dataclasses import replace

    from csp_assess.analysis.rank import build_rank

    extract = _extract(data)
    opts, pset = _rank_options(
        area, area_name, year, baseline, level, harm, priorities, template, w_volume, w_harm, w_cost,
        weights_file, price_year, price_index, uprate, price_source, top_n, sensitivity, variance, fy_start,
        extract,
    )  # fmt: skip
    if population is not None and scoring is None:
        raise OptionError(
            "{population} scores the matrix's rate: give it with {scoring}", params=["population", "scoring"]
        )
    ind = load_indicators(indicators, indicator_map=indicator_map) if indicators is not None else None
    result = build_rank(extract, replace(opts, indicators=ind), pset)
    if scoring is not None:
        from csp_assess.analysis.matrix import add_matrix, matrix_for
        from csp_assess.reference.scoring_file import read_scoring

        sfile = read_scoring(scoring)
        pop = population if population is not None else sfile.population
        add_matrix(result, matrix_for(result, extract, opts, pset, pop), sfile)
    ranked = RankResult(result)
    if ind is not None:
        _beside_crime(ranked, ind, _year_months(extract, year, fy_start), True, area, area_name)
    return ranked


def write_scoring(
    data: Data,
    path: PathLike,
    *,
    population: str | float | None = None,
    force: bool = False,
    **options: Any,
) -> RankResult:
    """Write the scoring-matrix file for a workshop: every candidate issue (each priority, each top-ranked
    or candidate category) with its computed 1-5 scores filled in and the workshop dimensions empty.
    A ``path`` ending .csv gets the CSV form (for a spreadsheet), anything else commented TOML.

    ``options`` are ``rank``'s keywords (area, year, priorities, template, weights...); the returned
    ranking carries the computed matrix as its ``matrix`` table. Refuses to overwrite unless ``force``.
    """
    from csp_assess.analysis.matrix import add_matrix, matrix_for, scoring_issues
    from csp_assess.analysis.rank import build_rank
    from csp_assess.errors import ConfigError
    from csp_assess.reference.scoring_csv import scoring_csv
    from csp_assess.reference.scoring_file import scoring_text

    target = Path(path)
    if target.exists() and not force:
        raise ConfigError("file exists; use {force} to overwrite it", file=str(target), params=["force"])
    extract = _extract(data)
    opts, pset = _rank_options_from(options, extract)
    result = build_rank(extract, opts, pset)
    computed = matrix_for(result, extract, opts, pset, population)
    as_csv = target.suffix.lower() == ".csv"
    text = (scoring_csv if as_csv else scoring_text)(
        computed.area,
        computed.year,
        str(result.meta["priorities_source"]),
        computed.population,
        scoring_issues(computed),
    )
    from csp_assess.output import write_atomic

    write_atomic(target, text, "utf-8-sig" if as_csv else "utf-8")
    add_matrix(result, computed, None)
    return RankResult(result)


def _rank_options_from(options: Mapping[str, Any], extract: Extract) -> tuple[RankOptions, PrioritySet]:
    """``_rank_options`` from ``rank``'s keywords given as a mapping (defaults for the rest)."""
    import inspect

    names = [
        n
        for n, p in inspect.signature(rank).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
        and n not in ("scoring", "population", "indicators", "indicator_map")
    ]
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise TypeError(f"unknown rank option {unknown[0]!r}")
    defaults = {n: inspect.signature(rank).parameters[n].default for n in names}
    kw = {**defaults, **options}
    return _rank_options(**{n: kw[n] for n in names}, extract=extract)


def _rank_options(
    area: AreaArg,
    area_name: str | None,
    year: str | None,
    baseline: str | None,
    level: str | Level,
    harm: str | HarmIndex,
    priorities: PrioritySet | PathLike | None,
    template: str | None,
    w_volume: float,
    w_harm: float,
    w_cost: float,
    weights_file: PathLike | None,
    price_year: str | None,
    price_index: PathLike | None,
    uprate: float | None,
    price_source: str | None,
    top_n: int | None,
    sensitivity: bool,
    variance: str | Variance,
    fy_start: int,
    extract: Extract,
) -> tuple[RankOptions, PrioritySet]:
    """The ranking's options, checked, shared by ``rank`` and ``report``."""
    from csp_assess.analysis.rank import RankOptions
    from csp_assess.reference.weights import load_weight_overrides

    if top_n is not None and top_n < 0:
        raise OptionError(f"{{top_n}} must be 0 or more, not {top_n}", params=["top_n"])
    weights = _score_weights(w_volume, w_harm, w_cost)
    pset = _priorities(priorities, template)
    overrides = None
    if weights_file is not None:
        overrides, override_warnings = load_weight_overrides(weights_file)
        extract.warnings.extend(w for w in override_warnings if w not in extract.warnings)
    opts = RankOptions(
        area=as_areas(area, area_name),
        year=year,
        baseline=baseline,
        level=_choice(level, Level, "level"),
        harm_index=_choice(harm, HarmIndex, "harm"),
        start_month=fy_start,
        score_weights=weights,
        weight_overrides=overrides,
        weights_file=str(weights_file) if weights_file else None,
        uprating=_uprating(price_year, price_index, uprate, price_source),
        top_n=top_n,
        sensitivity=sensitivity,
        variance=_choice(variance, Variance, "variance"),
    )
    return opts, pset


def baseline(
    data: Data,
    *,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    baseline: str | None = None,
    level: str | Level = Level.major,
    variance: str | Variance = Variance.data,
    fy_start: int = 4,
) -> BaselineResult:
    """Each category against the pre-COVID baseline (a year, or a range averaged) and against the count
    expected from its pre-COVID trend and season, with a prediction interval."""
    from csp_assess.analysis.baseline import build_baseline

    return BaselineResult(
        build_baseline(
            _extract(data),
            as_areas(area, area_name),
            year,
            baseline,
            _choice(level, Level, "level"),
            fy_start,
            _choice(variance, Variance, "variance"),
        )
    )


def compare(
    data: Data,
    *,
    against: Data | None = None,
    area: AreaArg = None,
    area_name: str | None = None,
    from_year: str | None = None,
    to_year: str | None = None,
    level: str | Level = Level.minor,
    method: str | Method = Method.exact,
    adjust: str | Adjust = Adjust.holm,
    alpha: float = 0.05,
    variance: str | Variance = Variance.data,
    fy_start: int = 4,
) -> CompareResult:
    """Each category's change between two years of one extract, or the same year in two extracts
    (``against``: what data revisions changed), with a test adjusted for many categories."""
    from csp_assess.analysis.compare import CompareOptions, build_compare

    if not 0 < alpha < 1:
        raise OptionError(f"{{alpha}} must be between 0 and 1, not {alpha}", params=["alpha"])
    opts = CompareOptions(
        area=as_areas(area, area_name),
        from_year=from_year,
        to_year=to_year,
        level=_choice(level, Level, "level"),
        method=_choice(method, Method, "method"),
        adjust=_choice(adjust, Adjust, "adjust"),
        alpha=alpha,
        start_month=fy_start,
        variance=_choice(variance, Variance, "variance"),
    )
    other = _extract(against) if against is not None else None
    return CompareResult(build_compare(_extract(data), opts, other))


def trend(
    data: Data,
    *,
    category: str | None = None,
    priority: str | None = None,
    priorities: PrioritySet | PathLike | None = None,
    template: str | None = None,
    by: str | Step = Step.month,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    top: int | None = None,
    fy_start: int = 4,
    indicators: Indicators | PathLike | None = None,
    indicator_map: Mapping[str, str] | None = None,
) -> TrendResult:
    """A deep dive: the series of all crime, a category or a priority, its minor categories and (for
    ward or LSOA data) its top places."""
    from csp_assess.analysis.trend import TrendOptions, build_trend

    if category and priority:
        raise OptionError("give {category} or {priority}, not both", params=["category", "priority"])
    pset = _priorities(priorities, template) if priority else None
    opts = TrendOptions(
        area=as_areas(area, area_name),
        category=category,
        priority=priority,
        by=_choice(by, Step, "by"),
        year=year,
        top=top,
        start_month=fy_start,
    )
    ind = load_indicators(indicators, indicator_map=indicator_map) if indicators is not None else None
    extract = _extract(data)
    result = TrendResult(build_trend(extract, opts, pset))
    if ind is not None:
        _beside_crime(result, ind, _year_months(extract, year, fy_start), True, area, area_name)
    return result


def places(
    data: Data,
    *,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    category: str | None = None,
    priority: str | None = None,
    priorities: PrioritySet | PathLike | None = None,
    population: PathLike | None = None,
    places_lookup: PathLike | None = None,
    top: int | None = None,
    fy_start: int = 4,
) -> PlacesResult:
    """Where crime concentrates: each ward or LSOA (or lookup place) of the area in the year, with its
    count, share, change on last year, rank and, given ``population`` (a CSV of code,population[,year]),
    its rate per 1,000; the top 5%/10% shares, the places holding half, the persistent hotspots, and
    month-of-year seasonality. ``places_lookup``: a CSV of lsoa_code,place[,place_code]."""
    from csp_assess.analysis.places import PlacesOptions, build_places
    from csp_assess.load.place_files import read_place_lookup, read_place_population

    if category and priority:
        raise OptionError("give {category} or {priority}, not both", params=["category", "priority"])
    opts = PlacesOptions(
        area=as_areas(area, area_name),
        year=year,
        category=category,
        priority=priority,
        top=top,
        start_month=fy_start,
    )
    lookup = read_place_lookup(places_lookup) if places_lookup is not None else None
    pop = read_place_population(population) if population is not None else None
    result, selection = build_places(_extract(data), opts, _priorities(priorities), lookup, pop)
    return PlacesResult(result, selection)


def quarterly(
    data: Data,
    *,
    priorities: PrioritySet | PathLike | None = None,
    template: str | None = None,
    plan_start: str | None = None,
    plan: PathLike | None = None,
    previous_plan: PathLike | None = None,
    area: AreaArg = None,
    area_name: str | None = None,
    alpha: float = 0.05,
    fy_start: int = 4,
    indicators: Indicators | PathLike | None = None,
    indicator_map: Mapping[str, str] | None = None,
    variance: str | Variance = Variance.data,
) -> QuarterlyResult:
    """Each priority's latest complete quarter against the same quarter a year earlier and the plan's start.

    ``plan``: a plan file (start year, priorities, targets); adds a ``plan`` table of progress with a RAG
    status by a stated rule, and sets the plan start and (unless given) the priority set. ``previous_plan``:
    last year's plan file; adds a ``decisions`` table (kept, added, dropped, target changed).
    """
    from csp_assess.analysis.quarterly import build_quarterly
    from csp_assess.reference.plan import read_plan

    if not 0 < alpha < 1:
        raise OptionError(f"{{alpha}} must be between 0 and 1, not {alpha}", params=["alpha"])
    if previous_plan is not None and plan is None:
        raise OptionError("{previous_plan} needs {plan}", params=["previous_plan", "plan"])
    the_plan = read_plan(plan, fy_start) if plan is not None else None
    last_plan = read_plan(previous_plan, fy_start) if previous_plan is not None else None
    if the_plan is not None:
        if plan_start is not None and parse_year(plan_start, fy_start, "plan_start") != the_plan.start_year:
            raise SelectionError(
                f"{{plan_start}} {plan_start} differs from the plan's start_year {the_plan.start_year.label}: "
                "give one",
                params=["plan_start"],
            )
        plan_start = the_plan.start_year.label
        if priorities is None and template is None:
            priorities, template = the_plan.priorities_file, the_plan.template
    ind = load_indicators(indicators, indicator_map=indicator_map) if indicators is not None else None
    extract = _extract(data)
    pset = _priorities(priorities, template)
    areas = as_areas(area, area_name)
    rows = _area_indicator_rows(extract, ind, area, area_name)
    result = build_quarterly(
        extract, pset, areas, plan_start, alpha, fy_start, rows, _choice(variance, Variance, "variance")
    )
    if the_plan is not None:
        from csp_assess.analysis.plan_progress import add_plan

        add_plan(
            result,
            extract,
            pset,
            the_plan,
            last_plan,
            areas,
            alpha,
            fy_start,
            _choice(variance, Variance, "variance"),
        )
    quarterly_result = QuarterlyResult(result)
    if ind is not None:
        import pandas as pd

        first = pd.Period(result.meta["quarter_first_month"], freq="M")
        _beside_crime(quarterly_result, ind, [first, first + 1, first + 2], True, area, area_name)
    return quarterly_result


def validate(
    paths: PathLike | Sequence[PathLike],
    *,
    mapping: Mapping[str, str] | None = None,
    map_file: PathLike | None = None,
    max_rejects: int | None = None,
) -> ValidateResult:
    """Check files one by one: layout, encoding, rows read/counted/rejected (each reject with file, line
    and reason), months and gaps, areas, unrecognised categories, and which snapshot won each month."""
    from csp_assess.analysis.validate import validate_paths, validation_result
    from csp_assess.load.long import mapping_from_file

    cols = mapping_from_file(map_file) if map_file is not None else {}
    cols.update(mapping or {})
    v = validate_paths(_paths(paths), cols)
    return ValidateResult(validation_result(v, max_rejects), v)


def weights(
    data: Data | None = None,
    *,
    scheme: str | None = None,
    harm: str | HarmIndex = HarmIndex.cchi,
    weights_file: PathLike | None = None,
    price_year: str | None = None,
    price_index: PathLike | None = None,
    uprate: float | None = None,
    price_source: str | None = None,
) -> WeightsResult:
    """Every category's harm and cost weight, with its source and status: of the extract's categories,
    or of a whole category ``scheme`` (met-old, met-new, met-pre2019, police-uk, custom). A custom
    extract's ``weight_route`` says how each category got its weights: by name, by Home Office offence
    code (``mapping={"ho_code": ...}``), by ``weights_file``, or none."""
    from csp_assess.analysis.configuration import check_scheme, weights_result
    from csp_assess.reference.weights import load_weight_overrides

    check_scheme(scheme)
    harm_index = _choice(harm, HarmIndex, "harm")
    uprating = _uprating(price_year, price_index, uprate, price_source)
    overrides, override_warnings = (
        load_weight_overrides(weights_file) if weights_file is not None else (None, [])
    )
    extract = _extract(data) if data is not None else None
    return WeightsResult(
        weights_result(
            extract,
            scheme,
            harm_index,
            overrides,
            override_warnings,
            str(weights_file) if weights_file else None,
            uprating,
        )
    )


def templates() -> list[Template]:
    """The packaged priority-set templates (name, description, file), for ``template=``."""
    from csp_assess.reference.templates import list_templates

    return list_templates()


def priorities(
    priorities: PrioritySet | PathLike | None = None,
    *,
    template: str | None = None,
    scheme: str | None = None,
) -> PrioritiesResult:
    """The active priority set: each priority's class, who set it, and how each layout measures it.

    ``template`` names a packaged set instead (``templates()`` lists them)."""
    from csp_assess.analysis.configuration import priorities_result

    return PrioritiesResult(priorities_result(_priorities(priorities, template), scheme))


def report(
    data: Data,
    *,
    output: PathLike | None = None,
    format: str | None = None,
    title: str | None = None,
    date: str | None = None,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    baseline: str | None = None,
    level: str | Level = Level.minor,
    harm: str | HarmIndex = HarmIndex.cchi,
    priorities: PrioritySet | PathLike | None = None,
    template: str | None = None,
    w_volume: float = 1.0,
    w_harm: float = 1.0,
    w_cost: float = 1.0,
    weights_file: PathLike | None = None,
    price_year: str | None = None,
    price_index: PathLike | None = None,
    uprate: float | None = None,
    price_source: str | None = None,
    top_n: int | None = None,
    sensitivity: bool = False,
    variance: str | Variance = Variance.data,
    fy_start: int = 4,
    theme: str | None = None,
    rotation: PathLike | None = None,
    quarter: str | None = None,
    scoring: PathLike | None = None,
    population: str | float | None = None,
    plan: PathLike | None = None,
    previous_plan: PathLike | None = None,
) -> ReportResult | ThemeResult:
    """The evidence pack (headline, charts, ranking, priorities, deep dives, data and methods), with the
    figures of ``summary``, ``baseline`` and ``rank`` for the same options; written when ``output`` is given.

    ``scoring`` (a workshop's scoring file, see ``write_scoring``; ``population`` as in ``rank``) adds the
    prioritisation matrix: table, scales and thresholds, and the impact-against-likelihood chart, as
    ``rank(scoring=...)``. ``plan`` (and ``previous_plan``) add progress against the plan with its RAG rule
    and the decision log, as ``quarterly(plan=...)``; like there, the plan's priority set is used unless
    ``priorities`` or ``template`` is given. Without them those sections are left out.

    With ``theme`` (a priority or a named group) or ``rotation`` and ``quarter`` (a plan file's deep dive for
    that quarter), the theme pack instead: see ``theme_pack``.
    """
    from csp_assess.report import report_format
    from csp_assess.report.build import ReportOptions, build_report

    if theme is not None or rotation is not None or quarter is not None:
        given = [n for n, v in (("scoring", scoring), ("plan", plan), ("previous_plan", previous_plan)) if v]
        if given:
            raise OptionError(
                f"{{{given[0]}}} is for the evidence pack, not a theme pack: leave out {{theme}}",
                params=[given[0], "theme"],
            )
        return theme_pack(
            data, theme=theme, rotation=rotation, quarter=quarter, output=output, format=format, title=title,
            date=date, area=area, area_name=area_name, year=year, baseline=baseline, level=level, harm=harm,
            priorities=priorities, w_volume=w_volume, w_harm=w_harm, w_cost=w_cost, weights_file=weights_file,
            price_year=price_year, price_index=price_index, uprate=uprate, price_source=price_source,
            top_n=top_n, template=template, variance=variance, fy_start=fy_start,
        )  # fmt: skip
    if output is not None:
        report_format(Path(output), format)  # an unknown format fails before the work
    if population is not None and scoring is None:
        raise OptionError(
            "{population} scores the matrix's rate: give it with {scoring}", params=["population", "scoring"]
        )
    if previous_plan is not None and plan is None:
        raise OptionError("{previous_plan} needs {plan}", params=["previous_plan", "plan"])
    from csp_assess.reference.plan import read_plan
    from csp_assess.reference.scoring_file import read_scoring

    sfile = read_scoring(scoring) if scoring is not None else None  # a bad file fails before the work
    the_plan = read_plan(plan, fy_start) if plan is not None else None
    last_plan = read_plan(previous_plan, fy_start) if previous_plan is not None else None
    if the_plan is not None and priorities is None and template is None:
        priorities, template = the_plan.priorities_file, the_plan.template
    extract = _extract(data)
    ropts, pset = _rank_options(
        area, area_name, year, baseline, level, harm, priorities, template, w_volume, w_harm, w_cost,
        weights_file, price_year, price_index, uprate, price_source, top_n, sensitivity, variance, fy_start,
        extract,
    )  # fmt: skip
    options = ReportOptions(
        rank=ropts,
        date=date,
        title=title,
        scoring=sfile,
        population=population,
        plan=the_plan,
        previous_plan=last_plan,
    )
    result = ReportResult(build_report(extract, options, pset))
    if output is not None:
        result.write(output, format)
    return result


# Partnership evidence beyond the crime counts: stop and search (issue 15).


def _split_stop_search(paths: Sequence[PathLike]) -> tuple[list[Path], list[Path]]:
    """(stop-and-search files, crime files) among ``paths`` (folders expanded; a police.uk zip can be both)."""
    from csp_assess.load import expand_paths
    from csp_assess.load.stop_search import is_stop_search_file, is_stop_search_member
    from csp_assess.load.zipmember import open_zip

    stops: list[Path] = []
    crime: list[Path] = []
    for f in expand_paths(paths):
        if f.suffix.lower() == ".zip":
            with open_zip(f) as zf:  # a damaged zip is named, not taken for a crime file
                names = zf.namelist()
            if any(is_stop_search_member(n) for n in names):
                stops.append(f)
            if not names or any(not is_stop_search_member(n) and n.lower().endswith(".csv") for n in names):
                crime.append(f)
        elif is_stop_search_file(f):
            stops.append(f)
        else:
            crime.append(f)
    return stops, crime


def load_stops(paths: PathLike | Sequence[PathLike]) -> StopSearchData:
    """Read police.uk stop-and-search files (or folders or zips holding them) into counts by UK month.

    ``Date`` is a UTC timestamp; each search is assigned to its month in UK local time (Europe/London).
    Other files among ``paths`` are ignored here (``stops`` loads them as crime files).
    """
    from csp_assess.errors import InputError
    from csp_assess.load.stop_search import combine_stop_search, read_stop_search

    given = _paths(paths)
    files = _split_stop_search(given)[0] if given else []  # stops() passes [] when its paths hold none
    if not files:
        raise InputError("no police.uk stop-and-search files among the files given (*-stop-and-search.csv)")
    return combine_stop_search([ld for f in files for ld in read_stop_search(f)])


def stops(
    data: StopSearchData | PathLike | Sequence[PathLike],
    *,
    crime: Data | None = None,
    area: AreaArg = None,
    area_name: str | None = None,
    force: str | None = None,
    year: str | None = None,
    fy_start: int = 4,
) -> StopsResult:
    """Stop and search by month, legislation, object of search and outcome, with the share whose outcome
    was linked to the object; beside drug and weapon possession offences by month when crime files are
    given (in ``crime``, or among the paths). Searches are by force and never added to crime totals."""
    from csp_assess.analysis.stop_search import build_stops
    from csp_assess.load.stop_search import StopSearchData as _Data
    from csp_assess.results import StopsResult

    if isinstance(data, _Data):
        stop_data = data
    else:
        stop_files, crime_files = _split_stop_search(_paths(data))
        stop_data = load_stops(stop_files)  # none among them: a one-line error
        if crime is None and crime_files:
            crime = crime_files
    extract = _extract(crime) if crime is not None else None
    return StopsResult(build_stops(stop_data, extract, as_areas(area, area_name), force, year, fy_start))


def _outcome_files(data: Data) -> list[PathLike]:
    """The files to read outcomes from: the paths given, or the police.uk files an ``Extract`` was loaded
    from (its counts carry no outcome, so they are read again; a zip member's source is its zip)."""
    from csp_assess.errors import InputError

    if not isinstance(data, Extract):
        return _paths(data)
    files: list[PathLike] = []
    for s in data.sources:
        path = (
            s.path.split("!", 1)[0]
            if "!" in s.path and s.path.split("!", 1)[0].lower().endswith(".zip")
            else s.path
        )
        if s.layout.startswith("police-uk") and path not in files:
            files.append(path)
    if not files:
        layouts = ", ".join(sorted({s.layout for s in data.sources}))
        raise InputError(
            f"outcomes need police.uk street-level files; this extract was loaded from {layouts} files"
        )
    return files


def outcomes(
    paths: Data,
    *,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    priorities: PrioritySet | PathLike | None = None,
    fy_start: int = 4,
) -> OutcomesResult:
    """Shares of an area's crimes by police.uk last outcome (charged or summonsed, no suspect identified,
    under investigation, ...) per category, month and priority. Read by a projection reader (pyarrow, five
    columns) from the street files (``paths``, or the files a loaded ``Extract`` came from); recent months'
    outcomes are not final, and every output says so."""
    from csp_assess.analysis.outcomes import build_outcomes
    from csp_assess.load.outcomes import read_outcomes
    from csp_assess.results import OutcomesResult

    _, files = _split_stop_search(_outcome_files(paths))  # stop-and-search files carry no outcomes
    data = read_outcomes(files)
    return OutcomesResult(
        build_outcomes(data, as_areas(area, area_name), year, fy_start, _priorities(priorities))
    )


# Partner indicators (issue 15): beside crime in summary, rank, trend and quarterly; never in crime totals.


def load_indicators(
    path: Indicators | PathLike, *, indicator_map: Mapping[str, str] | None = None
) -> Indicators:
    """Read a partner indicators file (``month,area[,subarea],indicator,count[,source]``; CSV, .xlsx or
    Parquet). ``indicator_map`` names other headers (``{"indicator": "Measure"}``), as ``--map`` does for
    long extracts. Every row is counted or rejected with its line."""
    from csp_assess.load.indicators import Indicators as _Indicators
    from csp_assess.load.indicators import read_indicators

    if isinstance(path, _Indicators):
        return path
    return read_indicators(path, dict(indicator_map or {}))


def _parts(area: AreaArg, area_name: str | None) -> tuple[str, ...]:
    from csp_assess.analysis.select import Areas

    spec = as_areas(area, area_name)
    return tuple(spec.names) if isinstance(spec, Areas) else ()


def _year_months(extract: Extract, year: str | None, fy_start: int) -> list[pd.Period]:
    from csp_assess.analysis.select import resolve_year

    period, _ = resolve_year(year, extract.months_covered, fy_start)
    return list(period.months)


def _beside_crime(
    result: AssessmentResult_,
    ind: Indicators,
    months: list[pd.Period],
    compare: bool,
    area: AreaArg,
    area_name: str | None,
) -> None:
    """Add the partner indicators table for the same area and months (and a year earlier) to ``result``."""
    from csp_assess.analysis.indicators import attach_indicators

    previous = [m - 12 for m in months] if compare else None
    attach_indicators(result.result, ind, months, previous, _parts(area, area_name))


def _area_indicator_rows(
    extract: Extract, ind: Indicators | None, area: AreaArg, area_name: str | None
) -> pd.DataFrame | None:
    """The partner indicator rows of the area selected (as ``select_area`` names it), or None."""
    if ind is None:
        return None
    from csp_assess.analysis.indicators import select_indicators
    from csp_assess.analysis.select import select_area

    sel = select_area(extract, as_areas(area, area_name))
    return select_indicators(ind, sel.label, sel.parts)[0]


def theme_pack(
    data: Data,
    *,
    theme: str | None = None,
    rotation: PathLike | None = None,
    quarter: str | None = None,
    output: PathLike | None = None,
    format: str | None = None,
    title: str | None = None,
    date: str | None = None,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    baseline: str | None = None,
    level: str | Level = Level.minor,
    harm: str | HarmIndex = HarmIndex.cchi,
    priorities: PrioritySet | PathLike | None = None,
    w_volume: float = 1.0,
    w_harm: float = 1.0,
    w_cost: float = 1.0,
    weights_file: PathLike | None = None,
    price_year: str | None = None,
    price_index: PathLike | None = None,
    uprate: float | None = None,
    price_source: str | None = None,
    top_n: int | None = None,
    template: str | None = None,
    variance: str | Variance = Variance.data,
    fy_start: int = 4,
) -> ThemeResult:
    """A deep dive on one theme: a priority, or a named group of priorities (``reference/themes.toml``,
    or the plan's ``[[theme]]``s). Its headline and judgments are ``rank``'s, its series, sub-categories
    and places ``trend --priority``'s, its quarterly view ``quarterly``'s, for the same options.

    ``rotation`` (a plan file) with ``quarter`` (e.g. ``"2023/24-Q2"``) picks the theme and lead that the
    plan's ``[[rotation]]`` names for that quarter; ``theme`` then must not be given.
    """
    from csp_assess.reference.themes import resolve_theme
    from csp_assess.report import report_format
    from csp_assess.report.theme import build_theme
    from csp_assess.rotation import read_rotation

    if output is not None:
        report_format(Path(output), format)
    groups = []
    lead = rotation_quarter = None
    if rotation is not None or quarter is not None:
        if rotation is None or quarter is None:
            raise OptionError("{rotation} and {quarter} go together", params=["rotation", "quarter"])
        if theme is not None:
            raise OptionError(
                "give {theme} or {rotation} with {quarter}, not both", params=["theme", "rotation", "quarter"]
            )
        plan = read_rotation(rotation, fy_start)
        entry = plan.entry(quarter, fy_start)
        theme, lead, rotation_quarter, groups = entry.theme, entry.lead, entry.quarter, plan.groups
    if theme is None:
        raise OptionError("a theme pack needs {theme}, or {rotation} with {quarter}", params=["theme"])
    extract = _extract(data)
    ropts, pset = _rank_options(
        area, area_name, year, baseline, level, harm, priorities, template, w_volume, w_harm, w_cost,
        weights_file, price_year, price_index, uprate, price_source, top_n, False, variance, fy_start,
        extract,
    )  # fmt: skip
    resolved = resolve_theme(theme, pset, groups)
    result = ThemeResult(
        build_theme(
            extract,
            ropts,
            pset,
            resolved,
            lead=lead,
            rotation_quarter=rotation_quarter,
            date=date,
            title=title,
        )
    )
    if output is not None:
        result.write(output, format)
    return result

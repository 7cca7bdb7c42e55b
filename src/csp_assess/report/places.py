"""The place section of the report, and the place map of the ``places`` command.

``place_section`` gives what the report shows about places (the ``places`` command's result for the
report's area and year, and its map as SVG); ``place_section_html`` renders it. The map is the offences'
point density for police.uk files (their coordinates, read again from the files) and a ranked bar chart
of places for ward files, which carry no coordinates. The caption reconciles the map with the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from csp_assess.analysis.places import level_name
from csp_assess.errors import InputError
from csp_assess.load.police_uk import LAYOUT

if TYPE_CHECKING:
    from csp_assess.analysis.places import PlaceSelection
    from csp_assess.analysis.select import AreaArg
    from csp_assess.load.points import Points
    from csp_assess.model import Extract
    from csp_assess.reference.priorities import PrioritySet
    from csp_assess.report.place_charts import Extent
    from csp_assess.results import PlacesResult

TABLE_ROWS = 15
SECTION_COLUMNS = ["rank", "place", "count", "share_pct", "previous_count", "change_pct", "significant"]


@dataclass(frozen=True)
class PlaceMap:
    svg: str
    kind: str  # "density" or "bars"
    caption: str
    alt: str


def is_street(selection: PlaceSelection) -> bool:
    """True when the places come from police.uk street files, which carry coordinates."""
    return any(layout == LAYOUT for _, layout, _ in selection.files)


def read_selection_points(selections: list[PlaceSelection]) -> Points:
    """One read of the files for the points of every selection (the same area and year, several subjects)."""
    from csp_assess.load.points import read_points

    first = selections[0]
    types = set().union(*(s.categories for s in selections))
    return read_points(first.files, first.areas, first.months, types)


def place_map_of(
    selection: PlaceSelection,
    rows: pd.DataFrame,
    points: Points | None = None,
    extent: Extent | None = None,
    size: float = 6.4,
) -> PlaceMap:
    """The map of a places result: point density for police.uk files, else a ranked bar chart."""
    from csp_assess.report.place_charts import hexbin_map, ranked_bars

    subject = selection.subject.lower()
    title = f"{selection.label}: {subject}, {selection.year}"
    if is_street(selection):
        pts = (points if points is not None else read_selection_points([selection])).of(selection.categories)
        drawn, missing = len(pts.lon), sum(pts.no_coordinates.values())
        what = selection.noun
        measured = (
            f" (measured by {selection.measure})"
            if selection.subject != "All crime" and selection.measure.lower() != subject
            else ""
        )
        agree = (
            "the same as the table"
            if pts.counted == selection.total
            else f"the table counts {selection.total:,}: the files have changed since they were loaded"
        )
        caption = (
            f"Point density of {subject}{measured} in {selection.label}, {selection.year}: {drawn:,} {what} drawn"
            + (f", {missing:,} with no coordinates not drawn" if missing else "")
            + f" ({pts.counted:,} in all, {agree}). police.uk coordinates are anonymised to nearby map points, "
            "so a hexagon shows density, not addresses."
        )
        note = f"{drawn:,} {what}; anonymised police.uk locations"
        svg = hexbin_map(pts.lon, pts.lat, title, note, extent=extent, size=size)
        return PlaceMap(svg, "density", caption, f"Point-density map of {subject} in {selection.label}")
    n = int(rows["rank"].notna().sum())
    shown = min(n, 25)
    caption = (
        f"The {shown} {selection.level}s with most {subject} in {selection.label}, {selection.year}, "
        f"of {n} (ward files carry no coordinates, so places are ranked rather than mapped)."
    )
    svg = ranked_bars(rows, title, f"{selection.noun.capitalize()}, {selection.year}")
    return PlaceMap(svg, "bars", caption, f"Bar chart of {subject} by {selection.level} in {selection.label}")


def map_svg(selection: PlaceSelection, rows: pd.DataFrame) -> str:
    return place_map_of(selection, rows).svg


def write_place_map(result: PlacesResult, path: Path) -> Path:
    """Write the result's map to ``path`` (an .svg file)."""
    if path.suffix.lower() != ".svg":
        raise InputError("the map is written as SVG: name the file .svg", file=str(path))
    if result.selection is None:
        raise InputError("this result carries no selection to map", file=str(path))
    svg = place_map_of(result.selection, result.rows).svg
    try:
        from csp_assess.output import write_atomic

        write_atomic(path, svg)
    except OSError as err:
        raise InputError(f"cannot write the map: {err.strerror}", file=str(path)) from err
    return path


@dataclass(frozen=True)
class PlaceSection:
    """The report's place section: the places result (table, concentration, seasonality), its map, and
    for police.uk files a map per measurable priority on the same extent."""

    result: PlacesResult
    map: PlaceMap
    priority_maps: tuple[PlaceMap, ...] = ()


def place_section(
    extract: Extract,
    *,
    area: AreaArg = None,
    year: str | None = None,
    priorities: PrioritySet | None = None,
    fy_start: int = 4,
) -> PlaceSection | None:
    """The place section for the report's area and year, or None when the data has no place level."""
    from csp_assess import api
    from csp_assess.report.place_charts import extent_of

    if "subarea" not in extract.counts.columns:
        return None

    def places(priority: str | None = None) -> PlacesResult:
        return api.places(
            extract, area=area, year=year, priority=priority, priorities=priorities, fy_start=fy_start
        )

    result = places()
    assert result.selection is not None
    if not is_street(result.selection):
        return PlaceSection(result, place_map_of(result.selection, result.rows))
    # One read of the files for every map; the priorities' maps share the all-crime map's extent.
    subjects = []
    for p in priorities.priorities if priorities is not None else []:
        m = p.measure_for(extract.scheme)
        if m is not None and not m.not_measurable:
            sub = places(p.name)
            if sub.selection is not None and sub.selection.total:
                subjects.append(sub)
    points = read_selection_points([result.selection] + [s.selection for s in subjects if s.selection])
    whole = points.of(result.selection.categories)
    box = extent_of(whole.lon, whole.lat)
    main = place_map_of(result.selection, result.rows, points, box)
    maps = tuple(
        place_map_of(s.selection, s.rows, points, box, size=4.6) for s in subjects if s.selection is not None
    )
    return PlaceSection(result, main, maps)


def place_section_html(
    section: PlaceSection,
    figure: Callable[[str, str, str], str],
    table_html: Callable[..., str],
    heads: dict[str, str],
) -> str:
    """The section as HTML, with the report's own ``figure`` and ``table_html`` helpers."""
    r = section.result
    level = level_name(str(r.meta["level"]))
    parts = ['<section id="places"><h2>Where crime concentrates</h2>']
    parts.append(f'<p class="lead">{escape(r.headline)}.</p>')
    parts.append("<p>" + escape(_facts(section)) + ".</p>")
    parts.append(figure(section.map.svg, section.map.alt, section.map.caption))
    if section.priority_maps:
        parts.append("<h3>By priority</h3>")
        parts.append(
            '<div style="display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:.6rem">'
        )
        parts.extend(figure(pm.svg, pm.alt, pm.caption) for pm in section.priority_maps)
        parts.append("</div>")
    rows = r.rows.head(TABLE_ROWS)
    parts.append(
        table_html(
            rows, SECTION_COLUMNS, {**heads, "place": level[:1].upper() + level[1:]}, _table_title(section)
        )
    )
    parts.append(table_html(r.seasonality, SEASON_COLUMNS, {**heads, **SEASON_HEADS}, SEASON_TITLE))
    parts.append('<p class="small">' + escape(_notes(section)) + "</p>")
    parts.append("</section>")
    return "".join(parts)


def place_section_markdown(
    section: PlaceSection,
    image: Callable[[str, str, str], str],
    md_table: Callable[[pd.DataFrame, list[str], dict[str, str]], list[str]],
    esc: Callable[[str], str],
    heads: dict[str, str],
) -> list[str]:
    """The same section as Markdown lines: a Markdown pack must not lose what the HTML pack shows."""
    r = section.result
    level = level_name(str(r.meta["level"]))
    out = ["", "## Where crime concentrates", "", esc(r.headline) + ".", "", esc(_facts(section)) + ".", ""]
    out += [image(section.map.svg, section.map.alt, "places"), "", esc(section.map.caption)]
    if section.priority_maps:
        out += ["", "### By priority"]
        for pm in section.priority_maps:
            out += ["", image(pm.svg, pm.alt, f"places {pm.alt}"), "", esc(pm.caption)]
    out += ["", f"**{esc(_table_title(section))}**", ""]
    out += md_table(
        r.rows.head(TABLE_ROWS), SECTION_COLUMNS, {**heads, "place": level[:1].upper() + level[1:]}
    )
    out += ["", f"**{SEASON_TITLE}**", ""]
    out += md_table(r.seasonality, SEASON_COLUMNS, {**heads, **SEASON_HEADS})
    out += ["", esc(_notes(section))]
    return out


SEASON_COLUMNS = ["subject", "peak_months", "low_months", "years_per_month"]
SEASON_HEADS = {
    "subject": "Measure",
    "peak_months": "Peak months",
    "low_months": "Lowest months",
    "years_per_month": "Years averaged",
}
SEASON_TITLE = "Month of year: when each measure peaks"


def _table_title(section: PlaceSection) -> str:
    m = section.result.meta
    shown = min(TABLE_ROWS, len(section.result.rows))
    return f"Top {shown} of {m['places']} {level_name(str(m['level']))}s"


def _notes(section: PlaceSection) -> str:
    notes = " ".join(n.rstrip(".") + "." for n in section.result.notes[1:])
    return notes + " No rates are shown: the report is given no population per place."


def _facts(section: PlaceSection) -> str:
    """Concentration in one sentence: top 5% and 10% shares, the places holding half, persistent hotspots."""
    m = section.result.meta
    level = level_name(str(m["level"]))
    noun = str(m.get("counted_as") or "offences")  # ASB is incidents, never offences
    facts = [
        f"Top 5% of {level}s ({m['top_5pct_places']}): {m['top_5pct_share']}% of {noun}",
        f"top 10% ({m['top_10pct_places']}): {m['top_10pct_share']}%",
    ]
    if m.get("half_offences_places"):
        facts.append(
            f"half of all {noun} in {m['half_offences_places']} {level}s ({m['half_offences_places_pct']}% of them)"
        )
    if m.get("persistent_hotspots") is not None:
        names = ", ".join(str(p) for p in m.get("persistent_hotspot_places") or []) or "none"
        facts.append(f"persistent hotspots (top 10% this year and last): {m['persistent_hotspots']}: {names}")
    return "; ".join(facts)

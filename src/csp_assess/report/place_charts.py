"""Place charts without downloads: a point-density (hexagon) map and a ranked bar chart, as SVG.

No tiles, no boundaries, no network: the map is the offences' own anonymised coordinates binned into
hexagons on a local equirectangular projection (longitude scaled by the cosine of the mean latitude, so
a hexagon is the same width north-south and east-west), with a scale bar. Drawn with the report's
matplotlib settings (fixed SVG hash salt, no date), so the same points give the same bytes.
"""

from __future__ import annotations

import math
from textwrap import fill

import numpy as np
import pandas as pd

from csp_assess.report.charts import INK, SERIES, _pyplot, _svg

KM_PER_DEGREE = 111.32  # of latitude (and of longitude at the equator)
HEX_ACROSS = 45  # hexagons across the wider side of the area


def _scale_km(width_km: float) -> float:
    """A round scale-bar length about a fifth of the map's width."""
    target = width_km / 5
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100):
        if step >= target:
            return float(step)
    return 100.0


Extent = tuple[float, float, float]  # centre longitude, centre latitude, side of the square (km)


def extent_of(lon: np.ndarray, lat: np.ndarray) -> Extent | None:
    """The square (km) around the points, centred on them; None when there are none."""
    if len(lon) == 0:
        return None
    lat0 = float((lat.max() + lat.min()) / 2)
    lon0 = float((lon.max() + lon.min()) / 2)
    kx = math.cos(math.radians(lat0)) * KM_PER_DEGREE
    side = max(float(lon.max() - lon.min()) * kx, float(lat.max() - lat.min()) * KM_PER_DEGREE, 0.5)
    return lon0, lat0, side


def hexbin_map(
    lon: np.ndarray,
    lat: np.ndarray,
    title: str,
    note: str,
    extent: Extent | None = None,
    size: float = 6.4,
) -> str:
    """Offences per hexagon over the area; the hexagon's width (in metres) is stated on the colour bar.
    Maps given the same ``extent`` share their hexagons, so they can be compared side by side."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(size, size * 0.94))
    fig.subplots_adjust(left=0.03, right=0.84, top=0.9, bottom=0.08)
    ax.set_title(fill(title, int(11 * size)), loc="left", fontsize=10 if size > 5 else 8.5, color=INK)
    box = extent or extent_of(lon, lat)
    if len(lon) == 0 or box is None:
        ax.text(0.5, 0.5, "No offences with coordinates", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _svg(fig)
    lon0, lat0, side = box
    kx = math.cos(math.radians(lat0)) * KM_PER_DEGREE
    x = (lon - lon0) * kx
    y = (lat - lat0) * KM_PER_DEGREE
    half = side / 2
    hb = ax.hexbin(
        x,
        y,
        gridsize=HEX_ACROSS,
        extent=(-half, half, -half, half),
        mincnt=1,
        cmap="YlOrRd",
        bins="log",
        linewidths=0.2,
        edgecolors="face",
    )
    cax = fig.add_axes((0.87, 0.2, 0.025, 0.6))
    cb = fig.colorbar(hb, cax=cax)
    cb.set_label(f"Offences per hexagon ({side / HEX_ACROSS * 1000:,.0f} m across; log scale)", fontsize=7.5)
    cb.ax.tick_params(labelsize=7)
    ax.set_aspect("equal")
    ax.set_xlim(-half - side * 0.03, half + side * 0.03)
    ax.set_ylim(-half - side * 0.08, half + side * 0.03)
    bar = _scale_km(side)
    y0 = -half - side * 0.05
    ax.plot([-half, -half + bar], [y0, y0], color=INK, lw=2.5, solid_capstyle="butt")
    ax.text(
        -half + bar / 2, y0 + side * 0.012, f"{bar:g} km", ha="center", va="bottom", fontsize=8, color=INK
    )
    ax.set_axis_off()
    fig.text(0.03, 0.02, note, fontsize=7.5, color=INK)
    return _svg(fig)


def ranked_bars(frame: pd.DataFrame, title: str, note: str, shown: int = 25) -> str:
    """The places with most offences, largest at the top, each bar labelled with its count."""
    plt = _pyplot()
    ranked = frame[frame["rank"].notna()].head(shown)
    height = 1.2 + 0.24 * max(len(ranked), 1)
    fig, ax = plt.subplots(figsize=(7.2, height))
    fig.subplots_adjust(left=0.38, right=0.92, top=1 - 0.6 / height, bottom=0.5 / height)
    names = [str(p) for p in ranked["place"]][::-1]
    values = [int(v) for v in ranked["count"]][::-1]
    ax.barh(range(len(values)), values, color=SERIES, height=0.7)
    ax.set_yticks(range(len(values)), names, fontsize=7.5)
    top = max(values) if values else 1
    for i, v in enumerate(values):
        ax.text(v + top * 0.01, i, f"{v:,}", va="center", fontsize=7, color=INK)
    ax.set_xlim(0, top * 1.12 + 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    fig.text(0.01, 1 - 0.12 / height, fill(title, 95), ha="left", va="top", fontsize=10, color=INK)
    ax.set_xlabel(note, fontsize=7.5)
    return _svg(fig)

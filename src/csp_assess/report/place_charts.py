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


def hexbin_map(lon: np.ndarray, lat: np.ndarray, title: str, note: str) -> str:
    """Offences per hexagon over the area; the hexagon's width (in metres) is stated on the colour bar."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    fig.subplots_adjust(left=0.03, right=0.86, top=0.92, bottom=0.08)
    ax.set_title(fill(title, 70), loc="left", fontsize=10, color=INK)
    if len(lon) == 0:
        ax.text(0.5, 0.5, "No offences with coordinates", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _svg(fig)
    lat0 = float(np.mean(lat))
    kx = math.cos(math.radians(lat0))
    x = (lon - float(np.mean(lon))) * kx * KM_PER_DEGREE
    y = (lat - lat0) * KM_PER_DEGREE
    span = max(float(x.max() - x.min()), float(y.max() - y.min()), 0.5)
    grid = HEX_ACROSS
    hb = ax.hexbin(
        x,
        y,
        gridsize=grid,
        extent=(float(x.min()), float(x.min()) + span, float(y.min()), float(y.min()) + span),
        mincnt=1,
        cmap="YlOrRd",
        bins="log",
        linewidths=0.2,
        edgecolors="face",
    )
    hex_m = span / grid * 1000
    cax = fig.add_axes((0.88, 0.2, 0.025, 0.6))
    cb = fig.colorbar(hb, cax=cax)
    cb.set_label(f"Offences per hexagon ({hex_m:,.0f} m across; log scale)", fontsize=8)
    cb.ax.tick_params(labelsize=7)
    ax.set_aspect("equal")
    ax.set_xlim(float(x.min()) - span * 0.03, float(x.min()) + span * 1.03)
    ax.set_ylim(float(y.min()) - span * 0.08, float(y.min()) + span * 1.03)
    bar = _scale_km(span)
    x0, y0 = float(x.min()), float(y.min()) - span * 0.05
    ax.plot([x0, x0 + bar], [y0, y0], color=INK, lw=2.5, solid_capstyle="butt")
    ax.text(x0 + bar / 2, y0 + span * 0.012, f"{bar:g} km", ha="center", va="bottom", fontsize=8, color=INK)
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

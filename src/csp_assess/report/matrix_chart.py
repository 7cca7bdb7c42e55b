"""The matrix chart: each issue placed by likelihood (across) and impact (up), as in a risk matrix.

Built on ``charts``' pyplot set-up (Agg, fixed SVG salt) so the SVG is the same on every run. Points are
labelled with their place in the matrix order and the key beside the plot names them; issues on the
same point share one marker and one label ("1, 2"), so no number hides another.
"""

from __future__ import annotations

import math

import pandas as pd

from csp_assess.report.charts import INK, SERIES, _pyplot, _svg


def matrix_chart(matrix: pd.DataFrame, title: str = "Impact against likelihood (scores 1-5)") -> str:
    """SVG of the issues with both a likelihood and an impact score; the rest are named in the key."""
    plt = _pyplot()
    fig, (ax, key) = plt.subplots(1, 2, figsize=(8.4, 4.4), gridspec_kw={"width_ratios": [1.15, 1]})
    fig.subplots_adjust(left=0.08, right=0.99, top=0.9, bottom=0.12, wspace=0.05)
    for edge in (2.5, 3.5):
        ax.axvline(edge, color="#cccccc", lw=0.6)
        ax.axhline(edge, color="#cccccc", lw=0.6)
    ax.axvspan(3.5, 5.4, ymin=(3.5 - 0.6) / 4.8, ymax=1, color="#f6e3cf", lw=0, zorder=0)
    lines = []
    at: dict[tuple[float, float], list[int]] = {}
    for r in matrix.sort_values("order").to_dict("records"):
        x, y = float(r["likelihood"]), float(r["impact"])
        n = int(r["order"])
        if math.isnan(x) or math.isnan(y):
            lines.append(f"{n}. {r['issue']} (not placed: no score)")
            continue
        at.setdefault((x, y), []).append(n)
        lines.append(f"{n}. {r['issue']} (total {r['total']:.2f})")
    # Issues on the same point share one marker, labelled with every number beside it.
    for (x, y), ns in sorted(at.items()):
        ax.scatter([x], [y], s=40, color=SERIES, zorder=3)
        ax.annotate(
            ", ".join(map(str, ns)),
            (x, y),
            xytext=(5, 4),
            textcoords="offset points",
            fontsize=7.5,
            color=INK,
            zorder=4,
        )
    ax.set_xlim(0.6, 5.4)
    ax.set_ylim(0.6, 5.4)
    ax.set_xticks([1, 2, 3, 4, 5])
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.set_xlabel("Likelihood: volume, trend, rate")
    ax.set_ylabel("Impact: harm, cost, concern, vulnerability")
    ax.set_title(title, loc="left", fontsize=10, color=INK)
    key.axis("off")
    key.text(0, 1, "\n".join(lines[:28]), va="top", ha="left", fontsize=7, color=INK, family="sans-serif")
    return _svg(fig)

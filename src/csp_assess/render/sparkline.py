"""A one-line terminal chart of a series: ``▁▂▄▇█``. Plain text, so it also goes into JSON and Markdown."""

from __future__ import annotations

import math
from collections.abc import Iterable

BARS = "▁▂▃▄▅▆▇█"


def sparkline(
    values: Iterable[float | int | None], low: float | None = None, high: float | None = None
) -> str:
    """One bar per value, scaled between ``low`` and ``high`` (default: the series' own min and max).

    Missing values (None/NaN) are a space; a flat series is a row of middle bars.
    """
    vals: list[float | None] = []
    for v in values:
        if v is None:
            vals.append(None)
            continue
        f = float(v)
        vals.append(None if math.isnan(f) else f)
    known = [v for v in vals if v is not None]
    if not known:
        return " " * len(vals)
    lo = min(known) if low is None else low
    hi = max(known) if high is None else high
    out = []
    for v in vals:
        if v is None:
            out.append(" ")
        elif hi <= lo:
            out.append(BARS[len(BARS) // 2 - 1])
        else:
            frac = min(max((v - lo) / (hi - lo), 0.0), 1.0)
            out.append(BARS[min(int(frac * len(BARS)), len(BARS) - 1)])
    return "".join(out)

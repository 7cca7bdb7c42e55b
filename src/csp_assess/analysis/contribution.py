"""Contribution to change: each category's share of the net change in the total.

A board's first question after "is it going up?" is "what drove it?". Each category's contribution is its
own change divided by the net change of the total, so the contributions add up to exactly 100% of the net
change (the shares are rounded to 0.1 by largest remainder, so the rounded shares add up to 100.0 too).

When categories move in opposite directions a share can exceed 100% or be negative: with a net rise of
+100 made of +150 in one category and -50 in another, the first "accounts for" 150% and the second for
-50%. A negative share means the category moved against the net change (it offset part of it). When the
net change is zero the shares are undefined and not given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import pandas as pd

OPPOSITE_NOTE = (
    "Contribution to change is each category's change as a share of the net change ({net:+,}); the shares "
    "add up to 100%. Categories moved in opposite directions: a negative share offset the net change, and "
    "shares above 100% are possible"
)
SAME_NOTE = (
    "Contribution to change is each category's change as a share of the net change ({net:+,}); the shares "
    "add up to 100%"
)
ZERO_NOTE = "The net change is zero: contribution to change is not defined"


def contribution_shares(changes: Sequence[int]) -> list[float | None]:
    """Each change as a % of their sum, rounded to 0.1 so that the rounded shares sum to exactly 100.0.

    Largest-remainder rounding in tenths of a percent: floor every share, then give the tenths still
    missing to the shares with the largest remainders (ties in input order, so the output is deterministic).
    None for every category when the net change is zero.
    """
    values = [int(c) for c in changes]
    net = sum(values)
    if net == 0:
        return [None] * len(values)
    tenths = [Fraction(v * 1000, net) for v in values]  # exact: no float drift in the sum
    floors = [math.floor(t) for t in tenths]
    missing = 1000 - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-(tenths[i] - floors[i]), i))
    for i in order[:missing]:
        floors[i] += 1
    return [f / 10 for f in floors]


def add_contribution(frame: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """``frame`` (with a ``change`` column) with ``contribution_pct``, and the note that says how to read it.

    No previous period (``change`` all missing) gives an empty column and no note.
    """
    out = frame.copy()
    if "change" not in out.columns or out["change"].isna().all():
        out["contribution_pct"] = pd.Series([None] * len(out), dtype="float64", index=out.index)
        return out, None
    changes = out["change"].fillna(0).astype("int64").tolist()
    out["contribution_pct"] = pd.Series(contribution_shares(changes), dtype="float64", index=out.index)
    net = sum(changes)
    if net == 0:
        return out, ZERO_NOTE
    opposite = any(c * net < 0 for c in changes)
    return out, (OPPOSITE_NOTE if opposite else SAME_NOTE).format(net=net)

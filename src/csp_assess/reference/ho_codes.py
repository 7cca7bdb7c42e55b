"""Home Office offence codes -> Police Recorded Crime (PRC) offence subgroups, from the packaged lookup.

``ho_offence_codes.csv`` is derived (by ``scripts/ho_codes_from_ons.py``) from the ONS offence hierarchy
of its dataset "crime with Home Office offences 2017-2018" (see README.md in this folder). It lets a record
extract whose rows carry a Home Office offence code (``--map ho_code=COLUMN``) weight categories that no
name matches: each code's subgroup gives the harm and cost weights.

Codes are written in the source without zero padding (``8N``, ``28E``, ``105A``, ``4.1``, ``37.2``), so a
code read from a file is normalised only in ways that cannot change its meaning: spaces dropped, letters
upper-cased, leading zeros of the class number dropped (``008N`` -> ``8N``, ``028A`` -> ``28A``). Codes
with a sub-code (``008/01``, ``8/1``) are never guessed at: the source lists classifications, not
sub-codes, so they stay unknown.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where used: the record tally reads this module without it
    import pandas as pd

HO_CODE = "ho_code"  # the counts table's column of Home Office offence codes (record extracts)
_LEADING_ZEROS = re.compile(r"^0+(?=\d)")


@dataclass(frozen=True)
class HoCode:
    code: str
    description: str
    prc_subgroup: str
    source_subgroup: str
    source: str


@cache
def ho_code_table() -> dict[str, HoCode]:
    """The packaged lookup, by normalised code."""
    text = resources.files("csp_assess.reference").joinpath("ho_offence_codes.csv").read_text("utf-8")
    out: dict[str, HoCode] = {}
    for row in csv.DictReader(io.StringIO(text)):
        code = normalise_code(row["code"])
        if code in out:  # a broken packaged file is a bug: fail loudly
            raise ValueError(f"ho_offence_codes.csv: code {row['code']!r} repeated")
        out[code] = HoCode(
            code, row["description"], row["prc_subgroup"], row["source_subgroup"], row["source"]
        )
    return out


def normalise_code(text: object) -> str:
    """A code as the lookup writes it: no spaces, upper case, no leading zeros on the class number."""
    code = "".join(str(text).split()).upper()
    return _LEADING_ZEROS.sub("", code)


def canonical_code(text: str) -> str:
    """A code as the counts table keeps it: as the lookup writes it when the lookup knows it (so ``008N``
    and ``8n`` are one code), else as read (trimmed), so that warnings quote the file."""
    code = normalise_code(text)
    return code if code in ho_code_table() else text.strip()


def lookup(text: object) -> HoCode | None:
    """The lookup's entry for a code as read from a file, or None (blank, unknown, or with a sub-code)."""
    return ho_code_table().get(normalise_code(text))


def code_mix(counts: pd.DataFrame) -> pd.DataFrame | None:
    """Offences per (major, minor, ho_code) of a counts table, or None when it has no ``ho_code`` column.

    Weights by code blend the subgroups of a category by these counts, so callers pass the whole extract
    (every area and month): a category's weight should not move with the area or year looked at."""
    if HO_CODE not in counts.columns:
        return None
    mix = counts.groupby(["major", "minor", HO_CODE], sort=True, dropna=False)["count"].sum().reset_index()
    return mix[mix["count"] > 0].reset_index(drop=True)


def unknown_codes(codes: list[str], counts: list[int]) -> tuple[list[tuple[str, int]], int]:
    """The codes (as read) the lookup does not know, with their offences, most first; and the offences
    with a blank code."""
    unknown: dict[str, int] = {}
    blank = 0
    for code, n in zip(codes, counts, strict=True):
        if not str(code).strip():
            blank += int(n)
        elif lookup(code) is None:
            unknown[str(code)] = unknown.get(str(code), 0) + int(n)
    return sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0])), blank


def unknown_warning(name: str, codes: list[str], counts: list[int], shown: int = 5) -> str | None:
    """One warning naming the first few codes the lookup does not know (with their offences), or None."""
    unknown, blank = unknown_codes(codes, counts)
    parts: list[str] = []
    if unknown:
        total = sum(n for _, n in unknown)
        listed = ", ".join(f"'{c}' ({n:,})" for c, n in unknown[:shown])
        more = f" and {len(unknown) - shown} more" if len(unknown) > shown else ""
        parts.append(
            f"{total:,} offence(s) carry {len(unknown)} Home Office offence code(s) not in the packaged "
            f"lookup: {listed}{more}"
        )
    if blank:
        parts.append(f"{blank:,} offence(s) have a blank Home Office offence code")
    if not parts:
        return None
    return (
        f"{name}: {'; '.join(parts)}. They give no weight by code (codes with a sub-code such as "
        "'008/01' are never guessed): their categories are weighted by name, by their other codes, "
        "or by --weights, else left unknown"
    )

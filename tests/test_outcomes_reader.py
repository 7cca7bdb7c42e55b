"""The outcomes reader works on codes of distinct values: the same counts, rejects and reconciliation as the
row-by-row rules it replaced (written out here as the reference), on rows chosen to hit each rule."""

from __future__ import annotations

import re
from collections import Counter

import pyarrow as pa
import pytest

from csp_assess.load.outcomes import read_outcomes_table

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_EXCEL = {"Apr-21": "2021-04", "May-21": "2021-05"}  # the only Excel months in the rows below


def reference(
    rows: list[tuple[str, str, str, str, str]],
) -> tuple[Counter[tuple[str, ...]], list[tuple[int, str]], int]:
    """Row by row: bad Month rejected; then a repeated non-blank Crime ID (stripped) rejected; then ASB
    counted apart; area = LSOA name less its code (blank: No location); blank outcome '(not recorded)'."""
    seen: set[str] = set()
    counts: Counter[tuple[str, ...]] = Counter()
    rejects: list[tuple[int, str]] = []
    asb = 0
    for i, (cid, month, lsoa, ctype, outcome) in enumerate(rows):
        line = i + 2
        month = month.strip()
        if not _MONTH.match(month):
            month = _EXCEL.get(month, month)
        if not _MONTH.match(month):
            rejects.append((line, f"Month {month!r} is not YYYY-MM"))
            continue
        cid = cid.strip()
        if cid:
            if cid in seen:
                rejects.append((line, f"repeated Crime ID {cid[:16]}... (first row kept)"))
                continue
            seen.add(cid)
        ctype = ctype.strip()
        if ctype == "Anti-social behaviour":
            asb += 1
            continue
        area = re.sub(r" [0-9]{3}[A-Z]$", "", lsoa.strip()) or "No location"
        counts[(area, month, ctype, outcome.strip() or "(not recorded)")] += 1
    return counts, rejects, asb


ROWS = [
    ("a1", "2021-04", "Camden 001A", "Burglary", "Under investigation"),
    ("a1", "2021-04", "Camden 001A", "Burglary", "Under investigation"),  # repeated ID
    (" a1 ", "2021-04", "Camden 002B", "Burglary", ""),  # repeated once stripped
    ("b2", "2021-13", "Camden 001A", "Burglary", ""),  # bad month: rejected, its ID not seen
    ("b2", "Apr-21", "Camden 001A", " Burglary", " Offender fined"),  # Excel month, padded type
    ("", "2021-05", "", "Drugs", ""),  # blank ID never merged, blank LSOA
    ("", "2021-05", "", "Drugs", ""),
    ("", " 2021-05 ", "Islington 010C", "Anti-social behaviour", ""),
    ("c3", "May-21", "Islington 010C", "Anti-social behaviour", ""),
    ("c3", "2021-05", "Islington 010C", "Robbery", "Under investigation"),  # repeats an ASB row's ID
    ("d4\t", "junk", "Islington 010C", "Robbery", ""),
    ("e5", "2021-04", "Islington 010C", "Robbery", "Under investigation"),
]


def table(rows: list[tuple[str, str, str, str, str]]) -> pa.Table:
    names = ["Crime ID", "Month", "LSOA name", "Crime type", "Last outcome category"]
    return pa.table({n: pa.array([r[i] for r in rows], pa.string()) for i, n in enumerate(names)})


@pytest.mark.parametrize(
    "rows",
    [ROWS, ROWS[:1], [r for r in ROWS if r[0].strip() == r[0]], ROWS[3:4], []],
    ids=["hostile", "one", "unpadded-ids", "all-rejected", "empty"],
)
def test_outcome_counts_equal_the_row_by_row_rules(rows: list[tuple[str, str, str, str, str]]) -> None:
    counts, info = read_outcomes_table(table(rows), "f.csv")
    want, want_rejects, want_asb = reference(rows)
    got = {(r.area, str(r.month), r.category, r.outcome): r.count for r in counts.itertuples(index=False)}
    assert got == dict(want)
    assert [(r.line, r.reason) for r in info.rejects] == want_rejects
    assert (info.rows_read, info.crimes, info.asb_rows) == (len(rows), sum(want.values()), want_asb)
    assert info.rows_read == info.crimes + info.asb_rows + info.rows_rejected
    assert list(counts.columns) == ["area", "month", "category", "outcome", "count"]
    assert str(counts["month"].dtype) == "period[M]"
    keys = list(
        zip(counts["area"], counts["month"].astype(str), counts["category"], counts["outcome"], strict=True)
    )
    assert keys == sorted(keys)

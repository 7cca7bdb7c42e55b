"""Warnings from many monthly files are summed into one line, never lost."""

from __future__ import annotations

from csp_assess.load.combine import collapse_warnings


def test_collapse_sums_the_same_warning_across_files() -> None:
    ws = [
        f"d/2021-0{i}-x-street.csv: {n} rows with no location counted"
        for i, n in zip(range(1, 6), [3, 4, 5, 6, 7], strict=True)
    ]
    ws.append("other warning")
    assert collapse_warnings(ws) == ["5 files: 25 rows with no location counted (in total)", "other warning"]


def test_few_warnings_are_kept_as_they_are() -> None:
    ws = ["a.csv: 3 rows repeat", "b.csv: 4 rows repeat"]
    assert collapse_warnings(ws) == ws


# --- loads given as arrays (police.uk street files, cached loads) are stacked into one table ---------

import copy  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from csp_assess.load import expand_paths, load_extract, load_file  # noqa: E402
from csp_assess.load.combine import combine  # noqa: E402
from csp_assess.model import FileLoad, frame_of  # noqa: E402

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
FORCE = "Kent Police"


def street_file(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A street-level file of (month, LSOA name, crime type) rows, each with its own Crime ID."""
    lines = [HEADER] + [
        f"{path.stem}-{i},{m},{FORCE},{FORCE},0.1,51.2,On or near X,E01000001,{lsoa},{t},,"
        for i, (m, lsoa, t) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def as_frames(loads: list[FileLoad]) -> list[FileLoad]:
    """The same loads, each holding a DataFrame instead of arrays."""
    return [
        FileLoad(
            counts=frame_of(ld.columns),
            source=copy.deepcopy(ld.source),
            rejects=ld.rejects,
            warnings=ld.warnings,
        )
        if ld.columns is not None
        else ld
        for ld in loads
    ]


def test_overlapping_street_files_stacked_by_hand(tmp_path: Path) -> None:
    """a.csv covers Jan-Feb 2021, b.csv Feb-Mar: b ends later, so it gives February; a keeps January.

    By hand (Dover 001A and Dover 002B are both area Dover):
    Jan: a's 2 Burglary + 1 Drugs; Feb: b's 1 Burglary (a's 3 February rows are superseded); Mar: b's 2 Drugs.
    """
    street_file(
        tmp_path / "a.csv",
        [
            ("2021-01", "Dover 001A", "Burglary"),
            ("2021-01", "Dover 002B", "Burglary"),
            ("2021-01", "Dover 001A", "Drugs"),
        ]
        + [("2021-02", "Dover 001A", "Drugs")] * 3,
    )
    street_file(
        tmp_path / "b.csv",
        [
            ("2021-02", "Dover 002B", "Burglary"),
            ("2021-03", "Dover 001A", "Drugs"),
            ("2021-03", "Dover 001A", "Drugs"),
        ],
    )
    extract = load_extract([tmp_path], use_cache=False, subareas=False)
    got = [
        (a, str(m), t, int(n))
        for a, m, t, n in extract.counts[["area", "month", "major", "count"]].itertuples(index=False)
    ]
    assert got == [
        ("Dover", "2021-01", "Burglary", 2),
        ("Dover", "2021-01", "Drugs", 1),
        ("Dover", "2021-02", "Burglary", 1),
        ("Dover", "2021-03", "Drugs", 2),
    ]
    assert "subarea" not in extract.counts.columns
    # the same with the LSOAs kept (the default): January's burglaries are one in each LSOA
    by_lsoa = load_extract([tmp_path], use_cache=False).counts
    assert [
        (str(m), t, s, int(n))
        for m, t, s, n in by_lsoa[["month", "major", "subarea", "count"]].itertuples(index=False)
    ] == [
        ("2021-01", "Burglary", "Dover 001A (E01000001)", 1),
        ("2021-01", "Burglary", "Dover 002B (E01000001)", 1),
        ("2021-01", "Drugs", "Dover 001A (E01000001)", 1),
        ("2021-02", "Burglary", "Dover 002B (E01000001)", 1),
        ("2021-03", "Drugs", "Dover 001A (E01000001)", 2),
    ]
    a = next(s for s in extract.sources if s.path.endswith("a.csv"))
    assert [str(m) for m in a.months_used] == ["2021-01"]
    assert any("taken from the newer snapshot" in w for w in extract.warnings)


def test_stacked_arrays_equal_concatenated_frames(tmp_path: Path) -> None:
    """Whether loads hold arrays or DataFrames, combine gives the same table (dtypes, order, index)."""
    street_file(
        tmp_path / "a.csv", [("2021-01", "Dover 001A", "Burglary"), ("2021-02", "Ashford 003C", "Drugs")]
    )
    street_file(tmp_path / "b.csv", [("2021-02", "Dover 002B", "Burglary"), ("2021-03", "", "Drugs")])
    street_file(tmp_path / "c.csv", [("2021-04", "Ashford 001A", "Robbery")] * 2)
    loads = [ld for f in expand_paths([tmp_path]) for ld in load_file(f)]
    assert all(ld.columns is not None for ld in loads)
    stacked = combine(copy.deepcopy(loads))
    concatenated = combine(as_frames(loads))
    pd.testing.assert_frame_equal(stacked.counts, concatenated.counts)
    # a's February (Ashford, Drugs) is superseded by b, which ends later: 4 rows of the 5 read
    assert stacked.counts["area"].dtype == object and len(stacked.counts) == 4
    assert [s.months_used for s in stacked.sources] == [s.months_used for s in concatenated.sources]

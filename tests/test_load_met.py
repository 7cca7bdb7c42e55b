"""Foundation checks on the public Met files in ../shared/data: each loads, overlapping pairs never double
count, and per (financial year, major, minor) the tool equals the stdlib oracle in tests/independent.py.

Skipped when ../shared/data is absent.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from tests.clirun import run

import independent
from csp_assess.load import load_extract
from csp_assess.model import Extract
from independent import fy_totals_met_wide

# The oracle re-reads its files for every area; memoise the reading only (its arithmetic is untouched).
independent.read_rows = cache(independent.read_rows)  # type: ignore[assignment]

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
AREA = "Barking and Dagenham"

needs_shared = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is not present")

MET_FILES = sorted(p.name for p in SHARED_DATA.glob("mps_*.csv")) if SHARED_DATA.is_dir() else []

PAIRS = [
    ("mps_borough_historical_oldcats_201004_202201.csv", "mps_borough_24m_oldcats_202103_202302.csv"),
    ("mps_borough_historical_oldcats_201004_202107.csv", "mps_borough_24m_oldcats_202108_202307.csv"),
    ("mps_borough_24m_oldcats_202001_202112.csv", "mps_borough_24m_oldcats_202103_202302.csv"),
    ("mps_borough_historical_newcats_201004_202204.csv", "mps_borough_24m_newcats_202205_202404.csv"),
    ("mps_borough_historical_newcats_201004_202303.csv", "mps_borough_24m_newcats_202401_202512.csv"),
]


def fy_label(month: pd.Period, start: int = 4) -> str:
    y = month.year if month.month >= start else month.year - 1
    return f"{y}/{(y + 1) % 100:02d}"


@cache
def _load(names: tuple[str, ...]) -> Extract:
    return load_extract([SHARED_DATA / n for n in names], use_cache=False)


def tool_fy_totals(extract: Extract, area: str | None) -> dict[tuple[str, str, str], int]:
    c = extract.counts
    if area is not None:
        c = c[c["area"].str.casefold() == area.casefold()]
    fy = c["month"].map(fy_label)
    grouped = c.groupby([fy, c["major"], c["minor"]])["count"].sum()
    return {k: int(v) for k, v in grouped.items() if v}


def oracle_fy_totals(names: tuple[str, ...], areas: list[str]) -> dict[tuple[str, str, str], int]:
    out: dict[tuple[str, str, str], int] = {}
    for area in areas:
        for k, v in fy_totals_met_wide([SHARED_DATA / n for n in names], area).items():
            out[k] = out.get(k, 0) + v
    return {k: v for k, v in out.items() if v}


def check_reconciles(extract: Extract) -> None:
    for s in extract.sources:
        assert s.rows_read == s.rows_counted + s.rows_rejected, s.path
    assert extract.rows_read == extract.rows_counted + extract.rows_rejected


# --- one file at a time ------------------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("name", MET_FILES)
def test_each_met_file_loads_and_matches_oracle(name: str) -> None:
    extract = _load((name,))
    check_reconciles(extract)
    assert extract.rows_rejected == 0
    (src,) = extract.sources
    assert src.months_used == src.months_covered
    area = AREA if AREA in extract.areas else extract.areas[0]
    assert tool_fy_totals(extract, area) == oracle_fy_totals((name,), [area])


@needs_shared
@pytest.mark.parametrize("name", [n for n in MET_FILES if "_borough_24m_" in n])
def test_each_24m_file_all_areas_match_oracle(name: str) -> None:
    extract = _load((name,))
    assert tool_fy_totals(extract, None) == oracle_fy_totals((name,), extract.areas)


# --- overlapping pairs: no double counting -----------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0][4:-4]}+{p[1][4:-4]}")
def test_overlapping_pair_matches_oracle(pair: tuple[str, str]) -> None:
    extract = _load(pair)
    check_reconciles(extract)
    assert tool_fy_totals(extract, AREA) == oracle_fy_totals(pair, [AREA])
    assert tool_fy_totals(extract, None) == oracle_fy_totals(pair, extract.areas)


@needs_shared
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0][4:-4]}+{p[1][4:-4]}")
def test_overlapping_pair_provenance(pair: tuple[str, str]) -> None:
    extract = _load(pair)
    by_name = {Path(s.path).name: s for s in extract.sources}
    old, new = by_name[pair[0]], by_name[pair[1]]
    overlap = sorted(set(old.months_covered) & set(new.months_covered))
    # The newer snapshot (later last month) wins every month it covers; the older keeps the rest.
    assert new.months_used == new.months_covered
    assert old.months_used == sorted(set(old.months_covered) - set(new.months_covered))
    if overlap:
        assert old.superseded_by == {new.path: overlap}
        assert any(new.path in w and "newer snapshot" in w for w in extract.warnings)
    else:
        assert old.superseded_by == {}
    # Each month of the combined table comes from exactly one file: no double counting.
    assert set(extract.months_covered) == set(old.months_covered) | set(new.months_covered)


@needs_shared
def test_pair_given_in_either_order_is_the_same() -> None:
    a = _load(PAIRS[0])
    b = _load(tuple(reversed(PAIRS[0])))
    pd.testing.assert_frame_equal(a.counts, b.counts)


@needs_shared
def test_sample_pair_barking_2021_22_total() -> None:
    totals = tool_fy_totals(_load(PAIRS[0]), AREA)
    assert sum(v for (fy, _, _), v in totals.items() if fy == "2021/22") == 20_516
    assert sum(v for (fy, _, _), v in totals.items() if fy == "2020/21") == 18_568


@needs_shared
def test_ward_files_sum_to_oracle() -> None:
    for name in ("mps_ward_24m_oldcats_202202_202401.csv", "mps_ward_24m_newcats_202401_202512.csv"):
        extract = _load((name,))
        assert extract.level == "ward"
        assert "subarea" in extract.counts.columns
        check_reconciles(extract)
        assert tool_fy_totals(extract, AREA) == oracle_fy_totals((name,), [AREA])


# --- the CLI: mixing category sets, areas ------------------------------------------------------------


@needs_shared
def test_mixing_old_and_new_categories_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    old = str(SHARED_DATA / "mps_borough_historical_oldcats_201004_202201.csv")
    new = str(SHARED_DATA / "mps_borough_24m_newcats_202205_202404.csv")
    code, out, err = run(capsys, "rank", old, new, "--area", AREA)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: cannot combine files with different category sets")
    assert "Traceback" not in err


@needs_shared
def test_mixing_ward_old_and_new_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    old = str(SHARED_DATA / "mps_ward_24m_oldcats_202202_202401.csv")
    new = str(SHARED_DATA / "mps_ward_24m_newcats_202401_202512.csv")
    code, _, err = run(capsys, "rank", old, new, "--area", AREA)
    assert code == 1
    assert err.strip().startswith("Error: cannot combine files with different category sets")


@needs_shared
def test_mixing_borough_and_ward_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    b = str(SHARED_DATA / "mps_borough_24m_oldcats_202202_202401.csv")
    w = str(SHARED_DATA / "mps_ward_24m_oldcats_202202_202401.csv")
    code, _, err = run(capsys, "rank", b, w, "--area", AREA)
    assert code == 1
    assert err.strip().startswith("Error: cannot combine files of different levels")


@needs_shared
def test_pseudo_areas_are_kept() -> None:
    extract = _load(("mps_borough_24m_newcats_202205_202404.csv",))
    assert "Unknown" in extract.areas
    assert "London Heathrow and London City Airports" in extract.areas


@needs_shared
def test_area_is_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    f = str(SHARED_DATA / "mps_borough_24m_oldcats_202103_202302.csv")
    code, out, err = run(capsys, "rank", f, "--area", "barking AND dagenham", "--format", "json")
    assert code == 0, err
    assert "Barking and Dagenham" in out


@needs_shared
def test_area_near_miss_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    f = str(SHARED_DATA / "mps_borough_24m_oldcats_202103_202302.csv")
    code, _, err = run(capsys, "rank", f, "--area", "Barking and Dagenam")
    assert code == 1
    assert err.strip() == (
        "Error: area 'Barking and Dagenam' is not in the data: did you mean 'Barking and Dagenham'?"
    )


@needs_shared
def test_several_areas_without_area_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    f = str(SHARED_DATA / "mps_borough_24m_oldcats_202103_202302.csv")
    code, out, err = run(capsys, "rank", f)
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "choose one with --area" in lines[0]
    assert "Barking and Dagenham" in lines[0] and "Westminster" in lines[0]


@needs_shared
def test_validate_pair_reports_winner(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    old, new = (str(SHARED_DATA / n) for n in PAIRS[0])
    code, out, err = run(capsys, "validate", old, new, "--format", "json")
    assert code == 0, err
    obj = json.loads(out)
    files = {Path(f["path"]).name: f for f in obj["files"]}
    o, n = files[PAIRS[0][0]], files[PAIRS[0][1]]
    assert o["layout"] == n["layout"] == "met-borough-old"
    assert o["first_month"] == "2010-04" and o["last_month"] == "2022-01"
    assert o["superseded"][0]["by"] == new
    assert o["superseded"][0]["months"][0] == "2021-03" and o["superseded"][0]["months"][-1] == "2022-01"
    assert n["superseded"] == []
    assert o["rows_read"] == o["rows_counted"] + o["rows_rejected"]
    assert AREA in o["areas"]
    assert obj["rejects"] == []

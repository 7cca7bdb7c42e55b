"""An LSOA-level extract summed over its LSOAs (``Extract.without_subareas``, which the report and theme packs
use for every figure but places) holds exactly the area-level load's counts, and the analyses give the same
documents from either; the memoised area codes follow the counts table they were made from."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.conftest import shared

import csp_assess as ca

AREA = "Charnwood"


@pytest.fixture(scope="module")
def leics() -> Path:
    return shared("police_uk_leicestershire")


@pytest.fixture(scope="module")
def lsoa_level(leics: Path) -> ca.Extract:
    return ca.load([leics], cache=False, subareas=True)


def _keyed(counts: pd.DataFrame) -> dict[tuple[object, ...], int]:
    keys = [c for c in counts.columns if c != "count"]
    return {tuple(k): int(n) for *k, n in counts[[*keys, "count"]].itertuples(index=False)}


def test_summed_over_lsoas_equals_the_area_level_load(leics: Path, lsoa_level: ca.Extract) -> None:
    flat = lsoa_level.without_subareas()
    area_level = ca.load([leics], cache=False, subareas=False)
    assert "subarea" in lsoa_level.counts.columns and "subarea" not in flat.counts.columns
    assert list(flat.counts.columns) == list(area_level.counts.columns)
    assert _keyed(flat.counts) == _keyed(area_level.counts)
    assert int(flat.counts["count"].sum()) == lsoa_level.rows_counted == area_level.rows_counted
    assert flat.counts.dtypes.to_dict() == area_level.counts.dtypes.to_dict()
    assert lsoa_level.without_subareas() is flat  # summed once
    assert flat.without_subareas() is flat


@pytest.mark.parametrize("command", ["rank", "summary", "baseline", "compare", "quarterly"])
def test_analyses_give_the_same_document_from_either_level(lsoa_level: ca.Extract, command: str) -> None:
    run = getattr(ca, command)
    kw = {"area": AREA, **({"baseline": "2020/21"} if command == "baseline" else {})}
    assert run(lsoa_level.without_subareas(), **kw).to_dict() == run(lsoa_level, **kw).to_dict()


def test_area_mask_is_the_string_comparison_and_follows_the_counts(lsoa_level: ca.Extract) -> None:
    ex = ca.Extract(
        lsoa_level.counts.copy(),
        lsoa_level.sources,
        lsoa_level.rejects,
        lsoa_level.warnings,
        lsoa_level.scheme,
        lsoa_level.level,
    )
    for area in [*ex.areas, "Nowhere"]:
        assert (ex.area_mask(area) == (ex.counts["area"] == area).to_numpy()).all()
    assert ex.areas == sorted(ex.counts["area"].unique().tolist())
    ex.counts = ex.counts[ex.counts["area"] != AREA].reset_index(drop=True)  # a new table: new codes
    assert AREA not in ex.areas
    assert not ex.area_mask(AREA).any() and len(ex.area_mask(AREA)) == len(ex.counts)
    assert "subarea" in ex.counts.columns and AREA not in set(ex.without_subareas().counts["area"])


def test_places_for_keeps_the_lsoas_of_the_areas_asked_for_only(leics: Path, lsoa_level: ca.Extract) -> None:
    some = ca.load([leics], cache=False, places_for=["charnwood ", "Melton"])  # case and spacing ignored
    full = lsoa_level.counts
    for area in ("Charnwood", "Melton"):
        assert _keyed(some.counts[some.counts["area"] == area].reset_index(drop=True)) == _keyed(
            full[full["area"] == area]
        )
    others = some.counts[~some.counts["area"].isin(["Charnwood", "Melton"])]
    assert len(others) and set(others["subarea"]) == {""}
    assert _keyed(some.without_subareas().counts) == _keyed(lsoa_level.without_subareas().counts)
    assert len(some.counts) < len(full) / 3
    assert ca.places(some, area="Charnwood").to_dict() == ca.places(lsoa_level, area="Charnwood").to_dict()
    assert ca.trend(some, area="Melton").to_dict() == ca.trend(lsoa_level, area="Melton").to_dict()


@pytest.mark.parametrize("names", [["all"], ["Leicestershire Police"], ["Charnwod"], []])
def test_places_for_a_name_that_is_no_area_keeps_every_lsoa(leics: Path, names: list[str]) -> None:
    some = ca.load([leics], cache=False, places_for=names)
    full = ca.load([leics], cache=False)
    assert _keyed(some.counts) == _keyed(full.counts)

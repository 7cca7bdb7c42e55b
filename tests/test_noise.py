"""Less noise, nothing silent (issue #19): one Source line per folder of many files, a note when --top
has no places to list, and a category that matches nothing lists what would."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from tests.conftest import SAMPLE, SHARED_DATA


@pytest.fixture
def city_folder(tmp_path: Path) -> Path:
    """A folder of police.uk monthly street files, as an unzipped download holds them."""
    files = sorted(SHARED_DATA.glob("police_uk_20*-city-of-london-street.csv"))
    if len(files) < 3:
        pytest.skip("the police.uk City of London files in ../shared/data are not available")
    folder = tmp_path / "city"
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder / f.name)
    return folder


def test_a_folder_of_monthly_files_is_one_source_line(cli, city_folder: Path) -> None:  # type: ignore[no-untyped-def]
    args = ("trend", city_folder, "--area", "City of London", "--year", "2021/22")
    shown = cli(*args)
    assert shown.code == 0, shown.err
    lines = [line for line in shown.out.splitlines() if line.startswith("Source:")]
    n = len(list(city_folder.glob("*.csv")))
    assert len(lines) == 1
    flat = " ".join(shown.out.split())
    assert f"Source: {city_folder}: {n} files" in flat and "--format json" in flat
    sources = json.loads(cli(*args, "--format", "json").out)["sources"]
    assert sorted(Path(s["path"]).name for s in sources) == sorted(p.name for p in city_folder.glob("*.csv"))


def test_one_file_keeps_its_own_source_line(cli) -> None:  # type: ignore[no-untyped-def]
    lines = [line for line in cli("trend", SAMPLE).out.splitlines() if line.startswith("Source:")]
    assert len(lines) == 1
    assert SAMPLE.name in lines[0] and "[met-borough-old, utf-8] months used" in lines[0]


def test_top_without_places_says_so(cli, city_folder: Path) -> None:  # type: ignore[no-untyped-def]
    note = "--top 5 lists wards or LSOAs, and this data has none"
    assert note in " ".join(cli("trend", SAMPLE, "--top", "5").out.split())
    assert "lists wards or LSOAs" not in cli("trend", SAMPLE).out
    with_places = cli("trend", city_folder, "--area", "City of London", "--year", "2021/22", "--top", "3")
    assert "lists wards or LSOAs" not in with_places.out
    assert "Top 3 of" in with_places.out


def _names() -> tuple[set[str], set[str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {r["MajorText"] for r in rows}, {r["MinorText"] for r in rows}


def test_category_with_no_match_lists_the_names(cli) -> None:  # type: ignore[no-untyped-def]
    majors, minors = _names()
    err = " ".join(cli("trend", SAMPLE, "--category", "xyzzy").err.split())
    assert "is not in the data; major categories:" in err
    for name in majors | minors:
        assert name in err
    near = cli("trend", SAMPLE, "--category", "violence")
    assert near.code == 1
    flat = " ".join(near.err.split())
    for name in ("Violence Against the Person", "Violence with Injury", "Violence without Injury"):
        assert f"'{name}'" in flat

"""The shipped sample data, its build script, the test fixtures and the independent oracle agree.

Tests that read ../shared/data are skipped when that folder is absent. The hand-checked figures and the
fixture checks that need only the repository always run.

Hand-checked Barking and Dagenham totals (old categories, sample = historical file ending 2022-01 for
201004-202102 + 24-month file ending 2023-02 for 202103-202302), all offences:

    FY2019/20  20,362
    FY2020/21  18,568
    FY2021/22  20,516   change on 2020/21: +1,948 (+10.49%)

The 2022 strategic assessment (DESIGN.md) reported 20,560 in 2021/22, up 1,931 (+10.4%) on 2020/21,
which puts 2020/21 at 18,629. The public snapshots differ by -44 (-0.21%) in 2021/22 and -61 (-0.33%)
in 2020/21: data revisions between the extract behind the assessment and these snapshots. Other
snapshots in ../shared/data give 2021/22 between 20,484 and 20,516, never 20,560.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from independent import fy_months_covered, fy_total, fy_totals_met_wide, met_wide_monthly, police_uk_counts

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SAMPLE = REPO_ROOT / "data" / "sample_offences.csv"
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build_sample.py"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
AREA = "Barking and Dagenham"
SOURCES = [
    "mps_borough_historical_oldcats_201004_202201.csv",
    "mps_borough_24m_oldcats_202103_202302.csv",
]

# Figures checked by hand against DESIGN.md (see the module docstring).
SAMPLE_FY_TOTALS = {"2019/20": 20_362, "2020/21": 18_568, "2021/22": 20_516}
ASSESSMENT_2021_22 = 20_560
ASSESSMENT_CHANGE = 1_931

needs_shared = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is not present")


def source_paths() -> list[Path]:
    return [SHARED_DATA / name for name in SOURCES]


# --- the sample file itself (no ../shared needed) -------------------------------------------------


def test_sample_layout() -> None:
    data = SAMPLE.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data
    assert data.endswith(b"\n")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    header = rows[0]
    assert header[:3] == ["MajorText", "MinorText", "LookUp_BoroughName"]
    assert header[3] == "201004"
    assert header[-1] == "202302"
    assert len(header) == 3 + 155
    body = rows[1:]
    assert len(body) == 53
    assert {row[2] for row in body} == {AREA}
    keys = [(row[0], row[1]) for row in body]
    assert keys == sorted(set(keys))
    # Category text is kept as the Met cut it: 50 characters, no tidying.
    assert ("Public Order Offences", "Racially or Religiously Aggravated Public Fear, Al") in keys


@pytest.mark.parametrize("fy, total", sorted(SAMPLE_FY_TOTALS.items()))
def test_sample_fy_totals_hand_checked(fy: str, total: int) -> None:
    assert fy_months_covered([SAMPLE], fy) == 12
    assert fy_total([SAMPLE], AREA, fy) == total


def test_sample_against_strategic_assessment() -> None:
    """Within data revisions of the 2022 strategic assessment: 20,560, up 1,931 (+10.4%)."""
    fy21 = fy_total([SAMPLE], AREA, "2021/22")
    fy20 = fy_total([SAMPLE], AREA, "2020/21")
    assert fy21 - ASSESSMENT_2021_22 == -44
    assert fy20 - (ASSESSMENT_2021_22 - ASSESSMENT_CHANGE) == -61
    assert fy21 - fy20 == 1_948
    assert round(100 * (fy21 - fy20) / fy20, 1) == 10.5
    assert abs(fy21 - ASSESSMENT_2021_22) / ASSESSMENT_2021_22 < 0.005


# --- the sample against its sources -----------------------------------------------------------------


@needs_shared
def test_sample_is_what_build_script_produces(tmp_path: Path) -> None:
    out = tmp_path / "sample.csv"
    subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--shared-dir", str(SHARED_DATA), "--output", str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == SAMPLE.read_bytes()


@needs_shared
def test_sample_matches_sources_by_category_and_year() -> None:
    from_sample = fy_totals_met_wide([SAMPLE], AREA)
    from_sources = fy_totals_met_wide(source_paths(), AREA)
    keys = set(from_sample) | set(from_sources)
    differing = {k for k in keys if from_sample.get(k, 0) != from_sources.get(k, 0)}
    assert not differing
    assert fy_total([SAMPLE], AREA, "2021/22") == fy_total(source_paths(), AREA, "2021/22")


@needs_shared
def test_sample_matches_sources_month_by_month() -> None:
    sample = met_wide_monthly([SAMPLE], AREA)
    historical = met_wide_monthly(source_paths()[:1], AREA)
    recent = met_wide_monthly(source_paths()[1:], AREA)
    for (month, major, minor), count in sample.items():
        source = recent if month >= "202103" else historical
        assert source.get((month, major, minor), 0) == count, (month, major, minor)


# --- fixtures: verbatim lines of the shared files -------------------------------------------------

FIXTURE_SOURCES = {
    "met_old_excerpt.csv": ("mps_borough_24m_oldcats_202103_202302.csv", 95),
    "met_new_excerpt.csv": ("mps_borough_historical_newcats_201004_202204.csv", 91),
    "met_group_excerpt.csv": ("mps_borough_24m_groupcats_202407_202606.csv", 63),
    "met_pre2019_excerpt.csv": ("mps_borough_historic_pre2019cats_200801_201812.csv", 66),
    "met_ward_excerpt.csv": ("mps_ward_24m_oldcats_202202_202401.csv", 661),
}


@pytest.mark.parametrize("fixture", sorted(FIXTURE_SOURCES))
def test_fixture_row_counts(fixture: str) -> None:
    lines = (FIXTURES / fixture).read_bytes().splitlines(keepends=True)
    assert len(lines) - 1 == FIXTURE_SOURCES[fixture][1]


@needs_shared
@pytest.mark.parametrize("fixture", sorted(FIXTURE_SOURCES))
def test_fixture_lines_are_verbatim(fixture: str) -> None:
    source = (SHARED_DATA / FIXTURE_SOURCES[fixture][0]).read_bytes().splitlines(keepends=True)
    lines = (FIXTURES / fixture).read_bytes().splitlines(keepends=True)
    assert lines[0] == source[0]
    # Same bytes, same order: the fixture is a subsequence of the source lines.
    position = 1
    for line in lines[1:]:
        position = source.index(line, position) + 1


def test_fixture_old_excerpt_matches_sample_for_recent_months() -> None:
    """The 24-month excerpt is the source the sample uses for 202103-202302."""
    excerpt = met_wide_monthly([FIXTURES / "met_old_excerpt.csv"], AREA)
    sample = met_wide_monthly([SAMPLE], AREA)
    recent = {k: v for k, v in sample.items() if k[0] >= "202103"}
    assert {k: v for k, v in recent.items() if v} == {k: v for k, v in excerpt.items() if v}


# --- the oracle on the other layouts ----------------------------------------------------------------


def test_oracle_reads_every_fixture_layout() -> None:
    for fixture in FIXTURE_SOURCES:
        totals = fy_totals_met_wide([FIXTURES / fixture], "BARKING AND DAGENHAM")
        assert sum(totals.values()) > 0, fixture
        assert fy_totals_met_wide([FIXTURES / fixture], "Nowhere") == {}


def test_oracle_newest_snapshot_wins_and_ties_fail(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    new = tmp_path / "new.csv"
    same_end = tmp_path / "same_end.csv"
    old.write_text("MajorText,MinorText,BoroughName,202102,202103\nA,a,X,1,2\nA,b,X,5,5\n", encoding="utf-8")
    new.write_text("MajorText,MinorText,BoroughName,202103,202104\r\nA,a,x,10,20\r\n", encoding="utf-8")
    same_end.write_text("MajorText,MinorText,BoroughName,202104\nA,a,X,7\n", encoding="utf-8")
    monthly = met_wide_monthly([new, old], "X")
    assert monthly == {
        ("202102", "A", "a"): 1,
        ("202102", "A", "b"): 5,
        ("202103", "A", "a"): 10,
        ("202104", "A", "a"): 20,
    }
    assert fy_totals_met_wide([old, new], "x") == {
        ("2020/21", "A", "a"): 11,
        ("2020/21", "A", "b"): 5,
        ("2021/22", "A", "a"): 20,
    }
    assert fy_totals_met_wide([old, new], "x", fy_start_month=1) == {
        ("2021", "A", "a"): 31,
        ("2021", "A", "b"): 5,
    }
    with pytest.raises(ValueError, match="same month"):
        met_wide_monthly([new, same_end], "X")


@needs_shared
def test_oracle_ward_file_sums_wards() -> None:
    ward = fy_totals_met_wide([SHARED_DATA / "mps_ward_24m_oldcats_202202_202401.csv"], AREA)
    excerpt = fy_totals_met_wide([FIXTURES / "met_ward_excerpt.csv"], AREA)
    assert ward == excerpt
    # The ward file (19 wards) holds fewer offences than the borough file of the same snapshot.
    borough = fy_totals_met_wide([SHARED_DATA / "mps_borough_24m_oldcats_202202_202401.csv"], AREA)
    assert sum(ward.values()) == 40_909
    assert sum(borough.values()) == 43_561


@needs_shared
def test_oracle_police_uk_counts_every_row() -> None:
    counts = police_uk_counts(sorted(SHARED_DATA.glob("police_uk_*-street.csv")))
    assert sum(counts.values()) == 8_425  # PROVENANCE.md section 2
    assert len({month for month, _ in counts}) == 13
    assert len({crime_type for _, crime_type in counts}) == 14
    assert sum(v for (month, _), v in counts.items() if month == "2021-05") == 428
    assert counts[("2021-05", "Anti-social behaviour")] > 0

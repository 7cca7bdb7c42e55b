"""A synthetic street-level extract at scale, from ../shared/bench/make_street_extract.py, against an
independent count: the csv module, row by row, with the rules written out plainly (no csp_assess code).

13 monthly files of ~20,000 rows (4 MB each, so the cache and the C scanner both run); the counts
per area, financial year and crime type, and ``rank``'s figures for one borough, must agree exactly.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from csp_assess.load import load_extract

GENERATOR = Path(__file__).resolve().parents[2] / "shared" / "bench" / "make_street_extract.py"
ASB = "Anti-social behaviour"


@pytest.fixture(scope="module")
def extract_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GENERATOR.exists():
        pytest.skip(f"{GENERATOR} not available (../shared is beside the repo in CI)")
    out = tmp_path_factory.mktemp("street")
    args = [sys.executable, str(GENERATOR), str(out), "--months", "13", "--rows-per-month", "20000"]
    subprocess.run(
        args + ["--start", "2017-03", "--seed", "11"], check=True, capture_output=True, timeout=300
    )
    return out


def financial_year(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    start = y if m >= 4 else y - 1
    return f"{start}/{(start + 1) % 100:02d}"


def oracle(folder: Path) -> tuple[Counter[tuple[str, str, str]], int, int]:
    """(area, financial year, crime type) -> rows counted; rows read; rows repeated. Rules: area is the
    LSOA name without its trailing ' 000A' code ('No location' if blank); within a file, a non-blank Crime
    ID seen before is not counted again."""
    counts: Counter[tuple[str, str, str]] = Counter()
    read = repeated = 0
    for path in sorted(folder.rglob("*.csv")):
        seen: set[str] = set()
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                read += 1
                cid = row["Crime ID"]
                if cid and cid in seen:
                    repeated += 1
                    continue
                seen.add(cid)
                lsoa = row["LSOA name"].strip()
                area = re.sub(r"\s+\d{3}[A-Z]$", "", lsoa) if lsoa else "No location"
                counts[(area, financial_year(row["Month"]), row["Crime type"])] += 1
    return counts, read, repeated


def test_counts_by_area_year_and_type_equal_the_oracle(extract_dir: Path) -> None:
    expected, read, repeated = oracle(extract_dir)
    assert read > 200_000 and len({k[0] for k in expected}) == 12  # the generator's 12 boroughs
    extract = load_extract([extract_dir], use_cache=False)
    got: Counter[tuple[str, str, str]] = Counter()
    for area, month, major, n in extract.counts[["area", "month", "major", "count"]].itertuples(index=False):
        got[(area, financial_year(str(month)), major)] += int(n)
    assert got == expected
    assert (extract.rows_read, extract.rows_counted, extract.rows_rejected) == (
        read,
        read - repeated,
        repeated,
    )


def test_rank_for_one_borough_equals_the_oracle(extract_dir: Path) -> None:
    """The real command (``python -m csp_assess``) on the extract: 2017/18 for Barking and Dagenham."""
    expected, read, _ = oracle(extract_dir)
    done = subprocess.run(
        [sys.executable, "-m", "csp_assess", "rank", str(extract_dir), "--area", "Barking and Dagenham"]
        + ["--year", "2017/18", "--format", "json", "--no-cache"],
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    by_type = {r["category"]: r["count"] for r in result["rows"]}
    want = {
        t: n
        for (a, fy, t), n in expected.items()
        if a == "Barking and Dagenham" and fy == "2017/18" and t != ASB
    }
    assert {t: n for t, n in by_type.items() if n} == want
    assert result["rows_read"] == read and result["year"] == "2017/18"

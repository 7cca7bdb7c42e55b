"""compare: category changes between years (or extracts) with Poisson tests adjusted for many categories."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pandas as pd
import pytest

from csp_assess.analysis.compare import compare_table
from independent import fy_total, fy_totals_met_wide
from yearvar_ref import fy_pairs, packaged_sigma2, shrunk, z_and_p

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample_offences.csv"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
AREA = "Barking and Dagenham"
ROW_KEYS = {
    "category",
    "from_count",
    "to_count",
    "change",
    "change_pct",
    "z",
    "p_value",
    "p_adjusted",
    "significant",
}
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not present")


def binom_two_sided(k: int, n: int, p: float = 0.5) -> float:
    """Second implementation: R's binom.test two-sided p (outcomes no more likely than the observed)."""
    logc = math.lgamma(n + 1)
    pmf = [
        math.exp(
            logc - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * math.log(p) + (n - i) * math.log(1 - p)
        )
        for i in range(n + 1)
    ]
    limit = pmf[k] * (1 + 1e-7)
    return min(1.0, sum(x for x in pmf if x <= limit))


def holm_ref(ps: list[float]) -> list[float]:
    m = len(ps)
    order = sorted(range(m), key=lambda i: ps[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * ps[i])
        out[i] = min(1.0, running)
    return out


def test_sample_years_match_oracle_and_tests(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli(
        "compare", SAMPLE, "--from", "2020/21", "--to", "2021/22", "--level", "major", "--format", "json"
    )
    assert run.code == 0, run.err
    obj = json.loads(run.out)
    assert obj["from"] == "2020/21" and obj["to"] == "2021/22"
    assert (obj["from_total"], obj["to_total"]) == (18_568, 20_516)
    oracle = fy_totals_met_wide([SAMPLE], AREA)
    # History for a 2020/21 -> 2021/22 change: whole years before COVID restrictions (2019/20 holds March
    # 2020, so the last usable pair is 2017/18 -> 2018/19), one area, shrunk toward the packaged values.
    years = [f"{y}/{(y + 1) % 100:02d}" for y in range(2010, 2019)]
    rows = obj["rows"]
    expected_p = {}
    for row in rows:
        assert set(row) >= ROW_KEYS
        cat = row["category"]
        totals = {
            fy: float(sum(c for (f, mj, _), c in oracle.items() if f == fy and mj == cat)) for fy in years
        }
        sigma2 = shrunk(fy_pairs(totals, years), packaged_sigma2("met-old", "major", cat))
        a = sum(c for (fy, mj, _), c in oracle.items() if fy == "2020/21" and mj == cat)
        b = sum(c for (fy, mj, _), c in oracle.items() if fy == "2021/22" and mj == cat)
        assert (row["from_count"], row["to_count"], row["change"]) == (a, b, b - a)
        z, p = z_and_p(a, b, 2 * sigma2)
        assert row["z"] == pytest.approx(round(z, 2))
        assert row["p_value"] == pytest.approx(p, rel=1e-6)
        assert row["year_sd"] == pytest.approx(round(math.sqrt(sigma2), 3))
        # The counting-noise-only exact test is still reported, for comparison.
        assert row["p_counting"] == pytest.approx(binom_two_sided(b, a + b), rel=1e-6, abs=1e-12)
        expected_p[cat] = p
    adjusted = holm_ref([r["p_value"] for r in rows])
    for row, adj in zip(rows, adjusted, strict=True):
        assert row["p_adjusted"] == pytest.approx(adj, rel=1e-6, abs=1e-12)
        assert row["significant"] == (adj < 0.05)
    by_cat = {r["category"]: r for r in rows}
    # Violence 6,367 -> 7,076 (+11.1%) is far beyond counting noise (exact p about 1e-9) but inside this
    # borough's usual year-to-year variation for violence: not a finding.
    assert by_cat["Violence Against the Person"]["p_counting"] < 1e-8
    assert 0.2 < expected_p["Violence Against the Person"] < 0.5
    assert by_cat["Violence Against the Person"]["significant"] is False
    assert by_cat["Robbery"]["significant"] is False  # 627 -> 619 is noise
    assert obj["significant_count"] == 0
    assert "changed by more than their usual year-to-year variation" in obj["headline"]
    assert obj["variance_source"] == "data"
    assert obj["year_variance"]["Theft"]["pairs"] == 8 and obj["year_variance"]["Theft"]["areas"] == 1
    assert any("2020/21 was under COVID-19 restrictions" in w for w in obj["warnings"])


def test_random_counts_against_second_implementation() -> None:
    rng = random.Random(20240601)
    a = pd.Series({f"c{i}": rng.randint(0, 60) for i in range(25)})
    b = pd.Series({f"c{i}": rng.randint(0, 60) for i in range(25)})
    frame = compare_table(a, b, "major", "exact", "holm", 0.05)
    got = frame.set_index("category")
    eligible = [c for c in a.index if a[c] + b[c] >= 10]
    ref_p = {c: binom_two_sided(int(b[c]), int(a[c] + b[c])) if a[c] + b[c] else 1.0 for c in a.index}
    ref_adj = dict(zip(eligible, holm_ref([ref_p[c] for c in eligible]), strict=True))
    for c in a.index:
        assert got.loc[c, "p_value"] == pytest.approx(ref_p[c], rel=1e-6, abs=1e-12)
        if c in ref_adj:
            assert got.loc[c, "p_adjusted"] == pytest.approx(ref_adj[c], rel=1e-6, abs=1e-12)
            assert bool(got.loc[c, "significant"]) == (ref_adj[c] < 0.05)
        else:
            assert math.isnan(got.loc[c, "p_adjusted"]) and not got.loc[c, "significant"]


def test_small_counts_never_significant_on_percentage() -> None:
    frame = compare_table(
        pd.Series({"tiny": 1, "big": 1000}),
        pd.Series({"tiny": 8, "big": 1000}),
        "major",
        "exact",
        "none",
        0.05,
    )
    tiny = frame.set_index("category").loc["tiny"]
    assert tiny["change_pct"] == 700.0
    assert not tiny["significant"]


def test_published_worked_example_z() -> None:
    # Analyst's z = 2(sqrt(b) - sqrt(a)): 100 -> 121 gives 2 (22 - 20) / 2 = 2.0.
    frame = compare_table(pd.Series({"x": 100}), pd.Series({"x": 121}), "major", "z", "none", 0.05)
    assert frame.loc[0, "z"] == 2.0
    # two-sample calibrated: z / sqrt(2) = 1.414, p = 0.157
    assert frame.loc[0, "p_value"] == pytest.approx(0.1573, abs=1e-3)


def test_errors(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("compare", SAMPLE, "--from", "2021/22", "--to", "2021/22").code == 2  # same year: usage
    assert cli("compare", SAMPLE, "--from", "2005/06", "--to", "2021/22").code == 1
    assert cli("compare", SAMPLE, "--method", "t").code == 2


@needs_shared
def test_against_shows_revisions(cli) -> None:  # type: ignore[no-untyped-def]
    a = SHARED / "mps_borough_24m_oldcats_202001_202112.csv"
    b = SHARED / "mps_borough_historical_oldcats_201004_202201.csv"
    run = cli(
        "compare",
        a,
        "--against",
        b,
        "--to",
        "2020/21",
        "--area",
        AREA,
        "--level",
        "major",
        "--format",
        "json",
    )
    assert run.code == 0, run.err
    obj = json.loads(run.out)
    assert obj["mode"] == "revisions"
    assert obj["from_total"] == fy_total([a], AREA, "2020/21")
    assert obj["to_total"] == fy_total([b], AREA, "2020/21")
    assert obj["change"] == obj["to_total"] - obj["from_total"]
    assert any(s.get("role") == "against" for s in obj["sources"])


def _revised_copy(folder: Path, delta: int) -> Path:
    """The sample with one 2021/22 cell lowered by ``delta``: a second snapshot of the same year."""
    import csv

    rows = list(csv.reader(SAMPLE.read_text(encoding="utf-8").splitlines()))
    col = rows[0].index("202105")
    row = next(r for r in rows[1:] if int(r[col]) >= delta)
    row[col] = str(int(row[col]) - delta)
    folder.mkdir()
    path = folder / SAMPLE.name
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def test_against_shows_the_total_and_names_each_snapshot(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    revised = _revised_copy(tmp_path / "revised", 17)
    before = fy_total([SAMPLE], "Barking and Dagenham", "2021/22")
    after = fy_total([revised], "Barking and Dagenham", "2021/22")
    assert after == before - 17
    obj = json.loads(cli("compare", SAMPLE, "--against", revised, "--format", "json").out)
    assert (obj["from_total"], obj["to_total"], obj["change"]) == (before, after, -17)
    assert obj["from"] == "2021/22 in data/sample_offences.csv"
    assert obj["to"] == "2021/22 in revised/sample_offences.csv"
    shown = cli("compare", SAMPLE, "--against", revised)
    flat = " ".join(shown.out.split())
    assert f"total {before:,} → {after:,} (-17, {-17 / before * 100:+.1f}%)" in flat
    assert "from: 2021/22 in data/sample_offences.csv to: 2021/22 in revised/sample_offences.csv" in flat
    same = json.loads(cli("compare", SAMPLE, "--against", SAMPLE, "--format", "json").out)
    assert same["from"].endswith("(FILES)") and same["to"].endswith("(--against)")
    assert same["from_total"] == same["to_total"] == before and same["change"] == 0

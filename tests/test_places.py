"""places: ward and LSOA counts, shares, change, rates and concentration, checked against counts made
here with the csv module (no csp_assess code in the oracle), on the real Met ward file."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from tests.conftest import shared

WARD_FILE = "mps_ward_24m_newcats_202401_202512.csv"
BOROUGH = "Camden"
FY_2024 = [f"2024{m:02d}" for m in range(4, 13)] + [f"2025{m:02d}" for m in range(1, 4)]


def ward_counts(path: Path, borough: str, months: list[str], major: str | None = None) -> dict[str, int]:
    """{'Ward (code)': offences} of one borough over ``months`` (YYYYMM), by the csv module alone."""
    out: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if row["LookUp_BoroughName"] != borough or (major and row["MajorText"] != major):
                continue
            key = f"{row['WardName']} ({row['WardCode']})"
            out[key] = out.get(key, 0) + sum(int(row[m]) for m in months)
    return out


def borough_total(path: Path, borough: str, months: list[str]) -> int:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return sum(
            int(row[m]) for row in csv.DictReader(fh) if row["LookUp_BoroughName"] == borough for m in months
        )


def places_json(cli, *args):  # type: ignore[no-untyped-def]
    run = cli("places", *args, "--format", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


@pytest.fixture(scope="module")
def ward_file() -> Path:
    return shared(WARD_FILE)


def test_ward_counts_sum_to_the_borough_total_and_are_its_wards(cli, ward_file: Path) -> None:  # type: ignore[no-untyped-def]
    obj = places_json(cli, ward_file, "--area", BOROUGH, "--year", "2024/25")
    want = ward_counts(ward_file, BOROUGH, FY_2024)
    total = borough_total(ward_file, BOROUGH, FY_2024)
    got = {r["place"]: r["count"] for r in obj["rows"]}
    assert got == want  # every ward of the borough, and only those, with its count
    assert sum(got.values()) == total == obj["total"]
    assert obj["places"] == len(want) == 20 and obj["level"] == "ward"
    # Ranked by count, shares of the borough's total.
    ordered = sorted(want.values(), reverse=True)
    assert [r["count"] for r in obj["rows"]] == ordered
    top = obj["rows"][0]
    assert top["rank"] == 1 and top["share_pct"] == round(ordered[0] / total * 100, 1)
    # 2023/24 is only Jan-Mar 2024 in the file: no change is invented.
    assert obj["previous_year"] is None and top["change"] is None and obj["persistent_hotspots"] is None


def test_concentration_matches_an_independent_count(cli, ward_file: Path) -> None:  # type: ignore[no-untyped-def]
    obj = places_json(cli, ward_file, "--area", BOROUGH, "--year", "2024/25")
    counts = sorted(ward_counts(ward_file, BOROUGH, FY_2024).values(), reverse=True)
    total = sum(counts)
    k5, k10 = math.ceil(len(counts) * 0.05), math.ceil(len(counts) * 0.10)
    assert (obj["top_5pct_places"], obj["top_10pct_places"]) == (k5, k10) == (1, 2)
    assert obj["top_5pct_share"] == round(sum(counts[:k5]) / total * 100, 1)
    assert obj["top_10pct_share"] == round(sum(counts[:k10]) / total * 100, 1)
    running, half = 0, 0
    for c in counts:
        running += c
        half += 1
        if running * 2 >= total:
            break
    assert obj["half_offences_places"] == half


def test_change_and_persistent_hotspots_on_the_same_months(cli, ward_file: Path) -> None:  # type: ignore[no-untyped-def]
    # 2025/26 is Apr-Dec 2025 in the file: compared with Apr-Dec 2024.
    now_m = [f"2025{m:02d}" for m in range(4, 13)]
    then_m = [f"2024{m:02d}" for m in range(4, 13)]
    obj = places_json(cli, ward_file, "--area", BOROUGH, "--year", "2025/26")
    now, then = ward_counts(ward_file, BOROUGH, now_m), ward_counts(ward_file, BOROUGH, then_m)
    assert obj["previous_year"] == "2024/25" and obj["previous_total"] == sum(then.values())
    for r in obj["rows"]:
        assert (r["count"], r["previous_count"]) == (now[r["place"]], then[r["place"]])
        assert r["change"] == now[r["place"]] - then[r["place"]]
    k10 = math.ceil(len(now) * 0.10)

    def top(c: dict[str, int]) -> set[str]:
        cut = sorted(c.values(), reverse=True)[k10 - 1]
        return {p for p, v in c.items() if v >= cut}

    assert set(obj["persistent_hotspot_places"]) == top(now) & top(then)
    assert obj["persistent_hotspots"] == len(top(now) & top(then))


def test_priority_counts_its_measure_by_ward(cli, ward_file: Path) -> None:  # type: ignore[no-untyped-def]
    obj = places_json(cli, ward_file, "--area", BOROUGH, "--year", "2024/25", "--priority", "Knife Crime")
    want = ward_counts(ward_file, BOROUGH, FY_2024, major="POSSESSION OF WEAPONS")
    assert obj["subject"] == "Knife Crime"
    assert {r["place"]: r["count"] for r in obj["rows"]} == want
    assert [s["subject"] for s in obj["seasonality"]] == ["Knife Crime"]


def test_seasonality_index_of_all_crime(cli, ward_file: Path) -> None:  # type: ignore[no-untyped-def]
    obj = places_json(cli, ward_file, "--area", BOROUGH)
    by_month: dict[int, list[int]] = {}
    with ward_file.open(newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.DictReader(fh) if r["LookUp_BoroughName"] == BOROUGH]
    for year in (2024, 2025):
        for m in range(1, 13):
            by_month.setdefault(m, []).append(sum(int(r[f"{year}{m:02d}"]) for r in rows))
    means = {m: sum(v) / len(v) for m, v in by_month.items()}
    overall = sum(means.values()) / 12
    season = obj["seasonality"][0]
    assert season["subject"] == "All crime" and season["years_per_month"] == "2"
    assert season["jul"] == round(means[7] / overall * 100, 1)
    peaks = sorted(means, key=lambda m: (-means[m], m))[:3]
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assert season["peak_months"] == ", ".join(names[m - 1] for m in peaks)
    assert len(obj["seasonality"]) > 1  # and each priority this data can measure


def test_rates_only_where_a_population_is_given_and_the_output_says_so(
    cli,  # type: ignore[no-untyped-def]
    ward_file: Path,
    tmp_path: Path,
) -> None:
    want = ward_counts(ward_file, BOROUGH, FY_2024)
    wards = sorted(want)
    given = {w: 10_000 + 137 * i for i, w in enumerate(wards[:5])}
    pop = tmp_path / "pop.csv"
    lines = ["code,population,year"]
    for w, n in given.items():
        code = w.rsplit("(", 1)[1].rstrip(")")
        lines += [f"{code},{n},2024", f"{code},{n + 999},2019"]
    pop.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = cli("places", ward_file, "--area", BOROUGH, "--year", "2024/25", "--population", pop)
    assert run.code == 0, run.err
    said = " ".join(run.out.split())  # the terminal folds long lines
    assert "15 ward(s) have no population there and so no rate" in said
    assert "(2024 estimate)" in said
    obj = places_json(cli, ward_file, "--area", BOROUGH, "--year", "2024/25", "--population", pop)
    assert obj["population_year"] == 2024 and obj["places_without_population"] == 15
    for r in obj["rows"]:
        if r["place"] in given:
            assert r["population"] == given[r["place"]]
            assert r["rate_per_1000"] == round(want[r["place"]] / given[r["place"]] * 1000, 2)
        else:
            assert r["population"] is None and r["rate_per_1000"] is None
            assert r["rate_note"] == "no population in the file"
    csv_run = cli("places", ward_file, "--area", BOROUGH, "--year", "2024/25", "--format", "csv")
    header = csv_run.out.lstrip("\ufeff").splitlines()[0]
    assert header.startswith(
        "rank,place,code,count,share_pct,previous_count,change,change_pct,significant,population,rate_per_1000"
    )
    assert "Rates" not in csv_run.err and "no population file" in csv_run.out


def test_lookup_groups_places_and_keeps_every_offence(cli, ward_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    want = ward_counts(ward_file, BOROUGH, FY_2024)
    wards = sorted(want)
    north, south = wards[:8], wards[8:15]  # five wards left out of the lookup
    lookup = tmp_path / "lookup.csv"
    rows = ["lsoa_code,neighbourhood,code"]
    rows += [f"{w.rsplit('(', 1)[1].rstrip(')')},North,N1" for w in north]
    rows += [f"{w.rsplit('(', 1)[1].rstrip(')')},South,S1" for w in south]
    lookup.write_text("\n".join(rows) + "\n", encoding="utf-8")
    run = cli(
        "places", ward_file, "--area", BOROUGH, "--year", "2024/25", "--places-lookup", lookup, "-f", "json"
    )
    assert run.code == 0, run.err
    obj = json.loads(run.out)
    got = {r["place"]: r["count"] for r in obj["rows"]}
    assert obj["level"] == "neighbourhood" and obj["places"] == 2
    assert got["North (N1)"] == sum(want[w] for w in north)
    assert got["South (S1)"] == sum(want[w] for w in south)
    assert got["(not in the places lookup)"] == sum(want[w] for w in wards[15:])
    assert sum(got.values()) == obj["total"] == sum(want.values())
    assert "5 ward(s) of Camden are not in" in " ".join(obj["warnings"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("code,population\nE05013653,abc\n", "column 'population' is 'abc', not a whole number of residents"),
        ("code,population\nE05013653,0\n", "column 'population' is 0: residents must be above 0"),
        ("ward,residents\nE05013653,100\n", "the population file needs columns code,population[,year]"),
        ("code,population,year\nE05013653,10,20x4\n", "column 'year' is '20x4', not a year"),
    ],
)
def test_bad_population_file_is_one_line_naming_file_and_line(  # type: ignore[no-untyped-def]
    cli, ward_file: Path, tmp_path: Path, content: str, message: str
) -> None:
    pop = tmp_path / "pop.csv"
    pop.write_text(content, encoding="utf-8")
    run = cli("places", ward_file, "--area", BOROUGH, "--population", pop)
    assert run.code == 1
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert f"({pop}:" in lines[0]


def test_bad_lookup_is_an_error_naming_the_line(cli, ward_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("lsoa_code,ward\nE05013653,A\nE05013653,B\n", encoding="utf-8")
    run = cli("places", ward_file, "--area", BOROUGH, "--places-lookup", lookup)
    assert run.code == 1 and f"({lookup}:3)" in run.err and "two places" in run.err
    lookup.write_text("lsoa_code,ward\nE01000001,A\n", encoding="utf-8")
    run = cli("places", ward_file, "--area", BOROUGH, "--places-lookup", lookup)
    assert run.code == 1 and "is in the --places-lookup file" in run.err and f"({lookup})" in run.err


def test_borough_files_have_no_places(cli) -> None:  # type: ignore[no-untyped-def]
    sample = Path(__file__).resolve().parents[1] / "data" / "sample_offences.csv"
    run = cli("places", sample)
    assert run.code == 1 and "places needs Met ward files or police.uk street files" in run.err


def test_ward_map_is_a_ranked_bar_chart_and_repeatable(cli, ward_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    for out in (a, b):
        run = cli("places", ward_file, "--area", BOROUGH, "--year", "2024/25", "--map-svg", out, "-f", "csv")
        assert run.code == 0, run.err
    assert a.read_bytes() == b.read_bytes()
    svg = a.read_text(encoding="utf-8")
    top = max(ward_counts(ward_file, BOROUGH, FY_2024).items(), key=lambda kv: kv[1])
    assert svg.startswith("<?xml") and top[0] in svg and f"{top[1]:,}" in svg
    run = cli("places", ward_file, "--area", BOROUGH, "--map-svg", tmp_path / "map.png")
    assert run.code == 1 and "name the file .svg" in run.err


def test_api_places_matches_the_command(ward_file: Path, cli) -> None:  # type: ignore[no-untyped-def]
    import csp_assess as ca

    res = ca.places([ward_file], area=BOROUGH, year="2024/25", top=3)
    assert len(res.rows) == 3 and res.concentration["top_10pct_places"] == 2
    assert res.to_dict() == places_json(cli, ward_file, "--area", BOROUGH, "--year", "2024/25", "--top", "3")
    with pytest.raises(ca.SelectionError, match="give category or priority"):
        ca.places([ward_file], area=BOROUGH, category="Burglary", priority="Knife Crime")


def test_report_has_the_place_section_for_ward_data(tmp_path: Path) -> None:
    import csp_assess as ca

    fixture = Path(__file__).parent / "fixtures" / "met_ward_excerpt.csv"
    months = [f"2022{m:02d}" for m in range(4, 13)] + [f"2023{m:02d}" for m in range(1, 4)]
    counts = ward_counts(fixture, "Barking and Dagenham", months)
    top, top_count = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    out = tmp_path / "report.html"
    ca.report([fixture], area="Barking and Dagenham", year="2022/23", output=out)
    html = out.read_text(encoding="utf-8")
    section = html.split('<section id="places">', 1)[1].split("</section>", 1)[0]
    assert '<a href="#places">Where crime concentrates</a>' in html
    assert f"{sum(counts.values()):,} offences in {len(counts)} wards" in section
    assert 'alt="Bar chart of all crime by ward in Barking and Dagenham"' in section
    assert f'<td>{top}</td><td class="num">{top_count:,}</td>' in section
    assert "No rates are shown" in section

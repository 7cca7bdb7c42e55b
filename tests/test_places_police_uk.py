"""places on police.uk street files (LSOAs): Charnwood 2021/22 in the real Leicestershire files, checked
against a count made here with the csv module (no csp_assess code in the oracle); the point-density map;
and the HTML report's place section seen by a headless browser."""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.conftest import shared

import csp_assess as ca

AREA = "Charnwood"
ASB = "Anti-social behaviour"
FY_2021 = [f"2021-{m:02d}" for m in range(4, 13)] + [f"2022-{m:02d}" for m in range(1, 4)]
FY_2020 = [f"2020-{m:02d}" for m in range(4, 13)] + [f"2021-{m:02d}" for m in range(1, 4)]
LSOA_OF_AREA = re.compile(rf"^{AREA} \d{{3}}[A-Z]$")
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)


@pytest.fixture(scope="module")
def leics() -> Path:
    return shared("police_uk_leicestershire")


@pytest.fixture(scope="module")
def oracle(leics: Path) -> dict[str, dict[str, int]]:
    """{'crimes 2021/22' | 'crimes 2020/21' | 'any': {'LSOA name (code)': rows}} for Charnwood by the csv
    module: crimes leave out anti-social behaviour; 'any' is every record in any month (the places known).
    A Crime ID repeated within a file is one crime (none are, in these files)."""
    out: dict[str, dict[str, int]] = {"crimes 2021/22": {}, "crimes 2020/21": {}, "any": {}}
    for path in sorted(leics.glob("*-street.csv")):
        seen: set[str] = set()
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                cid = row["Crime ID"].strip()
                if cid and cid in seen:
                    continue
                seen.add(cid)
                if not LSOA_OF_AREA.match(row["LSOA name"].strip()):
                    continue
                key = f"{row['LSOA name'].strip()} ({row['LSOA code'].strip()})"
                out["any"][key] = out["any"].get(key, 0) + 1
                if row["Crime type"] == ASB:
                    continue
                for label, months in (("crimes 2021/22", FY_2021), ("crimes 2020/21", FY_2020)):
                    if row["Month"] in months:
                        out[label][key] = out[label].get(key, 0) + 1
    return out


def _ranked(counts: dict[str, int], places: list[str]) -> list[tuple[str, int]]:
    return sorted(((p, counts.get(p, 0)) for p in places), key=lambda kv: (-kv[1], kv[0]))


def _top(counts: dict[str, int], places: list[str], k: int) -> set[str]:
    """Places at or above the k-th largest count (ties at the boundary are in)."""
    cut = sorted((counts.get(p, 0) for p in places), reverse=True)[k - 1]
    return {p for p in places if counts.get(p, 0) >= cut}


def test_charnwood_lsoas_and_concentration_equal_an_independent_count(cli, leics: Path, oracle) -> None:  # type: ignore[no-untyped-def]
    run = cli("places", leics, "--area", AREA, "--year", "2021/22", "--format", "json")
    assert run.code == 0, run.err
    obj = json.loads(run.out)
    places = sorted(oracle["any"])
    now, then = oracle["crimes 2021/22"], oracle["crimes 2020/21"]
    total = sum(now.values())
    assert total == obj["total"] == 14_000  # PROVENANCE.md's check figure for Charnwood 2021/22
    assert obj["previous_total"] == sum(then.values()) == 11_672
    assert obj["places"] == len(places) and obj["level"] == "lsoa"
    ranked = _ranked(now, places)
    assert [(r["place"], r["count"]) for r in obj["rows"][:15]] == ranked[:15]  # the top LSOAs, in order
    assert {r["place"]: r["count"] for r in obj["rows"]} == dict(ranked)  # and every LSOA
    assert sum(r["count"] for r in obj["rows"]) == total
    first = obj["rows"][0]
    assert first["previous_count"] == then.get(first["place"], 0)
    assert first["share_pct"] == round(ranked[0][1] / total * 100, 1)
    # Concentration, worked out here on the same counts.
    counts = [c for _, c in ranked]
    k5, k10 = math.ceil(len(places) * 0.05), math.ceil(len(places) * 0.10)
    assert (obj["top_5pct_places"], obj["top_10pct_places"]) == (k5, k10)
    assert obj["top_5pct_count"] == sum(counts[:k5])
    assert obj["top_10pct_count"] == sum(counts[:k10])
    assert obj["top_5pct_share"] == round(sum(counts[:k5]) / total * 100, 1)
    assert obj["top_10pct_share"] == round(sum(counts[:k10]) / total * 100, 1)
    half = next(k for k in range(1, len(counts) + 1) if sum(counts[:k]) * 2 >= total)
    assert obj["half_offences_places"] == half
    persistent = _top(now, places, k10) & _top(then, places, k10)
    assert set(obj["persistent_hotspot_places"]) == persistent
    assert obj["persistent_hotspots"] == len(persistent)
    assert all(r["rate_per_1000"] is None for r in obj["rows"])  # no population: no rate


def test_police_uk_map_is_a_point_density_of_the_counted_offences(leics: Path, tmp_path: Path) -> None:
    res = ca.places([leics], area=AREA, year="2021/22", category="Burglary")
    svg = res.map_svg()
    assert svg == res.map_svg()  # deterministic
    assert svg.startswith("<?xml") and "Charnwood: burglary, 2021/22" in svg
    from csp_assess.report.places import place_map_of

    assert res.selection is not None
    drawn = place_map_of(res.selection, res.rows)
    assert drawn.kind == "density"
    assert f"({res.meta['total']:,} in all, the same as the table)" in drawn.caption


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_for_police_uk_shows_the_place_map_in_a_browser(cli, leics: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    html = tmp_path / "charnwood.html"
    run = cli("report", leics, "--area", AREA, "--year", "2021/22", "--output", html)
    assert run.code == 0, run.err
    assert CHROMIUM is not None
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    flags += ["--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*flags, "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    section = dom.stdout.split('<section id="places">', 1)[1].split("</section>", 1)[0]
    assert "<h2>Where crime concentrates</h2>" in section
    assert 'alt="Point-density map of all crime in Charnwood"' in section
    assert "14,000 in all, the same as the table" in section
    # The browser draws the map: its SVG, opened on its own, paints the hexagons (warm colours on white).
    uri = re.search(r'<img src="(data:image/svg\+xml;base64,[^"]+)" alt="Point-density', section)
    assert uri is not None
    page = tmp_path / "map.html"
    page.write_text(
        f'<html><body style="margin:0"><img src="{uri.group(1)}"></body></html>', encoding="utf-8"
    )
    shot = tmp_path / "map.png"
    proc = subprocess.run(
        [*flags, "--window-size=700,650", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    import matplotlib.image as mpimg

    pixels = mpimg.imread(io.BytesIO(shot.read_bytes()), format="png")
    red, blue = pixels[..., 0], pixels[..., 2]
    assert int(((red > 0.6) & (blue < 0.3)).sum()) > 2_000  # hexagons drawn, not a blank image
    assert base64.b64decode(uri.group(1).split(",", 1)[1]).startswith(b"<?xml")


def test_points_follow_the_loaders_rules_and_reconcile_with_its_counts(tmp_path: Path) -> None:
    """Repeated Crime IDs, bad months, blank types and rows with no location, in a small real-layout file:
    the points read for a map are the records the loader counts, no more, no fewer."""
    from csp_assess.load.points import read_points

    fixture = Path(__file__).parent / "fixtures" / "police_uk" / "repeated_ids.csv"
    expected: dict[tuple[str, str], int] = {}  # (area, type) -> records, by the csv module and the rules
    no_xy: dict[str, int] = {}
    seen: set[str] = set()
    with fixture.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            month, ctype, cid = row["Month"].strip(), row["Crime type"].strip(), row["Crime ID"].strip()
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month) or not ctype:
                continue  # a reject: it does not claim its Crime ID
            if cid and cid in seen:
                continue
            seen.add(cid)
            area = re.sub(r"\s+\d{3}[A-Z]$", "", row["LSOA name"].strip()) or "No location"
            expected[(area, ctype)] = expected.get((area, ctype), 0) + 1
            if not row["Longitude"].strip():
                no_xy[ctype] = no_xy.get(ctype, 0) + 1
    ex = ca.load([fixture], cache=False)
    files = [(s.path, s.layout, tuple(s.months_used)) for s in ex.sources]
    for area in ("Barking and Dagenham", "Havering", "No location"):
        types = {t for a, t in expected if a == area}
        pts = read_points(files, [area], ["2021-05"], types)
        assert pts.counted == sum(n for (a, _), n in expected.items() if a == area)
        loaded = int(ex.counts.loc[ex.counts["area"] == area, "count"].sum())
        assert pts.counted == loaded  # the map draws what the table counts
    pts = read_points(files, ["No location"], ["2021-05"], {"Vehicle crime"})
    assert (len(pts.lon), pts.no_coordinates) == (0, no_xy)
    havering = read_points(files, ["Havering"], ["2021-05"], {"Robbery", "Drugs"})
    assert sorted(havering.crime_type.tolist()) == ["Drugs", "Robbery"]
    assert read_points(files, ["Havering"], ["2021-06"], {"Robbery"}).counted == 0  # months not used


def test_lookup_groups_charnwood_lsoas_into_msoas(cli, leics: Path, oracle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """LSOAs grouped by a lookup (here each LSOA to its MSOA, the name without the letter): each group's
    count is the sum of its LSOAs' counts, and every offence is kept."""
    lookup = tmp_path / "msoa.csv"
    msoa_of = {p: p.split(" (")[0][:-1] for p in oracle["any"]}  # "Charnwood 003A (E0...)" -> "Charnwood 003"
    lines = ["lsoa_code,msoa"] + [f"{p.split('(')[1].rstrip(')')},{m}" for p, m in sorted(msoa_of.items())]
    lookup.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = cli("places", leics, "--area", AREA, "--year", "2021/22", "--places-lookup", lookup, "-f", "json")
    assert run.code == 0, run.err
    obj = json.loads(run.out)
    want: dict[str, int] = {}
    for p, m in msoa_of.items():
        want[m] = want.get(m, 0) + oracle["crimes 2021/22"].get(p, 0)
    assert obj["level"] == "msoa" and obj["places"] == len(want)
    assert {r["place"]: r["count"] for r in obj["rows"]} == want
    assert obj["total"] == 14_000


@pytest.mark.parametrize("width", [60, 80, 160])
def test_screen_shows_each_lsoa_code_once(
    cli, leics: Path, oracle, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:  # type: ignore[no-untyped-def]
    """On screen the place name is the LSOA name and its code is in the Code column, not in both; where the
    Code column does not fit, the name keeps its code. JSON (and CSV) keep the label 'name (code)'."""
    from tests.test_narrow_terminal import _parse

    by_label = oracle["crimes 2021/22"]
    run = cli("places", leics, "--area", AREA, "--year", "2021/22", "--format", "json")
    assert run.code == 0, run.err
    for row in json.loads(run.out)["rows"]:
        if row["code"]:
            assert row["place"].endswith(f" ({row['code']})")  # unchanged: the label is the key
    monkeypatch.setenv("COLUMNS", str(width))
    out = cli("places", leics, "--area", AREA, "--year", "2021/22").out
    headers, rows = _parse(out)
    assert headers[:2] == ["#", "Place"]
    assert rows
    for row in rows:
        got = dict(zip(headers, row, strict=True))
        if "Code" in got:
            assert "(E0" not in got["Place"], got
            label = f"{got['Place']} ({got['Code']})"
        else:
            assert re.fullmatch(r"Charnwood \d{3}[A-Z] \(E0\d{7}\)", got["Place"]), got
            label = got["Place"]
        assert int(got["Count"].replace(",", "")) == by_label[label]
    if width >= 80:
        assert "Code" in headers

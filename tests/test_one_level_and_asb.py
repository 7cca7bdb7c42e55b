"""What a new analyst trips on (#19, the items left): one-level layouts print no duplicate Major column;
compare shows anti-social behaviour apart and a Total row; the place wording calls ASB incidents.

The street fixture is written here with counts chosen by hand, so every expected figure below is worked
out on paper, not read from the tool: per month, 2020/21 has 3 burglaries, 2 shoplifting and 5 ASB
incidents, 2021/22 has 4, 3 and 6. A year: burglary 36 -> 48, shoplifting 24 -> 36, crime 60 -> 84
(+24, +40.0%), ASB 60 -> 72 (+12, +20.0%). Odd-numbered records of each type and month go to LSOA 001A,
even ones to 002A.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from tests.conftest import SAMPLE

import csp_assess as ca
from independent import fy_total, met_wide_monthly

HEAD = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
    "LSOA name", "Crime type", "Last outcome category", "Context",
]  # fmt: skip
PER_MONTH = {
    2020: {"Burglary": 3, "Shoplifting": 2, "Anti-social behaviour": 5},
    2021: {"Burglary": 4, "Shoplifting": 3, "Anti-social behaviour": 6},
}
ASB = "Anti-social behaviour"


def write_street(folder: Path, drop_asb: int = 0) -> Path:
    """24 monthly street files, April 2020 to March 2022 (``drop_asb`` ASB rows fewer in March 2022)."""
    folder.mkdir()
    n = 0
    for fy, types in PER_MONTH.items():
        for i in range(12):
            month = f"{fy + (i + 3) // 12}-{(i + 3) % 12 + 1:02d}"
            with (folder / f"{month}-testshire-street.csv").open("w", newline="", encoding="utf-8") as fh:
                out = csv.writer(fh)
                out.writerow(HEAD)
                for ctype, k in types.items():
                    if ctype == ASB and month == "2022-03":
                        k -= drop_asb
                    for j in range(k):
                        n += 1
                        lsoa = "001A" if j % 2 == 0 else "002A"
                        out.writerow(
                            ["" if ctype == ASB else f"c{n}", month, "Testshire Police", "Testshire Police",
                             f"-1.{j}", "52.7", "On or near X", f"E01{lsoa}", f"Testshire {lsoa}", ctype, "", ""]
                        )  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_street(tmp_path_factory.mktemp("one_level") / "testshire")


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _headers(screen: str) -> list[str]:
    """The first table's column headers on the terminal."""
    line = next(x for x in screen.splitlines() if x.startswith("┃"))
    return [h.strip() for h in line.strip("┃").split("┃")]


# 1. Major and Category are one column for a one-level layout -------------------------------------------


def test_one_level_layout_shows_category_once(cli, street: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    heads = _headers(cli("rank", street).out)
    assert "Category" in heads and "Major" not in heads
    rows = _csv(cli("rank", street, "--format", "csv").out)
    assert "major" not in rows[0] and {r["category"]: int(r["count"]) for r in rows} == {
        "Burglary": 48,
        "Shoplifting": 36,
    }
    md = cli("rank", street, "--format", "markdown").out
    assert "| rank | category | count |" in md and "major" not in md.split("## ", 2)[1]
    book = tmp_path / "rank.xlsx"
    assert cli("rank", street, "-o", book).code == 0
    assert "major" not in [c.value for c in next(load_workbook(book)["rank"].iter_rows(max_row=1))]
    # JSON keeps both keys, whatever the layout: a script's schema does not depend on the data.
    obj = json.loads(cli("rank", street, "--format", "json").out)
    assert all(r["major"] == r["category"] for r in obj["rows"])
    for command in ("compare", "baseline"):
        extra = ("--baseline", "2020/21") if command == "baseline" else ()
        got = _csv(cli(command, street, *extra, "--format", "csv").out)
        assert got and "major" not in got[0] and "category" in got[0], command


def test_two_level_layout_keeps_both_columns(cli) -> None:  # type: ignore[no-untyped-def]
    heads = _headers(cli("rank", SAMPLE).out)
    assert heads[:3] == ["#", "Major", "Category"]
    rows = _csv(cli("rank", SAMPLE, "--format", "csv").out)
    assert rows[0]["major"] == "Violence Against the Person" and rows[0]["category"] == "Violence with Injury"
    assert "major" in _csv(cli("compare", SAMPLE, "--format", "csv").out)[0]
    # Ranked by major category, the two would repeat each other: one is shown.
    assert "Major" not in _headers(cli("rank", SAMPLE, "--level", "major").out)


# 3 and 5. compare: ASB apart, and a Total row that is the column sums ----------------------------------


def test_compare_shows_asb_apart_and_a_total_row(cli, street: Path) -> None:  # type: ignore[no-untyped-def]
    obj = json.loads(cli("compare", street, "--format", "json").out)
    assert {r["category"]: (r["from_count"], r["to_count"]) for r in obj["rows"]} == {
        "Burglary": (36, 48),
        "Shoplifting": (24, 36),
    }  # categories only: no ASB row, no total row
    assert (obj["from_total"], obj["to_total"], obj["change"], obj["change_pct"]) == (60, 84, 24, 40.0)
    assert (obj["asb_from_incidents"], obj["asb_to_incidents"]) == (60, 72)
    assert obj["asb"] == [
        {"category": ASB, "from_count": 60, "to_count": 72, "change": 12, "change_pct": 20.0}
    ]

    rows = _csv(cli("compare", street, "--format", "csv").out)
    assert [r["category"] for r in rows] == ["Shoplifting", "Burglary", "Total crime"]
    total = rows[-1]
    for col in ("from_count", "to_count", "change"):
        assert int(total[col]) == sum(int(r[col]) for r in rows[:-1])
    assert (total["from_count"], total["to_count"], total["change"], total["change_pct"]) == (
        "60",
        "84",
        "24",
        "40.0",
    )
    assert total["z"] == total["p_value"] == total["significant"] == ""  # the total is not tested here

    screen = cli("compare", street).out
    flat = [" ".join(line.split()) for line in screen.splitlines()]
    assert "│ Total crime │ 60 │ 84 │ +24 │ +40.0% │ - │ - │ - │ - │" in flat
    assert "│ Anti-social behaviour │ 60 │ 72 │ +12 │ +20.0% │" in flat
    assert "Anti-social behaviour incidents (not in crime totals)" in screen
    md = cli("compare", street, "--format", "markdown").out
    assert "| Total crime | 60 | 84 | +24 | +40.0% | - | - | - | - |" in md
    assert "| Anti-social behaviour | 60 | 72 | +12 | +20.0% |" in md


def test_compare_against_shows_asb_revisions_apart(cli, street: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    revised = write_street(tmp_path / "revised", drop_asb=2)
    obj = json.loads(cli("compare", street, "--against", revised, "--format", "json").out)
    assert (obj["from_total"], obj["to_total"]) == (84, 84)  # crime unchanged
    assert (obj["asb_from_incidents"], obj["asb_to_incidents"]) == (72, 70)


def test_compare_total_row_on_met_data_is_the_column_sums(cli) -> None:  # type: ignore[no-untyped-def]
    rows = _csv(cli("compare", SAMPLE, "--format", "csv").out)
    total, cats = rows[-1], rows[:-1]
    assert total["category"] == "Total"  # the Met files hold no ASB: no "crime" qualifier, no ASB table
    before = fy_total([SAMPLE], "Barking and Dagenham", "2020/21")
    after = fy_total([SAMPLE], "Barking and Dagenham", "2021/22")
    assert (int(total["from_count"]), int(total["to_count"])) == (before, after)
    assert (
        sum(int(r["from_count"]) for r in cats) == before and sum(int(r["to_count"]) for r in cats) == after
    )
    obj = json.loads(cli("compare", SAMPLE, "--format", "json").out)
    assert "asb" not in obj and obj["asb_from_incidents"] is None and len(obj["rows"]) == len(cats)
    assert sum(c for (m, _, _), c in met_wide_monthly([SAMPLE], "Barking and Dagenham").items()
               if "202104" <= m <= "202203") == after  # fmt: skip


# 4. ASB is incidents in the place wording ---------------------------------------------------------------


def test_places_call_asb_incidents(street: Path) -> None:
    from csp_assess.report.html import figure, table_html
    from csp_assess.report.places import PlaceSection, place_map_of, place_section_html

    extract = ca.load(street, cache=False)
    asb = ca.places(extract, priority="Anti-Social Behaviour")
    assert asb.headline.startswith("Testshire, anti-social behaviour, 2021/22: 72 incidents in 2 LSOAs")
    assert asb.meta["counted_as"] == "incidents"
    crime = ca.places(extract)
    assert crime.headline.startswith("Testshire, all crime, 2021/22: 84 offences in 2 LSOAs")
    assert asb.selection is not None
    pmap = place_map_of(asb.selection, asb.rows)
    assert "72 incidents drawn" in pmap.caption and "offences" not in pmap.caption
    html = place_section_html(PlaceSection(asb, pmap), figure, table_html, {})
    assert "% of incidents" in html and "of offences" not in html and "72 incidents" in html


def test_report_and_theme_pack_call_asb_incidents(cli, street: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pack.md"
    assert cli("report", street, "-o", out).code == 0
    text = out.read_text(encoding="utf-8")
    assert "Measured by: Anti-social behaviour (all). 72 incidents in 2021/22." in text
    assert "![Anti-Social Behaviour incidents per month]" in text and "| Year | Incidents |" in text
    assert "Measured by: Burglary. 48 offences in 2021/22." in text  # crime is still offences
    theme = tmp_path / "asb.md"
    assert cli("report", street, "--theme", "Anti-Social Behaviour", "-o", theme).code == 0
    assert "In 2021/22 there were 72 Anti-Social Behaviour incidents in Testshire" in theme.read_text(
        encoding="utf-8"
    )

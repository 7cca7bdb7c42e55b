"""summary's area context on a police.uk extract ranks the force's own districts only: the LSOAs just over
the boundary (a handful of crimes each) are named as spill-over, not ranked beside the districts."""

from __future__ import annotations

from tests.conftest import shared

import csp_assess as ca

# The nine CSP areas of Leicestershire Police, and their 2021/22 crimes (PROVENANCE.md's check figures).
DISTRICTS_2021_22 = {
    "Leicester": 45207,
    "Charnwood": 14000,
    "North West Leicestershire": 7442,
    "Hinckley and Bosworth": 6982,
    "Blaby": 6285,
    "Harborough": 4799,
    "Oadby and Wigston": 3723,
    "Melton": 3409,
    "Rutland": 1715,
}


def test_rank_among_the_forces_own_districts() -> None:
    folder = shared("police_uk_leicestershire")
    doc = ca.summary(folder, area="Charnwood", year="2021/22").to_dict()
    assert doc["total"] == DISTRICTS_2021_22["Charnwood"]
    assert doc["boroughs_ranked"] == 9
    by_count = sorted(DISTRICTS_2021_22, key=lambda a: -DISTRICTS_2021_22[a])
    assert doc["rank_among_boroughs"] == by_count.index("Charnwood") + 1 == 2
    assert doc["spill_over_areas"] and not set(doc["spill_over_areas"]) & set(DISTRICTS_2021_22)
    assert "Wandsworth" in doc["spill_over_areas"]  # a London borough: crimes recorded over the boundary
    notes = " ".join(ca.summary(folder, area="Rutland", year="2021/22").notes)
    assert "ranked 9 of 9 by offences" in notes and "spill-over" in notes


def test_the_rate_per_1000_is_shown_not_only_in_json(cli) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import SAMPLE

    run = cli("summary", SAMPLE, "--year", "2021/22", "--population", "218900")
    assert run.code == 0, run.err
    # by hand: 20,516 / 218,900 x 1,000 = 93.72; 18,568 / 218,900 x 1,000 = 84.82
    assert "Rate: 93.7 offences per 1,000 residents (84.8 in 2020/21)" in run.out.replace("\n", " ")

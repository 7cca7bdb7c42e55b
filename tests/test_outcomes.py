"""Outcomes: police.uk last outcome shares per category and priority, equal to an independent count."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

import csp_assess as ca

REPO = Path(__file__).resolve().parents[1]
LEICS = REPO.parent / "shared" / "data" / "police_uk_leicestershire"
needs_leics = pytest.mark.skipif(not LEICS.is_dir(), reason="../shared/data is not present")
FY_2021_22 = {f"2021-{m:02d}" for m in range(4, 13)} | {f"2022-{m:02d}" for m in range(1, 4)}
# Written out here, apart from the code: outcomes after a charge or summons.
COURT = {
    "Awaiting court outcome",
    "Court result unavailable",
    "Suspect charged as part of another case",
    "Offender sent to prison",
    "Offender fined",
    "Defendant found not guilty",
}


def charnwood_2021_22() -> Counter[tuple[str, str]]:
    """(crime type, last outcome) -> crimes in Charnwood 2021/22, with the csv module: ASB left out, a
    repeated Crime ID within a file counted once, area = LSOA name without its trailing code."""
    out: Counter[tuple[str, str]] = Counter()
    for p in sorted(LEICS.glob("*.csv")):
        seen: set[str] = set()
        with p.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["Crime ID"]:
                    if row["Crime ID"] in seen:
                        continue
                    seen.add(row["Crime ID"])
                area = re.sub(r" [0-9]{3}[A-Z]$", "", row["LSOA name"])
                if area != "Charnwood" or row["Month"] not in FY_2021_22:
                    continue
                if row["Crime type"] == "Anti-social behaviour":
                    continue
                out[(row["Crime type"], row["Last outcome category"] or "(not recorded)")] += 1
    return out


@needs_leics
def test_charnwood_2021_22_outcome_shares_equal_an_independent_count(cli) -> None:  # type: ignore[no-untyped-def]
    oracle = charnwood_2021_22()
    run = cli("outcomes", LEICS, "--area", "Charnwood", "--year", "2021/22", "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    total = sum(oracle.values())
    assert doc["crimes"] == total == 14_000  # PROVENANCE.md: Charnwood 2021/22 crimes
    by_outcome: Counter[str] = Counter()
    for (_, outcome), n in oracle.items():
        by_outcome[outcome] += n
    assert {r["outcome"]: r["crimes"] for r in doc["by_outcome"]} == dict(by_outcome)
    for r in doc["by_outcome"]:
        assert r["share_pct"] == round(by_outcome[r["outcome"]] / total * 100, 1)
    for row in doc["by_category"]:
        cat = row["category"]
        crimes = sum(n for (c, _), n in oracle.items() if c == cat)
        no_suspect = oracle[(cat, "Investigation complete; no suspect identified")]
        charged = sum(n for (c, o), n in oracle.items() if c == cat and o in COURT)
        assert row["crimes"] == crimes
        assert (row["no_suspect_n"], row["no_suspect_pct"]) == (
            no_suspect,
            round(no_suspect / crimes * 100, 1),
        )
        assert (row["charged_summonsed_n"], row["charged_summonsed_pct"]) == (
            charged,
            round(charged / crimes * 100, 1),
        )
    charged_all = sum(n for (_, o), n in oracle.items() if o in COURT)
    assert doc["charged_summonsed_pct"] == round(charged_all / total * 100, 1)
    assert "not final" in doc["headline"]


@needs_leics
def test_outcomes_by_priority_and_caveat() -> None:
    oracle = charnwood_2021_22()
    result = ca.outcomes(LEICS, area="Charnwood", year="2021/22")
    prio = result.table("by_priority").set_index("priority")
    weapons = sum(n for (c, _), n in oracle.items() if c == "Possession of weapons")
    assert int(prio.loc["Knife Crime", "crimes"]) == weapons
    arson = oracle[("Criminal damage and arson", "Investigation complete; no suspect identified")]
    assert int(prio.loc["Arson", "no_suspect_n"]) == arson
    assert any("Recent months' outcomes are not final" in n for n in result.notes)
    read = [n for n in result.notes if n.startswith("Read ")][0]
    assert "+ 0 rejected" in read


def test_outcomes_reject_bad_months_and_repeats(tmp_path: Path) -> None:
    """Synthetic street file: a bad Month and a repeated Crime ID are rejected with their lines."""
    header = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n"
    rows = [
        "a1,2021-04,F,F,,,,E1,Testshire 001A,Burglary,Under investigation,\n",
        "a1,2021-04,F,F,,,,E1,Testshire 001A,Burglary,Unable to prosecute suspect,\n",
        "a2,April 2021,F,F,,,,E1,Testshire 001A,Burglary,Under investigation,\n",
        ",2021-04,F,F,,,,E1,Testshire 001A,Anti-social behaviour,,\n",
        "a3,2021-05,F,F,,,,,,Drugs,,\n",
    ]
    path = tmp_path / "2021-04-testshire-street.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    result = ca.outcomes(path, area="all", year="2021/22")
    assert result.meta["crimes"] == 2 and result.meta["asb_rows"] == 1 and result.meta["rows_rejected"] == 2
    assert result.meta["rows_read"] == 5
    outcomes = {r["outcome"]: r["crimes"] for r in result.table("by_outcome").to_dict("records")}
    assert outcomes == {"Under investigation": 1, "(not recorded)": 1}
    assert result.meta["under_investigation_pct"] == 50.0


def test_a_file_without_outcomes_is_a_one_line_error(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("outcomes", REPO / "data" / "sample_offences.csv", "--area", "all")
    assert run.code == 1
    assert run.err.startswith("Error: not a police.uk street-level file with outcomes: no column 'Crime ID'")
    assert run.err.rstrip().endswith("sample_offences.csv:1)")

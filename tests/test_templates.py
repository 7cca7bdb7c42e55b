"""Priority-set templates outside London: listed, chosen with --template, measured on police.uk types."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.conftest import SAMPLE, shared

import csp_assess as ca
from csp_assess.reference.priorities import parse_priorities

TEMPLATE = "police-crime-plan"


def test_list_templates(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("priorities", "--list-templates")
    assert run.code == 0
    names = [line.split(":")[0] for line in run.out.splitlines()]
    assert names == ["mopac", TEMPLATE]
    assert [t.name for t in ca.api.templates()] == names


def test_template_and_priorities_together_is_an_error(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("rank", SAMPLE, "--template", TEMPLATE, "--priorities", "x.toml")
    assert run.code == 2
    assert run.err.strip() == "Error: give --priorities or --template, not both"
    bad = cli("quarterly", SAMPLE, "--template", "londn")
    assert bad.err.strip() == "Error: unknown --template 'londn' (one of mopac, police-crime-plan)"


def test_write_default_writes_the_template(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "plan-set.toml"
    run = cli("priorities", "--template", TEMPLATE, "--write-default", target)
    assert run.code == 0, run.err
    pset = parse_priorities(target.read_text(encoding="utf-8"), str(target))
    assert [p.name for p in pset.priorities] == [
        "Serious Violence",
        "Violence Against Women and Girls (incl. Domestic Abuse)",
        "Neighbourhood Crime",
        "Anti-Social Behaviour",
        "Drugs and Exploitation",
        "Road Safety",
    ]


def _charnwood_2021_22(folder: Path) -> dict[str, int]:
    """Crimes and ASB in Charnwood LSOAs, April 2021 to March 2022, counted from the raw police.uk rows."""
    counts: dict[str, int] = {}
    for month in [f"2021-{m:02d}" for m in range(4, 13)] + [f"2022-{m:02d}" for m in range(1, 4)]:
        with (folder / f"police_uk_{month}-leicestershire-street.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["LSOA name"].startswith("Charnwood "):
                    counts[row["Crime type"]] = counts.get(row["Crime type"], 0) + 1
    return counts


def test_leicestershire_charnwood_measures_what_police_uk_allows(cli) -> None:  # type: ignore[no-untyped-def]
    folder = shared("police_uk_leicestershire")
    run = cli(
        "rank", folder, "--template", TEMPLATE, "--area", "Charnwood", "--year", "2021/22", "-f", "json"
    )
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["priorities_source"] == f"packaged template {TEMPLATE}"
    rows = {p["name"]: p for p in doc["priorities"] if p["class"] != "candidate"}
    raw = _charnwood_2021_22(folder)
    # police.uk crime types can measure these (with proxies labelled), counted by hand from the rows:
    want = {
        "Serious Violence": raw["Violence and sexual offences"] + raw["Possession of weapons"],
        "Neighbourhood Crime": raw["Burglary"]
        + raw["Robbery"]
        + raw["Theft from the person"]
        + raw["Vehicle crime"],
        "Anti-Social Behaviour": raw["Anti-social behaviour"],
        "Drugs and Exploitation": raw["Drugs"],
    }
    for name, count in want.items():
        assert rows[name]["status"] != "not measurable", name
        assert rows[name]["count"] == count, name
        assert rows[name]["proxy"] is True and rows[name]["proxy_note"], name
    # ... and cannot measure these: labelled, with what data would.
    for name, says in (
        ("Violence Against Women and Girls (incl. Domestic Abuse)", "no domestic abuse flag"),
        ("Road Safety", "STATS19"),
    ):
        assert rows[name]["status"] == "not measurable"
        assert says in rows[name]["reason"]
    assert len(rows) == 6


def test_every_command_with_priorities_takes_a_template(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    trend = cli("trend", SAMPLE, "--template", TEMPLATE, "--priority", "Neighbourhood Crime", "--by", "year")
    assert trend.code == 0, trend.err
    quarterly = cli("quarterly", SAMPLE, "--template", TEMPLATE, "-f", "json")
    assert [r["priority"] for r in json.loads(quarterly.out)["rows"]][:3] == [
        "Serious Violence",
        "Violence Against Women and Girls (incl. Domestic Abuse)",
        "Neighbourhood Crime",
    ]
    report = cli("report", SAMPLE, "--template", TEMPLATE, "--output", tmp_path / "pack.md")
    assert report.code == 0, report.err
    assert "Neighbourhood Crime" in (tmp_path / "pack.md").read_text(encoding="utf-8")
    listed = cli("priorities", "--template", TEMPLATE, "--scheme", "police-uk", "-f", "json")
    assert json.loads(listed.out)["priorities_source"] == f"packaged template {TEMPLATE}"

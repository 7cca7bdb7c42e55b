"""Weights for custom extracts: categories matched by name to the Met category maps, the Home Office PRC
subgroups and the police.uk crime types; the route each took; unknown kept unknown; --weights on top.

Expected weights are read from the packaged reference CSVs with the ``csv`` module, not from the code
under test."""

from __future__ import annotations

import csv
import json
import math
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from tests.clirun import run

from csp_assess.reference.weights import NO_ROUTE, apply_overrides, load_weight_overrides, weights_for


def _reference() -> dict[str, dict[str, str]]:
    text = resources.files("csp_assess.reference").joinpath("harm_cost_reference.csv").read_text("utf-8")
    return {row["prc_subgroup"]: row for row in csv.DictReader(text.splitlines())}


def _vehicle() -> dict[str, float]:
    text = resources.files("csp_assess.reference").joinpath("vehicle_cost_detail.csv").read_text("utf-8")
    return {
        row["offence"]: float(row["ho_unit_cost_gbp_2015_16"]) for row in csv.DictReader(text.splitlines())
    }


def _weigh(pairs: list[tuple[str, str]], harm: str = "cchi") -> pd.DataFrame:
    cats = pd.DataFrame(pairs, columns=["major", "minor"])
    return weights_for(cats, "custom", harm)


@pytest.mark.parametrize(
    "major, minor, subgroup, route",
    [
        # Met old names (Title Case), as the synthetic record extract writes them
        ("Violence Against the Person", "Violence with Injury", "Violence with injury", "by major and minor name: Met category map met-old"),
        ("Burglary", "Domestic Burglary", "Residential burglary", "by major and minor name: Met category map met-old"),
        # upper case (as in the Met's new files) under another major: the minor name alone decides
        ("Violence", "VIOLENCE WITH INJURY", "Violence with injury", "by minor name: Met category map met-old"),
        # Home Office PRC subgroup names
        ("Burglary", "Residential burglary", "Residential burglary", "by minor name: Home Office PRC subgroup"),
        ("Public order", "Public order offences", "Public order offences", "by minor name: Home Office PRC subgroup"),
        # punctuation and case do not matter
        ("ROBBERY", "robbery - of personal property", "Robbery of personal property", "by major and minor name: Met category map met-old"),
    ],
)  # fmt: skip
def test_named_categories_get_their_subgroup_weights(
    major: str, minor: str, subgroup: str, route: str
) -> None:
    ref = _reference()[subgroup]
    out = _weigh([(major, minor)]).iloc[0]
    assert out["prc_subgroup"] == subgroup
    assert out["harm_weight"] == float(ref["cchi_days"])
    costed = ref["ho_cost_status"] not in ("confirmed-excluded", "none-published", "unknown", "")
    cost = float(ref["ho_unit_cost_gbp_2015_16"]) if costed else math.nan
    assert (math.isnan(cost) and math.isnan(out["unit_cost_gbp"])) or out["unit_cost_gbp"] == cost
    assert out["weight_route"] == route
    assert out["note"].startswith(f"weights {route}")
    assert (out["major"], out["minor"]) == (major, minor)  # the extract's own names are kept


def test_vehicle_names_keep_their_own_unit_cost() -> None:
    out = _weigh([("Vehicle Offences", "Theft from a Motor Vehicle")]).iloc[0]
    assert out["unit_cost_gbp"] == _vehicle()["Theft from vehicle"]


def test_police_uk_crime_type_is_the_volume_blend() -> None:
    ref = _reference()
    parts = [r for r in ref.values() if r["police_uk_crime_type"] == "Burglary"]
    want = sum(float(r["cchi_days"]) * float(r["national_count_2024_25"]) for r in parts) / sum(
        float(r["national_count_2024_25"]) for r in parts
    )
    out = _weigh([("Burglary", "Burglary")]).iloc[0]
    assert out["harm_weight"] == pytest.approx(want)
    assert out["harm_status"] == "blended"
    assert out["weight_route"] == "by major and minor name: police.uk crime type (blend of PRC subgroups)"


def test_name_cut_short_matches_the_long_met_name() -> None:
    out = _weigh([("Public Order Offences", "Racially or Religiously Aggravated Public Fear")]).iloc[0]
    assert out["prc_subgroup"] == "Public order offences"
    assert out["weight_route"] == "by minor name cut short: Met category map met-old"
    short = _weigh([("Theft", "Other")]).iloc[0]  # a short name is never matched by its start
    assert short["weight_route"] == NO_ROUTE


def test_unknown_and_ambiguous_names_stay_unknown() -> None:
    # "Rape" is Rape offences in every scheme (not ambiguous); "Other Theft" means Other theft offences
    # in both met-old and met-pre2019; "Harassment" is only in met-pre2019. A made-up name matches nothing.
    out = _weigh([("Sexual", "Rape"), ("Theft", "Other Theft"), ("Misc", "Fly-tipping")])
    assert out["prc_subgroup"].tolist() == ["Rape offences", "Other theft offences", ""]
    unknown = out.iloc[2]
    assert math.isnan(unknown["harm_weight"]) and math.isnan(unknown["unit_cost_gbp"])
    assert (unknown["harm_status"], unknown["cost_status"]) == ("unknown", "unknown")
    assert unknown["note"] == "not in the category map"
    assert unknown["weight_route"] == NO_ROUTE


def test_names_meaning_different_subgroups_are_not_guessed() -> None:
    # "Other violence" (met-pre2019) is Violence without injury; "Offensive Weapon" is weapons: a pair
    # that exists nowhere, with a minor name that is not unique in meaning, must stay unknown.
    out = _weigh([("Violence Against the Person", "Offensive Weapon")]).iloc[0]
    assert out["prc_subgroup"] == "Possession of weapons offences"  # unique name: matched
    from csp_assess.reference import weights as w

    pairs, minors = w._name_index("cchi")
    ambiguous = [k for k, recs in minors.items() if not w._same_weights(recs)]
    for key in ambiguous:
        assert w.custom_match("Nowhere", key) is None


def test_user_weights_fill_an_unknown_category(tmp_path: Path) -> None:
    f = tmp_path / "w.csv"
    f.write_text(
        "minor,harm_weight,unit_cost_gbp,source\nFly-tipping,4,120,council tariff\n", encoding="utf-8"
    )
    overrides, warnings = load_weight_overrides(f)
    table, w2 = apply_overrides(_weigh([("Misc", "Fly-tipping")]), overrides)
    row = table.iloc[0]
    assert (row["harm_weight"], row["unit_cost_gbp"], row["harm_status"]) == (4.0, 120.0, "user")
    assert row["weight_route"] == "user --weights (harm weight and unit cost from w.csv line 2)"
    assert warnings == w2 == []


def test_rank_on_a_record_extract_uses_the_named_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The composite's harm is count x CCHI of the matched subgroup (by hand: 3 x 365 and 2 x 1)."""
    rows = ["Committed Date,Local Authority,Offence Group,Offence"]
    for fy_start in (2020, 2021):
        rows += [f"15/06/{fy_start},Barnet,Violence Against the Person,Violence with Injury"] * 3
        rows += [f"15/07/{fy_start},Barnet,Theft,Shoplifting"] * 2
        rows += [f"15/03/{fy_start + 1},Barnet,Misc,Fly-tipping"]
    path = tmp_path / "records.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ["--map", "month=Committed Date", "--map", "area=Local Authority"]
    args += ["--map", "major=Offence Group", "--map", "minor=Offence"]
    code, out, err = run(capsys, "rank", str(path), *args, "--year", "2021/22", "-f", "json")
    assert code == 0, err
    by = {r["category"]: r for r in json.loads(out)["rows"]}
    assert by["Violence with Injury"]["harm"] == 3 * 365.0
    assert by["Shoplifting"]["harm"] == 2 * 1.0
    assert by["Fly-tipping"]["harm"] is None and by["Fly-tipping"]["harm_status"] == "unknown"
    assert by["Violence with Injury"]["weight_note"].startswith("weights by major and minor name")

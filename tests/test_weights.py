"""Weights: the packaged category map, the weight tables and user overrides.

Expected values are the reference figures (src/csp_assess/reference/harm_cost_reference.csv and
vehicle_cost_detail.csv), combined by hand here.
"""

from __future__ import annotations

import csv
import math
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from csp_assess.errors import ConfigError
from csp_assess.reference.weights import (
    HARM_INDEXES,
    WEIGHT_COLUMNS,
    apply_overrides,
    load_weight_overrides,
    weight_table,
    weights_for,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REFERENCE = resources.files("csp_assess.reference")


def _packaged_rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(REFERENCE.joinpath(name).read_text(encoding="utf-8").splitlines()))


def _row(table: pd.DataFrame, minor: str, major: str | None = None) -> pd.Series:
    mask = table["minor"] == minor
    if major is not None:
        mask &= table["major"] == major
    rows = table[mask]
    assert len(rows) == 1, f"{minor!r}: {len(rows)} rows"
    return rows.iloc[0]


# ------------------------------------------------------------------------------------------ category map


def test_category_map_is_well_formed() -> None:
    subgroups = {r["prc_subgroup"] for r in _packaged_rows("harm_cost_reference.csv")}
    vehicle = {r["offence"] for r in _packaged_rows("vehicle_cost_detail.csv")}
    rows = _packaged_rows("category_map.csv")
    assert list(rows[0]) == ["scheme", "major", "minor", "prc_subgroup", "cost_offence", "note"]
    keys = [(r["scheme"], r["major"], r["minor"]) for r in rows]
    assert len(keys) == len(set(keys))
    for r in rows:
        assert r["scheme"] in {"met-old", "met-new", "met-pre2019"}
        assert r["prc_subgroup"] in subgroups or r["prc_subgroup"] == "", r
        assert r["cost_offence"] in vehicle or r["cost_offence"] == "", r
        if not r["prc_subgroup"]:
            assert r["note"], f"unmapped category without a reason: {r}"
    # every subgroup is reachable from some Met category
    assert {r["prc_subgroup"] for r in rows} - {""} == subgroups


def _mps_categories() -> set[tuple[str, str, str]]:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder not present: {SHARED_DATA}")
    files = sorted(SHARED_DATA.glob("mps_*.csv"))
    if not files:
        pytest.skip(f"no mps_*.csv files in {SHARED_DATA}")
    found: set[tuple[str, str, str]] = set()
    for path in files:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            if header[:3] == ["Borough", "Major Category", "Minor Category"]:
                scheme, i, j = "met-pre2019", 1, 2
            elif header[:3] == ["Group", "SubGroup", "BOCU"]:
                scheme, i, j = "met-new", 0, 1
            else:
                assert header[:2] == ["MajorText", "MinorText"], path.name
                scheme, i, j = "", 0, 1
            for row in reader:
                row_scheme = scheme or ("met-new" if row[i].isupper() else "met-old")
                found.add((row_scheme, row[i], row[j]))
    return found


def test_every_mps_category_maps_to_a_row() -> None:
    found = _mps_categories()
    assert len(found) == 126  # 125 distinct (major, minor) pairs; Sexual Offences/Rape is in two schemes
    for scheme in ("met-old", "met-new", "met-pre2019"):
        table = weight_table(scheme)
        known = set(zip(table["major"], table["minor"], strict=True))
        wanted = {(major, minor) for s, major, minor in found if s == scheme}
        assert wanted, scheme
        assert wanted - known == set(), scheme
        # and through weights_for: nothing falls through to "not in the category map"
        frame = pd.DataFrame(sorted(wanted), columns=["major", "minor"])
        out = weights_for(frame, scheme)
        assert not (out["note"] == "not in the category map").any(), scheme


def test_unmapped_categories_are_only_fraud() -> None:
    unmapped = {
        (r["scheme"], r["minor"]) for r in _packaged_rows("category_map.csv") if not r["prc_subgroup"]
    }
    assert unmapped == {
        ("met-old", "Historical Fraud and Forgery"),
        ("met-new", "FRAUD AND FORGERY"),
        ("met-new", "NFIB"),
        ("met-pre2019", "Counted per Victim"),
        ("met-pre2019", "Other Fraud & Forgery"),
    }
    row = _row(weight_table("met-new"), "NFIB")
    assert math.isnan(row["harm_weight"]) and math.isnan(row["unit_cost_gbp"])
    assert row["harm_status"] == "unknown" and row["cost_status"] == "unknown"
    assert "Action Fraud" in row["note"]


@pytest.mark.parametrize(
    ("scheme", "major", "minor", "subgroup"),
    [
        ("met-old", "Violence Against the Person", "Violence with Injury", "Violence with injury"),
        (
            "met-old",
            "Possession of Weapons",
            "Possession of Article with Blade or Point",
            "Possession of weapons offences",
        ),
        (
            "met-old",
            "Public Order Offences",
            "Racially or Religiously Aggravated Public Fear, Al",
            "Public order offences",
        ),
        ("met-old", "Vehicle Offences", "Theft from a Motor Vehicle", "Vehicle offences"),
        ("met-old", "Violence Against the Person", "Homicide", "Homicide"),
        ("met-old", "Sexual Offences", "Rape", "Rape offences"),
        ("met-old", "Burglary", "Domestic Burglary", "Residential burglary"),
        ("met-old", "Burglary", "Burglary Business and Community", "Non-residential burglary"),
        ("met-old", "Theft", "Bicycle Theft", "Bicycle theft"),
        (
            "met-old",
            "Miscellaneous Crimes Against Society",
            "Handling Stolen Goods",
            "Miscellaneous crimes against society",
        ),
        ("met-new", "BURGLARY", "RES BURGLARY OF UNCONNECTED BUILDING", "Residential burglary"),
        ("met-new", "BURGLARY", "BURGLARY NON-DWELLING", "Non-residential burglary"),
        ("met-new", "VIOLENCE AGAINST THE PERSON", "VIOLENCE WITHOUT INJURY", "Violence without injury"),
        ("met-new", "VIOLENCE AGAINST THE PERSON", "STALKING AND HARASSMENT", "Stalking and harassment"),
        (
            "met-new",
            "VIOLENCE AGAINST THE PERSON",
            "DEATH SERIOUS INJURY ILLEGAL DRIVING",
            "Death or serious injury - unlawful driving",
        ),
        ("met-new", "PUBLIC ORDER OFFENCES", "PUBLIC FEAR, ALARM OR DISTRESS", "Public order offences"),
        ("met-pre2019", "Violence Against the Person", "Murder", "Homicide"),
        ("met-pre2019", "Violence Against the Person", "Harassment", "Stalking and harassment"),
        ("met-pre2019", "Violence Against the Person", "Offensive Weapon", "Possession of weapons offences"),
        ("met-pre2019", "Theft and Handling", "Theft From Shops", "Shoplifting"),
        ("met-pre2019", "Theft and Handling", "Theft/Taking of Pedal Cycle", "Bicycle theft"),
        ("met-pre2019", "Sexual Offences", "Other Sexual", "Other sexual offences"),
    ],
)
def test_domain_mappings(scheme: str, major: str, minor: str, subgroup: str) -> None:
    assert _row(weight_table(scheme), minor, major)["prc_subgroup"] == subgroup


def test_vwoi_note_explains_stalking_and_harassment() -> None:
    note = _row(weight_table("met-new"), "VIOLENCE WITHOUT INJURY")["note"]
    assert "dominant" in note and "stalking and harassment" in note


# ------------------------------------------------------------------------------------------ weight values


def test_cchi_weights_and_costs_for_met_categories() -> None:
    t = weight_table("met-old", "cchi")
    assert list(t.columns) == WEIGHT_COLUMNS
    vwi = _row(t, "Violence with Injury")
    assert vwi["harm_weight"] == 365.0
    assert vwi["harm_status"] == "transcribed"
    assert "Cambridge" in vwi["harm_source"] and "2026" in vwi["harm_source"]
    assert vwi["unit_cost_gbp"] == 14050.0 and vwi["cost_status"] == "confirmed"
    assert "2015/16 prices" in vwi["cost_source"]

    knife = _row(t, "Possession of Article with Blade or Point")
    assert knife["harm_weight"] == 273.75
    assert math.isnan(knife["unit_cost_gbp"]) and knife["cost_status"] == "not costed"

    assert _row(t, "Racially or Religiously Aggravated Public Fear, Al")["harm_weight"] == 7.5
    assert _row(t, "Other Sexual Offences")["harm_weight"] == 182.25
    assert _row(t, "Shoplifting")["harm_weight"] == 1.0

    homicide = _row(t, "Homicide")
    assert homicide["harm_weight"] == 5475.0
    assert homicide["unit_cost_gbp"] == 3217740.0 and homicide["cost_status"] == "approx-confirmed"

    shop = _row(t, "Shoplifting")
    assert math.isnan(shop["unit_cost_gbp"]) and shop["cost_status"] == "unknown"
    sh = _row(weight_table("met-new"), "STALKING AND HARASSMENT")
    assert math.isnan(sh["unit_cost_gbp"]) and sh["cost_status"] == "none-published"


def test_vehicle_minors_use_vehicle_cost_detail() -> None:
    old = weight_table("met-old")
    tfv = _row(old, "Theft from a Motor Vehicle")
    assert tfv["unit_cost_gbp"] == 870.0 and tfv["cost_status"] == "confirmed"
    assert "theft from vehicle" in tfv["cost_source"] and "2015/16" in tfv["cost_source"]
    assert _row(old, "Theft or Taking of a Motor Vehicle")["unit_cost_gbp"] == 10290.0
    interfering = _row(old, "Interfering with a Motor Vehicle")
    assert math.isnan(interfering["unit_cost_gbp"]) and interfering["cost_status"] == "unknown"
    new = weight_table("met-new")
    assert _row(new, "THEFT FROM A VEHICLE")["unit_cost_gbp"] == 870.0
    assert _row(new, "THEFT OR UNAUTH TAKING OF A MOTOR VEH")["unit_cost_gbp"] == 10290.0
    pre = weight_table("met-pre2019")
    assert _row(pre, "Theft From Motor Vehicle")["unit_cost_gbp"] == 870.0
    assert _row(pre, "Theft/Taking Of Motor Vehicle")["unit_cost_gbp"] == 10290.0
    # the harm weight stays the vehicle offences subgroup's
    assert tfv["harm_weight"] == 5.0


def test_css_weights_keep_their_status_and_never_invent() -> None:
    t = weight_table("met-new", "css")
    homicide = _row(t, "HOMICIDE")
    assert homicide["harm_weight"] == 7979.0 and homicide["harm_status"] == "confirmed"
    rape = _row(t, "RAPE")
    assert rape["harm_weight"] == 1965.0 and rape["harm_status"] == "inferred"
    shop = _row(t, "SHOPLIFTING")
    assert shop["harm_weight"] == 13.0 and shop["harm_status"] == "transcribed"
    vwi = _row(t, "VIOLENCE WITH INJURY")
    assert math.isnan(vwi["harm_weight"]) and vwi["harm_status"] == "unknown"
    drugs = _row(t, "POSSESSION OF DRUGS")
    assert drugs["harm_weight"] == 3.0 and drugs["harm_status"] == "confirmed-cannabis"
    assert "Crime Severity Score" in vwi["harm_source"]


def test_cost_and_none_harm_indexes() -> None:
    cost = weight_table("met-new", "cost")
    vwi = _row(cost, "VIOLENCE WITH INJURY")
    assert vwi["harm_weight"] == 14050.0 and vwi["harm_status"] == "confirmed"
    assert _row(cost, "THEFT FROM A VEHICLE")["harm_weight"] == 870.0
    weapons = _row(cost, "POSSESSION OF WEAPONS")
    assert math.isnan(weapons["harm_weight"]) and weapons["harm_status"] == "not costed"

    none = weight_table("met-new", "none")
    assert none["harm_weight"].isna().all()
    assert set(none["harm_status"]) == {"not used"}
    assert _row(none, "VIOLENCE WITH INJURY")["unit_cost_gbp"] == 14050.0


def test_police_uk_burglary_blend() -> None:
    t = weight_table("police-uk", "cchi")
    burglary = _row(t, "Burglary")
    assert burglary["major"] == "Burglary"
    expected = (273.5 * 166316 + 183.5 * 78332) / (166316 + 78332)
    assert burglary["harm_weight"] == pytest.approx(expected)
    assert burglary["harm_status"] == "blended"
    assert "Residential burglary" in burglary["note"] and "Non-residential burglary" in burglary["note"]
    # cost: only residential burglary has a figure
    assert burglary["unit_cost_gbp"] == pytest.approx(5930.0)
    assert "unit cost missing for: Non-residential burglary" in burglary["note"]

    css = _row(weight_table("police-uk", "css"), "Burglary")
    assert css["harm_weight"] == pytest.approx((438 * 166316 + 117 * 78332) / (166316 + 78332))


def test_police_uk_violence_blend_uses_only_subgroups_with_values() -> None:
    t = weight_table("police-uk", "cchi")
    vso = _row(t, "Violence and sexual offences")
    counts = [524, 516757, 804983, 598830, 2244, 71509, 135333]
    days = [5475, 365, 10, 10, 365, 2555, 182.25]
    assert vso["harm_weight"] == pytest.approx(
        sum(d * n for d, n in zip(days, counts, strict=True)) / sum(counts)
    )
    assert "harm weight missing for: none" in vso["note"]
    # stalking and harassment and unlawful driving have no published cost: left out of the cost blend
    costed = [(3217740, 524), (14050, 516757), (5930, 804983), (39360, 71509), (6520, 135333)]
    assert vso["unit_cost_gbp"] == pytest.approx(sum(c * n for c, n in costed) / sum(n for _, n in costed))
    assert "Stalking and harassment (none-published)" in vso["note"]

    css = _row(weight_table("police-uk", "css"), "Violence and sexual offences")
    assert css["harm_weight"] == pytest.approx((7979 * 524 + 1965 * 71509) / (524 + 71509))
    assert "Violence with injury (unknown)" in css["note"]


def test_police_uk_other_rows() -> None:
    t = weight_table("police-uk", "cchi")
    assert len(t) == 14
    assert (t["major"] == t["minor"]).all()
    asb = _row(t, "Anti-social behaviour")
    assert math.isnan(asb["harm_weight"]) and math.isnan(asb["unit_cost_gbp"])
    assert asb["harm_status"] == "unknown" and "incidents" in asb["note"]
    drugs = _row(t, "Drugs")
    assert drugs["harm_weight"] == pytest.approx((3 * 135651 + 5 * 66504) / (135651 + 66504))
    assert math.isnan(drugs["unit_cost_gbp"]) and drugs["cost_status"] == "not costed"
    cd = _row(t, "Criminal damage and arson")
    assert cd["unit_cost_gbp"] == pytest.approx((1350 * 432167 + 8420 * 22837) / (432167 + 22837))
    vehicle = _row(weight_table("police-uk", "css"), "Vehicle crime")
    assert math.isnan(vehicle["harm_weight"]) and vehicle["harm_status"] == "unknown"


def test_custom_scheme_is_empty_and_bad_arguments_raise() -> None:
    custom = weight_table("custom")
    assert custom.empty and list(custom.columns) == WEIGHT_COLUMNS
    with pytest.raises(ConfigError, match="scheme"):
        weight_table("met-newest")
    with pytest.raises(ConfigError, match="harm index"):
        weight_table("met-new", "severity")
    assert HARM_INDEXES == ("cchi", "css", "cost", "none")


def test_weight_table_returns_a_copy() -> None:
    t = weight_table("met-new")
    t.loc[:, "harm_weight"] = -1.0
    assert _row(weight_table("met-new"), "HOMICIDE")["harm_weight"] == 5475.0


# ------------------------------------------------------------------------------------------ weights_for


def test_weights_for_matches_exactly_then_loosely() -> None:
    cats = pd.DataFrame(
        {
            "major": ["Violence Against the Person", "violence  against the person ", "Theft", "Made Up"],
            "minor": ["Violence with Injury", "VIOLENCE   WITHOUT injury", "Bicycle Theft", "Nothing"],
            "count": [10, 20, 30, 40],
        },
        index=[5, 6, 7, 8],
    )
    out = weights_for(cats, "met-old")
    assert list(out.index) == [5, 6, 7, 8]
    assert list(out["count"]) == [10, 20, 30, 40]
    assert list(out["prc_subgroup"].iloc[:3]) == [
        "Violence with injury",
        "Violence without injury",
        "Bicycle theft",
    ]
    assert list(out["harm_weight"].iloc[:3]) == [365.0, 10.0, 2.0]
    unknown = out.loc[8]
    assert bool(out.loc[[8], ["harm_weight", "unit_cost_gbp"]].isna().all(axis=None))
    assert unknown["harm_status"] == "unknown" and unknown["cost_status"] == "unknown"
    assert unknown["note"] == "not in the category map"


def test_weights_for_custom_and_police_uk() -> None:
    cats = pd.DataFrame({"major": ["Shoplifting"], "minor": ["Shoplifting"]})
    out = weights_for(cats, "custom")  # matched by name (tests/test_weights_custom.py has the rules)
    assert (out.loc[0, "harm_weight"], out.loc[0, "prc_subgroup"]) == (1.0, "Shoplifting")
    nothing = weights_for(pd.DataFrame({"major": ["Bins"], "minor": ["Bins"]}), "custom")
    assert nothing.loc[0, "note"] == "not in the category map"
    out = weights_for(cats, "police-uk", "css")
    assert out.loc[0, "harm_weight"] == 13.0 and out.loc[0, "harm_status"] == "transcribed"


# ------------------------------------------------------------------------------------------ overrides


def _write(tmp_path: Path, text: str, name: str = "my_weights.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_overrides_by_minor_and_subgroup(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "minor,prc_subgroup,harm_weight,unit_cost_gbp,source\n"
        "VIOLENCE WITH INJURY,,400,,local panel 2025\n"
        ',Shoplifting,,"1,250",\n'
        "NOT A CATEGORY,,5,,\n",
    )
    overrides, load_warnings = load_weight_overrides(path)
    assert load_warnings == []
    assert list(overrides["line"]) == [2, 3, 4]
    table, warnings = apply_overrides(weight_table("met-new"), overrides)
    vwi = _row(table, "VIOLENCE WITH INJURY")
    assert vwi["harm_weight"] == 400.0 and vwi["harm_status"] == "user"
    assert vwi["harm_source"] == "local panel 2025"
    assert vwi["unit_cost_gbp"] == 14050.0 and vwi["cost_status"] == "confirmed"  # untouched
    shop = _row(table, "SHOPLIFTING")
    assert shop["unit_cost_gbp"] == 1250.0 and shop["cost_status"] == "user"
    assert shop["cost_source"] == "my_weights.csv"
    assert shop["harm_weight"] == 1.0 and shop["harm_status"] == "transcribed"
    assert "my_weights.csv line 3" in shop["note"]
    assert len(warnings) == 1
    assert "line 4" in warnings[0] and "NOT A CATEGORY" in warnings[0]
    # the packaged table itself is untouched
    assert _row(weight_table("met-new"), "VIOLENCE WITH INJURY")["harm_weight"] == 365.0


def test_overrides_match_loosely_and_narrow_by_major(tmp_path: Path) -> None:
    path = _write(tmp_path, "major,minor,harm_weight\nTheft and Handling,other  theft,9\n")
    overrides, _ = load_weight_overrides(path)
    table, warnings = apply_overrides(weight_table("met-pre2019"), overrides)
    assert warnings == []
    assert _row(table, "Other Theft")["harm_weight"] == 9.0
    assert _row(table, "Other Theft Person")["harm_weight"] == 2.0


def test_overrides_apply_to_weights_for_output(tmp_path: Path) -> None:
    path = _write(tmp_path, "minor,harm_weight\nNothing,3\n")
    cats = pd.DataFrame({"major": ["Made Up"], "minor": ["Nothing"]})
    table, warnings = apply_overrides(weights_for(cats, "custom"), load_weight_overrides(path)[0])
    assert warnings == []
    assert table.loc[0, "harm_weight"] == 3.0 and table.loc[0, "harm_status"] == "user"


def test_overrides_cp1252_bom_and_blank_rows(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "Minor,Unit_Cost_GBP,Colour\r\nRAPE,£40000,red\r\n\r\nHOMICIDE,,\r\n", encoding="cp1252"
    )
    overrides, warnings = load_weight_overrides(path)
    assert list(overrides["unit_cost_gbp"]) == [40000.0]
    assert any("Colour" in w for w in warnings)
    assert any("line 4" in w for w in warnings)
    bom = _write(tmp_path, "\ufeffminor,harm_weight\nRAPE,1\n", name="bom.csv")
    assert list(load_weight_overrides(bom)[0]["minor"]) == ["RAPE"]


def test_overrides_on_empty_table_warn(tmp_path: Path) -> None:
    path = _write(tmp_path, "minor,harm_weight\nRAPE,1\n")
    _, warnings = apply_overrides(weight_table("custom"), load_weight_overrides(path)[0])
    assert warnings and "line 2" in warnings[0]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("category,harm_weight\nRAPE,1\n", 1, "'minor' or 'prc_subgroup'"),
        ("minor,colour\nRAPE,red\n", 1, "'harm_weight' or 'unit_cost_gbp'"),
        ("minor,harm_weight\nRAPE,1\nHOMICIDE,lots\n", 3, "harm_weight 'lots' is not a number"),
        ("minor,unit_cost_gbp\nRAPE,nan\n", 2, "not a number"),
        ("minor,harm_weight\nRAPE,-3\n", 2, "negative"),
        ("minor,harm_weight\nRAPE,1,2\n", 2, "3 fields"),
        ("minor,harm_weight\n,4\n", 2, "no minor or prc_subgroup"),
    ],
)
def test_malformed_override_files(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_weight_overrides(path)
    message = str(info.value)
    assert "\n" not in message
    assert fragment in message
    assert message.endswith(f"({path}:{line})")
    assert info.value.line == line and info.value.file == str(path)


def test_unreadable_and_empty_override_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(ConfigError, match="^weights file not found") as info:
        load_weight_overrides(missing)
    assert info.value.file == str(missing)
    with pytest.raises(ConfigError, match="^the weights file named is a folder: name the file itself"):
        load_weight_overrides(tmp_path)
    with pytest.raises(ConfigError, match="empty"):
        load_weight_overrides(_write(tmp_path, "", name="empty.csv"))

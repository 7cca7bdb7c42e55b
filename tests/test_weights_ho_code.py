"""Weights by Home Office offence code (#17): a record extract's rows carry a code (``--map ho_code=...``);
a category no name matches takes its codes' PRC subgroup weights, blended by its own offences when they
fall in several subgroups; unknown codes stay unknown and are named in a warning.

Expected figures are looked up by hand in the packaged CSVs (read here with the ``csv`` module, not the
code under test) and written out: 8N and 105A are Violence with injury (CCHI 365 days, £14,050) and
Violence without injury (10 days, £5,930); 28E is Residential burglary (273.5 days, £5,930)."""

from __future__ import annotations

import csv
import json
import math
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from tests.clirun import run

from csp_assess import api
from csp_assess.reference.ho_codes import canonical_code, code_mix, lookup, normalise_code
from csp_assess.reference.weights import HO_CODE_ROUTE, NO_ROUTE, weights_for

MAPPING = {"month": "Date", "area": "Borough", "minor": "Offence", "ho_code": "HO Code"}
ROWS = [
    "Date,Borough,Offence,HO Code",
    # one category, one code written three ways: Violence with injury
    "03/04/2024,Camden,Assault ABH,8N",
    "05/04/2024,Camden,Assault ABH,008N",
    "05/05/2024,Camden,Assault ABH, 8n",
    # a mixed category: 3 x 105A (Violence without injury) + 1 x 8N (Violence with injury)
    "06/05/2024,Camden,Fights,8N",
    "07/05/2024,Camden,Fights,105A",
    "08/05/2024,Camden,Fights,105A",
    "09/05/2024,Camden,Fights,105a",
    # codes the lookup does not know: a sub-code and a made-up one
    "01/06/2024,Camden,Odd things,008/01",
    "02/06/2024,Camden,Odd things,ZZ9",
    "02/06/2024,Camden,Odd things,ZZ9",
    # a known code and a blank one
    "03/06/2024,Camden,Shed break-ins,28E",
    "04/06/2024,Camden,Shed break-ins,",
    # a name match wins over the code
    "05/06/2024,Camden,Shoplifting,8N",
    # rejected: unreadable date
    "not a date,Camden,Shoplifting,46",
]


def _codes_csv() -> dict[str, dict[str, str]]:
    text = resources.files("csp_assess.reference").joinpath("ho_offence_codes.csv").read_text("utf-8")
    return {row["code"]: row for row in csv.DictReader(text.splitlines())}


def _reference() -> dict[str, dict[str, str]]:
    text = resources.files("csp_assess.reference").joinpath("harm_cost_reference.csv").read_text("utf-8")
    return {row["prc_subgroup"]: row for row in csv.DictReader(text.splitlines())}


@pytest.fixture
def records(tmp_path: Path) -> Path:
    path = tmp_path / "records.csv"
    path.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def test_the_packaged_lookup_is_sourced_and_names_known_subgroups() -> None:
    codes, ref = _codes_csv(), _reference()
    assert len(codes) == 131
    assert {r["prc_subgroup"] for r in codes.values()} <= set(ref)
    assert all("ONSdigital/dp-hierarchy-builder@c37ff5a" in r["source"] for r in codes.values())
    # the hand lookups this file's figures rest on
    assert codes["8N"]["prc_subgroup"] == "Violence with injury"
    assert codes["105A"]["prc_subgroup"] == "Violence without injury"
    assert codes["28E"]["prc_subgroup"] == "Residential burglary"
    assert ref["Violence with injury"]["cchi_days"] == "365"
    assert ref["Violence with injury"]["ho_unit_cost_gbp_2015_16"] == "14050"
    assert ref["Violence without injury"]["cchi_days"] == "10"
    assert ref["Violence without injury"]["ho_unit_cost_gbp_2015_16"] == "5930"
    assert ref["Residential burglary"]["cchi_days"] == "273.5"
    # the source's combined Homicide node is split into its four codes
    assert {c for c, r in codes.items() if r["prc_subgroup"] == "Homicide"} == {"1", "4.1", "4.10", "4.2"}


@pytest.mark.parametrize(
    "raw, code",
    [("8N", "8N"), ("008N", "8N"), (" 8n ", "8N"), ("028a", "28A"), ("04.10", "4.10"), ("105 A", "105A")],
)
def test_codes_are_normalised_without_changing_their_meaning(raw: str, code: str) -> None:
    assert normalise_code(raw) == code
    found = lookup(raw)
    assert found is not None and found.code == code


@pytest.mark.parametrize("raw", ["008/01", "8/1", "ZZ9", "", "4.01"])
def test_sub_codes_and_made_up_codes_are_never_guessed(raw: str) -> None:
    assert lookup(raw) is None
    assert canonical_code(f" {raw} ") == raw  # kept as read (trimmed), so warnings quote the file


def test_codes_are_carried_through_aggregation_and_rows_reconcile(records: Path) -> None:
    extract = api.load(records, mapping=MAPPING)
    assert (extract.rows_read, extract.rows_counted, extract.rows_rejected) == (14, 13, 1)
    assert extract.counts["count"].sum() == 13
    mix = code_mix(extract.counts)
    assert mix is not None
    got = {(m, c): n for m, c, n in zip(mix["minor"], mix["ho_code"], mix["count"], strict=True)}
    assert got == {
        ("Assault ABH", "8N"): 3,  # three spellings of one code
        ("Fights", "105A"): 3,
        ("Fights", "8N"): 1,
        ("Odd things", "008/01"): 1,
        ("Odd things", "ZZ9"): 2,
        ("Shed break-ins", ""): 1,
        ("Shed break-ins", "28E"): 1,
        ("Shoplifting", "8N"): 1,
    }
    # the same file without the code column counts the same offences per category
    plain = api.load(records, mapping={k: v for k, v in MAPPING.items() if k != "ho_code"})
    assert plain.rows_rejected == 1 and "ho_code" not in plain.counts.columns
    per_cat = extract.counts.groupby("minor")["count"].sum()
    assert per_cat.to_dict() == plain.counts.groupby("minor")["count"].sum().to_dict()


def test_unknown_codes_are_named_in_one_warning(records: Path) -> None:
    extract = api.load(records, mapping=MAPPING)
    (note,) = [w for w in extract.warnings if "Home Office offence code" in w]
    assert "3 offence(s) carry 2 Home Office offence code(s) not in the packaged lookup" in note
    assert "'ZZ9' (2), '008/01' (1)" in note
    assert "1 offence(s) have a blank Home Office offence code" in note


def _weights(records: Path, harm: str = "cchi") -> dict[str, pd.Series]:
    extract = api.load(records, mapping=MAPPING)
    cats = extract.counts[["major", "minor"]].drop_duplicates()
    table = weights_for(cats, "custom", harm, code_mix(extract.counts))
    return {row["minor"]: row for _, row in table.iterrows()}


def test_a_category_with_one_subgroup_takes_its_weights(records: Path) -> None:
    row = _weights(records)["Assault ABH"]
    assert row["prc_subgroup"] == "Violence with injury"
    assert (row["harm_weight"], row["unit_cost_gbp"]) == (365.0, 14050.0)
    assert (row["harm_status"], row["cost_status"]) == ("transcribed", "confirmed")
    assert row["weight_route"] == HO_CODE_ROUTE == "Home Office offence code"
    assert row["note"].startswith("weights by Home Office offence code")


def test_a_mixed_category_is_blended_by_its_own_offences(records: Path) -> None:
    row = _weights(records)["Fights"]
    assert row["prc_subgroup"] == "Violence without injury; Violence with injury"
    assert row["harm_weight"] == pytest.approx((3 * 10 + 1 * 365) / 4)  # 98.75 days
    assert row["unit_cost_gbp"] == pytest.approx((3 * 5930 + 1 * 14050) / 4)  # £7,960
    assert (row["harm_status"], row["cost_status"]) == ("blended", "blended")
    assert "own offences per Home Office offence code" in row["harm_source"]
    assert row["weight_route"] == HO_CODE_ROUTE


def test_blank_codes_take_the_mix_of_the_known_ones_and_say_so(records: Path) -> None:
    row = _weights(records)["Shed break-ins"]
    assert (row["prc_subgroup"], row["harm_weight"]) == ("Residential burglary", 273.5)
    assert "1 offence(s) with no known code take the mix of the rest: blank (1)" in row["note"]


def test_unknown_codes_leave_the_category_unknown(records: Path) -> None:
    row = _weights(records)["Odd things"]
    assert math.isnan(row["harm_weight"]) and math.isnan(row["unit_cost_gbp"])
    assert (row["harm_status"], row["cost_status"]) == ("unknown", "unknown")
    assert row["weight_route"] == NO_ROUTE


def test_a_name_match_comes_before_the_code(records: Path) -> None:
    row = _weights(records)["Shoplifting"]
    assert row["prc_subgroup"] == "Shoplifting"
    assert row["weight_route"] == "by major and minor name: Home Office PRC subgroup"


def test_cost_as_harm_and_no_harm(records: Path) -> None:
    cost = _weights(records, "cost")["Fights"]
    assert cost["harm_weight"] == pytest.approx(7960.0)
    none = _weights(records, "none")["Fights"]
    assert math.isnan(none["harm_weight"]) and none["harm_status"] == "not used"
    assert none["unit_cost_gbp"] == pytest.approx(7960.0)


def test_parquet_extracts_carry_codes_too(records: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(records, dtype=str, keep_default_na=False)
    path = tmp_path / "records.parquet"
    frame.to_parquet(path, index=False)
    extract = api.load(path, mapping=MAPPING)
    assert extract.rows_counted == 13 and extract.rows_rejected == 1
    mix = code_mix(extract.counts)
    assert mix is not None and int(mix.loc[mix["minor"] == "Fights", "count"].sum()) == 4


def _cli_args(records: Path) -> list[str]:
    args = [str(records)]
    for key, col in MAPPING.items():
        args += ["--map", f"{key}={col}"]
    return args


def test_rank_shows_the_route_and_scores_by_the_code_weights(
    records: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "rank", *_cli_args(records), "--year", "2024/25", "-f", "json")
    assert code == 0, err
    by = {r["category"]: r for r in json.loads(out)["rows"]}
    assert by["Assault ABH"]["harm"] == 3 * 365.0
    assert by["Fights"]["harm"] == pytest.approx(3 * 10 + 365.0)
    assert by["Fights"]["cost_gbp"] == pytest.approx(3 * 5930 + 14050.0)
    assert by["Fights"]["weight_note"].startswith("weights by Home Office offence code")
    assert by["Odd things"]["harm"] is None and by["Odd things"]["harm_status"] == "unknown"


def test_weights_command_lists_the_route(records: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "weights", *_cli_args(records), "-f", "json")
    assert code == 0, err
    by = {r["minor"]: r for r in json.loads(out)["rows"]}
    assert by["Fights"]["weight_route"] == "Home Office offence code"
    assert by["Odd things"]["weight_route"] == NO_ROUTE


def test_user_weights_go_on_top_of_the_code_route(records: Path, tmp_path: Path) -> None:
    f = tmp_path / "w.csv"
    f.write_text("minor,harm_weight,source\nFights,50,local review\n", encoding="utf-8")
    result = api.weights(api.load(records, mapping=MAPPING), weights_file=f)
    row = result.table("rows").set_index("minor").loc["Fights"]
    assert (row["harm_weight"], row["harm_status"]) == (50.0, "user")
    assert row["unit_cost_gbp"] == pytest.approx(7960.0)  # the code blend's cost is kept
    assert row["weight_route"] == "Home Office offence code; user --weights (harm weight from w.csv line 2)"


def test_a_missing_code_column_is_a_one_line_error(records: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(records), "--map", "month=Date", "--map", "minor=Offence", "--map", "ho_code=HO Kode"]
    code, out, err = run(capsys, "rank", *args)
    assert code != 0
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert 'ho_code="HO Kode": no such column' in err and str(records) in err


def test_a_column_named_ho_code_is_found_without_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("month,area,minor,ho_code\n2024-04,Camden,Fights,8N\n2024-04,Camden,Fights,105A\n")
    extract = api.load(path)
    assert sorted(extract.counts["ho_code"]) == ["105A", "8N"]
    row = api.weights(extract).table("rows").iloc[0]
    assert row["weight_route"] == HO_CODE_ROUTE and row["harm_weight"] == pytest.approx((10 + 365) / 2)


def test_weights_screen_has_no_empty_score_clause(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The weights table has no score: its footer must not say 'Score = ... cost ()'."""
    path = tmp_path / "ho.csv"
    path.write_text("Date,Offence\n03/04/2024,Assault ABH\n", encoding="utf-8")
    code, out, _ = run(capsys, "weights", path, "--map", "month=Date", "--map", "minor=Offence")
    assert code == 0
    assert "Harm: " in out
    assert "()" not in out
    assert "Score =" not in out

"""The prioritisation matrix: computed scores, workshop scores, overrides and malformed files.

The fixture (tests/fixtures/matrix/three_categories.csv) is one borough, two financial years, three
categories, with counts chosen so every figure below can be worked out by hand:

    category                 2020/21  2021/22   CCHI weight  unit cost (2015/16)
    Violence with Injury         240      240          365        14,050
    Domestic Burglary            300      600          273.5       5,930
    Other Theft               10,800    9,000            2         none

2021/22 total 9,840 crimes. Shares: volume 2.44% / 6.10% / 91.46%; harm (87,600 / 164,100 / 18,000 of
269,700) 32.5% / 60.8% / 6.7%; cost (3,372,000 / 3,558,000 of 6,930,000) 48.7% / 51.3% / none.
Scale (1-5): under 1%, 1-2.5%, 2.5-5%, 5-10%, 10%+. Trend: the calibrated test, each category against its
year-level variance; the fixture has no earlier years, so the packaged values alone (sd 4.8% for VWI, 10.7%
for domestic burglary, 5.1% for other theft, read from the CSV in the test): 240 -> 240 no change (3); 300
-> 600 (z about 4.2) and 10,800 -> 9,000 (z about -2.5) beyond it after Holm over the three (5 and 1).
The priority set names one local priority, "Burglary at home" = Domestic Burglary, so that category is
the priority's issue, and the two others are listed as top-ranked categories.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from tests.conftest import FIXTURES

import csp_assess as ca
from csp_assess import api
from csp_assess.errors import ConfigError
from yearvar_ref import packaged_sigma2, z_and_p

DATA = FIXTURES / "matrix" / "three_categories.csv"
PSET = FIXTURES / "matrix" / "burglary_priority.toml"

# Worked by hand from the table above.
COMPUTED = {
    "Burglary at home": {"volume": 4, "harm": 5, "cost": 5, "trend": 5, "rate": None},
    "Violence with Injury": {"volume": 2, "harm": 5, "cost": 5, "trend": 3, "rate": None},
    "Other Theft": {"volume": 5, "harm": 4, "cost": None, "trend": 1, "rate": None},
}
COMPUTED_TOTALS = {"Burglary at home": 19 / 4, "Violence with Injury": 15 / 4, "Other Theft": 10 / 3}


def _write(tmp_path: Path, name: str = "scoring.toml", **kw: object) -> Path:
    path = tmp_path / name
    api.write_scoring(DATA, path, priorities=PSET, **kw)
    return path


def _fill(text: str, issue: str, **scores: object) -> str:
    """Set keys inside one [[issue]] block of the written file, as a workshop would by hand."""
    blocks = text.split("[[issue]]")
    for i, block in enumerate(blocks):
        if f'name = "{issue}"' in block:
            for key, value in scores.items():
                block, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", block)
                assert n == 1, key
            blocks[i] = block
    return "[[issue]]".join(blocks)


def test_written_file_has_the_hand_computed_scores_and_empty_workshop_columns(tmp_path: Path) -> None:
    path = _write(tmp_path)
    import tomllib

    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    # The priorities first, then the categories by composite score: Other Theft (91.5% + 6.7%) / 2 = 49.1
    # before Violence with Injury (2.4% + 32.5% + 48.7%) / 3 = 27.9.
    assert [i["name"] for i in doc["issue"]] == ["Burglary at home", "Other Theft", "Violence with Injury"]
    for issue in doc["issue"]:
        want = COMPUTED[issue["name"]]
        got = {k: (None if issue[k] == "" else issue[k]) for k in want}
        assert got == want, issue["name"]
        for key in ("public_concern", "vulnerability", "capacity", "reputational_risk", "horizon"):
            assert issue[key] == ""
    assert doc["weights"]["public_concern"] == 1
    text = path.read_text(encoding="utf-8")
    assert "1 under 1%, 2 1 to under 2.5%, 3 2.5 to under 5%, 4 5 to under 10%, 5 10% or more" in text
    assert "volume = 2   # 2.4% of the year's crimes" in text


def test_empty_workshop_columns_leave_the_computed_order(tmp_path: Path) -> None:
    path = _write(tmp_path)
    m = ca.rank(DATA, priorities=PSET, scoring=path).rows
    assert list(m["issue"]) == ["Burglary at home", "Violence with Injury", "Other Theft"]
    for issue, total in COMPUTED_TOTALS.items():
        row = m[m["issue"] == issue].iloc[0]
        assert row["total"] == pytest.approx(round(total, 2))
        assert row["computed_total"] == row["total"]
        assert row["order"] == row["computed_order"]
    assert (m["overrides"] == "").all()


def workshop_file(folder: Path) -> Path:
    """The scoring file with a workshop's scores entered: public concern weighted 2, vulnerability 3, and
    three issues scored (the hand calculation is in the test below)."""
    path = _write(folder)
    text = path.read_text(encoding="utf-8")
    text = text.replace("public_concern = 1\n", "public_concern = 2\n", 1)  # [weights]
    text = text.replace("vulnerability = 1\n", "vulnerability = 3\n", 1)
    text = _fill(text, "Burglary at home", public_concern=1, vulnerability=2)
    text = _fill(text, "Violence with Injury", public_concern=5, vulnerability=5)
    text = _fill(text, "Other Theft", public_concern=5, vulnerability=1)
    path.write_text(text, encoding="utf-8")
    return path


def test_workshop_scores_change_the_order_as_hand_calculated(tmp_path: Path) -> None:
    path = workshop_file(tmp_path)
    # sum(weight x score) / sum(weights scored); public concern weight 2, vulnerability 3, others 1:
    #   Burglary at home      (4+5+5+5 + 2x1 + 3x2) / (4+2+3) = 27/9 = 3.00
    #   Violence with Injury  (2+5+5+3 + 2x5 + 3x5) / 9       = 40/9 = 4.44
    #   Other Theft           (5+4+1   + 2x5 + 3x1) / (3+2+3) = 23/8 = 2.875
    m = ca.rank(DATA, priorities=PSET, scoring=path).rows
    assert list(m["issue"]) == ["Violence with Injury", "Burglary at home", "Other Theft"]
    totals = dict(zip(m["issue"], m["total"], strict=True))
    assert totals == pytest.approx(
        {"Burglary at home": 3.0, "Violence with Injury": 4.44, "Other Theft": 2.88}
    )
    assert list(m["computed_order"]) == [2, 1, 3]  # the computed order is still shown beside it


def test_a_changed_computed_score_is_used_and_shown_as_an_override(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path)
    path.write_text(_fill(path.read_text(encoding="utf-8"), "Other Theft", trend=3), encoding="utf-8")
    r = ca.rank(DATA, priorities=PSET, scoring=path)
    row = r.rows.set_index("issue").loc["Other Theft"]
    assert row["trend"] == 3
    assert row["overrides"] == "trend 3 (computed 1)"
    assert row["total"] == pytest.approx(round(12 / 3, 2))  # (5+4+3)/3
    assert row["computed_total"] == pytest.approx(round(10 / 3, 2))
    assert any("Other Theft: computed score overridden" in w for w in r.warnings)
    run = cli("rank", DATA, "--priorities", PSET, "--scoring", path, "--matrix-chart", tmp_path / "m.svg")
    assert run.code == 0, run.err
    assert "trend 3 (computed 1)" in run.out
    svg = (tmp_path / "m.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "Other Theft" in svg


def _error_line(text: str, issue: str, key: str) -> int:
    """The line of ``key`` inside ``issue``'s block, found by reading the file as a person would."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln == f'name = "{issue}"')
    return next(i for i in range(start, len(lines)) if lines[i].startswith(f"{key} =")) + 1


@pytest.mark.parametrize(
    ("value", "says"),
    [("7", "must be a whole number from 1 to 5"), ('"high"', "must be a whole number from 1 to 5")],
)
def test_a_malformed_score_is_one_line_naming_file_line_and_key(
    tmp_path: Path,
    cli,  # type: ignore[no-untyped-def]
    value: str,
    says: str,
) -> None:
    path = _write(tmp_path)
    text = _fill(path.read_text(encoding="utf-8"), "Violence with Injury", public_concern=value)
    path.write_text(text, encoding="utf-8")
    line = _error_line(text, "Violence with Injury", "public_concern")
    run = cli("rank", DATA, "--priorities", PSET, "--scoring", path)
    assert run.code == 1
    assert run.err.count("\n") == 1
    assert run.err.startswith("Error: issue 'Violence with Injury': key 'public_concern' " + says)
    assert run.err.rstrip().endswith(f"({path}:{line})")


def test_an_unknown_key_and_bad_weight_name_their_lines(tmp_path: Path) -> None:
    path = _write(tmp_path)
    text = path.read_text(encoding="utf-8").replace('horizon = ""', 'horizn = ""', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        ca.rank(DATA, priorities=PSET, scoring=path)
    assert "unknown key 'horizn'" in str(err.value)
    assert err.value.line == text.splitlines().index('horizn = ""') + 1
    bad = _write(tmp_path, "bad_weight.toml")
    text = bad.read_text(encoding="utf-8").replace("capacity = 1\n", "capacity = -1\n", 1)
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        ca.rank(DATA, priorities=PSET, scoring=bad)
    assert "[weights]: key 'capacity' must be a number of 0 or more" in str(err.value)
    assert err.value.line == text.splitlines().index("capacity = -1") + 1
    misspelt = _write(tmp_path, "misspelt_weight.toml")
    text = misspelt.read_text(encoding="utf-8").replace("capacity = 1\n", "capacty = 1\n", 1)
    misspelt.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        ca.rank(DATA, priorities=PSET, scoring=misspelt)
    assert "[weights]: unknown key 'capacty' (allowed: " in str(err.value)
    assert err.value.line == text.splitlines().index("capacty = 1") + 1


def test_population_scores_the_rate(tmp_path: Path) -> None:
    # 9,840 x 91.46% = 9,000 thefts for 100,000 residents = 90 per 1,000 -> 5; 240 -> 2.4 per 1,000 -> 2;
    # 600 -> 6 per 1,000 -> 4.
    path = _write(tmp_path, population=100_000)
    m = ca.rank(DATA, priorities=PSET, scoring=path).rows.set_index("issue")
    assert dict(m["rate"]) == {"Burglary at home": 4, "Violence with Injury": 2, "Other Theft": 5}
    assert dict(m["rate_per_1000"]) == {
        "Burglary at home": 6.0,
        "Violence with Injury": 2.4,
        "Other Theft": 90.0,
    }


def test_write_scoring_cli_refuses_to_overwrite(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "w.toml"
    first = cli("priorities", DATA, "--priorities", PSET, "--write-scoring", target, "-f", "json")
    assert first.code == 0, first.err
    again = cli("priorities", DATA, "--priorities", PSET, "--write-scoring", target)
    assert again.code == 1
    assert again.err.strip() == f"Error: file exists; use --force to overwrite it ({target})"
    no_files = cli("priorities", "--write-scoring", tmp_path / "x.toml")
    assert no_files.code == 2


def test_report_hooks_return_the_tables_and_a_chart(tmp_path: Path) -> None:
    from csp_assess.report.sections import matrix_section, plan_section

    path = _write(tmp_path)
    section = matrix_section(ca.rank(DATA, priorities=PSET, scoring=path).result)
    assert section is not None and section.svg is not None
    assert list(section.tables[0].frame["issue"]) == [
        "Burglary at home",
        "Violence with Injury",
        "Other Theft",
    ]
    assert any(
        n.startswith("Matrix scale, volume share: share of the year's recorded crimes") for n in section.notes
    )
    assert matrix_section(ca.rank(DATA, priorities=PSET).result) is None
    assert section.svg == matrix_section(ca.rank(DATA, priorities=PSET, scoring=path).result).svg  # type: ignore[union-attr]
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[plan]\nstart_year = "2020/21"\n\n[[priority]]\nname = "Burglary at home"\n', encoding="utf-8"
    )
    progress = plan_section(ca.quarterly(DATA, priorities=PSET, plan=plan).result)
    assert progress is not None
    # 2020/21: 300 burglaries; the 12 months to March 2022: 600, a rise larger than usual variation -> red
    row = progress.tables[0].frame.iloc[0]
    assert (row["target_year_count"], row["latest_12m_count"], row["rag"]) == (300, 600, "red")
    assert any(n.startswith("RAG: red = ") for n in progress.notes)


def test_csv_scoring_file_round_trip_and_errors(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    import csv as csvmod

    path = _write(tmp_path, "scoring.csv", population=100_000)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("name,"))
    rows = list(csvmod.DictReader(lines[start:]))
    by = {r["name"]: r for r in rows}
    assert by["weights"]["kind"] == "weights" and by["population"]["measure"] == "100000"
    # with the rate (6.0, 90.0 and 2.4 per 1,000 -> 4, 5, 2) the computed totals are
    #   Burglary at home (4+5+5+5+4)/5 = 4.6; Other Theft (5+4+1+5)/4 = 3.75; VWI (2+5+5+3+2)/5 = 3.4
    assert [by[n][k] for n in ("Burglary at home", "Other Theft") for k in ("rate", "trend")] == [
        "4",
        "5",
        "5",
        "1",
    ]
    by["Violence with Injury"]["public_concern"] = "5"
    by["Violence with Injury"]["capacity"] = "5"
    by["Burglary at home"]["capacity"] = "1"
    by["weights"]["capacity"] = "4"
    out = tmp_path / "filled.csv"
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        fh.write("\n".join(lines[:start]) + "\n")
        writer = csvmod.DictWriter(fh, fieldnames=list(rows[0].keys()), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    # capacity weight 4:  Burglary (23 + 4x1)/(5+4) = 3.0;  VWI (17 + 5 + 4x5)/(5+1+4) = 4.2;  Theft 3.75
    m = ca.rank(DATA, priorities=PSET, scoring=out).rows
    assert list(m["issue"]) == ["Violence with Injury", "Other Theft", "Burglary at home"]
    assert list(m["total"]) == pytest.approx([4.2, 3.75, 3.0])
    text = out.read_text(encoding="utf-8-sig").replace(
        ",Other Theft,5,4,,1,5,,", ",Other Theft,5,4,,1,5,high,", 1
    )
    bad_line = next(i for i, ln in enumerate(text.splitlines(), start=1) if ",high," in ln)
    out.write_text(text, encoding="utf-8-sig")
    run = cli("rank", DATA, "--priorities", PSET, "--scoring", out)
    assert run.code == 1
    assert run.err.strip() == (
        "Error: issue 'Other Theft': column 'public_concern' must be a whole number from 1 to 5, or empty if "
        f"not scored, not 'high' ({out}:{bad_line})"
    )


def test_an_issue_added_by_hand_and_a_file_for_another_year(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path)
    text = path.read_text(encoding="utf-8").replace('year = "2021/22"', 'year = "2020/21"', 1)
    text += '\n[[issue]]\nname = "Modern slavery"\nkind = "added"\nvulnerability = 5\npublic_concern = 4\n'
    path.write_text(text, encoding="utf-8")
    r = ca.rank(DATA, priorities=PSET, scoring=path)
    # Modern slavery: (4 + 5) / 2 = 4.5, below Burglary at home's 4.75 and above Violence with Injury's 3.75
    assert list(r.rows["issue"]) == [
        "Burglary at home",
        "Modern slavery",
        "Violence with Injury",
        "Other Theft",
    ]
    added = r.rows.set_index("issue").loc["Modern slavery"]
    assert added["total"] == 4.5 and added["kind"] == "added" and added["overrides"] == ""
    assert "scores as entered in the file" in added["note"]
    assert f"{path} was written for year 2020/21, this matrix is for 2021/22" in r.warnings
    assert not any("written for priorities" in w for w in r.warnings)
    other = ca.rank(DATA, template="mopac", scoring=path)
    assert (
        f"{path} was written for priorities {PSET}, this matrix is for packaged MOPAC priorities"
        in other.warnings
    )
    run = cli("rank", DATA, "--priorities", PSET, "--scoring", path, "-f", "json")
    assert run.code == 0
    import json

    assert json.loads(run.out) == json.loads(json.dumps(r.to_dict()))


def test_population_without_scoring_is_an_error(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("rank", DATA, "--population", "100000")
    assert run.code == 2
    assert run.err.strip() == "Error: --population scores the matrix's rate: give it with --scoring"


def _holm(p: dict[str, float]) -> dict[str, float]:
    order = sorted(p, key=lambda k: p[k])
    out, running = {}, 0.0
    for i, k in enumerate(order):
        running = max(running, min(1.0, (len(order) - i) * p[k]))
        out[k] = running
    return out


TREND_COUNTS = {  # issue: (2020/21, 2021/22, its minor category in the packaged table)
    "Burglary at home": (300, 600, "Domestic Burglary"),
    "Violence with Injury": (240, 240, "Violence with Injury"),
    "Other Theft": (10_800, 9_000, "Other Theft"),
}


def test_trend_is_the_calibrated_test_with_each_issues_variance(tmp_path: Path) -> None:
    path = _write(tmp_path)
    m = ca.rank(DATA, priorities=PSET, scoring=path).rows.set_index("issue")
    sigma2 = {k: packaged_sigma2("met-old", "minor", minor) for k, (_, _, minor) in TREND_COUNTS.items()}
    p = {k: z_and_p(a, b, 2 * sigma2[k])[1] for k, (a, b, _) in TREND_COUNTS.items()}
    adjusted = _holm(p)
    for issue, (a, b, _) in TREND_COUNTS.items():
        row = m.loc[issue]
        assert (row["previous_count"], row["count"]) == (a, b)
        assert row["year_sd"] == pytest.approx(sigma2[issue] ** 0.5, abs=5e-4)
        assert row["trend_p_adjusted"] == pytest.approx(adjusted[issue], abs=5e-5)
        flagged = adjusted[issue] < 0.05 and a + b >= 10
        assert row["trend"] == (3 if not flagged else 5 if b > a else 1), issue
    # A 17% fall on 10,800 is far beyond counting noise (z about -13, p about 1e-37) but only about 2.5 of
    # the calibrated test's sds once other theft's usual year-to-year variation is allowed for: flagged
    # here, with p about 0.014 (0.028 after Holm).
    assert 0.001 < adjusted["Other Theft"] < 0.05
    notes = ca.rank(DATA, priorities=PSET, scoring=path).notes
    assert any(
        n.startswith(
            "Trend: 2021/22 against 2020/21; a change is 'larger than usual year-to-year variation' by "
            "the over-dispersed log-ratio z"
        )
        and "3 distinct measures tested" in n
        for n in notes
    )
    assert any(
        n.startswith("Matrix scale, trend: change on last year against the issue's usual") for n in notes
    )


def test_trend_with_counting_noise_only_is_the_exact_test(tmp_path: Path) -> None:
    from scipy.stats import binomtest

    path = _write(tmp_path)
    r = ca.rank(DATA, priorities=PSET, scoring=path, variance="none")
    m = r.rows.set_index("issue")
    p = {k: binomtest(b, a + b, 0.5).pvalue for k, (a, b, _) in TREND_COUNTS.items()}
    adjusted = _holm(p)
    for issue in TREND_COUNTS:
        assert m.loc[issue, "trend_p_adjusted"] == pytest.approx(adjusted[issue], abs=5e-5)
    assert dict(m["trend"]) == {"Burglary at home": 5, "Violence with Injury": 3, "Other Theft": 1}
    assert any("'beyond chance variation' by the exact conditional Poisson test" in n for n in r.notes)


def test_leicestershire_matrix_labels_what_police_uk_cannot_measure(tmp_path: Path) -> None:
    from tests.conftest import shared

    folder = shared("police_uk_leicestershire")
    path = tmp_path / "charnwood.toml"
    api.write_scoring(folder, path, template="police-crime-plan", area="Charnwood", year="2021/22")
    m = ca.rank(folder, template="police-crime-plan", area="Charnwood", year="2021/22", scoring=path).rows
    rows = m.set_index("issue")
    for name in ("Violence Against Women and Girls (incl. Domestic Abuse)", "Road Safety"):
        assert rows.loc[name, "note"].startswith("not measurable from this extract"), name
        assert all(pd.isna(rows.loc[name, k]) for k in ("volume", "harm", "cost", "trend")), name
    for name in ("Serious Violence", "Neighbourhood Crime", "Drugs and Exploitation"):
        assert not pd.isna(rows.loc[name, "volume"]) and not pd.isna(rows.loc[name, "trend"]), name

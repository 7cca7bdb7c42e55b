"""Priority definitions from TOML, the stated recommendation rules, and `csp-assess priorities`.

Expected figures are from data/sample_offences.csv (Barking and Dagenham, Met old categories), counted by hand
from its monthly columns: Arson 63 in 2021/22, 47 in 2020/21, 71 in 2019/20.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import scipy.stats as sps
from tests.clirun import run

from csp_assess.analysis.stats import holm
from csp_assess.reference.priorities import load_priorities, parse_priorities

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "data" / "sample_offences.csv")
CONFIG = ROOT / "tests" / "fixtures" / "config"


def rank_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code, out, err = run(
        capsys, "rank", SAMPLE, "--year", "2021/22", "--format", "json", "--no-cache", *extra
    )
    assert code == 0, err
    return json.loads(out)


# ------------------------------------------------------------------------------------------ default set


def test_default_recommendation_lists_the_ten_priorities_with_reasons(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = rank_json(capsys)
    own = [r for r in data["priorities"] if r["class"] != "candidate"]
    assert [r["name"] for r in own] == [
        "Violence Against Women and Girls",
        "Gun Crime",
        "Hate Crime",
        "Knife Crime",
        "Sexual Offences",
        "Anti-Social Behaviour",
        "Non-Domestic Abuse Violence With Injury",
        "Robbery of Personal Property",
        "Adult and Juvenile Reoffending",
        "Arson",
    ]
    assert all(r["reason"] and r["status"] for r in data["priorities"])
    status = {r["name"]: r["status"] for r in own}
    assert status["Anti-Social Behaviour"] == "not measurable"
    assert status["Adult and Juvenile Reoffending"] == "not measurable"
    assert status["Arson"] == "review"
    assert status["Gun Crime"] == "remain"
    asb = next(r for r in own if r["name"] == "Anti-Social Behaviour")
    assert "Met crime files hold no anti-social behaviour incidents" in asb["reason"]
    assert data["priorities_source"] == "packaged MOPAC priorities"
    assert data["candidate_top_n"] == 5 and data["alpha"] == 0.05


def test_sexual_offences_rise_is_holm_adjusted_across_priorities(capsys: pytest.CaptureFixture[str]) -> None:
    data = rank_json(capsys)
    so = next(r for r in data["priorities"] if r["name"] == "Sexual Offences")
    # 562 -> 692 (Rape 225 + Other Sexual 337 -> 267 + 425)
    assert (so["previous_count"], so["count"]) == (562, 692)
    raw = sps.binomtest(692, 562 + 692, 0.5).pvalue
    assert so["p_value"] > raw  # adjusted, not the raw p
    assert so["direction"] == "rising"
    assert "rising significantly on last year (Holm-adjusted p=" in so["reason"]


def test_candidates_use_holm_across_categories(capsys: pytest.CaptureFixture[str]) -> None:
    data = rank_json(capsys)
    names = {r["name"]: r for r in data["priorities"] if r["class"] == "candidate"}
    # Drug Trafficking: 103 (2019/20) -> 140; raw exact p about 0.02 < 0.05, but not after Holm.
    raw = sps.binomtest(140, 243, 0.5).pvalue
    assert raw < 0.05
    assert "Drug Trafficking" not in names
    # Possession of Drugs: 1,123 -> 1,522 stays significant after adjustment.
    pod = names["Possession of Drugs"]
    assert "significantly above the 2019/20 baseline (+35.5%, Holm-adjusted p<0.001" in pod["reason"]
    assert names["Domestic Burglary"]["reason"].startswith(
        "not in the priority set; ranked #4 by composite score"
    )


# ------------------------------------------------------------------------------------- user priorities


def test_user_file_with_one_local_priority_on_arson(capsys: pytest.CaptureFixture[str]) -> None:
    data = rank_json(capsys, "--priorities", str(CONFIG / "arson_only.toml"))
    own = [r for r in data["priorities"] if r["class"] != "candidate"]
    assert len(own) == 1
    arson = own[0]
    assert (arson["name"], arson["class"], arson["status"]) == ("Arson", "local", "review")
    assert (arson["count"], arson["previous_count"], arson["baseline_count"]) == (63, 47, 71.0)
    assert arson["reason"] == (
        "local priority (Barking and Dagenham CSP board); not rising significantly on last year, not above the "
        "2019/20 baseline and not in the top 5 by composite score: consider whether it is still a priority. "
        "63 in 2021/22, up 16 (+34.0%) on 2020/21, down 8 (-11.3%) on 2019/20"
    )
    # Outside the set now: the top five by score are all candidates.
    cands = [r["name"] for r in data["priorities"] if r["class"] == "candidate"]
    for name in ("Violence with Injury", "Violence without Injury", "Rape", "Domestic Burglary"):
        assert name in cands
    assert data["priorities_source"].endswith("arson_only.toml")


def test_top_n_option_changes_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    data = rank_json(capsys, "--priorities", str(CONFIG / "arson_only.toml"), "--top-n", "30")
    arson = data["priorities"][0]
    rank = next(r["rank"] for r in data["rows"] if r["category"] == "Arson")
    assert rank == 24
    assert arson["status"] == "remain"
    assert arson["reason"].startswith(
        "local priority (Barking and Dagenham CSP board); ranked #24 by composite score (top 30)"
    )
    assert data["candidate_top_n"] == 30


def test_rules_alpha_is_honoured(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (CONFIG / "arson_only.toml").read_text().replace("candidate_top_n = 5", "candidate_top_n = 0")
    text = text.replace("alpha = 0.05", "alpha = 0.000001")
    f = tmp_path / "strict.toml"
    f.write_text(text)
    data = rank_json(capsys, "--priorities", str(f))
    cands = {r["name"]: r for r in data["priorities"] if r["class"] == "candidate"}
    # top_n 0: only baseline rises; with a tiny alpha only the largest survive Holm
    assert "Other Notifiable Offences" not in cands  # p about 0.03 adjusted at alpha 0.05
    assert "Possession of Drugs" in cands
    assert all("ranked #" not in r["reason"] for r in cands.values())


def test_csp_assess_toml_in_working_directory_is_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "csp-assess.toml").write_text((CONFIG / "arson_only.toml").read_text())
    monkeypatch.chdir(tmp_path)
    pset = load_priorities()
    assert [p.name for p in pset.priorities] == ["Arson"]
    code, out, _ = run(capsys, "priorities", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["priorities_source"] == str(tmp_path / "csp-assess.toml")


# ------------------------------------------------------------------------------------------ the command


def test_priorities_lists_measure_per_scheme(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "priorities", "--format", "json", "--priorities", str(CONFIG / "arson_only.toml")
    )
    assert code == 0
    rows = json.loads(out)["rows"]
    assert {r["scheme"]: r["status"] for r in rows} == {
        "met-old": "measured",
        "met-new": "not measurable",
        "met-pre2019": "not measurable",
        "police-uk": "not measurable",
        "custom": "not measurable",
    }
    assert rows[0]["measure"] == "Arson" and rows[0]["set_by"] == "Barking and Dagenham CSP board"


def test_priorities_default_shows_proxies_and_not_measurable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "priorities", "--scheme", "police-uk", "--format", "json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)["rows"]}
    assert len(rows) == 10
    assert rows["Gun Crime"]["status"] == "not measurable"
    assert rows["Gun Crime"]["note"] == "police.uk crime types do not separate firearms offences"
    assert rows["Knife Crime"]["status"] == "proxy"
    assert rows["Knife Crime"]["measure"] == "Possession of weapons (all)"
    assert rows["Anti-Social Behaviour"]["status"] == "measured"


def test_write_default_round_trips(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    code, out, _ = run(capsys, "priorities", "--write-default", str(target))
    assert code == 0 and "Wrote" in out
    text = target.read_text(encoding="utf-8")
    assert "candidate_top_n = 5" in text and "alpha = 0.05" in text and text.startswith("#")
    written = load_priorities(target)
    packaged = load_priorities(None, cwd=tmp_path / "nowhere")
    assert written.priorities == packaged.priorities and written.rules == packaged.rules
    code, _, err = run(capsys, "priorities", "--write-default", str(target))
    assert code == 1
    assert err.strip() == f"Error: file exists; use --force to overwrite it ({target})"
    code, _, _ = run(capsys, "priorities", "--write-default", str(target), "--force")
    assert code == 0


# ---------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (
            "bad_class.toml",
            "priority 'Fly-tipping': key 'class' must be one of mandatory, high-volume, local, not 'urgent'",
        ),
        ("bad_syntax.toml", "invalid TOML: Illegal character '\\n' at column 15"),
        (
            "bad_measure_key.toml",
            "priority 'Arson' measure.met-new: unknown key 'minor' (allowed: flag, indicator, majors, minors, not_flag, not_measurable, proxy)",
        ),
        ("bad_rules.toml", "[rules]: key 'alpha' must be between 0 and 1, not 2"),
    ],
)
def test_invalid_priorities_file_names_line_and_key(
    capsys: pytest.CaptureFixture[str], fixture: str, message: str
) -> None:
    path = CONFIG / fixture
    line = {"bad_class.toml": 10, "bad_syntax.toml": 3, "bad_measure_key.toml": 7, "bad_rules.toml": 3}[
        fixture
    ]
    for args in (["priorities", "--priorities", str(path)], ["rank", SAMPLE, "--priorities", str(path)]):
        code, out, err = run(capsys, *args)
        assert code == 1
        assert err == f"Error: {message} ({path}:{line})\n"
        assert "Traceback" not in err


def test_missing_priorities_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "priorities", "--priorities", str(tmp_path / "nope.toml"))
    assert code == 1
    assert err == f"Error: priorities file not found ({tmp_path / 'nope.toml'})\n"


def test_unknown_top_level_table_line() -> None:
    text = '[[priority]]\nname = "a"\nclass = "local"\n[priority.measure.met-old]\nminors = ["Arson"]\n\n[extra]\nx = 1\n'
    with pytest.raises(Exception) as exc:
        parse_priorities(text, "f.toml")
    assert str(exc.value).startswith("unknown key 'extra'") and str(exc.value).endswith("(f.toml:7)")


def test_holm_helper_matches_hand_computation() -> None:
    # sanity for the rule text: Holm on (0.01, 0.02, 0.04) -> (0.03, 0.04, 0.04)
    assert list(holm([0.01, 0.02, 0.04])) == pytest.approx([0.03, 0.04, 0.04])

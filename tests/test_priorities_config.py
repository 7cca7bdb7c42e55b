"""Priority definitions from TOML, the stated recommendation rules, and `csp-assess priorities`.

Expected figures are from data/sample_offences.csv (Barking and Dagenham, Met old categories), counted by hand
from its monthly columns: Arson 63 in 2021/22, 47 in 2020/21, 71 in 2019/20.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import scipy.stats as sps
from tests.clirun import run

from csp_assess.analysis.stats import holm
from csp_assess.reference.priorities import load_priorities, parse_priorities
from independent import fy_totals_met_wide
from yearvar_ref import fy_pairs, packaged_sigma2, shrunk, z_and_p

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "data" / "sample_offences.csv")
CONFIG = ROOT / "tests" / "fixtures" / "config"
AREA = "Barking and Dagenham"


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


YEARS = [f"{y}/{(y + 1) % 100:02d}" for y in range(2010, 2019)]  # history: whole pre-COVID years


def _totals(select: set[str], col: int) -> dict[str, float]:
    """Financial-year totals of the sample's rows whose major (col 0) or minor (col 1) is in ``select``."""
    oracle = fy_totals_met_wide([Path(SAMPLE)], AREA)
    out: dict[str, float] = {}
    for (fy, major, minor), c in oracle.items():
        if (major, minor)[col] in select:
            out[fy] = out.get(fy, 0.0) + c
    return out


def _holm(ps: list[float]) -> list[float]:
    """Holm by its definition: the k-th smallest p times (m - k + 1), running maximum, capped at 1."""
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    out, run_max = [0.0] * len(ps), 0.0
    for k, i in enumerate(order):
        run_max = max(run_max, min(1.0, (len(ps) - k) * ps[i]))
        out[i] = run_max
    return out


def test_sexual_offences_change_is_within_usual_variation_and_tested_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = rank_json(capsys)
    rows = {r["name"]: r for r in data["priorities"]}
    so = rows["Sexual Offences"]
    # 562 -> 692 (Rape 225 + Other Sexual 337 -> 267 + 425)
    assert (so["previous_count"], so["count"]) == (562, 692)
    # The measure's year-level variance: its own 8 pre-COVID year pairs, shrunk toward the count-weighted
    # packaged values of its two minors (weights: the minors' totals over the whole file).
    tot = _totals({"Sexual Offences"}, 0)
    rape, other = (sum(_totals({m}, 1).values()) for m in ("Rape", "Other Sexual Offences"))
    prior = (
        rape * packaged_sigma2("met-old", "minor", "Rape")
        + other * packaged_sigma2("met-old", "minor", "Other Sexual Offences")
    ) / (rape + other)
    sigma2 = shrunk(fy_pairs(tot, YEARS), prior)
    _, p = z_and_p(562, 692, 2 * sigma2)
    assert so["p_value"] == pytest.approx(p, rel=1e-3)
    assert p > 0.05  # a +23% rise is within what sexual offences usually do here, even unadjusted
    assert sps.binomtest(692, 562 + 692, 0.5).pvalue < 1e-3  # ... though far beyond counting noise
    assert so["direction"] == "within usual range"
    assert "significantly" not in so["reason"] and "usual year-to-year range" in so["reason"]
    # VAWG's proxy is the same categories: one measure, tested once, one Holm family of distinct measures.
    vawg = rows["Violence Against Women and Girls"]
    assert (vawg["p_value"], vawg["p_adjusted"]) == (so["p_value"], so["p_adjusted"])
    assert "same categories as Violence Against Women and Girls: one measure, tested once" in so["reason"]
    family = [r for r in data["priorities"] if r["class"] != "candidate" and r["p_value"] is not None]
    distinct = [r for r in family if r["name"] != "Sexual Offences"]
    assert len(distinct) == 7
    for r, adj in zip(distinct, _holm([r["p_value"] for r in distinct]), strict=True):
        assert r["p_adjusted"] == pytest.approx(adj, abs=2e-4)  # JSON rounds to 4 places
    # Knife crime is measured by possession offences: a police activity indicator, and said so.
    knife = rows["Knife Crime"]
    assert knife["activity_indicator"] is True and "Activity indicator:" in knife["reason"]


def test_candidates_need_usual_variation_and_a_minimum_share(capsys: pytest.CaptureFixture[str]) -> None:
    data = rank_json(capsys)
    names = {r["name"]: r for r in data["priorities"] if r["class"] == "candidate"}
    # Possession of Drugs: 1,123 (2019/20) -> 1,522 (+35.5%). Against 2 x its year-level variance (the year's
    # effect and the baseline year's) it is not beyond usual variation even unadjusted.
    tot = _totals({"Possession of Drugs"}, 1)
    sigma2 = shrunk(fy_pairs(tot, YEARS), packaged_sigma2("met-old", "minor", "Possession of Drugs"))
    _, p = z_and_p(1123, 1522, 2 * sigma2)
    assert 0.05 < p < 0.5
    assert "Possession of Drugs" not in names
    assert "Drug Trafficking" not in names
    # Other Notifiable Offences (35 offences, 0.17% of the year's volume) can never be a candidate now.
    ono = next(r for r in data["rows"] if r["category"] == "Other Notifiable Offences")
    assert ono["count"] == 35 and ono["volume_share"] < 1.0 and ono["harm_share"] < 1.0
    assert "Other Notifiable Offences" not in names
    assert data["candidate_min_share_pct"] == 1.0
    assert set(names) == {"Violence without Injury", "Domestic Burglary"}
    assert names["Domestic Burglary"]["reason"].startswith(
        "not in the priority set; ranked #4 by composite score"
    )
    assert all("significantly" not in r["reason"] for r in data["priorities"])
    pod = next(r for r in data["rows"] if r["category"] == "Possession of Drugs")
    assert pod["indicator"] == "police activity"


# ------------------------------------------------------------------------------------- user priorities


def _arson_sigma2() -> float:
    tot = _totals({"Arson"}, 1)
    return shrunk(fy_pairs(tot, YEARS), packaged_sigma2("met-old", "minor", "Arson"))


def test_user_file_with_one_local_priority_on_arson(capsys: pytest.CaptureFixture[str]) -> None:
    data = rank_json(capsys, "--priorities", str(CONFIG / "arson_only.toml"))
    own = [r for r in data["priorities"] if r["class"] != "candidate"]
    assert len(own) == 1
    arson = own[0]
    assert (arson["name"], arson["class"], arson["status"]) == ("Arson", "local", "review")
    assert (arson["count"], arson["previous_count"], arson["baseline_count"]) == (63, 47, 71.0)
    sigma2 = _arson_sigma2()
    sd = math.sqrt(2 / 47.5 + 2 * sigma2)  # the usual range at 47 offences: counting noise + 2 year effects
    usual = f"{(math.exp(-1.96 * sd) - 1) * 100:+.0f}% to {(math.exp(1.96 * sd) - 1) * 100:+.0f}%"
    assert arson["reason"] == (
        "local priority (Barking and Dagenham CSP board); no rise on last year beyond its usual year-to-year "
        "variation, not above the 2019/20 baseline and not in the top 5 by composite score: consider whether it "
        f"is still a priority. 63 in 2021/22, up 16 (+34.0%) on 2020/21 (usual year-to-year range {usual}), "
        "down 8 (-11.3%) on 2019/20. 2020/21 was under COVID-19 restrictions throughout: a change on it is not "
        "a normal year's change"
    )
    # One priority, one test: the raw and adjusted p are the same.
    _, p = z_and_p(47, 63, 2 * sigma2)
    assert arson["p_value"] == arson["p_adjusted"] == pytest.approx(p, abs=1e-4)
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
    # Arson 47 -> 63: p about 0.32 against its usual variation. Under alpha 0.05 it is "review" (above);
    # with alpha 0.4 the same change counts as a rise and keeps it a priority.
    _, p = z_and_p(47, 63, 2 * _arson_sigma2())
    assert 0.05 < p < 0.4
    text = (CONFIG / "arson_only.toml").read_text().replace("candidate_top_n = 5", "candidate_top_n = 0")
    text = text.replace("alpha = 0.05", "alpha = 0.4")
    f = tmp_path / "loose.toml"
    f.write_text(text)
    data = rank_json(capsys, "--priorities", str(f))
    arson = data["priorities"][0]
    assert (arson["status"], arson["direction"]) == ("remain", "rising")
    assert (
        "rose on last year by more than its usual year-to-year variation (Holm-adjusted p=" in arson["reason"]
    )
    # top_n 0: candidates only from rises above the baseline, and none is beyond usual variation here
    assert [r for r in data["priorities"] if r["class"] == "candidate"] == []


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


def test_misspelt_priority_key_names_its_line_and_the_allowed_keys() -> None:
    text = '[[priority]]\nname = "a"\nclas = "local"\n[priority.measure.met-old]\nminors = ["Arson"]\n'
    with pytest.raises(Exception) as exc:
        parse_priorities(text, "f.toml")
    assert str(exc.value) == (
        "[[priority]]: unknown key 'clas' (allowed: class, measure, name, set_by) (f.toml:3)"
    )

"""The rotation plan: `report --rotation PLAN --quarter Q` makes that quarter's theme pack, the reader
leaves other tables of the plan alone, and a bad plan is a one-line error naming the file (and line)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import SAMPLE

from csp_assess.errors import ConfigError, SelectionError
from csp_assess.rotation import parse_quarter, read_rotation

PLAN = """
[plan]                 # another reader's table: targets over the plan
start = "2022/23"

[[target]]
priority = "Knife Crime"
change_pct = -10

[[rotation]]
quarter = "2023/24-Q1"
theme = "Serious violence"
lead = "Violence Reduction Unit manager"

[[rotation]]
quarter = "2023/24 Q2"
theme = "Violence Against Women and Girls"
lead = "VAWG strategic lead"

[[rotation]]
quarter = "2023/24-Q3"
theme = "Night-time economy"

[[theme]]
name = "Night-time economy"
priorities = ["Non-Domestic Abuse Violence With Injury", "Sexual Offences"]
about = "Violence and sexual offences around the night-time economy."
"""


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    p = tmp_path / "plan.toml"
    p.write_text(PLAN, encoding="utf-8")
    return p


def test_reader_takes_rotation_and_themes_and_ignores_other_tables(plan: Path) -> None:
    rot = read_rotation(plan)
    assert [(e.quarter, e.theme, e.lead) for e in rot.entries] == [
        ("2023/24 Q1", "Serious violence", "Violence Reduction Unit manager"),
        ("2023/24 Q2", "Violence Against Women and Girls", "VAWG strategic lead"),
        ("2023/24 Q3", "Night-time economy", None),
    ]
    assert rot.entry("2023/24-Q2").lead == "VAWG strategic lead"
    assert [g.name for g in rot.groups] == ["Night-time economy"]
    fy, q = parse_quarter("2023/24-Q2")
    assert (fy.label, q, str(fy.first)) == ("2023/24", 2, "2023-04")


def test_cli_makes_the_quarters_pack_with_its_lead(cli, plan: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pack.html"
    r = cli("report", SAMPLE, "--rotation", plan, "--quarter", "2023/24-Q2", "-o", out)
    assert r.code == 0, r.err
    html = out.read_text(encoding="utf-8")
    assert "<h1>Theme pack: Violence Against Women and Girls, Barking and Dagenham, 2021/22</h1>" in html
    assert "Deep dive on rotation for 2023/24 Q2" in html and "Lead: VAWG strategic lead" in html
    assert "In 2021/22 there were 692 Violence Against Women and Girls offences" in html


def test_plan_defined_theme_is_used(cli, plan: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "nte.md"
    r = cli("report", SAMPLE, "--rotation", plan, "--quarter", "2023/24-Q3", "-o", out)
    assert r.code == 0, r.err
    md = out.read_text(encoding="utf-8")
    assert "Violence and sexual offences around the night-time economy." in md
    # Violence with Injury (2,101) + Sexual Offences (692) in 2021/22: no overlap between them.
    assert "In 2021/22 there were 2,793 Night-time economy offences" in md


def test_unknown_quarter_names_the_plans_quarters(cli, plan: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("report", SAMPLE, "--rotation", plan, "--quarter", "2024/25-Q1", "-o", tmp_path / "x.html")
    assert r.code == 1
    assert r.err.strip() == (
        f"Error: the rotation in {plan} has no entry for 2024/25 Q1; its quarters: 2023/24 Q1, 2023/24 Q2, "
        "2023/24 Q3"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quarter", "2023/24-Q2"], "--rotation and --quarter go together"),
        (["--theme", "Arson", "--quarter", "2023/24-Q5"], "--rotation and --quarter go together"),
    ],
)
def test_rotation_options_go_together(cli, tmp_path: Path, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("report", SAMPLE, *args, "-o", tmp_path / "x.html")
    assert r.code == 2 and message in r.err


def test_bad_quarter_text_names_the_option(cli, plan: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("report", SAMPLE, "--rotation", plan, "--quarter", "Q2", "-o", tmp_path / "x.html")
    assert r.code == 2
    assert r.err.strip() == "Error: cannot read --quarter 'Q2': write it as 2023/24-Q2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[plan]\nstart = "2022/23"\n', "plan file has no [[rotation]] entries"),
        ('[[rotation]]\nquarter = "2023/24-Q9"\ntheme = "Arson"\n', "rotation: cannot read quarter"),
        ('[[rotation]]\nquarter = "2023/24-Q1"\n', "rotation 2023/24-Q1 needs theme"),
        (
            '[[rotation]]\nquarter = "2023/24-Q1"\ntheme = "Arson"\n[[rotation]]\nquarter = "2023/24 Q1"\ntheme = "Knife Crime"\n',
            "rotation names 2023/24 Q1 twice (Arson and Knife Crime)",
        ),
        ("[[rotation]\n", "plan file is not valid TOML"),
    ],
)
def test_bad_plans_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_rotation(p)
    assert message in str(err.value) and str(p) in str(err.value)


def test_quarter_error_is_typed() -> None:
    with pytest.raises(SelectionError):
        parse_quarter("2023", param="quarter")

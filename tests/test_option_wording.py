"""Options named as the user gives them: a year the tool cannot read names the option it came from (the API
keyword in Python, ``baseline '2019' ...``; the flag on the command line, ``--baseline '2019' ...``) with the
accepted forms, one line, no traceback; and result notes and warnings never tell a Python user about a flag."""

from __future__ import annotations

import pytest
from tests.conftest import SAMPLE

import csp_assess as ca

FORMS = "write it as 2019/20 (also 2019-20 or FY2019/20)"
AMBIGUOUS = f"'2019' is ambiguous for financial years: {FORMS}"


@pytest.fixture(scope="module")
def extract() -> ca.Extract:
    return ca.load([SAMPLE], cache=False)


@pytest.mark.parametrize(
    ("call", "kwargs", "name"),
    [
        (ca.baseline, {"baseline": "2019"}, "baseline"),
        (ca.rank, {"baseline": "2019"}, "baseline"),
        (ca.baseline, {"year": "2019"}, "year"),
        (ca.summary, {"year": "2019"}, "year"),
        (ca.compare, {"from_year": "2019"}, "from_year"),
        (ca.compare, {"to_year": "2019"}, "to_year"),
        (ca.quarterly, {"plan_start": "2019"}, "plan_start"),
    ],
)
def test_api_names_the_keyword(extract: ca.Extract, call, kwargs: dict[str, str], name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ca.PeriodError) as err:
        call(extract, **kwargs)
    assert str(err.value) == f"{name} {AMBIGUOUS}"


def test_api_names_the_keyword_for_other_year_faults(extract: ca.Extract) -> None:
    with pytest.raises(ca.PeriodError) as err:
        ca.baseline(extract, baseline="2019/21")
    assert str(err.value) == f"baseline '2019/21' does not run over two consecutive years: {FORMS}"
    with pytest.raises(ca.PeriodError) as err:
        ca.baseline(extract, baseline="2017/18-2018/19-2019/20")
    assert str(err.value) == (
        "cannot read baseline '2017/18-2018/19-2019/20': write one year as 2019/20 or a range as 2017/18-2019/20"
    )
    with pytest.raises(ca.PeriodError) as err:
        ca.summary(extract, year="2005/06")
    assert str(err.value).endswith("choose another with year")


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["baseline", "--baseline", "2019"], "--baseline"),
        (["rank", "--baseline", "2019"], "--baseline"),
        (["summary", "--year", "2019"], "--year"),
        (["compare", "--from", "2019"], "--from"),
        (["compare", "--to", "2019"], "--to"),
        (["quarterly", "--plan-start", "2019"], "--plan-start"),
    ],
)
def test_cli_names_the_flag(cli, args: list[str], flag: str) -> None:  # type: ignore[no-untyped-def]
    res = cli(args[0], SAMPLE, *args[1:])
    assert res.code == 2  # a year the tool cannot read is a usage error
    assert res.err == f"Error: {flag} {AMBIGUOUS}\n"
    assert "Traceback" not in res.err


def test_quarter_names_the_option_and_the_quarter_form(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.toml"
    plan.write_text('[[rotation]]\nquarter = "2021/22-Q1"\ntheme = "Sexual Offences"\n', encoding="utf-8")
    res = cli("report", SAMPLE, "--rotation", plan, "--quarter", "2021-Q1", "-o", tmp_path / "t.md")
    assert res.code == 2
    assert res.err == (
        "Error: --quarter '2021-Q1': year '2021' is ambiguous for financial years: write it as 2023/24-Q2 "
        "(also 2023-24-Q2)\n"
    )


def test_validate_notes_name_the_keyword_in_python_and_the_flag_on_the_command_line(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    """Before: ``ca.validate(...).notes`` told a Python user to 'use --all-rejects'."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    bad = [lines[0], lines[1]] + [
        ",".join(["Burglary", "Domestic Burglary", "Barking and Dagenham", "x"]) for _ in range(5)
    ]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    notes = ca.validate(path, max_rejects=2).notes
    assert "3 more rejected row(s): call validate with max_rejects=None, or use to_dict()" in notes
    assert not any("--" in n for n in notes)
    assert not any("more rejected" in n for n in ca.validate(path).notes)  # all shown by default
    bad = bad[:2] + bad[2:3] * 55
    path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    res = cli("validate", path)
    assert "5 more rejected row(s): use --all-rejects or --format json" in res.out + res.err


def test_api_notes_and_warnings_name_keywords_not_flags(extract: ca.Extract) -> None:
    results = [
        ca.rank(extract),
        ca.summary(extract),
        ca.baseline(extract),
        ca.compare(extract, against=extract),
        ca.trend(extract, top=5),
        ca.quarterly(extract),
        ca.weights(scheme="met-old"),
        ca.weights(extract),
    ]
    for res in results:
        for text in list(res.notes) + list(res.warnings):
            assert " --" not in text and not text.startswith("--"), text
    compared = ca.compare(extract, against=extract)
    assert compared.meta["from"].endswith("(data)") and compared.meta["to"].endswith("(against)")
    assert any(n.startswith("top=5 lists wards or LSOAs") for n in results[4].notes)
    assert any("user = from weights_file;" in n for n in results[6].notes)


def test_cli_notes_name_flags(cli) -> None:  # type: ignore[no-untyped-def]
    out = " ".join(cli("weights", "--scheme", "met-old").out.split())
    assert "user = from --weights;" in out
    same = cli("compare", SAMPLE, "--against", SAMPLE)
    assert "(--against)" in same.out and "(FILES)" in same.out

"""The public API: what a notebook user calls, checked against independent counts and against the CLI.

The CLI is a thin face over the API, so for every command its ``--format json`` document must equal the
API result's ``.to_dict()`` for the same options.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from tests.conftest import FIXTURES, SAMPLE, shared

import csp_assess as ca
from csp_assess.cli.options import flag_of
from csp_assess.errors import option_names

FY_2021_22 = [f"2021{m:02d}" for m in range(4, 13)] + [f"2022{m:02d}" for m in range(1, 4)]


def _sample_total(months: list[str], area: str = "Barking and Dagenham") -> int:
    """Independent count: the wide Met sample summed over the months with the csv module."""
    with SAMPLE.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    key = "LookUp_BoroughName" if "LookUp_BoroughName" in rows[0] else "BoroughName"
    return sum(int(r[m]) for r in rows if r[key] == area for m in months)


@pytest.fixture(scope="module")
def sample() -> ca.Extract:
    return ca.load([SAMPLE], cache=False)


def test_issue_check_summary_total_and_rank_rows(sample: ca.Extract) -> None:
    expected = _sample_total(FY_2021_22)
    assert expected == 20516
    s = ca.summary(sample, area="Barking and Dagenham", year="2021/22")
    assert isinstance(s, ca.SummaryResult)
    assert s.to_dict()["total"] == expected == s.total
    r = ca.rank(sample, year="2021/22")
    assert isinstance(r.rows, pd.DataFrame)
    assert int(r.rows["count"].sum()) == expected
    assert list(r.rows.columns[:4]) == ["rank", "major", "category", "count"]
    assert not r.priorities.empty


def test_paths_are_loaded_for_you() -> None:
    assert ca.summary(str(SAMPLE), year="2021/22").total == 20516
    assert ca.summary([SAMPLE], year="2021/22").total == 20516


def test_enums_and_plain_strings_are_the_same(sample: ca.Extract) -> None:
    a = ca.rank(sample, year="2021/22", level=ca.Level.major, harm=ca.HarmIndex.css).to_dict()
    b = ca.rank(sample, year="2021/22", level="major", harm="css").to_dict()
    assert a == b


def test_errors_name_parameters_not_flags(sample: ca.Extract, cli) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ca.SelectionError) as err:
        ca.rank(sample, level="middle")
    assert str(err.value).startswith("level must be") and "--" not in str(err.value)
    with pytest.raises(ca.SelectionError, match="^w_volume must be a finite number"):
        ca.rank(sample, w_volume=float("nan"))
    with pytest.raises(ca.SelectionError, match="^from_year and to_year are the same year; use against"):
        ca.compare(sample, from_year="2021/22", to_year="2021/22")
    with pytest.raises(ca.ConfigError, match="need price_year"):
        ca.rank(sample, uprate=1.2)
    # ... and the command line shows the flags for the same errors.
    run = cli("compare", SAMPLE, "--from", "2021/22", "--to", "2021/22")
    assert run.code == 2  # a usage error
    assert run.err == "Error: --from and --to are the same year; use --against to compare two extracts\n"
    run = cli("rank", SAMPLE, "--uprate", "1.2")
    assert run.code == 1 and "--price-index and --uprate need --price-year" in run.err


def test_weights_must_be_finite_on_the_command_line(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("rank", SAMPLE, "--w-volume", "nan")
    assert run.code in (1, 2) and "--w-volume" in run.err and "Traceback" not in run.err


CLI_EQUALS_API = [
    (["summary", "--year", "2021/22"], lambda ex: ca.summary(ex, year="2021/22")),
    (["summary", "--period", "rolling12"], lambda ex: ca.summary(ex, period="rolling12")),
    (["rank", "--year", "2021/22", "--top-n", "3"], lambda ex: ca.rank(ex, year="2021/22", top_n=3)),
    (["rank", "--level", "major", "--sensitivity"], lambda ex: ca.rank(ex, level="major", sensitivity=True)),
    (["baseline", "--year", "2021/22"], lambda ex: ca.baseline(ex, year="2021/22")),
    (
        ["compare", "--from", "2019/20", "--to", "2021/22", "--level", "major"],
        lambda ex: ca.compare(ex, from_year="2019/20", to_year="2021/22", level="major"),
    ),
    (
        ["trend", "--category", "Burglary", "--by", "quarter"],
        lambda ex: ca.trend(ex, category="Burglary", by="quarter"),
    ),
    (
        ["trend", "--priority", "Knife Crime", "--by", "year"],
        lambda ex: ca.trend(ex, priority="Knife Crime", by="year"),
    ),
    (["quarterly", "--plan-start", "2020/21"], lambda ex: ca.quarterly(ex, plan_start="2020/21")),
    (["weights"], lambda ex: ca.weights(ex)),
]


@pytest.mark.parametrize(("args", "call"), CLI_EQUALS_API, ids=[" ".join(a) for a, _ in CLI_EQUALS_API])
def test_cli_json_equals_api_to_dict(cli, sample: ca.Extract, args, call) -> None:  # type: ignore[no-untyped-def]
    run = cli(args[0], SAMPLE, *args[1:], "--format", "json", "--no-cache")
    assert run.code == 0, run.err
    # The same document, but for notes naming an option: the flag on the command line, the keyword here.
    with option_names(flag_of):
        assert json.loads(run.out) == json.loads(json.dumps(call(sample).to_dict()))


def test_cli_json_equals_api_for_commands_without_an_extract(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("priorities", "--format", "json")
    assert json.loads(run.out) == json.loads(json.dumps(ca.priorities().to_dict()))
    run = cli("weights", "--scheme", "met-new", "--harm", "css", "--format", "json")
    assert json.loads(run.out) == json.loads(json.dumps(ca.weights(scheme="met-new", harm="css").to_dict()))
    run = cli("validate", SAMPLE, FIXTURES / "met_new_excerpt.csv", "--format", "json")
    api_doc = ca.validate([SAMPLE, FIXTURES / "met_new_excerpt.csv"]).to_dict()
    assert json.loads(run.out) == json.loads(json.dumps(api_doc))


def test_compare_against_is_an_extract_or_paths(sample: ca.Extract) -> None:
    a = ca.compare(sample, against=sample, to_year="2021/22").to_dict()
    b = ca.compare(sample, against=[SAMPLE], to_year="2021/22").to_dict()
    assert a["to_total"] == b["to_total"] == 20516 and a["change"] == 0


def test_report_figures_equal_rank_and_can_be_written(sample: ca.Extract, tmp_path: Path) -> None:
    rep = ca.report(sample, year="2021/22", top_n=3, output=tmp_path / "pack.html")
    assert (tmp_path / "pack.html").stat().st_size > 10_000
    assert rep.to_dict()["rank"] == ca.rank(sample, year="2021/22", top_n=3).to_dict()
    assert int(rep.rows["count"].sum()) == 20516
    assert rep.to_dict()["headline"]["total"] == 20516


def _write(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_area_exact_match_wins_and_case_folding_must_be_unique(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    f = _write(
        tmp_path / "long.csv",
        [
            ["month", "area", "major", "minor", "count"],
            ["2021-04", "Camden", "Theft", "Shoplifting", 5],
            ["2021-04", "CAMDEN", "Theft", "Shoplifting", 7],
            ["2021-04", "Barnet", "Theft", "Shoplifting", 11],
        ],
    )
    ex = ca.load([f], cache=False)
    assert ca.summary(ex, area="CAMDEN", year="2021/22").total == 7
    assert ca.summary(ex, area="Camden", year="2021/22").total == 5
    assert ca.summary(ex, area="barnet", year="2021/22").total == 11
    with pytest.raises(ca.SelectionError, match="differ only in case"):
        ca.summary(ex, area="camden", year="2021/22")
    run = cli("summary", f, "--area", "camden", "--year", "2021/22")
    assert run.code == 1 and "give the exact name" in run.err
    # several areas are summed as one, labelled with their parts or the name given
    merged = ca.summary(ex, area=["Camden", "Barnet"], year="2021/22")
    assert merged.total == 16 and merged.meta["area"] == "Camden + Barnet"
    named = ca.summary(ex, area=["Camden", "barnet"], area_name="North Central", year="2021/22")
    assert named.total == 16 and named.meta["area"] == "North Central"
    with pytest.raises(ca.SelectionError, match="named twice"):
        ca.summary(ex, area=["Barnet", "barnet"], year="2021/22")


LEICS_FY21 = ("2021-04", "2022-03")


def _leics_count(folder: Path, districts: tuple[str, ...]) -> int:
    """Independent count with the csv module: crimes (not ASB) in FY 2021/22 whose LSOA name (without its
    code) is one of the districts."""
    total = 0
    for f in sorted(folder.glob("*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if not (LEICS_FY21[0] <= r["Month"] <= LEICS_FY21[1]):
                    continue
                if r["Crime type"] == "Anti-social behaviour":
                    continue
                if r["LSOA name"].rsplit(" ", 1)[0] in districts:
                    total += 1
    return total


def test_merged_csp_on_leicestershire_is_the_sum_of_its_districts(cli) -> None:  # type: ignore[no-untyped-def]
    folder = shared("police_uk_leicestershire")
    expected = _leics_count(folder, ("Blaby", "Oadby and Wigston"))
    assert expected == 6285 + 3723  # PROVENANCE.md's check figures
    run = cli(
        "summary", folder, "--area", "Blaby", "--area", "Oadby and Wigston", "--year", "2021/22", "-f", "json"
    )
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["total"] == expected
    assert doc["area"] == "Blaby + Oadby and Wigston"
    assert any("2 areas summed: Blaby, Oadby and Wigston" in w for w in doc["warnings"])
    run = cli(
        "rank", folder, "-a", "Blaby", "-a", "Oadby and Wigston", "--area-name", "South Leics", "-f", "json"
    )
    doc = json.loads(run.out)
    assert doc["area"] == "South Leics" and sum(r["count"] for r in doc["rows"]) == expected


def test_load_stays_the_function_after_loader_modules_are_imported() -> None:
    import importlib

    importlib.import_module("csp_assess.load.long")
    importlib.import_module("csp_assess.load.combine")
    importlib.import_module("csp_assess.report.build")
    assert callable(ca.load) and ca.load.__module__ == "csp_assess.api"
    assert callable(ca.report) and ca.report.__module__ == "csp_assess.api"
    assert set(ca.__all__) >= {"load", "summary", "rank", "baseline", "compare", "trend", "quarterly"}
    assert set(ca.__all__) >= {"validate", "weights", "priorities", "report"}


def test_an_extract_whose_rows_are_all_rejected_says_so(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "bad.csv"
    f.write_text("MajorText,MinorText,LookUp_BoroughName,202201\nTheft,Other,Camden,1e3\n", encoding="utf-8")
    run = cli("rank", f)
    assert run.code == 1
    assert (
        run.err
        == "Error: no rows were counted (1 of 1 rejected): run validate on the files to see each rejected row and why\n"
    )

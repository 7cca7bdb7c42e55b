"""Shared test helpers: run the CLI in-process and capture what a user would see."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.clirun import run as run_cli

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample_offences.csv"
FIXTURES = REPO / "tests" / "fixtures"
SHARED_DATA = REPO.parent / "shared" / "data"


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """cli(args...) -> Run(code, stdout, stderr), through the real entry point (errors, exit codes)."""

    def run(*args: str | Path) -> Run:
        return Run(*run_cli(capsys, *args))

    return run


def shared(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} not available (../shared is beside the repo in CI)")
    return path


@pytest.fixture(autouse=True)
def _terminal_width_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """A piped table is 160 columns unless COLUMNS says otherwise: tests start with it unset so a
    developer's exported COLUMNS cannot change what they see (the narrow-terminal tests set it)."""
    monkeypatch.delenv("COLUMNS", raising=False)

"""main() builds only the command named first (typer otherwise builds every command's options on each
run); each command must parse, help and fail exactly as it does in the whole app."""

from __future__ import annotations

import pytest
import typer
from tests.clirun import run
from typer.testing import CliRunner

from csp_assess.cli import _app_for, app

# each command's name as typer derives it, worked out here apart from the CLI's own helper
BY_NAME = {
    (i.name or typer.main.get_command_name(i.callback.__name__)): i.callback  # type: ignore[union-attr]
    for i in app.registered_commands
}
COMMANDS = sorted(BY_NAME)


def test_every_command_is_found_alone() -> None:
    assert len(COMMANDS) == len(app.registered_commands) >= 13
    for name in COMMANDS:
        one = _app_for([name, "--help"])
        assert one is not app
        assert [i.callback for i in one.registered_commands] == [BY_NAME[name]]


@pytest.mark.parametrize("name", COMMANDS)
def test_help_is_the_whole_apps(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    whole = CliRunner().invoke(app, [name, "--help"], prog_name="csp-assess", terminal_width=100)
    code, out, _ = run(capsys, name, "--help")
    assert code == whole.exit_code == 0
    # the same text but for where lines wrap (the runner's terminal width is not the console's)
    assert "".join(out.split()) == "".join(whole.output.split())


def test_other_first_words_use_the_whole_app(capsys: pytest.CaptureFixture[str]) -> None:
    assert _app_for([]) is app
    assert _app_for(["--help"]) is app
    assert _app_for(["ranx"]) is app
    code, _, err = run(capsys, "ranx")
    assert code == 2 and "No such command 'ranx'. Did you mean 'rank'?" in err


def test_a_usage_error_names_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "rank", "--no-such-option")
    assert code == 2
    assert "Usage: csp-assess rank [OPTIONS]" in err and "No such option: --no-such-option" in err

"""Write docs/cli-reference.md from the commands' own --help, so the reference cannot drift.

python scripts/cli_reference.py          # rewrite docs/cli-reference.md
python scripts/cli_reference.py --check  # exit 1 if it is out of date (run by the tests)
"""

from __future__ import annotations

import sys
from pathlib import Path

from typer.testing import CliRunner

from csp_assess.cli import app

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli-reference.md"
WIDTH = 100


def _help(args: list[str]) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], prog_name="csp-assess", terminal_width=WIDTH)
    if result.exit_code != 0:
        raise RuntimeError(f"csp-assess {' '.join(args)} --help failed: {result.output}")
    return result.output


def command_paths() -> list[list[str]]:
    """Every command and sub-command, in the order ``csp-assess --help`` lists them."""
    paths: list[list[str]] = [[]]
    for info in app.registered_commands:
        assert info.callback is not None
        paths.append([info.name or info.callback.__name__])
    for group in app.registered_groups:
        assert group.typer_instance is not None and group.name is not None
        paths.append([group.name])
        for info in group.typer_instance.registered_commands:
            assert info.callback is not None
            paths.append([group.name, info.name or info.callback.__name__])
    return paths


def commands() -> list[tuple[list[str], str]]:
    return [(["csp-assess", *path], _help(path)) for path in command_paths()]


def render() -> str:
    lines = [
        "# Command-line reference",
        "",
        "Generated from each command's `--help` by `python scripts/cli_reference.py`; a test fails when it",
        "is out of date. The same analyses are available from Python: see [python-api.md](python-api.md).",
        "",
    ]
    for path, text in commands():
        title = " ".join(path)
        lines += [f"## `{title}`", "", "```", text.rstrip(), "```", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is out of date: run python scripts/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(f"Wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Running the CLI in-process through its real entry point, as every CLI test does."""

from __future__ import annotations

from pathlib import Path

import pytest

from csp_assess.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``csp-assess ARGS``; main() always exits, so SystemExit is required."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 1), out, err

"""The ``csp-assess`` process itself (launch.console_main): what a shell sees, exit codes and output.

The command leaves with ``os._exit`` once its output is flushed (no interpreter teardown), so these run
it as a real process and check that nothing written is lost and every exit code is kept.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import Run

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_offences.csv"


def command(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "csp_assess", *map(str, args)], capture_output=True, timeout=120, **kwargs
    )


def test_output_to_stdout_and_to_a_file_is_complete(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The bytes the process writes, to a pipe or to -o FILE, are the ones ``main`` writes in-process."""
    expected: Run = cli("rank", SAMPLE, "--format", "json")
    assert expected.code == 0
    done = command("rank", SAMPLE, "--format", "json")
    assert done.returncode == 0
    assert done.stdout.decode("utf-8") == expected.out
    assert done.stderr.decode("utf-8") == expected.err
    out = tmp_path / "rank.csv"
    done = command("rank", SAMPLE, "--format", "csv", "-o", out)
    assert done.returncode == 0
    in_process = tmp_path / "in-process.csv"
    assert cli("rank", SAMPLE, "--format", "csv", "-o", in_process).code == 0
    assert out.read_bytes() == in_process.read_bytes() and len(out.read_bytes()) > 1000


def test_exit_codes_are_kept() -> None:
    """1 for bad input (one line, no traceback), 2 for a usage error, 0 for --help."""
    bad = command("rank", "no-such-file.csv")
    assert bad.returncode == 1
    assert bad.stderr.decode().splitlines() == [
        "Error: no such file or folder: check the path (no-such-file.csv)"
    ]
    assert command("rank", SAMPLE, "--no-such-option").returncode == 2
    helped = command("--help")
    assert helped.returncode == 0 and b"rank" in helped.stdout


def test_reader_gone_before_the_output_is_quiet() -> None:
    """``csp-assess rank ... | head`` where head has already exited: click's convention for a closed pipe
    (exit 1, nothing more said), and no 'Exception ignored ... BrokenPipeError' from the final flush."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "csp_assess", "rank", str(SAMPLE), "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader goes away before the command writes a byte
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert err == ""


def test_output_lost_at_the_final_flush_is_an_error() -> None:
    """Output still buffered when the command ends, and the flush fails: exit 1 and say so."""
    probe = (
        "import sys\n"
        "from csp_assess import launch\n"
        "class Full:\n"
        "    def write(self, s): return len(s)\n"
        "    def flush(self): raise OSError(28, 'No space left on device')\n"
        "sys.stdout = Full()\n"
        "launch._leave(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == "Error: cannot write output: No space left on device\n"

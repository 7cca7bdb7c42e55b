"""The ``csp-assess`` command (and ``python -m csp_assess``): start reading, then import the rest.

Only the standard library and the scan-ahead are imported until the files are being read: importing
pandas and the command line (typer) takes ~0.6 s, and on a large street-level extract the scan uses it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from typing import NoReturn


def console_main() -> None:
    """Start the scan-ahead for this command line, run ``cli.main``, then exit quickly.

    At exit the interpreter tears down every module and object pandas and the analysis made (its last
    garbage collections alone took ~0.3 s after a large extract), for memory the OS frees anyway. So once
    ``main`` has finished, its output is flushed and the process leaves at once (``_leave``). With
    ``--debug`` an error propagates as usual, after ``gc.freeze()``. (Not in ``main``, which tests call
    many times.)

    OpenBLAS is held to one thread unless the user says otherwise: the analysis only solves small
    systems, and idle OpenBLAS threads spin on the cores the file scan needs (~0.1 s on a large extract).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported
    try:
        _start()
        from csp_assess.cli import main

        main(scanning=True)
    except SystemExit as done:
        _leave(done.code if isinstance(done.code, int) else (0 if done.code is None else 1))
    finally:
        gc.freeze()


def _start() -> None:
    """Start the scan-ahead; for a command that loads files, import pandas now, with the garbage collector
    off: imports make hundreds of thousands of objects and no garbage, and collecting as they go cost
    ~10% of their ~0.6 s. The survivors are then frozen, so later collections do not walk them again."""
    from csp_assess.load import scan_ahead

    args = [a for a in sys.argv[1:] if a != "--debug"]
    gc.disable()
    try:
        scan_ahead.start_from_argv(args)
        from csp_assess.load import record_ahead  # mapped long CSVs (#17)

        record_ahead.start_from_argv(args)
        if args and args[0] in scan_ahead.LOADING_COMMANDS and not {"--help", "-h"} & set(args):
            import pandas  # noqa: F401  (every loading command needs it; its --help does not)
        import csp_assess.cli  # noqa: F401
    finally:
        gc.freeze()
        gc.enable()


def _leave(code: int) -> NoReturn:
    """Flush standard output and error, then exit without the interpreter's teardown (files the commands
    write are closed by then: each is written inside a ``with``)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # ``csp-assess rank ... | head``: the reader has gone, as main treats it
        pass
    except (OSError, ValueError) as err:  # output lost (a full disk): never a silent success
        print(f"Error: cannot write output: {getattr(err, 'strerror', None) or err}", file=sys.stderr)
        code = code or 1
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(code)

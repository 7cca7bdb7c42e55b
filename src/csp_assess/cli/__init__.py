"""The command line: a thin face over the public API (``csp_assess.api``).

Each command is parse -> api -> present -> emit, in a small module by theme (``assess``, ``config``,
``report``, ``validate``, ``cache``); the options every loading command shares are declared once in
``options``. ``main`` turns the core's typed errors into one ``Error:`` line naming the flag, and an exit
code: 0 success, 1 bad input or a data error, 2 a usage error. ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import gc
import sys
import warnings
from typing import Annotated

import typer

from csp_assess import __version__
from csp_assess.cli import assess, cache, config, evidence, places, report, validate
from csp_assess.cli.options import flag_of
from csp_assess.errors import CspAssessError, InputError, option_names


def _new_app() -> typer.Typer:
    return typer.Typer(
        name="csp-assess",
        help="Crime and disorder strategic assessment from police offence extracts, in one command.\n\n"
        "Example: csp-assess rank data/sample_offences.csv",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


app = _new_app()

for _module in (assess, places, config, validate, report, cache, evidence):
    for _info in _module.app.registered_commands:
        app.registered_commands.append(_info)
    for _group in _module.app.registered_groups:
        app.registered_groups.append(_group)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"csp-assess {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Crime and disorder strategic assessment from police offence extracts."""


def command_name(info: typer.models.CommandInfo) -> str:
    """The name a registered command is typed as (its own, else its function's, as typer names it)."""
    return info.name or typer.main.get_command_name(info.callback.__name__ if info.callback else "")


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command named first, when it names one: typer builds the options of every
    command it holds from their signatures on each run (about 20 ms for all of them), and one command
    parses, helps and errs exactly as in the whole app."""
    name = args[0] if args else ""
    chosen = [i for i in app.registered_commands if command_name(i) == name]
    if len(chosen) != 1:
        return app
    one = _new_app()
    one.registered_callback = app.registered_callback
    one.registered_commands = chosen
    return one


def main(argv: list[str] | None = None) -> None:
    """Run one command line: one line per error, no traceback unless --debug."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    try:
        with warnings.catch_warnings(), option_names(flag_of):  # notes name flags, not API keywords
            if not debug:  # library warnings are not for the analyst: what matters is said as a warning line
                warnings.simplefilter("ignore")
            # Standalone mode: typer prints usage errors itself and exits 2.
            _app_for(args)(args=args, prog_name="csp-assess")
        code = 0
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else (0 if err.code is None else 1)
    except CspAssessError as err:
        if debug:
            raise
        print(f"Error: {err.render(flag_of)}", file=sys.stderr)
        code = err.exit_code
    except BrokenPipeError:
        code = 0
    except KeyboardInterrupt:
        print("Interrupted", file=sys.stderr)
        code = 130
    except MemoryError:
        if debug:
            raise
        print("Error: out of memory", file=sys.stderr)
        code = 1
    except OSError as err:
        if debug:
            raise
        print(f"Error: {InputError(err.strerror or str(err), file=err.filename)}", file=sys.stderr)
        code = 1
    except Exception as err:  # the last line of defence: one line, never a traceback
        if debug:
            raise
        print(
            f"Error: internal error ({type(err).__name__}: {err}); rerun with --debug and report it",
            file=sys.stderr,
        )
        code = 1
    if argv is None:  # the process ends here
        # Leave the objects for the operating system to reclaim at exit: Python's own teardown would
        # free them one by one, 0.1-0.15 s after pandas is imported (a third of a small run's time).
        # Not when called in-process (tests, scripts): frozen objects are never collected.
        gc.freeze()
    sys.exit(code)

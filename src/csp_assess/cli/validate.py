"""`csp-assess validate`: what each file holds and what was read, counted and rejected."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from csp_assess import api
from csp_assess.cli.options import FilesArg, MapFileOpt, MapOpt, Output, build_mapping, command
from csp_assess.cli.output import format_of, target

app = typer.Typer()

TABLE_REJECTS = 50  # the terminal shows this many rejected rows; JSON and --output show them all


@command(app)
def validate(
    out: Output,
    files: FilesArg,
    map_: MapOpt = None,
    map_file: MapFileOpt = None,
    all_rejects: Annotated[
        bool,
        typer.Option("--all-rejects", help=f"List every rejected row (the table shows {TABLE_REJECTS})."),
    ] = False,
) -> None:
    """Check extract files: layout, encoding, rows read/counted/rejected, months and gaps, areas,
    unrecognised categories and which overlapping snapshot won each month. Exit 1 if any file is unusable.

    Example: csp-assess validate data/ --format json
    """
    fmt = format_of(out)
    path = target(out)
    shown = None if (all_rejects or path is not None) else TABLE_REJECTS
    result = api.validate(files, mapping=build_mapping(map_, map_file), max_rejects=shown)
    if fmt == "json":
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
        if path is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            from csp_assess.render import write_text

            write_text(path, text, "utf-8")
            print(f"Wrote {path} (json)", file=sys.stderr)
    else:
        from csp_assess.cli.output import emit

        emit(result, out)
    if result.validation is not None:
        for rep in result.validation.unusable:
            print(f"Error: {rep.error}", file=sys.stderr)
    if not result.usable:
        raise typer.Exit(1)

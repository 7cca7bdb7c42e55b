"""``csp-assess validate``: what each file is and what was read, counted and rejected, before any analysis."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from csp_assess.cli_options import FilesArg, Format, FormatOpt, MapFileOpt, MapOpt, OutputOpt, build_mapping

TABLE_REJECTS = 50  # the terminal shows this many rejected rows; JSON and --output show them all


def validate(
    files: FilesArg,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
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
    from csp_assess.analysis.validate import validate_paths
    from csp_assess.output import check_not_input

    check_not_input(output, files)
    mapping = build_mapping(map_, map_file)
    report = validate_paths(files, mapping)
    fmt_name = fmt.value if fmt else None
    if fmt_name is None and output is not None and output.suffix.lower() == ".json":
        fmt_name = Format.json.value
    if fmt_name == Format.json.value:
        _write_json(_json_obj(report), output)
    else:
        from csp_assess.render import emit

        emit(_result(report, all_rejects or output is not None), fmt_name, output)
    for rep in report.unusable:
        print(f"Error: {rep.error}", file=sys.stderr)
    if report.unusable:
        raise typer.Exit(1)


def _json_obj(report: Any) -> dict[str, Any]:
    return {
        "files": [f.record() for f in report.files],
        "rejects": [{"file": r.file, "line": r.line, "reason": r.reason} for r in report.rejects],
        "warnings": report.warnings,
        "unusable": [{"path": f.path, "error": f.error} for f in report.unusable],
    }


def _write_json(obj: dict[str, Any], output: Path | None) -> None:
    from csp_assess.output import safe_stdio, write_atomic

    safe_stdio()
    write_atomic(output or "-", json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def _result(report: Any, all_rejects: bool) -> Any:
    from csp_assess.analysis.validate import files_frame, rejects_frame
    from csp_assess.result import Result, Table, source_record

    files = files_frame(report)
    rejects = rejects_frame(report)
    shown = rejects if all_rejects else rejects.head(TABLE_REJECTS)
    notes = []
    usable = [f.source for f in report.files if f.source is not None]
    read = sum(s.rows_read for s in usable)
    counted = sum(s.rows_counted for s in usable)
    rejected = sum(s.rows_rejected for s in usable)
    notes.append(
        f"Read {read:,} rows from {len(usable)} usable file{'s' if len(usable) != 1 else ''}: "
        f"{counted:,} counted + {rejected:,} rejected"
    )
    if len(shown) < len(rejects):
        notes.append(
            f"{len(rejects) - len(shown):,} more rejected row(s): use --all-rejects or --format json"
        )
    if report.unusable:
        notes.append(f"{len(report.unusable)} file(s) unusable: see the errors below")
    columns = [
        "path",
        "status",
        "layout",
        "encoding",
        "rows_read",
        "rows_counted",
        "rows_rejected",
        "first_month",
        "last_month",
        "gaps",
        "areas",
        "unrecognised",
    ]
    detail = ["months_used", "superseded", "gap_months", "area_names", "error"]
    tables = {"files": Table(files, [c for c in columns if c in files.columns], "Files", detail)}
    if len(rejects):
        tables["rejects"] = Table(shown, ["file", "line", "reason"], "Rejected rows")
    return Result(
        command="validate",
        meta={"files": len(report.files), "unusable": len(report.unusable)},
        tables=tables,
        sources=[source_record(s) for s in usable],
        warnings=report.warnings,
        title="Validate: what was read, counted and rejected",
        notes=notes,
        primary="files",
    )


def register(app: typer.Typer) -> None:
    app.command(name="validate")(validate)

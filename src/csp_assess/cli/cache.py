"""`csp-assess cache`: where the cache of aggregated counts lives, and clearing it."""

from __future__ import annotations

import contextlib

import typer

app = typer.Typer()

cache_app = typer.Typer(
    help="The cache of aggregated counts of large street-level files and zip downloads.\n\n"
    "Counts are cached per file (keyed on its identity and the loader version) so a second run reads "
    "them instead of the file; --no-cache on the assessment commands bypasses it (validate and outcomes always "
    "read the files afresh).\n\n"
    "Example: csp-assess cache clear",
    no_args_is_help=True,
)
app.add_typer(cache_app, name="cache")


@cache_app.command()
def info() -> None:
    """Say where the cache lives (CSP_ASSESS_CACHE_DIR, else the user cache folder) and what it holds.

    Example: csp-assess cache info
    """
    from csp_assess.load.cache import cache_dir, own_files

    folder = cache_dir()
    entries = own_files()  # only the cache's own files: the folder may hold the user's too
    size = 0
    for p in entries:
        with contextlib.suppress(OSError):  # removed since it was listed (another run clearing it)
            size += p.stat().st_size
    loads = sum(1 for p in entries if p.suffix == ".json")  # one entry: a .json and its .parquet
    typer.echo(f"Cache: {folder}")
    typer.echo(f"{loads} cached input file(s) in {len(entries)} cache file(s), {size / 1e6:.2f} MB")


@cache_app.command()
def clear() -> None:
    """Delete every cached count (the next run reads the files again).

    Example: csp-assess cache clear
    """
    from csp_assess.load.cache import cache_dir, clear

    removed = clear()
    typer.echo(f"Removed {removed} cached file(s) from {cache_dir()}")

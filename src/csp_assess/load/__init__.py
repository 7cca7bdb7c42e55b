"""Loading: any supported file, folder or zip -> one ``Extract`` (tidy counts + provenance + rejects).

One module per source layout; ``detect`` tells them apart; ``combine`` resolves overlapping snapshots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from csp_assess.errors import InputError

if TYPE_CHECKING:  # kept light: the launcher imports this package (for scan_ahead) first of all
    from csp_assess.model import Extract, FileLoad

DATA_SUFFIXES = (".csv", ".zip", ".xlsx", ".parquet", ".pq")

Progress = Callable[[str, int, int], None]


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files named, and the data files found (recursively) in folders named; sorted, no duplicates."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise InputError("no such file or folder: check the path", file=str(path))
        if path.is_dir():
            found = sorted(
                f
                for f in path.rglob("*")
                if f.is_file() and f.suffix.lower() in DATA_SUFFIXES and not f.name.startswith(".")
            )
            if not found:
                raise InputError(
                    "folder holds no .csv, .zip, .xlsx or .parquet files: point at the folder of the extract",
                    file=str(path),
                )
            out.extend(found)
        else:
            out.append(path)
    seen: set[Path] = set()
    unique: list[Path] = []
    for f in out:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def load_file(path: Path, mapping: dict[str, str] | None = None) -> list[FileLoad]:
    """Read one file (a zip may hold many) in whatever layout its header shows."""
    from csp_assess.load import long, met_wide, police_uk
    from csp_assess.load.detect import sniff

    mapping = mapping or {}
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return police_uk.read_police_uk_zip(path)
    if suffix == ".xlsx":
        return [long.read_excel(path, mapping)]
    if suffix in (".parquet", ".pq"):
        return [long.read_parquet(path, mapping)]
    detected = sniff(path) if not mapping else None
    if detected is None or detected.layout == "long":
        delim = detected.delimiter if detected else _delimiter_of(path)
        return [long.read_long_csv(path, delim, mapping)]
    if detected.layout == "police-uk":
        return [police_uk.read_police_uk_csv(path, str(path), use_threads=False)]
    return [met_wide.read_met_wide(path, detected)]


def _delimiter_of(path: Path) -> str:
    from csp_assess.load.detect import header_of
    from csp_assess.load.textio import decode_bytes, read_head

    first = read_head(path).split(b"\n", 1)[0]
    text, _ = decode_bytes(first, str(path))
    return header_of(text, str(path))[1]


def load_extract(
    paths: Sequence[str | Path],
    mapping: dict[str, str] | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> Extract:
    """Load and combine every file named (folders and zips expanded)."""
    from concurrent.futures import ThreadPoolExecutor

    from csp_assess.load.combine import combine

    files = expand_paths(paths)
    results: list[list[FileLoad]] = []
    # pyarrow parses outside the GIL, so two large street files are read at once (2 cores here);
    # results are kept in file order, so the output does not depend on which thread finished first.
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_load_cached, f, mapping, use_cache) for f in files]
        for i, (f, fut) in enumerate(zip(files, futures, strict=True)):
            if progress:
                progress(str(f), i, len(files))
            results.append(fut.result())
    if progress:
        progress("", len(files), len(files))
    loads = [ld for group in results for ld in group]
    return combine(loads)


def _load_cached(path: Path, mapping: dict[str, str] | None, use_cache: bool) -> list[FileLoad]:
    """Large street-level files and zip downloads are cached (keyed by the file's identity taken before
    it is read, see ``cache``); the rest is cheap. A corrupt entry is re-read, with a warning."""
    suffix = path.suffix.lower()
    worth_it = suffix == ".zip" or (suffix == ".csv" and path.stat().st_size >= 4_000_000)
    if not use_cache or mapping or not worth_it:
        return load_file(path, mapping)
    from csp_assess.load import cache

    found = cache.lookup(path)
    if found.loads is not None:
        return found.loads
    loads = load_file(path, mapping)
    notes: list[str] = [found.problem] if found.problem else []
    if found.ident is None:
        pass  # not a regular file (or unreadable): nothing to cache
    elif cache.unchanged(path, found.ident):
        cache.put_all(path, loads, ident=found.ident)  # before the notes: they are about this run only
    else:  # never cached under either identity
        notes.append(
            f"{path}: the file changed while it was read, so its counts may mix two versions: run again "
            "once it is complete"
        )
    if loads:
        loads[0].warnings.extend(notes)
    return loads

"""Loading: any supported file, folder or zip -> one ``Extract`` (tidy counts + provenance + rejects).

One module per source layout; ``detect`` tells them apart; ``combine`` resolves overlapping snapshots.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from csp_assess.errors import InputError

if TYPE_CHECKING:  # pandas is imported when files are read, not to expand their names
    from csp_assess.model import Extract, FileLoad

DATA_SUFFIXES = (".csv", ".zip", ".xlsx", ".parquet", ".pq")

Progress = Callable[[str, int, int], None]


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files named, and the data files found (recursively) in folders named; sorted, no duplicates.

    A folder that cannot be listed (a month sub-folder without read permission) is an error naming it,
    never skipped; so is anything that is not a regular file (a FIFO, ``<(cat file)``, a device): those
    would block or could be read only once."""
    if isinstance(paths, str | Path):
        paths = [paths]
    if not paths:
        raise InputError("no files given: name the extract files or folders to read")
    out: list[Path] = []
    for p in paths:
        if not isinstance(p, str | Path):
            raise InputError(f"not a file name: {p!r}; give file or folder paths (str or pathlib.Path)")
        if not str(p).strip():
            # Path("") is the current folder: an unset shell variable ("$FILES") would silently read every
            # data file under it.
            raise InputError(
                "an empty file name (an unset shell variable?): name the extract files or folders"
            )
        path = Path(p)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise InputError("no such file or folder: check the path", file=str(path)) from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
        if stat.S_ISDIR(st.st_mode):
            found = _data_files(path)
            if not found:
                raise InputError(
                    "folder holds no .csv, .zip, .xlsx or .parquet files: point at the folder of the extract",
                    file=str(path),
                )
            out.extend(found)
        else:
            _require_regular(path, st.st_mode)
            out.append(path)
    for f in out:
        _require_utf8_name(f)
    seen: set[Path] = set()
    unique: list[Path] = []
    for f in out:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def _require_utf8_name(path: Path) -> None:
    """A name with bytes that are not UTF-8 (a Latin-1 ``Données.csv`` copied from Windows) reaches Python as
    lone surrogates, which no table, CSV, JSON or report can hold: refused by name, with what to do, before
    anything is read (it was an internal error, UnicodeEncodeError, in validate and report)."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise InputError(
            "the file name holds bytes that are not UTF-8 text: rename the file (or its folder) and try again",
            file=shown,
        ) from None


def _require_regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise InputError(
            "not a regular file (a pipe, FIFO or device): save the data to a file and name that",
            file=str(path),
        )


def _data_files(folder: Path) -> list[Path]:
    """The data files under ``folder``, sorted; an unreadable sub-folder raises ``InputError``."""

    def fail(exc: OSError) -> None:
        where = exc.filename or str(folder)
        raise InputError(
            f"cannot read folder: {exc.strerror or exc} (its files would be left out): fix its permissions "
            "or move it out of the extract",
            file=str(where),
        )

    found: list[Path] = []
    for root, dirs, names in os.walk(folder, onerror=fail):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.startswith(".") or Path(name).suffix.lower() not in DATA_SUFFIXES:
                continue
            f = Path(root) / name
            try:
                mode = f.stat().st_mode
            except OSError as exc:
                raise InputError(f"cannot read: {exc.strerror or exc}", file=str(f)) from None
            _require_regular(f, mode)
            found.append(f)
    return sorted(found)


class SkippedFile(InputError):
    """A file that holds no offences (a police.uk outcomes or stop-and-search file): ``load_extract`` leaves
    it out and names it in one warning; to a caller of ``load_file`` it is an input error saying what it is."""

    def __init__(self, kind: str, path: Path) -> None:
        super().__init__(
            f"a data.police.uk {kind} file: it holds no offences to count (name the *-street.csv files)",
            file=str(path),
        )
        self.kind = kind


def load_file(path: Path, mapping: dict[str, str] | None = None, subareas: bool = True) -> list[FileLoad]:
    """Read one file (a zip may hold many) in whatever layout its header shows; ``subareas=False``: street
    files counted per area only (no ``subarea`` column)."""
    from csp_assess.load import long, met_wide, police_uk
    from csp_assess.load.detect import sniff

    mapping = mapping or {}
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _skip_other_police_uk(path)
    if suffix == ".zip":
        return police_uk.read_police_uk_zip(path, subareas=subareas)
    if suffix == ".xlsx":
        return [long.read_excel(path, mapping)]
    if suffix in (".parquet", ".pq"):
        return [long.read_parquet(path, mapping)]
    detected = sniff(path) if not mapping else None
    if detected is None or detected.layout == "long":
        delim = detected.delimiter if detected else _delimiter_of(path)
        return [long.read_long_csv(path, delim, mapping)]
    if detected.layout == "police-uk":
        return [police_uk.read_police_uk_csv(path, str(path), use_threads=False, subareas=subareas)]
    return [met_wide.read_met_wide(path, detected)]


def _skip_other_police_uk(path: Path) -> None:
    """Raise ``SkippedFile`` for a police.uk outcomes or stop-and-search CSV (by name, else by header),
    whatever ``--map`` says: they count outcomes and searches, not offences."""
    from csp_assess.load.street_scan import other_kind

    kind = other_kind(path.name)
    if kind is None:
        from csp_assess.load.textio import read_head

        first = read_head(path).split(b"\n", 1)[0].decode("utf-8", errors="replace")
        kind = other_kind(path.name, [c.strip() for c in first.split(",")])
    if kind is not None:
        raise SkippedFile(kind, path)


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
    *,
    subareas: bool = True,
    places_for: Sequence[str] | None = None,
) -> Extract:
    """Load and combine every file named (folders and zips expanded). ``subareas=False`` sums street-level
    files' LSOAs into their areas (see ``combine``): for analyses that do not look at places;
    ``places_for`` keeps the LSOAs of the areas named only (see ``combine``)."""
    from concurrent.futures import ThreadPoolExecutor

    from csp_assess.load.combine import combine

    files = expand_paths(paths)
    results: list[list[FileLoad]] = []
    skipped: list[tuple[str, str]] = []
    # pyarrow parses outside the GIL, so two large street files are read at once (2 cores here);
    # results are kept in file order, so the output does not depend on which thread finished first.
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_load_cached, f, mapping, use_cache, subareas) for f in files]
        for i, (f, fut) in enumerate(zip(files, futures, strict=True)):
            if progress:
                progress(str(f), i, len(files))
            try:
                results.append(fut.result())
            except SkippedFile as skip:
                skipped.append((str(f), skip.kind))
    if progress:
        progress("", len(files), len(files))
    loads = [ld for group in results for ld in group]
    if not skipped:
        return combine(loads, subareas=subareas, places_for=places_for)
    from csp_assess.load.street_scan import skipped_note

    where = str(paths[0]) if len(paths) == 1 else f"{len(paths)} inputs"
    note = skipped_note(where, skipped)
    if not loads:
        raise InputError(f"no offences to count: {note}; name the *-street.csv files")
    extract = combine(loads, subareas=subareas, places_for=places_for)
    extract.warnings.append(note)
    return extract


def _load_cached(
    path: Path, mapping: dict[str, str] | None, use_cache: bool, subareas: bool = True
) -> list[FileLoad]:
    """Large street-level files and zip downloads are cached (keyed by the file's identity taken before
    it is read, see ``cache``); the rest is cheap. Loads with and without subareas are separate entries
    (a version suffix). A corrupt entry is re-read, with a warning."""
    suffix = path.suffix.lower()
    worth_it = suffix == ".zip" or (suffix == ".csv" and path.stat().st_size >= 4_000_000)
    if not use_cache or mapping or not worth_it:
        return load_file(path, mapping, subareas)
    from csp_assess.load import cache

    version = None if subareas else f"{cache.loader_version()}/areas"
    found = cache.lookup(path, version)
    if found.loads is not None:
        return found.loads
    loads = load_file(path, mapping, subareas)
    notes: list[str] = [found.problem] if found.problem else []
    if found.ident is None:
        pass  # not a regular file (or unreadable): nothing to cache
    elif cache.unchanged(path, found.ident):
        cache.put_all(
            path, loads, version, ident=found.ident
        )  # before the notes: they are about this run only
    else:  # never cached under either identity
        notes.append(
            f"{path}: the file changed while it was read, so its counts may mix two versions: run again "
            "once it is complete"
        )
    if loads:
        loads[0].warnings.extend(notes)
    return loads

"""The C scanner of plain data.police.uk street-level CSVs, behind one function: ``scan``.

The scanner (``_csvscan.c``) is an optional accelerator. ``police_uk`` asks it first and reads with its
general (pyarrow) reader, the reference implementation, whenever ``scan`` returns None: the module is not
built, or the file is not plain (see ``_csvscan.c``). Both apply the same rules to the same codes,
and the tests compare them on real and hostile files. Also here: what the loader needs to recognise
police.uk files (header, file kinds) without importing pandas.
"""

from __future__ import annotations

import mmap
import os
from typing import Any

from csp_assess.load.textio import first_line

try:  # without a C compiler at install time the module is missing, and pyarrow reads every file
    from csp_assess.load import _csvscan
except ImportError:  # pragma: no cover - depends on the build
    _csvscan = None  # type: ignore[assignment]

# Bump when a change to either reader changes what a load holds: cached loads are keyed by it.
# 2: LSOA kept as ``subarea``; 3: long files keep an ``ho_code`` column; 4: Excel's "Apr-21" months read,
# Met pasted headers rejected; 5: long files' "Apr-21" months and flag_<name> columns read by name;
# 6: street months outside 1900-2100 rejected (a mistyped year)
LOADER_VERSION = "police-uk-6"

# The columns a header must have to be read as this layout (early police.uk files lack "Context").
REQUIRED_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "LSOA name", "Crime type"]
HEAD_BYTES = 65536

# (rows, [(codes, values)] for Month, Falls within, LSOA (code + "," + name), Crime type,
#  [rows sharing a Crime ID], rows per (month, force, lsoa, type) combination: see _csvscan.c)
RawScan = tuple[int, list[tuple[bytes, list[bytes]]], list[bytes], bytes]

# The scanner's reason when a mapped file shrank under it: an error, not a case for the other reader.
CHANGED = "the file changed while it was read"

# What the other files of a police.uk download are, by the end of their name (lower case).
OTHER_KINDS = {"-outcomes.csv": "outcomes", "-stop-and-search.csv": "stop-and-search"}
# ... and by their header: columns only each kind has.
_OUTCOMES_COLUMNS = {"Outcome type", "Crime ID", "Month", "Falls within"}
_STOP_SEARCH_COLUMNS = {"Type", "Date", "Object of search", "Legislation"}


def is_police_uk_header(header: list[str]) -> bool:
    """True if ``header`` (the first row of a CSV, cells as read) is a police.uk street-level header."""
    names = {h.strip().lstrip("\ufeff").strip('"') for h in header}
    return all(c in names for c in REQUIRED_COLUMNS)


def other_kind(name: str, header: list[str] | None = None) -> str | None:
    """``"outcomes"`` or ``"stop-and-search"`` for the non-crime files of a police.uk download (by name,
    or by header when one is given); None for anything else. They count searches and outcomes, not
    offences, so the loader skips them and says so."""
    lower = name.lower()
    for suffix, kind in OTHER_KINDS.items():
        if lower.endswith(suffix):
            return kind
    if header is not None:
        names = {h.strip().lstrip("\ufeff").strip('"') for h in header}
        if names >= _STOP_SEARCH_COLUMNS:
            return "stop-and-search"
        if names >= _OUTCOMES_COLUMNS and "Crime type" not in names:
            return "outcomes"
    return None


def is_street_member(member: str) -> bool:
    """A zip member that is a street-level crime file (police.uk downloads also hold outcomes and stop and
    search files)."""
    return member.lower().endswith("-street.csv")


def sniff_encoding(head: bytes) -> str:
    """``utf-8-sig`` with a BOM; ``cp1252`` if the first 64 KiB are not UTF-8; else ``utf-8``."""
    encoding = "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        head.decode(encoding)
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is not an error.
        if exc.start < len(head) - 4 or len(head) < HEAD_BYTES:
            return "cp1252"
    return encoding


def header_cells(head: bytes, encoding: str) -> list[str]:
    """The header's cells: the first line only is decoded (a line end byte is never inside a character)."""
    cut = head.find(b"\n")
    first = first_line(head[: cut + 1 if cut >= 0 else len(head)].decode(encoding, errors="replace"))
    return [c.strip().strip('"') for c in first.split(",")]


def scan(source: str | Any, head: bytes, header: list[str]) -> RawScan | str | None:
    """The C scanner over a file (a path: mapped, never read into a Python buffer) or a buffer of its
    bytes; ``head`` is their start and ``header`` its cells.

    Returns the scan; None when the general reader must decide (no C module, a header the scanner does not
    take, a file that is not plain); or ``CHANGED`` when a mapped file shrank while it was scanned.
    """
    if _csvscan is None:
        return None
    names = [h.lstrip("\ufeff") for h in header]
    if len(set(names)) != len(names) or len(names) > 256:
        return None
    at = names.index
    if "LSOA code" not in names or at("LSOA code") != at("LSOA name") - 1:
        return None  # the scanner keeps the LSOA as the bytes from its code to its name: adjacent only
    cols = (
        at("Crime ID"),
        at("Month"),
        at("Falls within"),
        at("LSOA code"),
        at("LSOA name"),
        at("Crime type"),
    )
    newline = head.find(b"\n")
    if newline < 0:
        return None  # no data line, or a header longer than the sample: the general reader decides
    cr = head.find(b"\r", 0, newline)
    if cr >= 0 and cr != newline - 1:
        return None  # a lone carriage return ends the header for pyarrow: old Mac line ends
    raw_names = head[:newline].rstrip(b"\r").decode("utf-8", errors="replace").lstrip("\ufeff").split(",")
    if [_unquoted(c) for c in raw_names] != names:
        return None  # spaces or quotes around header names: pyarrow matches columns on the raw text
    start = newline + 1
    if not isinstance(source, str):
        return _result(_csvscan.street(source, start, len(names), cols))
    try:
        with open(source, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            before = os.fstat(fh.fileno()).st_size
            out = _csvscan.street(mm, start, len(names), cols)
            if os.fstat(fh.fileno()).st_size != before:
                return CHANGED
            return _result(out)
    except (OSError, ValueError):  # not mappable (a pipe, some network filesystems): the general reader
        return None


def _result(out: RawScan | str) -> RawScan | str | None:
    if isinstance(out, str):
        return CHANGED if out == CHANGED else None
    return out


def _unquoted(cell: str) -> str:
    """A header cell as pyarrow names the column: a fully quoted cell loses its quotes, nothing else."""
    return cell[1:-1] if len(cell) >= 2 and cell[0] == cell[-1] == '"' else cell


def skipped_note(where: str, skipped: list[tuple[str, str]]) -> str:
    """One warning for the files of a download that hold no crimes: how many of each kind, and the first
    few names. ``skipped`` is (file name, kind) pairs."""
    kinds: dict[str, int] = {}
    for _, kind in skipped:
        kinds[kind] = kinds.get(kind, 0) + 1
    what = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    names = [os.path.basename(s) for s, _ in skipped]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"{where}: skipped {len(skipped)} files that hold no street-level crimes ({what}): {shown}"

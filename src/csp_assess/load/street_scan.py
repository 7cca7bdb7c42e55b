"""The fast path for plain data.police.uk street-level CSVs: sniff the header, run the C scanner.

Light on purpose (the standard library and the C module only): ``scan_ahead`` runs it in background
threads while the command is still importing pandas. ``police_uk`` turns what it returns into counts
with the same rules as its general (pyarrow) reader, and uses that reader for any file the scanner
declines (see ``_streetscan.c``).
"""

from __future__ import annotations

import mmap
import threading
from typing import IO, Any

from csp_assess.load.textio import first_line

try:  # without a C compiler at install time the module is missing, and pyarrow reads every file
    from csp_assess.load import _streetscan
except ImportError:  # pragma: no cover - depends on the build
    _streetscan = None  # type: ignore[assignment]

# Bump when a change to either reader changes what a load holds: cached loads are keyed by it.
LOADER_VERSION = "police-uk-1"

# The columns a header must have to be read as this layout (early police.uk files lack "Context").
REQUIRED_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "LSOA name", "Crime type"]
HEAD_BYTES = 65536

# (rows, [(codes, values)] for Month, Falls within, LSOA name, Crime type, [rows sharing a Crime ID],
#  rows per (month, force, area, type) combination: see _streetscan.c)
RawScan = tuple[int, list[tuple[bytes, list[bytes]]], list[bytes], bytes]


def available() -> bool:
    return _streetscan is not None


def is_police_uk_header(header: list[str]) -> bool:
    """True if ``header`` (the first row of a CSV, cells as read) is a police.uk street-level header."""
    names = {h.strip().lstrip("\ufeff").strip('"') for h in header}
    return all(c in names for c in REQUIRED_COLUMNS)


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


def scan_buffer(buffer: Any, head: bytes, header: list[str]) -> RawScan | None:
    """Scan the file's bytes (``head`` is their start) with the C scanner; None if it is not plain."""
    if _streetscan is None:
        return None
    names = [h.lstrip("\ufeff") for h in header]
    if len(set(names)) != len(names) or len(names) > 256:
        return None
    at = names.index
    cols = (at("Crime ID"), at("Month"), at("Falls within"), at("LSOA name"), at("Crime type"))
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
    scanned = _streetscan.scan(buffer, start, len(names), cols)
    return None if isinstance(scanned, str) else scanned


def scan_file(path: str, head: bytes, header: list[str]) -> RawScan | None:
    """``scan_buffer`` over the file mapped into memory (never read into a Python buffer)."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return scan_buffer(mm, head, header)


def _unquoted(cell: str) -> str:
    """A header cell as pyarrow names the column: a fully quoted cell loses its quotes, nothing else."""
    return cell[1:-1] if len(cell) >= 2 and cell[0] == cell[-1] == '"' else cell


def _plain_header(head: bytes) -> list[str] | None:
    """The header cells if ``head`` starts a UTF-8 street-level file (the scanner's case), else None."""
    if not head.strip():
        return None
    encoding = sniff_encoding(head)
    header = header_cells(head, encoding)
    return header if encoding != "cp1252" and is_police_uk_header(header) else None


def scan_path(path: str) -> RawScan | None:
    """Scan a file on disk if it is a plain UTF-8 street-level CSV; None otherwise, or on any error
    (the loader then reads it the general way, and reports what is wrong)."""
    if _streetscan is None:
        return None
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
        header = _plain_header(head)
        return scan_file(path, head, header) if header is not None else None
    except (OSError, ValueError):
        return None


def is_street_member(member: str) -> bool:
    """A zip member that is a street-level crime file (police.uk downloads also hold outcomes and stop and
    search files)."""
    return member.lower().endswith("-street.csv")


def member_name(zip_path: str, member: str) -> str:
    """What the loader calls a zip member: ``<zip path>!<member>``."""
    return f"{zip_path}!{member}"


def scan_zip_member(zip_path: str, member: str) -> RawScan | None:
    """``scan_path`` for a member of a zip, decompressed in memory; None on any error (the loader then
    reads the member itself, and reports what is wrong)."""
    if _streetscan is None:
        return None
    import zipfile
    import zlib

    try:
        with zipfile.ZipFile(zip_path) as zf, zf.open(member) as fh:
            data = _read_all(fh, zf.getinfo(member).file_size)
    except (OSError, ValueError, KeyError, EOFError, NotImplementedError, zipfile.BadZipFile, zlib.error):
        return None
    head = bytes(data[:HEAD_BYTES])
    header = _plain_header(head)
    return scan_buffer(data, head, header) if header is not None else None


_thread_buffer = threading.local()


def _read_all(fh: IO[bytes], size: int) -> memoryview:
    """The rest of ``fh`` (``size`` bytes expected), in a buffer this thread reuses member after member: a
    fresh 17 MB ``bytes`` each time cost ~1 s of page faults over a 60-month download."""
    buf: bytearray | None = getattr(_thread_buffer, "buf", None)
    if buf is None or len(buf) < size + 1:
        buf = _thread_buffer.buf = bytearray(size + size // 4 + 1)
    view = memoryview(buf)
    n = 0
    while chunk := fh.read(1 << 20):
        if n + len(chunk) > len(buf):  # longer than the zip says: grow (the old view is let go first)
            view.release()
            buf = _thread_buffer.buf = buf + bytearray(len(chunk) + len(buf) // 2)
            view = memoryview(buf)
        view[n : n + len(chunk)] = chunk
        n += len(chunk)
    return view[:n]

"""The C scanner's part in reading a record-level CSV: the plain stretch of the file, in parallel pieces.

A force extract is nearly always plain: no quote character, every line with the header's number of
fields. ``_csvscan.fields`` (C, the GIL released) dictionary-encodes the mapped columns of such a piece in
one pass, straight from a memory map of the file (no copy), two pieces at a time; it keys dates by their
date part when the time of day is certainly valid (a month needs the date only), so the tally sees about a
thousand distinct dates instead of half a million date-times. The batches are the dictionary columns
pyarrow would give, in file order, so the tally counts them by the same rules.

At the first piece the scanner does not take (a quote, a ragged or blank line, a lone carriage return,
text that is not UTF-8), it stops and says where pyarrow, the reference reader, goes on: that piece
starts a line, and no quote came before it, so it is outside any quoted field.
"""

from __future__ import annotations

import mmap
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa

from csp_assess.errors import InputError
from csp_assess.load.record_tally import Roles

try:  # without a C compiler at install time the module is missing, and pyarrow reads every piece
    from csp_assess.load import _csvscan
except ImportError:  # pragma: no cover - depends on the build
    _csvscan = None  # type: ignore[assignment]

PIECE_BYTES = 8 << 20  # a piece scanned at once: its codes are 16 bytes a row for four columns
IN_FLIGHT = 3  # pieces scanned ahead of the one counted: memory stays a few pieces' codes
MAX_FIELDS = 16  # the scanner's limit on mapped columns
CHANGED = "the file changed while it was read"  # the scanner's reason when a mapped file shrank under it


class PlainScan:
    """The C scanner for one file: which columns it encodes, the batches it gives, and where it stopped."""

    def __init__(self, ncols: int, cols: list[int], date_field: int) -> None:
        self.ncols = ncols
        self.cols = cols
        self.names = [f"c{i}" for i in cols]  # the batch's column names, as the pyarrow reader gives them
        self.date_field = date_field
        self.used = False  # some piece was read by the scanner
        self.resume_at = 0  # after batches(): the offset where pyarrow goes on, or -1 (the whole file read)

    @classmethod
    def of(cls, header: list[str], delimiter: str, roles: Roles, encoding: str) -> PlainScan | None:
        """The scanner for a file with this header, or None where only pyarrow reads it."""
        if _csvscan is None or delimiter != "," or encoding != "utf8" or len(header) > 256:
            return None
        wanted = roles.columns()
        if len(wanted) > MAX_FIELDS:
            return None
        position = {h: i for i, h in enumerate(header)}  # the last of a repeated name, as pyarrow's reader
        return cls(len(header), [position[c] for c in wanted], wanted.index(roles.month))

    def batches(self, path: Path) -> Iterator[pa.RecordBatch]:
        """The file's batches from its start for as long as the pieces are plain; then ``resume_at``."""
        self.resume_at = 0
        try:
            fh = path.open("rb")
        except OSError:
            return
        with fh:
            try:
                mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):  # empty, a pipe, a filesystem that cannot map: pyarrow reads it
                return
            try:
                yield from self._mapped(mm)
            finally:
                mm.close()

    def _mapped(self, mm: mmap.mmap) -> Iterator[pa.RecordBatch]:
        start = _header_end(mm, self.ncols)
        if start is None:
            return
        cuts = _cuts(mm, start)
        pending: deque[tuple[int, Future[pa.RecordBatch | None]]] = deque()
        try:
            with ThreadPoolExecutor(max_workers=2, thread_name_prefix="csv-scan") as pool:
                for a, b in zip(cuts, cuts[1:], strict=False):
                    pending.append((a, pool.submit(self.piece, mm, a, b)))
                    if len(pending) < IN_FLIGHT:
                        continue
                    if not (yield from self._take(pending, mm)):
                        return
                while pending:
                    if not (yield from self._take(pending, mm)):
                        return
            self.resume_at = -1
        finally:
            for _, fut in pending:
                fut.cancel()

    def _take(
        self, pending: deque[tuple[int, Future[pa.RecordBatch | None]]], mm: mmap.mmap
    ) -> Generator[pa.RecordBatch, None, bool]:
        """Yield the oldest piece's batch; False (as the generator's return) when pyarrow must go on."""
        at, fut = pending.popleft()
        batch = fut.result()
        _release(mm, at, pending[0][0] if pending else None)
        if batch is None:
            self.resume_at = at
            for _, rest in pending:
                rest.cancel()
            for _, rest in pending:  # the map must not be closed under a scan still running
                if not rest.cancelled():
                    rest.result()
            pending.clear()
            return False
        yield batch
        return True

    def piece(self, data: mmap.mmap | pa.Buffer, start: int = 0, stop: int = -1) -> pa.RecordBatch | None:
        """The mapped columns of ``data[start:stop]`` (whole lines) as dictionary arrays, or None when
        pyarrow must read them. Raises InputError when the file shrank while it was mapped."""
        out = _csvscan.fields(data, start, self.ncols, self.cols, self.date_field, stop)
        if isinstance(out, str):
            if out == CHANGED:
                raise InputError(f"{CHANGED} (truncated or replaced): read it again once it is complete")
            return None
        rows, fields = out
        arrays = []
        for codes, values in fields:
            try:
                texts = [v.decode("utf-8") for v in values]
            except UnicodeDecodeError:
                return None  # pyarrow reads the piece and reports the encoding
            idx = np.frombuffer(codes, dtype=np.int32) if codes else np.zeros(rows, dtype=np.int32)
            if len(idx) and idx.min() < 0:  # an empty field: "" as pyarrow reads it
                texts.append("")
                idx = np.where(idx < 0, len(texts) - 1, idx).astype(np.int32)
            arrays.append(
                pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32()), pa.array(texts, pa.string()))
            )
        self.used = True
        return pa.RecordBatch.from_arrays(arrays, names=self.names)


def _release(mm: mmap.mmap, start: int, stop: int | None) -> None:
    """Drop the scanned piece's pages from this process (they stay in the page cache), so its memory is a
    few pieces, not the file; a page the next piece shares is kept."""
    if not hasattr(mm, "madvise") or not hasattr(mmap, "MADV_DONTNEED"):  # pragma: no cover - not Linux
        return
    page = mmap.PAGESIZE
    lo = -(-start // page) * page
    hi = (stop if stop is not None else len(mm)) // page * page
    if hi > lo:
        mm.madvise(mmap.MADV_DONTNEED, lo, hi - lo)


def _header_end(mm: mmap.mmap, ncols: int) -> int | None:
    """Where the data starts, when the header line certainly ends at the first line break: no quote in it
    (a quoted name could hold a line break or a comma), no lone carriage return, ``ncols`` names."""
    end = mm.find(b"\n", 0, 1 << 16)
    if end < 0:
        return None
    line = mm[:end]
    if b'"' in line or b"\r" in line.rstrip(b"\r") or line.count(b",") + 1 != ncols:
        return None
    return end + 1


def _cuts(mm: mmap.mmap, start: int) -> list[int]:
    """Piece boundaries: ``start``, then the first line start after every ``PIECE_BYTES``, then the end."""
    size = len(mm)
    cuts = [start]
    while cuts[-1] < size:
        nl = mm.find(b"\n", min(cuts[-1] + PIECE_BYTES, size))
        cuts.append(size if nl < 0 else nl + 1)
    return cuts

"""Scanning a long CSV into a ``Tally``: each piece of the file is read by the C scanner when it is
plain (no quote character) or by pyarrow, the reference, on every core, while this thread counts. Needs
pyarrow and numpy only (not pandas).

The C scanner (``_csvscan.fields``) dictionary-encodes the mapped columns of an unquoted piece in one
pass and drops the time of day from dates whose time is certainly valid (a month needs the date only), so
the tally sees about a thousand distinct dates instead of half a million date-times. It hands the tally
the same dictionary columns pyarrow would, so the count is the same; a file where any date is rejected
is read again by pyarrow alone, so reject reasons quote the whole cell.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from csp_assess.load.record_tally import Roles, Tally, TallyResult

try:  # without a C compiler at install time the module is missing, and pyarrow reads every piece
    from csp_assess.load import _csvscan
except ImportError:  # pragma: no cover - depends on the build
    _csvscan = None  # type: ignore[assignment]

CHUNK_BYTES = 16 << 20  # a piece of the file parsed at once, on every core
BLOCK_BYTES = 2 << 20  # pyarrow's unit of work (and of a batch) inside a piece


class _Ragged:
    """pyarrow's invalid-row handler: counts rows with the wrong number of cells (numbered later)."""

    def __init__(self) -> None:
        self.rows = 0
        self.blank = 0
        self.unpaired = False  # the file's double quotes do not pair up: the reader checks its quoting

    def __call__(self, row: object) -> str:
        text = getattr(row, "text", "") or ""
        if not text.strip():
            self.blank += 1
        else:
            self.rows += 1
        return "skip"


def scan_csv(
    path: Path, header: list[str], delimiter: str, roles: Roles, encoding: str
) -> tuple[TallyResult, _Ragged]:
    """Count the rows of ``path`` (whose header is ``header``); ragged rows are counted, not numbered.
    Raises ``pa.ArrowInvalid`` for text that is not in ``encoding`` or that cannot be parsed."""
    fast = _Plain.of(header, delimiter, roles, encoding)
    result, ragged = _scan(path, header, delimiter, roles, encoding, fast)
    if fast is not None and fast.used and result.month_rejects:
        result, ragged = _scan(path, header, delimiter, roles, encoding, None)
    return result, ragged


def _scan(
    path: Path, header: list[str], delimiter: str, roles: Roles, encoding: str, fast: _Plain | None
) -> tuple[TallyResult, _Ragged]:
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(len(header))]
    by_name = {h: n for h, n in zip(header, names, strict=True)}
    wanted = [by_name[c] for c in roles.columns()]
    text_type = pa.dictionary(pa.int32(), pa.string())
    types: dict[str, pa.DataType] = {c: text_type for c in wanted}
    types[by_name[roles.month]] = pa.string()  # high cardinality (date-times): plain text
    if roles.count:
        types[by_name[roles.count]] = pa.string()  # parsed by the tally, which rejects by line
    ragged = _Ragged()
    quoted = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=ragged)
    # A piece with no double quote at all cannot hold a quoted field: the tokenizer skips quote handling
    # (measured: ~18% less parsing CPU on the record benchmark's pieces).
    plain = pacsv.ParseOptions(delimiter=delimiter, quote_char=False, invalid_row_handler=ragged)
    convert = pacsv.ConvertOptions(
        include_columns=wanted,
        column_types=types,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )

    def tables() -> Iterator[pa.RecordBatch]:
        for i, (chunk, has_quote) in enumerate(_chunks(path, ragged)):
            if fast is not None and (i == 0 or not has_quote):
                batch = fast.batch(chunk, first=i == 0)
                if batch is not None:
                    yield batch
                    continue
            opts = pacsv.ReadOptions(
                column_names=names, skip_rows=1 if i == 0 else 0, block_size=BLOCK_BYTES, encoding=encoding
            )
            table = pacsv.read_csv(pa.BufferReader(chunk), opts, quoted if has_quote else plain, convert)
            del chunk  # the piece's bytes are reused for the next one; the table holds its own copies
            yield from table.to_batches()

    try:
        tally = Tally(_renamed(roles, by_name), str(path))
        for batch in read_ahead(tables()):
            tally.add(batch)
    except _Unpaired:
        # Quotes that do not pair up (a stray inch mark, or a quote left open): read the file as one
        # stream, on one core, so memory stays bounded; the caller checks the quoting.
        ragged.rows = ragged.blank = 0
        ragged.unpaired = True
        tally = Tally(_renamed(roles, by_name), str(path))
        stream = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, block_size=BLOCK_BYTES, encoding=encoding
            ),
            parse_options=quoted,
            convert_options=convert,
        )
        for batch in read_ahead(stream):
            tally.add(batch)
    return tally.finish(), ragged


class _Plain:
    """The C scanner for the plain pieces of one file: which columns it encodes, and the batch it gives."""

    def __init__(self, ncols: int, cols: list[int], names: list[str], date_field: int) -> None:
        self.ncols = ncols
        self.cols = cols
        self.names = names  # the batch's column names, as the pyarrow reader gives them ("c3")
        self.date_field = date_field
        self.used = False  # some piece was read by the scanner

    @classmethod
    def of(cls, header: list[str], delimiter: str, roles: Roles, encoding: str) -> _Plain | None:
        """The scanner for a file with this header, or None where only pyarrow reads it."""
        if _csvscan is None or delimiter != "," or encoding != "utf8" or len(header) > 256:
            return None
        wanted = roles.columns()
        if len(wanted) > 16:
            return None
        position = {h: i for i, h in enumerate(header)}  # the last of a repeated name, as scan_csv names it
        cols = [position[c] for c in wanted]
        return cls(len(header), cols, [f"c{i}" for i in cols], wanted.index(roles.month))

    def batch(self, chunk: pa.Buffer, first: bool) -> pa.RecordBatch | None:
        """The piece's mapped columns as dictionary arrays, or None when pyarrow must read the piece (a
        quote, a ragged or blank line, a lone carriage return, text that is not UTF-8)."""
        start = 0
        if first:  # skip the header line, when it certainly ends at the first line break
            view = memoryview(chunk)
            end = bytes(view[:65536]).find(b"\n")
            line = bytes(view[: max(end, 0)])
            if (
                end < 0
                or line.count(b'"')
                or line.rstrip(b"\r").count(b"\r")
                or line.count(b",") + 1 != self.ncols
            ):
                return None
            start = end + 1
        out = _csvscan.fields(chunk, start, self.ncols, self.cols, self.date_field)
        if isinstance(out, str):
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


class _Unpaired(Exception):
    """The double quotes of the file have not paired up over several pieces."""


def _chunks(path: Path, ragged: _Ragged) -> Iterator[tuple[pa.Buffer, bool]]:
    """The file in pieces of about ``CHUNK_BYTES``, each cut after a line break that is outside any quoted
    field (an even number of double quotes before it), so each piece parses on its own; and whether the
    piece holds a double quote at all. pyarrow parses a piece on every core. Quotes that do not pair up
    within a few pieces raise ``_Unpaired``; an odd number at the end of the file sets ``ragged.unpaired``.

    The pieces are views of one buffer read into again and again (the caller is done with a piece when it
    asks for the next): fresh 16 MB allocations cost page faults on every piece."""
    buf = bytearray(2 * CHUNK_BYTES)
    have = 0  # bytes carried over from the last piece, at the start of buf
    with path.open("rb") as fh:
        while True:
            if len(buf) - have < CHUNK_BYTES:  # quotes have not paired up for a while
                if len(buf) >= 8 * CHUNK_BYTES:
                    raise _Unpaired
                bigger = bytearray(2 * len(buf))
                bigger[:have] = memoryview(buf)[:have]
                buf = bigger
            with memoryview(buf) as view:
                n = fh.readinto(view[have : have + CHUNK_BYTES])
            end = have + n
            if n == 0:
                if have:
                    quotes = buf.count(b'"', 0, have)
                    ragged.unpaired = quotes % 2 == 1
                    yield pa.py_buffer(bytes(buf[:have])), quotes > 0
                return
            cut = buf.rfind(b"\n", have, end)
            if cut < 0:
                have = end
                continue
            # find (memchr) first: most pieces hold no quote, and counting is ten times slower
            quotes = buf.count(b'"', 0, cut + 1) if buf.find(b'"', 0, cut + 1) >= 0 else 0
            if quotes % 2:
                have = end
                continue
            yield pa.py_buffer(buf)[: cut + 1], quotes > 0
            rest = end - cut - 1
            buf[:rest] = buf[cut + 1 : end]
            have = rest


def read_ahead(batches: Iterable[pa.RecordBatch], depth: int = 4) -> Iterator[pa.RecordBatch]:
    """Yield ``batches`` produced by a second thread: pyarrow parses the next block (without the GIL)
    while this thread counts the last one. At most ``depth`` batches wait, so memory stays bounded."""
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for b in batches:
                while not stop.is_set():
                    try:
                        q.put(b, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as err:  # handed to the consumer, which raises it in its own thread
            q.put(err)

    worker = threading.Thread(target=produce, name="csv-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.1)
        worker.join()


def _renamed(roles: Roles, by_name: dict[str, str]) -> Roles:
    def r(c: str | None) -> str | None:
        return by_name[c] if c is not None else None

    return Roles(
        month=by_name[roles.month],
        area=r(roles.area),
        major=r(roles.major),
        minor=r(roles.minor),
        count=r(roles.count),
        subarea=r(roles.subarea),
        flags={k: by_name[v] for k, v in roles.flags.items()},
    )

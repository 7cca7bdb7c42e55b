"""Reading a text file whose encoding is not stated: UTF-8 (with or without BOM), else cp1252.

A file that is UTF-8 but for a few lines (one stray cp1252 byte, a row pasted from Excel) is decoded line
by line: the UTF-8 lines as UTF-8, only the others as cp1252, each named in a warning. Re-decoding the
whole file as cp1252 would turn every "Ynys Môn" into "Ynys MÃ´n" and split one area in two.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from csp_assess.errors import InputError


def first_line(text: str) -> str:
    """The first line of ``text`` as ``text.splitlines()[0]`` gives it ("" for no text), without
    splitting the rest of a 64 KiB sample into lines."""
    cut = text.find("\n")
    lines = (text if cut < 0 else text[: cut + 1]).splitlines()
    return lines[0] if lines else ""


# A valid multi-byte UTF-8 character: where one is present, the file was written as UTF-8.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
MIXED = "utf-8+cp1252"
SHOWN_LINES = 10


@dataclass
class Decoded:
    text: str
    encoding: str  # utf-8, utf-8-sig, cp1252, or utf-8+cp1252 (some lines cp1252: see warnings)
    warnings: list[str] = field(default_factory=list)


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Return (text, encoding used). A file that is neither UTF-8 nor cp1252 is refused by name."""
    done = decode(data, name)
    return done.text, done.encoding


def decode(data: bytes, name: str) -> Decoded:
    """The file's text, the encoding used and warnings naming any line that was not UTF-8."""
    if b"\x00" in data[:4096]:
        raise InputError(
            "file looks binary or UTF-16, not a CSV: save it as CSV (UTF-8) and try again", file=name
        )
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        return Decoded(body.decode("utf-8"), "utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as err:
        first_error = err.start
    if not bom and not _UTF8_MULTIBYTE.search(body):
        try:
            return Decoded(body.decode("cp1252"), "cp1252")  # no UTF-8 anywhere: a cp1252 file
        except UnicodeDecodeError:
            pass  # a byte cp1252 leaves undefined: the line-by-line pass names its line
    return _decode_lines(body, name, first_error)


def _decode_lines(body: bytes, name: str, first_error: int) -> Decoded:
    """UTF-8 with some lines that are not: those lines (only) are read as cp1252 and named.

    Decoding resumes after each odd line (no copies: a memoryview), so a large file with one stray byte
    costs about two UTF-8 passes, not a Python loop over every line."""
    view = memoryview(body)
    parts: list[str] = []
    odd: list[int] = []
    first_bad = 0
    pos = 0  # always the start of a line
    line = 1  # the number of the line at ``pos``
    known: int | None = first_error  # the whole-file attempt already found the first odd byte
    while pos < len(body):
        if known is not None:
            bad, known = known, None
        else:
            try:
                parts.append(str(view[pos:], "utf-8"))
                break
            except UnicodeDecodeError as err:
                bad = pos + err.start
        start = body.rfind(b"\n", pos, bad) + 1 or pos  # a line end byte is never inside a character
        end = body.find(b"\n", bad)
        end = len(body) if end < 0 else end + 1
        parts.append(str(view[pos:start], "utf-8"))
        line += body.count(b"\n", pos, start)
        try:
            parts.append(str(view[start:end], "cp1252"))
        except UnicodeDecodeError as err:
            raise InputError(
                f"byte 0x{body[start + err.start]:02x} is neither UTF-8 nor cp1252: re-save the file as UTF-8",
                file=name,
                line=line,
            ) from err
        if not odd:
            first_bad = body[bad]
        odd.append(line)
        line += 1
        pos = end
    text = "".join(parts)
    if not _UTF8_MULTIBYTE.search(body):
        return Decoded(text, "cp1252")
    shown = ", ".join(map(str, odd[:SHOWN_LINES])) + (" ..." if len(odd) > SHOWN_LINES else "")
    warning = (
        f"{name}: {len(odd)} line(s) are not UTF-8 though the rest of the file is (line {shown}; first "
        f"odd byte 0x{first_bad:02x}): read those lines as cp1252; check their names and re-save the file "
        "as UTF-8"
    )
    return Decoded(text, MIXED, [warning])


def read_text(path: Path) -> tuple[str, str]:
    """Read a whole file as text, sniffing its encoding (warnings about odd lines: ``read_decoded``)."""
    done = read_decoded(path)
    return done.text, done.encoding


def read_decoded(path: Path) -> Decoded:
    """Read a whole file as text, sniffing its encoding line by line where it is mixed. A FIFO or device is
    refused, not read: one with no writer blocks for ever, ``/dev/zero`` never ends."""
    try:
        if stat.S_ISCHR(path.stat().st_mode) or stat.S_ISFIFO(path.stat().st_mode):
            raise InputError(
                "not a regular file (a pipe, FIFO or device): save the data to a file and name that",
                file=str(path),
            )
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror}", file=str(path)) from err
    return decode(data, str(path))


def read_head(path: Path, size: int = 65536) -> bytes:
    """The first bytes of a file, for sniffing its layout."""
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror}", file=str(path)) from err


def unterminated_warning(name: str, line: int) -> str:
    """A file cut off mid-line can still parse: say so, so a short last count is not taken on trust."""
    return (
        f"{name}: the file does not end with a line break, so it may be cut short: "
        f"check the counts on its last line ({line})"
    )

"""Reading a text file whose encoding is not stated: UTF-8 (with or without BOM), else cp1252."""

from __future__ import annotations

from pathlib import Path

from csp_assess.errors import InputError


def first_line(text: str) -> str:
    """The first line of ``text`` as ``text.splitlines()[0]`` gives it ("" for no text), without
    splitting the rest of a 64 KiB sample into lines."""
    cut = text.find("\n")
    lines = (text if cut < 0 else text[: cut + 1]).splitlines()
    return lines[0] if lines else ""


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Return (text, encoding used). A file that is neither UTF-8 nor cp1252 is refused by name."""
    if b"\x00" in data[:4096]:
        raise InputError(
            "file looks binary or UTF-16, not a CSV: save it as CSV (UTF-8) and try again", file=name
        )
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as err:
            raise InputError(
                f"file has a UTF-8 BOM but invalid UTF-8 at byte {err.start}", file=name
            ) from err
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as err:
        raise InputError(
            f"cannot decode the file as UTF-8 or cp1252 (byte {err.start}): re-save it as UTF-8", file=name
        ) from err


def read_text(path: Path) -> tuple[str, str]:
    """Read a whole file as text, sniffing its encoding."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror}", file=str(path)) from err
    return decode_bytes(data, str(path))


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

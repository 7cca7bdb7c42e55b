"""Reading the small files a user names beside the data (priorities, plan, scoring, weights, price index,
population, places lookup): whole, as they are small, but never a folder, a FIFO (reading one with no
writer blocks for ever), a device (``/dev/zero`` would fill memory) or a file too large to be one of
them (a data extract named by mistake). Each refusal is one ``ConfigError`` naming the file.
"""

from __future__ import annotations

import stat
from pathlib import Path

from csp_assess.errors import ConfigError

#: Far above any real one (a population file for every LSOA in England and Wales is ~2 MB).
MAX_BYTES = 64 << 20


def read_small_bytes(path: str | Path, what: str) -> bytes:
    """The bytes of the ``what`` file (``"priorities"``, ``"plan"``...) at ``path``, at most ``MAX_BYTES``."""
    p = Path(path)
    name = str(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ConfigError(f"{what} file not found", file=name) from None
    except OSError as err:
        raise ConfigError(f"cannot read {what} file ({err.strerror or err})", file=name) from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"the {what} file named is a folder: name the file itself", file=name)
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(
            f"the {what} file is not a regular file (a pipe, FIFO or device): save it to a file and name that",
            file=name,
        )
    if st.st_size > MAX_BYTES:
        raise _too_large(what, st.st_size, name)
    try:
        with p.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as err:
        raise ConfigError(f"cannot read {what} file ({err.strerror or err})", file=name) from None
    if len(data) > MAX_BYTES:  # it grew while read
        raise _too_large(what, len(data), name)
    return data


def read_small_text(path: str | Path, what: str) -> str:
    """The file's text: UTF-8, with or without a BOM; other bytes are an error naming their line."""
    data = read_small_bytes(path, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        start = err.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        raise ConfigError(
            f"the {what} file is not UTF-8 (byte 0x{data[start]:02x}): save it as UTF-8",
            file=str(path),
            line=data.count(b"\n", 0, start) + 1,
        ) from None


def _too_large(what: str, size: int, name: str) -> ConfigError:
    return ConfigError(
        f"the {what} file is {size:,} bytes, more than a {what} file can be ({MAX_BYTES:,}): check that "
        "it is the right file",
        file=name,
    )

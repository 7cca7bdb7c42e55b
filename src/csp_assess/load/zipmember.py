"""Reading members of a zip download in memory, bounded: the one way every reader of a police.uk zip
(street counts, outcomes, stop and search, the places map) takes a member's bytes.

A zip bomb (a few MB that expand to gigabytes), an encrypted member, a member whose data does not
match its header, or a zip cut short is one ``InputError`` naming the file, never memory filled or an
internal error.
"""

from __future__ import annotations

import contextlib
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from csp_assess.errors import InputError

# Zip members: at most this many bytes each once decompressed (a month of the largest force is ~20 MB),
# and at most this ratio of decompressed to compressed size (street files compress ~3-4x; a zip bomb
# ~1000x).
MAX_MEMBER_BYTES = 1 << 30
MAX_RATIO = 100


def member_bytes(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    """A member's bytes, decompressed in memory and bounded: never more than its header declares, which
    must itself be under ``MAX_MEMBER_BYTES`` and ``MAX_RATIO`` times its compressed size. A member that
    is encrypted, or whose data does not match its header, is refused (``InputError``)."""
    if info.flag_bits & 0x1:
        raise InputError(
            "zip member is encrypted (password-protected): unzip it with its password and name the folder",
            file=name,
        )
    size, packed = info.file_size, info.compress_size
    if size > MAX_MEMBER_BYTES:
        raise InputError(
            f"zip member declares {size:,} bytes, more than the {MAX_MEMBER_BYTES:,} read from a zip: "
            "unzip it and name the folder",
            file=name,
        )
    if size > (1 << 20) and size > MAX_RATIO * max(packed, 1):
        raise InputError(
            f"zip member would expand {size / max(packed, 1):,.0f}x ({packed:,} -> {size:,} bytes), more "
            f"than the {MAX_RATIO}x of any real export: a zip bomb or a corrupt zip",
            file=name,
        )
    with zf.open(info) as fh:
        data = fh.read(size + 1)  # zipfile stops at the declared size and checks the CRC there
    if len(data) != size:
        raise InputError(
            f"zip member holds {len(data):,} bytes but its header says {size:,}: a corrupt zip", file=name
        )
    return data


@contextlib.contextmanager
def open_zip(path: str | Path) -> Iterator[zipfile.ZipFile]:
    """The zip at ``path``; whatever zipfile raises while it is read becomes one ``InputError``."""
    try:
        with zipfile.ZipFile(path) as zf:
            yield zf
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, zlib.error) as exc:
        raise InputError(
            f"corrupt or unreadable zip file: {exc}: a download cut short looks like this; download it again",
            file=str(path),
        ) from None
    except RuntimeError as exc:  # zipfile's word for an encrypted member it was asked to read
        raise InputError(f"cannot read zip file: {exc}", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read zip file: {exc.strerror or exc}", file=str(path)) from None

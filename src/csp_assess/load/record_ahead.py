"""Count large mapped CSV extracts in the background from the moment the command starts.

Why: before ``rank`` reads a byte it spends ~0.5 s importing pandas, the analysis and the command line.
Counting a record-level CSV needs only pyarrow and numpy (``record_scan``), so ``start_from_argv`` starts
one thread counting the CSVs named on a command line that maps columns (``--map``/``--map-file``: such
files are never served by the cache), and the loader collects each result with ``take``. The loader
checks that the file, its header, delimiter and column roles are what the scan used, and otherwise
reads the file itself; a scan that failed is simply redone by the loader, which reports the error.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIN_BYTES = 8_000_000  # smaller files are counted in well under 0.1 s anyway

_lock = threading.Lock()
_slots: dict[str, _Slot] = {}


@dataclass
class _Slot:
    path: Path
    state: str = "queued"  # -> "running" -> "done"; or "claimed" by the loader before it ran
    done: threading.Event = field(default_factory=threading.Event)
    value: tuple[Any, ...] | None = None  # (identity, header, delimiter, roles, result, ragged)


def identity(path: Path) -> tuple[int, ...] | None:
    """What the file is: size, times and inode, taken before reading (a replaced file differs)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _parse_argv(args: list[str]) -> tuple[list[str], str | None, list[str]]:
    """(--map items, --map-file, other bare arguments) of a command line."""
    maps: list[str] = []
    map_file: str | None = None
    bare: list[str] = []
    i = 1
    while i < len(args):
        a = args[i]
        if a in ("--map", "--map-file") and i + 1 < len(args):
            if a == "--map":
                maps.append(args[i + 1])
            else:
                map_file = args[i + 1]
            i += 2
            continue
        if a.startswith("--map="):
            maps.append(a.removeprefix("--map="))
        elif a.startswith("--map-file="):
            map_file = a.removeprefix("--map-file=")
        elif not a.startswith("-"):
            bare.append(a)
        i += 1
    return maps, map_file, bare


def start_from_argv(args: list[str]) -> None:
    """Start counting the large mapped CSVs of this command line (a no-op for any other command)."""
    from csp_assess.load.scan_ahead import LOADING_COMMANDS

    if not args or args[0] not in LOADING_COMMANDS or {"--help", "-h"} & set(args):
        return
    maps, map_file, bare = _parse_argv(args)
    if not maps and map_file is None:
        return
    files = []
    for a in bare:
        p = Path(a)
        try:
            if p.suffix.lower() == ".csv" and p.is_file() and p.stat().st_size >= MIN_BYTES:
                files.append(p)
        except OSError:
            continue
    if not files:
        return
    with _lock:
        queue = [_slots.setdefault(str(p), _Slot(p)) for p in files]
    threading.Thread(target=_work, args=(queue, maps, map_file), daemon=True, name="csp-record-ahead").start()


def _work(queue: list[_Slot], maps: list[str], map_file: str | None) -> None:
    for slot in queue:
        with _lock:
            if slot.state != "queued":
                continue
            slot.state = "running"
        try:
            slot.value = _scan(slot.path, maps, map_file)
        except Exception:  # the loader reads the file again and reports what is wrong with it
            slot.value = None
        finally:
            slot.state = "done"
            slot.done.set()


def _scan(path: Path, maps: list[str], map_file: str | None) -> tuple[Any, ...] | None:
    from csp_assess.load import long
    from csp_assess.load.detect import header_of
    from csp_assess.load.record_scan import scan_csv
    from csp_assess.load.textio import decode_bytes, read_head

    ident = identity(path)
    mapping = long.mapping_from_file(map_file) if map_file is not None else {}
    mapping.update(long.mapping_from_options(maps))
    first = read_head(path).split(b"\n", 1)[0]
    delimiter = header_of(decode_bytes(first, str(path))[0], str(path))[1]
    header = long.csv_header(path, delimiter)
    roles = long.roles_of(header, mapping, str(path), [])
    result, ragged = scan_csv(path, header, delimiter, roles, "utf8")
    return (ident, header, delimiter, roles, result, ragged)


def take(path: Path, header: list[str], delimiter: str, roles: object) -> tuple[Any, Any] | None:
    """The background count of ``path`` if it was made from this very file, header, delimiter and roles
    (waiting for it if it is under way); None if the loader must read the file itself."""
    with _lock:
        slot = _slots.get(str(path))
        if slot is None:
            return None
        if slot.state == "queued":
            slot.state = "claimed"
            del _slots[str(path)]
            return None
    slot.done.wait()
    with _lock:
        _slots.pop(str(path), None)
    if slot.value is None:
        return None
    ident, s_header, s_delim, s_roles, result, ragged = slot.value
    if (ident, s_header, s_delim, s_roles) != (identity(path), header, delimiter, roles):
        return None
    return result, ragged

"""Scan plain street-level CSVs in the background from the moment the command starts.

Why: ``rank`` on a large extract spends ~0.6 s parsing its options and importing pandas and the analysis
before it reads a byte. The C scanner needs neither pandas nor the GIL, so ``start_from_argv`` sets two
threads scanning the files named on the command line meanwhile (and the street-level members of zip
downloads: zlib drops the GIL too); the loader collects each result with ``take``, by the name it gives
the file (``<zip>!<member>`` for a member). At most ``WINDOW`` results wait at a time, so memory stays bounded. A file the loader reaches
before its scan has begun is read by the loader itself, so nothing ever waits on a scan that will not
run. Files the counts cache will serve are left alone.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from csp_assess.load.street_scan import (
    RawScan,
    available,
    is_street_member,
    member_name,
    scan_path,
    scan_zip_member,
)

WINDOW = 96  # ~0.65 MB each on the 80,000-row months of the benchmark: ~60 MB at most
MIN_BYTES = 1_000_000  # smaller files are read in a few ms anyway


class _Slot:
    """One file to scan: ``file`` on disk, or its zip ``member``; ``path`` is the loader's name for it."""

    def __init__(self, file: str, member: str | None = None) -> None:
        self.file = file
        self.member = member
        self.path = file if member is None else member_name(file, member)
        self.state = "queued"  # -> "running" -> "done"; or "claimed" by the loader before it ran
        self.done = threading.Event()
        self.value: RawScan | None = None
        self.identity: tuple[int, int] | None = None  # (size, mtime_ns) of the file scanned


class _ScanAhead:
    def __init__(self, slots: list[_Slot], workers: int) -> None:
        self.lock = threading.Lock()
        self.queue = deque(slots)
        self.slots = {s.path: s for s in self.queue}
        self.window = threading.Semaphore(WINDOW)
        for _ in range(workers):
            threading.Thread(target=self._work, daemon=True, name="csp-scan-ahead").start()

    def _work(self) -> None:
        while True:
            self.window.acquire()
            with self.lock:
                slot = None
                while self.queue:
                    candidate = self.queue.popleft()
                    if candidate.state == "queued":
                        slot = candidate
                        slot.state = "running"
                        break
                if slot is None:
                    self.window.release()
                    return
            identity = _identity(slot.file)
            if identity is None:
                value = None
            elif slot.member is None:
                value = scan_path(slot.file)
            else:
                value = scan_zip_member(slot.file, slot.member)
            with self.lock:
                slot.identity = identity
                slot.value = value
                slot.state = "done"
                if value is None:  # nothing held: free the place in the window now
                    self.window.release()
            slot.done.set()

    def take(self, path: str) -> RawScan | None:
        with self.lock:
            slot = self.slots.pop(path, None)
            if slot is None:
                return None
            if slot.state == "queued":
                slot.state = "claimed"
                return None
        slot.done.wait()
        if slot.value is None:
            return None
        self.window.release()
        # a file changed since it was scanned (possible when the package is used as a library) is re-read
        return slot.value if slot.identity == _identity(slot.file) else None


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


_active: _ScanAhead | None = None

# Commands that load FILES..., and the options whose presence means the files are not street-level ones.
LOADING_COMMANDS = {"rank", "summary", "baseline", "compare", "trend", "quarterly", "report", "validate"}
UNCACHED_COMMANDS = {"validate"}  # read every file themselves: files the cache holds are scanned too
MAPPING_OPTIONS = ("--map", "--map-file")


def start(paths: Sequence[str | Path], use_cache: bool, workers: int = 2) -> None:
    """Scan ahead the large CSV files and zip downloads among ``paths`` (folders expanded); never raises."""
    global _active
    _active = None  # a new run: nothing from an earlier call in this process is reused
    if not available():
        return
    try:
        from csp_assess.load import expand_paths

        files = [f for f in expand_paths(paths) if f.suffix.lower() in (".csv", ".zip")]
        files = [f for f in files if os.stat(f).st_size >= MIN_BYTES]
        if use_cache and files:
            from csp_assess.load import cache

            files = [f for f in files if not cache.has_entry(f)]
        slots = [s for f in files for s in _slots_of(f)]
    except Exception:  # the loader reports bad paths (and bad zips) itself, with its own message
        return
    if slots:
        _active = _ScanAhead(slots, workers)


def _slots_of(file: Path) -> list[_Slot]:
    """A CSV's one slot, or one per street-level member of a zip, in the order the loader reads them."""
    if file.suffix.lower() != ".zip":
        return [_Slot(str(file))]
    import zipfile

    with zipfile.ZipFile(file) as zf:
        members = [i.filename for i in zf.infolist() if not i.is_dir()]
    return [_Slot(str(file), m) for m in members if is_street_member(m)]


def start_from_argv(argv: Sequence[str]) -> None:
    """Scan ahead from the raw command line, before typer parses it (``launch`` calls this first thing;
    ``cli.main`` does when it was not started by ``launch``).

    A guess, and a safe one: the arguments after a loading command (and the values of ``--option=VALUE``)
    that name existing files or folders. An option's value that happens to be a large street-level CSV is
    scanned for nothing; a file the guess misses is simply read by the loader.
    """
    global _active
    _active = None  # a new command line: nothing from an earlier call in this process is reused
    args = list(argv)
    if not args or args[0] not in LOADING_COMMANDS:
        return
    if any(a == o or a.startswith(o + "=") for a in args for o in MAPPING_OPTIONS):
        return
    # FILES, and option values written as --option=VALUE (--against=DIR); a value given after a space
    # is a plain argument already
    values = [a.split("=", 1)[1] if a.startswith("--") and "=" in a else a for a in args[1:]]
    paths = [v for v in values if v and not v.startswith("-") and os.path.exists(v)]
    if paths:
        start(paths, use_cache="--no-cache" not in args and args[0] not in UNCACHED_COMMANDS)


def take(path: str) -> RawScan | None:
    """The scan of ``path`` if one was started (waiting for it if it is running), else None."""
    return _active.take(path) if _active is not None else None

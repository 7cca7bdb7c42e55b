"""A cache of file loads, so a large street-level extract is parsed once, not on every run.

An entry is keyed by the file's identity, taken *before* it is read: absolute path, size, modification
and change times (ns), device and inode, a hash of its first and last 64 KiB, and the loader version. A
same-size edit with the mtime put back (``cp -p``, ``rsync -t``, ``os.utime``) changes the ctime, the
inode or the edges, so it misses; a file that changes while it is read is not stored. Each entry is two
files in the cache directory (never beside the input):

    <key>.parquet   the counts tables of the load(s), one after another, with a ``__load`` column
    <key>.json      SourceFile, rejects and warnings of each load, the parquet's SHA-256 and its own

Cache directory: ``$CSP_ASSESS_CACHE_DIR``, else ``$XDG_CACHE_HOME/csp-assess``, else
``~/.cache/csp-assess``. Writes go to a temporary file renamed into place (atomic). On load both checksums
and each load's reconciliation (rows read = counted + rejected; counts summing to the offences) are
verified: an entry that fails is deleted, the file is re-read and the caller is told why (a warning), so
a flipped bit never changes a figure. The cache never raises on read, and a failed write is skipped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csp_assess import __version__
from csp_assess.load.street_scan import LOADER_VERSION

if TYPE_CHECKING:  # pandas is imported when an entry is read or written, not to ask if one exists
    from csp_assess.model import FileLoad, SourceFile

CACHE_FORMAT = 2
EDGE_BYTES = 65536  # hashed at each end of the file: cheap, and catches an edit that kept size and mtime


def loader_version() -> str:
    return f"{__version__}/{LOADER_VERSION}/cache-{CACHE_FORMAT}"


def cache_dir() -> Path:
    env = os.environ.get("CSP_ASSESS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "csp-assess"


def _identity(path: str | Path, version: str | None) -> dict[str, Any] | None:
    """The file as it is now, or None if it cannot be cached (missing, unreadable, not a regular file)."""
    try:
        p = Path(path).resolve()
        if not stat.S_ISREG(p.stat().st_mode):  # a FIFO or device: never opened here (it would block)
            return None
        with open(p, "rb") as fh:
            st = os.fstat(fh.fileno())
            edges = hashlib.sha256(str(st.st_size).encode())
            edges.update(fh.read(EDGE_BYTES))
            if st.st_size > EDGE_BYTES:
                fh.seek(max(EDGE_BYTES, st.st_size - EDGE_BYTES))
                edges.update(fh.read(EDGE_BYTES))
    except OSError:
        return None
    return {
        "path": str(p),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "ctime_ns": st.st_ctime_ns,
        "dev": st.st_dev,
        "ino": st.st_ino,
        "edges": edges.hexdigest(),
        "version": version or loader_version(),
    }


def identity(path: str | Path, version: str | None = None) -> dict[str, Any] | None:
    """Take the identity before reading the file; pass it to ``put_all`` after."""
    return _identity(path, version)


def unchanged(path: str | Path, ident: dict[str, Any] | None) -> bool:
    """Whether the file still has the identity taken before it was read (False if it cannot be told)."""
    return ident is not None and _identity(path, ident["version"]) == ident


def _entry(ident: dict[str, Any]) -> Path:
    raw = json.dumps(ident, sort_keys=True).encode()
    return cache_dir() / hashlib.sha256(raw).hexdigest()[:40]


def has_entry(path: str | Path) -> bool:
    """Whether an entry for the file as it is now exists (it may still prove unreadable)."""
    ident = _identity(path, None)
    return ident is not None and _entry(ident).with_suffix(".json").exists()


# --- JSON encoding of the provenance (pd.Period is the only non-JSON type in it) -------------------


def _enc(value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.Period):
        return {"__period__": str(value), "freq": value.freqstr}
    if isinstance(value, dict):
        return {str(k): _enc(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_enc(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _dec(value: Any) -> Any:
    import pandas as pd

    if isinstance(value, dict):
        if "__period__" in value:
            return pd.Period(value["__period__"], freq=value.get("freq", "M"))
        return {k: _dec(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dec(v) for v in value]
    return value


def _source_to_json(source: SourceFile) -> dict[str, Any]:
    return {f.name: _enc(getattr(source, f.name)) for f in dataclasses.fields(source)}


def _source_from_json(data: dict[str, Any]) -> SourceFile:
    from csp_assess.model import SourceFile

    names = {f.name for f in dataclasses.fields(SourceFile)}
    return SourceFile(**{k: _dec(v) for k, v in data.items() if k in names})


# --- public API ------------------------------------------------------------------------------------


@dataclass
class Lookup:
    """What the cache holds for a file: its identity (taken now), the loads on a hit, and on a discarded
    corrupt entry the warning to show."""

    ident: dict[str, Any] | None
    loads: list[FileLoad] | None = None
    problem: str | None = None


class _Corrupt(Exception):
    """A cache entry that exists but fails a check: deleted, never served."""


def lookup(path: str | Path, version: str | None = None) -> Lookup:
    """The cached loads of ``path`` as it is now, or a miss (and why, if an entry was corrupt)."""
    ident = _identity(path, version)
    if ident is None:
        return Lookup(None)
    entry = _entry(ident)
    try:
        meta_bytes = entry.with_suffix(".json").read_bytes()
    except OSError:
        return Lookup(ident)  # no entry: a plain miss
    try:
        return Lookup(ident, _read_entry(entry, meta_bytes, ident))
    except Exception as err:  # noqa: BLE001 - whatever is wrong with an entry, it is discarded, not served
        _discard(entry)
        reason = str(err) if isinstance(err, _Corrupt) else f"unreadable ({type(err).__name__})"
        return Lookup(
            ident, problem=f"{path}: its cache entry was corrupt ({reason}): discarded, and the file re-read"
        )


def get_all(path: str | Path, version: str | None = None) -> list[FileLoad] | None:
    """The cached loads of ``path``, or None on a miss (changed file, new loader, corrupt entry)."""
    return lookup(path, version).loads


def get(path: str | Path, version: str | None = None) -> FileLoad | None:
    """The cached load of a one-load file, or None."""
    loads = get_all(path, version)
    if loads is None or len(loads) != 1:
        return None
    return loads[0]


def put_all(
    path: str | Path, loads: list[FileLoad], version: str | None = None, ident: dict[str, Any] | None = None
) -> bool:
    """Store the loads of ``path``, under ``ident`` (the identity taken before reading, when given).
    Returns False (and stores nothing) if the file changed since ``ident`` or the cache cannot be written."""
    now = _identity(path, version)
    if now is None or (ident is not None and now != ident):
        return False
    entry = _entry(now)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table, periods = _table_of(loads)
        entry.parent.mkdir(parents=True, exist_ok=True)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        parquet = sink.getvalue().to_pybytes()
        meta: dict[str, Any] = {
            "format": CACHE_FORMAT,
            "identity": now,
            "parquet_sha256": hashlib.sha256(parquet).hexdigest(),
            "period_columns": periods,
            "columns": [[str(c) for c in load.counts.columns] for load in loads],
            "rows": [len(load.counts) for load in loads],
            "loads": [
                {
                    "source": _source_to_json(load.source),
                    "rejects": [[r.file, r.line, r.reason] for r in load.rejects],
                    "warnings": list(load.warnings),
                }
                for load in loads
            ],
        }
        meta["checksum"] = _meta_checksum(meta)
        _atomic_write(entry.with_suffix(".parquet"), parquet)
        _atomic_write(entry.with_suffix(".json"), json.dumps(meta, separators=(",", ":")).encode())
    except Exception:  # noqa: BLE001 - caching is an optimisation: never fail the run over it
        return False
    return True


def put(path: str | Path, load: FileLoad, version: str | None = None) -> bool:
    return put_all(path, [load], version)


#: The names the cache itself writes: an entry (40 hex digits + .json/.parquet) and an interrupted write's
#: temporary file (``<entry>.json.<random>.tmp``). Only these are counted or deleted: the folder may be one
#: the user named with CSP_ASSESS_CACHE_DIR (``.``, a project folder) and hold their own files.
_OWN_NAME = re.compile(r"^[0-9a-f]{40}\.(json|parquet)(\.[^/]*\.tmp)?$")


def own_files() -> list[Path]:
    """The cache's own files in the cache folder (nothing else there is ever touched), sorted."""
    d = cache_dir()
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return []
    out = []
    for name in names:
        f = d / name
        with contextlib.suppress(OSError):
            if _OWN_NAME.match(name) and stat.S_ISREG(f.lstat().st_mode):
                out.append(f)
    return out


def clear() -> int:
    """Delete every cache entry (and nothing else in the folder); returns how many files were removed."""
    removed = 0
    for f in own_files():
        try:
            f.unlink()
            removed += 1
        except OSError:
            pass
    return removed


# --- internals -------------------------------------------------------------------------------------


def _meta_checksum(meta: dict[str, Any]) -> str:
    body = {k: v for k, v in meta.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _read_entry(entry: Path, meta_bytes: bytes, ident: dict[str, Any]) -> list[FileLoad]:
    """The loads of an entry whose every check passes; ``_Corrupt`` (or any error) otherwise."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = json.loads(meta_bytes)
    if not isinstance(meta, dict) or meta.get("checksum") != _meta_checksum(meta):
        raise _Corrupt("its description fails its checksum")
    if meta.get("format") != CACHE_FORMAT or meta.get("identity") != ident:
        raise _Corrupt("it describes another file or format")
    parquet = entry.with_suffix(".parquet").read_bytes()
    if hashlib.sha256(parquet).hexdigest() != meta["parquet_sha256"]:
        raise _Corrupt("its counts fail their checksum")
    table = pq.ParquetFile(pa.BufferReader(parquet)).read(use_threads=False)
    _reconcile(table, meta)
    return _loads_from(table, meta)


def _reconcile(table: Any, meta: dict[str, Any]) -> None:
    """Each load's rows read = counted + rejected, and its counts (summed in arrow, without building
    the DataFrame) = the offences its source says were read."""
    import pyarrow.compute as pc

    start = 0
    for n, info in zip(meta["rows"], meta["loads"], strict=True):
        s = info["source"]
        if s["rows_read"] != s["rows_counted"] + s["rows_rejected"]:
            raise _Corrupt(
                f"rows read {s['rows_read']:,} != counted {s['rows_counted']:,} + rejected {s['rows_rejected']:,}"
            )
        part = table.slice(start, int(n))
        start += int(n)
        total = (pc.sum(part.column("count")).as_py() or 0) if "count" in part.column_names else 0
        if total != s["offences"]:
            raise _Corrupt(f"its counts sum to {total:,}, not the {s['offences']:,} offences read")


def _discard(entry: Path) -> None:
    for suffix in (".json", ".parquet"):
        with contextlib.suppress(OSError):
            entry.with_suffix(suffix).unlink()


def _atomic_write(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _table_of(loads: list[FileLoad]) -> tuple[Any, list[str]]:
    """All counts tables in one arrow table; Period columns stored as int64 ordinals."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    frames = []
    periods: set[str] = set()
    # Street loads hold text as categoricals: give every load of a zip the same categories, so they stay
    # one dictionary-encoded column through the concatenation (and come back as categoricals).
    shared: dict[str, list[str]] = {}
    for col in loads[0].counts.columns if loads else []:
        if all(isinstance(ld.counts[col].dtype, pd.CategoricalDtype) for ld in loads):
            shared[col] = sorted({v for ld in loads for v in ld.counts[col].cat.categories.tolist()})
    for i, load in enumerate(loads):
        df = load.counts.copy()
        for col, cats in shared.items():
            df[col] = df[col].cat.set_categories(pd.Index(cats, dtype=object))
        for col in df.columns:
            if isinstance(df[col].dtype, pd.PeriodDtype):
                periods.add(col)
                df[col] = df[col].array.asi8
            elif df[col].dtype == object:
                df[col] = df[col].astype("str")
        df["__load"] = np.int32(i)
        frames.append(df)
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"__load": []})
    return pa.Table.from_pandas(data, preserve_index=False), sorted(periods)


def _loads_from(table: Any, meta: dict[str, Any]) -> list[FileLoad]:
    """Rebuild the loads straight from arrow columns (no pandas round trip: ~5x faster)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from csp_assess.model import FileLoad, Reject

    loads = []
    start = 0
    periods = set(meta["period_columns"])
    for i, info in enumerate(meta["loads"]):
        n = int(meta["rows"][i])
        part = table.slice(start, n)
        start += n
        cols: dict[str, Any] = {}
        for name in meta["columns"][i]:
            col = part.column(name)
            if name in periods:
                cols[name] = pd.arrays.PeriodArray(col.to_numpy().astype(np.int64), dtype=pd.PeriodDtype("M"))
            elif pa.types.is_dictionary(col.type):  # a street load's categorical text column
                cat = col.to_pandas().array
                values = pd.Index(cat.categories.tolist(), dtype=object)
                cat = pd.Categorical.from_codes(cat.codes, categories=values, validate=False)
                cols[name] = cat.remove_unused_categories()  # as the load had them (shared when stored)
            elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                cols[name] = np.asarray(col.to_numpy(), dtype=object)
            else:
                cols[name] = col.to_numpy()
        loads.append(
            FileLoad(
                columns=cols,
                source=_source_from_json(info["source"]),
                rejects=[Reject(f, ln, r) for f, ln, r in info["rejects"]],
                warnings=list(info["warnings"]),
            )
        )
    if start != table.num_rows:
        raise ValueError("cache entry rows do not add up")
    return loads

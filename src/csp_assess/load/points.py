"""Offence coordinates from police.uk street files, read only when a map is asked for.

The counts table carries no coordinates, so a map reads the files again: six columns (Crime ID, Month,
Longitude, Latitude, LSOA name, Crime type), one file at a time (a zip member at a time), keeping only
the points of the areas, months and crime types asked for, as two float arrays. Memory is bounded by one
file plus the points kept.

The loader's rules are applied again so the map counts what the table counts: the area is the LSOA name
without its code; a repeated non-blank Crime ID within a file is counted once (its first row with a
valid month and crime type); a file is read only for the months the snapshot resolution gave it. Rows
with no coordinates are counted, not drawn. police.uk coordinates are anonymised: each crime is moved
to the nearest of a set of map points (a street or a venue), so a hexagon is a density, never an address.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from csp_assess.errors import InputError
from csp_assess.load.police_uk import LAYOUT, area_of_lsoa

POINT_COLUMNS = ["Crime ID", "Month", "Longitude", "Latitude", "LSOA name", "Crime type"]
_ZIP_MEMBER = re.compile(r"^(?P<zip>.*?\.zip)!(?P<member>.+)$", re.IGNORECASE)


@dataclass
class Points:
    """Coordinates of the offences selected, and how many had none (counted, not drawn)."""

    lon: np.ndarray
    lat: np.ndarray
    no_coordinates: int
    files: int

    @property
    def counted(self) -> int:
        return len(self.lon) + self.no_coordinates


def _data(path: str) -> bytes:
    """The bytes of a file, or of a ``<zip>!<member>`` as the loader names zip members."""
    m = _ZIP_MEMBER.match(path)
    try:
        if m is None:
            return Path(path).read_bytes()
        with zipfile.ZipFile(m.group("zip")) as zf:
            return zf.read(m.group("member"))
    except (OSError, KeyError, zipfile.BadZipFile) as err:
        raise InputError(f"cannot read the file again for the map ({err})", file=path) from err


def _table(data: bytes, path: str) -> pa.Table:
    opts = pacsv.ConvertOptions(
        include_columns=POINT_COLUMNS,
        column_types={c: pa.string() for c in POINT_COLUMNS},
        strings_can_be_null=True,
    )
    for attempt in (data, None):
        try:
            buf = attempt if attempt is not None else data.decode("cp1252").encode("utf-8")
            return pacsv.read_csv(io.BytesIO(buf), convert_options=opts)
        except pa.ArrowInvalid as err:
            if attempt is None or "UTF8" not in str(err).upper():
                raise InputError(f"cannot read coordinates for the map: {err}", file=path) from err
    raise AssertionError("unreachable")  # pragma: no cover


def _first_of_each_id(ids: list[str | None], valid: np.ndarray) -> np.ndarray:
    """Rows kept: blank IDs always; a non-blank ID only on its first valid row (the loader's rule)."""
    keep = valid.copy()
    seen: set[str] = set()
    for i in np.flatnonzero(valid).tolist():
        cid = ids[i]
        if cid is None or not cid.strip():
            continue
        if cid in seen:
            keep[i] = False
        else:
            seen.add(cid)
    return keep


def read_points(
    files: Iterable[tuple[str, str, tuple[object, ...]]],
    areas: Iterable[str],
    months: Iterable[object],
    crime_types: Iterable[str],
) -> Points:
    """Points of ``crime_types`` in ``areas`` in ``months`` (``YYYY-MM`` or Periods), from the police.uk
    files among ``files`` = (path, layout, months used)."""
    want_areas = set(areas)
    want_months = {str(m) for m in months}
    want_types = set(crime_types)
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    missing = 0
    read = 0
    for path, layout, used in files:
        if layout != LAYOUT:
            continue
        use = want_months & {str(m) for m in used}
        if not use:
            continue
        table = _table(_data(path), path)
        read += 1
        month = table.column("Month").to_pylist()
        ctype = table.column("Crime type").to_pylist()
        lsoa = table.column("LSOA name").to_pylist()
        # Validity as the loader has it (a month YYYY-MM, a crime type), before repeats are dropped.
        valid = np.array(
            [
                bool(m and re.fullmatch(r"\d{4}-\d{2}", m.strip()) and t and t.strip())
                for m, t in zip(month, ctype, strict=True)
            ],
            dtype=bool,
        )
        keep = _first_of_each_id(table.column("Crime ID").to_pylist(), valid)
        chosen = np.array(
            [
                k and m.strip() in use and t.strip() in want_types and area_of_lsoa(a or "") in want_areas
                for k, m, t, a in zip(keep, month, ctype, lsoa, strict=True)
            ],
            dtype=bool,
        )
        lon = pc.cast(table.column("Longitude"), pa.float64(), safe=False).to_numpy(zero_copy_only=False)
        lat = pc.cast(table.column("Latitude"), pa.float64(), safe=False).to_numpy(zero_copy_only=False)
        has = chosen & np.isfinite(lon) & np.isfinite(lat)
        missing += int((chosen & ~has).sum())
        lons.append(lon[has])
        lats.append(lat[has])
    return Points(
        np.concatenate(lons) if lons else np.empty(0),
        np.concatenate(lats) if lats else np.empty(0),
        missing,
        read,
    )

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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from csp_assess.errors import InputError
from csp_assess.load.police_uk import LAYOUT, area_of_lsoa
from csp_assess.load.zipmember import member_bytes, open_zip

POINT_COLUMNS = ["Crime ID", "Month", "Longitude", "Latitude", "LSOA name", "Crime type"]
_ZIP_MEMBER = re.compile(r"^(?P<zip>.*?\.zip)!(?P<member>.+)$", re.IGNORECASE)


@dataclass
class Points:
    """Coordinates of the offences selected, their crime types, and how many had no coordinates
    (counted, not drawn), by crime type."""

    lon: np.ndarray
    lat: np.ndarray
    crime_type: np.ndarray  # object array of str, one per point drawn
    no_coordinates: dict[str, int]
    files: int

    @property
    def counted(self) -> int:
        return len(self.lon) + sum(self.no_coordinates.values())

    def of(self, crime_types: Iterable[str]) -> Points:
        """The points of some crime types only."""
        want = set(crime_types)
        keep = np.isin(self.crime_type, list(want)) if len(self.crime_type) else np.zeros(0, dtype=bool)
        missing = {t: n for t, n in self.no_coordinates.items() if t in want}
        return Points(self.lon[keep], self.lat[keep], self.crime_type[keep], missing, self.files)


def _data(path: str) -> bytes:
    """The bytes of a file, or of a ``<zip>!<member>`` as the loader names zip members."""
    m = _ZIP_MEMBER.match(path)
    try:
        if m is None:
            return Path(path).read_bytes()
        with open_zip(m.group("zip")) as zf:  # read again for the map: bounded as when first loaded
            return member_bytes(zf, zf.getinfo(m.group("member")), path)
    except (OSError, KeyError) as err:
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


def _trimmed(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.utf8_trim_whitespace(pc.fill_null(col, ""))


def _kept(table: pa.Table) -> np.ndarray:
    """Rows the loader counts: a month YYYY-MM and a crime type; a non-blank Crime ID only on its first
    such row (later rows with the same ID are rejects there)."""
    month = _trimmed(table.column("Month"))
    ctype = _trimmed(table.column("Crime type"))
    valid = pc.and_(pc.match_substring_regex(month, r"^\d{4}-(0[1-9]|1[0-2])$"), pc.not_equal(ctype, ""))
    valid_np = valid.to_numpy(zero_copy_only=False).astype(bool)
    ids = pd.Series(_trimmed(table.column("Crime ID")).to_numpy(zero_copy_only=False), dtype=object)
    repeat = (ids != "") & ids.where(valid_np).duplicated(keep="first") & valid_np
    return valid_np & ~repeat.to_numpy(dtype=bool)


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
    want_types = pa.array(sorted(set(crime_types)), type=pa.string())
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    types: list[np.ndarray] = []
    missing: dict[str, int] = {}
    read = 0
    for path, layout, used in files:
        if layout != LAYOUT:
            continue
        use = sorted(want_months & {str(m) for m in used})
        if not use:
            continue
        table = _table(_data(path), path)
        read += 1
        lsoa = _trimmed(table.column("LSOA name"))
        names = pc.unique(lsoa).to_pylist()
        in_area = pa.array([n for n in names if area_of_lsoa(n) in want_areas], type=pa.string())
        chosen = pc.and_(
            pc.and_(
                pc.is_in(_trimmed(table.column("Month")), value_set=pa.array(use, type=pa.string())),
                pc.is_in(_trimmed(table.column("Crime type")), value_set=want_types),
            ),
            pc.is_in(lsoa, value_set=in_area),
        ).to_numpy(zero_copy_only=False).astype(bool) & _kept(table)
        lon = pc.cast(table.column("Longitude"), pa.float64()).to_numpy(zero_copy_only=False)
        lat = pc.cast(table.column("Latitude"), pa.float64()).to_numpy(zero_copy_only=False)
        ctype = _trimmed(table.column("Crime type")).to_numpy(zero_copy_only=False)
        has = chosen & np.isfinite(lon) & np.isfinite(lat)
        for t in ctype[chosen & ~has].tolist():
            missing[t] = missing.get(t, 0) + 1
        lons.append(lon[has])
        lats.append(lat[has])
        types.append(ctype[has].astype(object))
    return Points(
        np.concatenate(lons) if lons else np.empty(0),
        np.concatenate(lats) if lats else np.empty(0),
        np.concatenate(types) if types else np.empty(0, dtype=object),
        missing,
        read,
    )

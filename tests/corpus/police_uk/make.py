"""Writes the hostile police.uk inputs in this folder (run once; the files are committed).

    python tests/corpus/police_uk/make.py

Each is small; the big ones (a 5 GB sparse file, 10,000 tiny files, a FIFO) are made by the tests.
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
FORCE = "Test Police"


def street(month: str, rows: list[tuple[str, str, str]]) -> bytes:
    """A street file: (crime id, LSOA name, crime type) rows in ``month``."""
    lines = [HEADER] + [
        f"{cid},{month},{FORCE},{FORCE},-0.1,51.5,On or near X,E0100000{i % 10},{lsoa},{ctype},,"
        for i, (cid, lsoa, ctype) in enumerate(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


JAN = street(
    "2021-01",
    [
        ("a1", "Dover 001A", "Burglary"),
        ("a2", "Dover 002B", "Drugs"),
        ("", "Dover 001A", "Anti-social behaviour"),
    ],
)
FEB = street("2021-02", [("b1", "Ashford 001A", "Burglary"), ("b2", "Dover 001A", "Burglary")])


def main() -> None:
    # a real `zip -P` download: every member encrypted
    plain = HERE / "_tmp_street"
    plain.mkdir(exist_ok=True)
    (plain / "2021-01-test-street.csv").write_bytes(JAN)
    target = HERE / "encrypted.zip"
    target.unlink(missing_ok=True)
    subprocess.run(
        ["zip", "-q", "-j", "-P", "secret", str(target), str(plain / "2021-01-test-street.csv")], check=True
    )
    (plain / "2021-01-test-street.csv").unlink()
    plain.rmdir()

    # a zip bomb: 16 MB of one repeated row, ~57 KB compressed (~290x)
    row = b"x,2021-01,Test Police,Test Police,-0.1,51.5,On or near X,E01000001,Dover 001A,Burglary,,\n"
    body = HEADER.encode() + b"\n" + row * ((16 << 20) // len(row))
    with zipfile.ZipFile(HERE / "bomb.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("2021-01/2021-01-test-street.csv", body)

    # a zip64 member whose central directory declares 5 GB (the data is 300 bytes)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2021-01/2021-01-test-street.csv", JAN)
        zf.filelist[0].file_size = 5 << 30
    (HERE / "zip64_size_lie.zip").write_bytes(buf.getvalue())

    # a member whose header declares fewer bytes than it holds
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2021-01/2021-01-test-street.csv", JAN)
        zf.filelist[0].file_size = 100
    (HERE / "size_lie_small.zip").write_bytes(buf.getvalue())

    # two members with the same name: January's and February's data
    with zipfile.ZipFile(HERE / "duplicate_names.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("test-street.csv", JAN)
        zf.writestr("test-street.csv", FEB)

    # the other files of a download, and a street file with a NUL byte on line 3
    (HERE / "2021-01-test-stop-and-search.csv").write_bytes(
        b"Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,"
        b"Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,"
        b"Outcome linked to object of search,Removal of more than just outer clothing\n"
        b"Person search,2021-01-01T00:55:00+00:00,,,51.5,-0.09,Male,25-34,White,White,"
        b"Misuse of Drugs Act 1971 (section 23),Controlled drugs,Nothing found - no further action,,False\n"
    )
    (HERE / "2021-01-test-outcomes.csv").write_bytes(
        b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type\n"
        b"a1,2021-01,Test Police,Test Police,-0.1,51.5,On or near X,E01000001,Dover 001A,Unable to prosecute suspect\n"
    )
    lines = JAN.split(b"\n")
    lines[2] = lines[2].replace(b"Dover", b"Do\x00ver")
    (HERE / "nul_byte-street.csv").write_bytes(b"\n".join(lines))
    (HERE / "jan-street.csv").write_bytes(JAN)
    (HERE / "feb-street.csv").write_bytes(FEB)


if __name__ == "__main__":
    main()

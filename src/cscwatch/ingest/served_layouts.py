"""Layouts a download address serves that differ from the bundled file's, mapped back.

DfE publishes some data twice in one release: a file in the layout the snapshot keeps,
and an "API" data set for its statistics API with the same rows and values under new
column names. Where the API data set is the only address known for a file,
``cscwatch fetch`` downloads it and renames its header back to the bundled layout, so
the readers never see the difference. A map is declared here only when the two layouts
were checked against each other: same number of columns, same order, same rows and
the same values in the rows the publisher's page shows (the evidence is in
:attr:`ColumnMap.evidence` and the manifest's ``url_confirmed``).

Only the header line is rewritten; every data row is kept byte for byte. A download in
neither layout is refused by fetch as missing columns, naming the map it did not match.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

__all__ = ["COLUMN_MAPS", "ColumnMap", "LayoutError", "rename_header"]


class LayoutError(ValueError):
    """A file whose header cannot be renamed (no complete first line, or not CSV)."""


@dataclass(frozen=True)
class ColumnMap:
    """A served layout of one snapshot file and the renames back to the bundled one.

    Attributes
    ----------
    served_by : str
        Which address serves the renamed layout (for messages and ``fetch --list``).
    renames : mapping of str to str
        Served column name to bundled column name, in the served file's order. Names
        not listed keep their name.
    evidence : str
        How the two layouts were checked to hold the same data.
    """

    served_by: str
    renames: Mapping[str, str]
    evidence: str

    def __post_init__(self) -> None:
        targets = list(self.renames.values())
        if len(set(targets)) != len(targets):
            raise ValueError(f"{self.served_by}: two served columns map to one name")
        object.__setattr__(self, "renames", MappingProxyType(dict(self.renames)))

    def serves(self, header: Sequence[str]) -> bool:
        """Whether ``header`` is this served layout (every listed column present)."""
        have = set(header)
        return all(name in have for name in self.renames)

    def mapped(self, header: Sequence[str]) -> list[str]:
        """``header`` with each served name replaced by its bundled name."""
        return [self.renames.get(name, name) for name in header]


_KS4_SHARED = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "la_name",
    "new_la_code",
    "social_care_group",
    "version",
)

#: Per snapshot file: the renamed layout a known address serves.
COLUMN_MAPS: Mapping[str, ColumnMap] = MappingProxyType(
    {
        "ks4_la.csv": ColumnMap(
            served_by=(
                "DfE statistics API data set 019d431f-519e-7527-999a-8019a8016012 "
                "('LA - Key Stage 4 (KS4) - API', outcomes for children in need, "
                "reporting year 2025)"
            ),
            renames={name: name for name in _KS4_SHARED}
            | {
                "pupil_count": "t_pupils",
                "attainment8_sum": "t_att8",
                "attainment8_average": "avg_att8",
                "engmath_95_total": "t_l2basics_95",
                "engmath_95_percent": "pt_l2basics_95",
                "engmath_94_total": "t_l2basics_94",
                "engmath_94_percent": "pt_l2basics_94",
                "ebacc_entering_total": "t_ebacc_e_ptq_ee",
                "ebacc_entering_percent": "pt_ebacc_e_ptq_ee",
                "ebacc_aps_sum": "t_ebaccaps",
                "ebacc_aps_average": "avg_ebaccaps",
                "progress8_pupil_count": "t_inp8calc",
                "progress8_sum": "t_p8score",
                "progress8_average": "avg_p8score",
                "progress8_lower_95_ci": "p8score_CI_low",
                "progress8_upper_95_ci": "p8score_CI_upp",
            },
            evidence=(
                "EES data catalogue page 67a6c2eb-cd40-4d72-a20a-2021bdfec736: 3,444 rows "
                "(the bundled file's), 2018/19 to 2024/25, 28 columns in the bundled "
                "file's order; its preview's first four rows ('CINO at 31 March' 2024/25: "
                "England 13260, 228722.25, 17.3 ...; North East 670, 10148.5, 15.1 ...; North "
                "West 1940, 32943.25, 17 ...; Yorkshire and The Humber 1290, 23231, 18 ...) "
                "equal the bundled file's first four data rows value for value"
            ),
        ),
    }
)


def rename_header(path: Path, columns: ColumnMap) -> list[str]:
    """Rewrite the header line of the CSV at ``path`` to the bundled names; return it.

    The byte order mark and the line ending are kept; data rows are not touched.

    Raises
    ------
    LayoutError
        When the file has no complete first line or its first line is not one CSV
        record (a header with a line break inside a quoted name).
    """
    data = path.read_bytes()
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    end = data.find(b"\n", len(bom))
    if end < 0:
        raise LayoutError("no complete header line")
    line = data[len(bom) : end]
    crlf = line.endswith(b"\r")
    try:
        text = (line[:-1] if crlf else line).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LayoutError(f"header is not UTF-8 (byte {exc.start})") from None
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        records = []
    if len(records) != 1:
        raise LayoutError("the header is not one CSV line")
    header = columns.mapped(records[0])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if crlf else "\n").writerow(header)
    path.write_bytes(bom + out.getvalue().encode("utf-8") + data[end + 1 :])
    return header

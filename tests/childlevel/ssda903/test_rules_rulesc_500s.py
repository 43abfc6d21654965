"""Rules 501-586: a return built to break each rule, with near misses beside the breaks.

Collection year 2024-25 (1 April 2024 to 31 March 2025) unless a case says otherwise.
The expected set is exactly the records that break the rule; every other record in a
case is a near miss (the boundary day, the other allowed code, the other table).
"""

from __future__ import annotations

from typing import Any

import pytest
from rulekit import failures

Case = tuple[str, str, dict[str, Any], dict[str, Any] | None, set[tuple[str, int]]]
Y = "lac2024_25"


def ep(child: str, decom: str | None, dec: str | None = None, **kw: str | None) -> dict:
    """An episode (fields by DfE name)."""
    return {"CHILD": child, "DECOM": decom, "DEC": dec, **kw}


def pa(child: str | None, placed: str | None, ceased: str | None = None, **kw: str | None) -> dict:
    """A placed_for_adoption record."""
    return {"CHILD": child, "DATE_PLACED": placed, "DATE_PLACED_CEASED": ceased, **kw}


def mis(child: str, start: str | None, end: str | None = None, **kw: str | None) -> dict:
    """A missing period (MISSING M unless overridden)."""
    return {"CHILD": child, "MISSING": "M", "MIS_START": start, "MIS_END": end, **kw}


# A child continuously looked after for 12 months at 31 March 2025, and one who entered
# care in the year; OC2 rules read them.
_CLA12_EPISODES = [
    ep("old", "01/01/2020", LS="C2", RNE="S"),
    ep("new", "01/06/2024", LS="C2", RNE="S"),
]

# Last year's open episode and this year's continuation, for the 503 family.
_LAST_OPEN = ep(
    "a", "01/01/2024", RNE="S", LS="C2", CIN="N1", PLACE="U1", PLACE_PROVIDER="PR1",
    URN="SC1", HOME_POST="LS1 4DY", PL_POST="M1 1AE",
)  # fmt: skip


_CARRIED_CODES = {
    "RNE": "503A",
    "LS": "503B",
    "CIN": "503C",
    "PLACE": "503D",
    "PLACE_PROVIDER": "503E",
    "URN": "503F",
}


def _carried(field: str, now: str | None, last: str | None, ruleset: str = Y) -> Case:
    """503x: child a changes ``field``, child b carries it over, child c's episode
    last year was closed (not judged)."""
    last_a = _LAST_OPEN | {field: last}
    return (
        _CARRIED_CODES[field],
        ruleset,
        {
            "episodes": [
                _LAST_OPEN | {field: now},
                _LAST_OPEN | {"CHILD": "b"},
                _LAST_OPEN | {"CHILD": "c", field: now},
            ]
        },
        {
            "episodes": [
                last_a,
                _LAST_OPEN | {"CHILD": "b"},
                _LAST_OPEN | {"CHILD": "c", field: last, "DEC": "31/12/2024"},
            ]
        },
        {("episodes", 1)},
    )


CASES: list[Case] = [
    (
        "501",
        Y,
        {
            "episodes": [
                ep("a", "01/06/2024", "04/06/2024"),
                ep("a", "03/06/2024", "06/06/2024"),  # starts before the previous ended
                ep("a", "06/06/2024"),  # on the day: allowed
                ep("b", "01/06/2024"),
                ep("b", "02/06/2024"),  # previous open: not this rule
            ]
        },
        None,
        {("episodes", 2)},
    ),
    (
        "502",
        Y,
        {"episodes": [ep("a", "02/01/2024"), ep("b", "01/01/2024"), ep("c", "05/05/2024")]},
        {
            "episodes": [
                ep("a", "01/01/2024"),
                ep("b", "01/01/2024"),
                ep("c", "01/01/2024", "31/01/2025"),
            ]
        },
        {("episodes", 1)},
    ),
    _carried("RNE", "P", "S"),
    _carried("LS", "C1", "C2"),
    _carried("CIN", "N2", "N1"),
    _carried("PLACE", "U2", "U1", "lac2022_23"),
    _carried("PLACE", "U2", "U1"),
    _carried("PLACE_PROVIDER", "PR2", "PR1"),
    _carried("URN", "SC2", "SC1"),
    (
        "503D",
        "lac2023_24",
        {"episodes": [_LAST_OPEN | {"PLACE": "K3"}, _LAST_OPEN | {"CHILD": "b", "PLACE": "K4"}]},
        {"episodes": [_LAST_OPEN | {"PLACE": "H5"}, _LAST_OPEN | {"CHILD": "b", "PLACE": "H5"}]},
        {("episodes", 2)},
    ),
    (
        "503D",
        "lac2025_26",
        {"episodes": [_LAST_OPEN | {"PLACE": "Z12"}, _LAST_OPEN | {"CHILD": "b", "PLACE": "K3"}]},
        {"episodes": [_LAST_OPEN | {"PLACE": "Z1"}, _LAST_OPEN | {"CHILD": "b", "PLACE": "Z1"}]},
        {("episodes", 2)},
    ),
    (
        "503D",
        "lac2026_27",
        {"episodes": [_LAST_OPEN | {"PLACE": "Z12"}, _LAST_OPEN | {"CHILD": "b"}]},
        {"episodes": [_LAST_OPEN | {"PLACE": "Z1"}, _LAST_OPEN | {"CHILD": "b"}]},
        {("episodes", 1)},
    ),
    (
        "504",
        Y,
        {
            "episodes": [
                ep("a", "01/05/2024", "01/06/2024", CIN="N1", REC="X1"),
                ep("a", "01/06/2024", "01/07/2024", CIN="N1", REC="X1"),
                ep("a", "01/07/2024", "01/08/2024", CIN="N2", REC="E13"),
                ep("a", "01/09/2024", CIN="N3"),  # a new period of care
                ep("b", "01/05/2024", "01/06/2024", CIN="N1", REC="X1"),
                ep("b", "02/06/2024", CIN="N2"),  # dates do not join: a new period
            ]
        },
        None,
        {("episodes", 3)},
    ),
    (
        "511",
        Y,
        {
            "ad1": [
                {"NB_ADOPTR": "2", "SEX_ADOPTR": "M1"},
                {"NB_ADOPTR": "2", "SEX_ADOPTR": "MF"},
                {"NB_ADOPTR": "1", "SEX_ADOPTR": "M1"},
                {"NB_ADOPTR": "2", "SEX_ADOPTR": None},
            ]
        },
        None,
        {("ad1", 1), ("ad1", 4)},
    ),
    (
        "514",
        Y,
        {
            "ad1": [
                {"LS_ADOPTR": "L0", "SEX_ADOPTR": "MM"},
                {"LS_ADOPTR": "L0", "SEX_ADOPTR": "F1"},
                {"LS_ADOPTR": "L2", "SEX_ADOPTR": "MM"},
            ]
        },
        None,
        {("ad1", 1)},
    ),
    (
        "516",
        Y,
        {
            "episodes": [
                ep("a", "01/05/2024", "01/06/2024", REC="E45", PLACE="S1"),
                ep("a", "01/05/2024", "01/06/2024", REC="E46", PLACE="U6"),
                ep("a", "01/05/2024", "01/06/2024", REC="E4A", PLACE="S1"),
            ]
        },
        None,
        {("episodes", 1)},
    ),
    (
        "517",
        Y,
        {"ad1": [{"LS_ADOPTR": "L3", "SEX_ADOPTR": "MM"}, {"LS_ADOPTR": "L3", "SEX_ADOPTR": "MF"}]},
        None,
        {("ad1", 1)},
    ),
    (
        "518",
        Y,
        {
            "ad1": [
                {"LS_ADOPTR": "L4", "SEX_ADOPTR": "MF"},
                {"LS_ADOPTR": "L4", "SEX_ADOPTR": "FF"},
                {"LS_ADOPTR": "L3", "SEX_ADOPTR": "MF"},
            ]
        },
        None,
        {("ad1", 1)},
    ),
    (
        "519",
        Y,
        {"ad1": [{"LS_ADOPTR": "L2", "SEX_ADOPTR": "F1"}, {"LS_ADOPTR": "L2", "SEX_ADOPTR": "FF"}]},
        None,
        {("ad1", 1)},
    ),
    (
        "520",
        Y,
        {
            "ad1": [
                {"LS_ADOPTR": "L11", "SEX_ADOPTR": "MM"},
                {"LS_ADOPTR": "L11", "SEX_ADOPTR": "MF"},
            ]
        },
        None,
        {("ad1", 1)},
    ),
    (
        "521",
        Y,
        {
            "ad1": [
                {"CHILD": "a", "DATE_INT": "02/05/2024"},
                {"CHILD": "b", "DATE_INT": "01/05/2024"},
            ],
            "episodes": [
                ep("a", "01/05/2024", PLACE="A3"),
                ep("b", "01/05/2024", PLACE="A4"),  # on the day: allowed
                ep("a", "01/04/2024", "01/05/2024", PLACE="U1"),  # not placed for adoption
            ],
        },
        None,
        {("episodes", 1), ("ad1", 1)},
    ),
    (
        "522",
        Y,
        {
            "placed_for_adoption": [
                pa("a", "02/05/2024", "01/05/2024"),
                pa("b", "01/05/2024", "01/05/2024"),
            ]
        },
        None,
        {("placed_for_adoption", 1)},
    ),
    (
        "523",
        Y,
        {
            "ad1": [
                {"CHILD": "a", "DATE_INT": "01/05/2024"},
                {"CHILD": "b", "DATE_INT": "01/05/2024"},
                {"CHILD": "c", "DATE_INT": None},
            ],
            "placed_for_adoption": [
                pa("a", "02/05/2024"),
                pa("b", "01/05/2024"),
                pa("c", "01/05/2024"),
            ],
        },
        None,
        {("placed_for_adoption", 1), ("ad1", 1)},
    ),
    (
        "524",
        Y,
        {
            "ad1": [
                {"LS_ADOPTR": "L12", "SEX_ADOPTR": "MF"},
                {"LS_ADOPTR": "L12", "SEX_ADOPTR": "MM"},
            ]
        },
        None,
        {("ad1", 1)},
    ),
    (
        "525",
        Y,
        {
            "ad1": [{"CHILD": "a", "DATE_MATCH": "01/06/2024"}, {"CHILD": "b"}],
            "placed_for_adoption": [
                pa("a", "01/05/2024", "01/07/2024"),
                pa("b", "01/05/2024", "01/07/2024"),
            ],
        },
        None,
        {("placed_for_adoption", 1), ("ad1", 1)},
    ),
    (
        "526",
        Y,
        {
            "episodes": [
                ep("a", "01/05/2024", PLACE="U1"),
                ep("a", "01/05/2024", PLACE="T0"),
                ep("a", "01/05/2024", PLACE="Z1"),
                ep("a", "01/05/2024", PLACE="U1", PLACE_PROVIDER="PR1"),
            ]
        },
        None,
        {("episodes", 1)},
    ),
    (
        "526",
        "lac2025_26",
        {
            "episodes": [
                ep("a", "01/05/2025", PLACE="Z1"),
                ep("a", "01/05/2025", PLACE="Z13"),
                ep("a", "01/05/2025", PLACE="T4"),
            ]
        },
        None,
        {("episodes", 1)},
    ),
    *[
        (
            code,
            Y,
            {
                "episodes": [
                    ep("a", "01/05/2024", PLACE=bad, PLACE_PROVIDER=provider),
                    ep("a", "01/05/2024", PLACE=good, PLACE_PROVIDER=provider),
                ]
            },
            None,
            {("episodes", 1)},
        )
        for code, provider, bad, good in [
            ("527", "PR1", "R5", "U1"),
            ("528", "PR2", "R2", "U1"),
            ("529", "PR3", "K2", "R1"),
            ("530", "PR4", "P1", "P2"),
            ("531", "PR5", "P1", "R1"),
            ("550", "PR0", "U1", "P1"),
        ]
    ],
    (
        "542",
        Y,
        {
            "oc2": [
                {"DOB": "01/04/2015", "CONVICTED": "0"},  # 9 at 31 March 2025
                {"DOB": "31/03/2015", "CONVICTED": "0"},  # 10 that day
                {"DOB": "01/04/2015", "CONVICTED": None},
            ]
        },
        None,
        {("oc2", 1)},
    ),
    (
        "543",
        Y,
        {
            "episodes": _CLA12_EPISODES,
            "oc2": [
                {"CHILD": "old", "DOB": "31/03/2015"},
                {"CHILD": "old", "DOB": "01/04/2015"},
                {"CHILD": "new", "DOB": "31/03/2010"},
                {"CHILD": "old", "DOB": "31/03/2010", "CONVICTED": "0"},
            ],
        },
        None,
        {("oc2", 1)},
    ),
    (
        "544",
        Y,
        {
            "oc2": [
                {
                    "CONVICTED": "0",
                    "IMMUNISATIONS": "1",
                    "TEETH_CHECK": "1",
                    "HEALTH_ASSESSMENT": "1",
                },
                {
                    "CONVICTED": "1",
                    "IMMUNISATIONS": "1",
                    "TEETH_CHECK": "1",
                    "HEALTH_ASSESSMENT": "1",
                    "SUBSTANCE_MISUSE": "0",
                },
                {"CONVICTED": None, "IMMUNISATIONS": "1"},
            ]
        },
        None,
        {("oc2", 1)},
    ),
    (
        "545",
        Y,
        {
            "episodes": _CLA12_EPISODES,
            "oc2": [
                {"CHILD": "old", "DOB": "01/04/2020"},  # 4 at 31 March 2025
                {"CHILD": "old", "DOB": "31/03/2020"},  # 5 that day
                {"CHILD": "new", "DOB": "01/04/2020"},  # not looked after for 12 months
                {"CHILD": "old", "DOB": "01/04/2020", "HEALTH_CHECK": "1"},
            ],
        },
        None,
        {("oc2", 1)},
    ),
    (
        "546",
        Y,
        {
            "episodes": _CLA12_EPISODES,
            "oc2": [
                {"CHILD": "old", "DOB": "31/03/2020", "HEALTH_CHECK": "0"},
                {"CHILD": "old", "DOB": "01/04/2020", "HEALTH_CHECK": "0"},
                {"CHILD": "new", "DOB": "31/03/2020", "HEALTH_CHECK": "0"},
                {"CHILD": "old", "DOB": "31/03/2020"},
            ],
        },
        None,
        {("oc2", 1)},
    ),
    (
        "547",
        Y,
        {
            "oc2": [
                {
                    "HEALTH_CHECK": "0",
                    "IMMUNISATIONS": "1",
                    "TEETH_CHECK": "1",
                    "SUBSTANCE_MISUSE": "0",
                },
                {
                    "HEALTH_CHECK": "1",
                    "IMMUNISATIONS": "1",
                    "TEETH_CHECK": "1",
                    "HEALTH_ASSESSMENT": "1",
                    "SUBSTANCE_MISUSE": "0",
                },
                {"HEALTH_CHECK": None},
            ]
        },
        None,
        {("oc2", 1)},
    ),
    (
        "551",
        Y,
        {
            "episodes": [
                ep("a", "01/05/2024", PLACE="A5"),
                ep("b", "01/05/2024", PLACE="A6"),
                ep("c", "01/05/2024", PLACE="U1"),
            ],
            "placed_for_adoption": [pa("a", None), pa("b", None), pa("b", "01/04/2024")],
        },
        None,
        {("episodes", 1)},
    ),
    (
        "552",
        Y,
        {
            "episodes": [
                ep("a", "01/05/2024", "01/06/2024", PLACE="A3"),
                ep("a", "01/06/2024", PLACE="A4"),
                ep("b", "01/05/2024", PLACE="A3"),
            ],
            "placed_for_adoption": [pa("a", "02/05/2024"), pa("b", "01/05/2024")],
        },
        None,
        {("episodes", 1), ("placed_for_adoption", 1)},
    ),
    (
        "553",
        Y,
        {
            "episodes": [
                ep("a", "01/05/2024", LS="E1"),
                ep("b", "01/05/2024", LS="E1"),
                ep("c", "01/05/2024", LS="E1"),
                ep("d", "01/05/2024", "01/06/2024", LS="E1"),
            ],
            "placed_for_adoption": [
                pa("a", None),
                pa("b", "01/04/2024"),
                pa("c", "01/04/2024", REASON_PLACED_CEASED="RD1"),
                pa("d", "01/04/2024", "01/06/2024", REASON_PLACED_CEASED="RD1"),
            ],
        },
        None,
        {("episodes", 1), ("placed_for_adoption", 3)},
    ),
    (
        "554",
        Y,
        {
            "episodes": [
                ep("a", "01/05/2024", "01/06/2024", LS="E1"),
                ep("a", "01/06/2024", LS="E1"),
                ep("b", "01/05/2024", LS="E1"),
            ],
            "placed_for_adoption": [pa("a", "15/05/2024"), pa("b", "01/05/2024")],
        },
        None,
        {("episodes", 1), ("placed_for_adoption", 1)},
    ),
    (
        "555",
        "lac2023_24",
        {
            "episodes": [ep("a", "01/05/2023", LS="D1"), ep("b", "01/05/2023", LS="D1")],
            "placed_for_adoption": [pa("b", "01/04/2023")],
        },
        None,
        {("episodes", 1)},
    ),
    (
        "556",
        "lac2023_24",
        {
            "episodes": [ep("a", "01/05/2023", LS="D1"), ep("b", "01/05/2023", LS="D1")],
            "placed_for_adoption": [pa("a", "02/05/2023"), pa("b", "01/05/2023")],
        },
        None,
        {("episodes", 1)},
    ),
    (
        "557",
        "lac2023_24",
        {
            "episodes": [
                ep("a", "01/05/2023", "01/06/2023", LS="D1", REC="E13"),
                ep("b", "01/05/2023", "01/06/2023", PLACE="A3", REC="E11"),
                ep("c", "01/05/2023", "01/06/2023", LS="E1", REC="E13"),
            ],
            "placed_for_adoption": [
                pa("b", "01/04/2023"),
                pa("c", "01/04/2023", "01/06/2023", REASON_PLACED_CEASED="RD1"),
            ],
        },
        None,
        {("episodes", 1)},
    ),
    (
        "557",
        Y,
        {
            "episodes": [
                ep("a", "01/05/2024", "01/06/2024", LS="D1", REC="E13"),
                ep("c", "01/05/2024", "01/06/2024", LS="E1", REC="E13"),
            ],
            "placed_for_adoption": [pa("c", "01/04/2024", "01/06/2024")],
        },
        None,
        {("episodes", 2), ("placed_for_adoption", 1)},
    ),
    (
        "558",
        Y,
        {
            "episodes": [
                ep("a", "01/05/2024", "01/06/2024", REC="E11"),
                ep("b", "01/05/2024", "01/06/2024", REC="E12"),
            ],
            "placed_for_adoption": [
                pa("a", "01/01/2024", "01/03/2024"),
                pa("b", "01/01/2023", "01/03/2023"),
                pa("b", "01/01/2024"),
            ],
        },
        None,
        {("episodes", 1), ("placed_for_adoption", 1)},
    ),
    (
        "559",
        Y,
        {
            "placed_for_adoption": [
                pa("a", "31/03/2024"),
                pa("b", "31/03/2024"),
                pa("c", "01/04/2024"),
            ]
        },
        {"placed_for_adoption": [pa("a", None), pa("b", "31/03/2024")]},
        {("placed_for_adoption", 1)},
    ),
    (
        "560",
        Y,
        {
            "placed_for_adoption": [
                pa("a", "02/01/2024"),
                pa("b", "01/01/2024", "01/05/2024"),
                pa("b", "01/06/2024"),
                pa("c", "05/05/2024"),
            ]
        },
        {
            "placed_for_adoption": [
                pa("a", "01/01/2024"),
                pa("b", "01/01/2024"),
                pa("c", "01/01/2024", "01/02/2024"),
            ]
        },
        {("placed_for_adoption", 1)},
    ),
    (
        "561",
        Y,
        {"placed_for_adoption": [pa("a", "01/01/2024"), pa("b", "01/01/2024")]},
        {
            "placed_for_adoption": [
                pa("a", "01/01/2024", REASON_PLACED_CEASED="RD1"),
                pa("b", "01/01/2024"),
            ]
        },
        {("placed_for_adoption", 1)},
    ),
    (
        "562",
        Y,
        {
            "episodes": [
                ep("a", "01/03/2024"),
                ep("b", "01/03/2024"),
                ep("c", "01/04/2024"),
            ]
        },
        {
            "episodes": [
                ep("a", "01/02/2024"),
                ep("b", "01/01/2024", "01/03/2024"),
                ep("b", "01/03/2024"),
            ]
        },
        {("episodes", 1)},
    ),
    (
        "563",
        Y,
        {
            "placed_for_adoption": [
                pa(None, None, "01/05/2024"),
                pa(None, None, REASON_PLACED_CEASED="RD1"),
                pa(None, "01/04/2024", "01/05/2024", REASON_PLACED_CEASED="RD1"),
                pa(None, None),
            ]
        },
        None,
        {("placed_for_adoption", 1), ("placed_for_adoption", 2)},
    ),
    (
        "579",
        Y,
        {
            "placed_for_adoption": [
                pa("a", "01/01/2024"),
                pa("a", "01/03/2024"),  # the earlier decision is still open
                pa("b", "01/01/2024", "01/02/2024"),
                pa("b", "01/02/2024"),  # on the day it ceased: allowed
                pa("c", "01/01/2024", "01/03/2024"),
                pa("c", "02/01/2024", "03/01/2024"),  # before the first ceased
            ]
        },
        None,
        {("placed_for_adoption", 2), ("placed_for_adoption", 6)},
    ),
    (
        "582",
        Y,
        {
            "episodes": [
                ep("a", "01/05/2024", "01/06/2024", REC="E11"),
                ep("b", "01/05/2024", "01/06/2024", REC="E12"),
                ep("c", "01/05/2024", "01/06/2024", REC="E13"),
            ],
            "ad1": [
                {"CHILD": "a", "DATE_MATCH": "01/06/2024"},
                {"CHILD": "b", "DATE_MATCH": "31/05/2024"},
                {"CHILD": "c", "DATE_MATCH": "01/06/2024"},
            ],
        },
        None,
        {("episodes", 1)},
    ),
    (
        "583",
        Y,
        {
            "placed_for_adoption": [
                pa("a", "01/01/2024"),
                pa("a", "01/03/2024"),
                pa("b", "01/01/2024", "01/02/2024"),
                pa("b", "01/03/2024"),
            ]
        },
        None,
        {("placed_for_adoption", 1)},
    ),
    (
        "584",
        Y,
        {
            "placed_for_adoption": [
                pa("a", "01/01/2024"),
                pa("b", "02/01/2024"),
                pa("c", None),
                pa("d", "01/01/2024"),
            ]
        },
        {
            "placed_for_adoption": [
                pa("a", "01/01/2024", "01/02/2024"),
                pa("b", "01/01/2024", REASON_PLACED_CEASED="RD1"),
                pa("c", "01/01/2024", "01/02/2024"),
                pa("d", "01/01/2024"),
            ]
        },
        {("placed_for_adoption", 1), ("placed_for_adoption", 3)},
    ),
]

MISSING_CASES: list[Case] = [
    (
        "564",
        Y,
        {
            "missing": [
                mis("a", None),
                mis("a", None, MISSING="a"),
                mis("a", "01/05/2024"),
                mis("a", None, MISSING=None),
            ]
        },
        None,
        {("missing", 1), ("missing", 2)},
    ),
    (
        "565",
        Y,
        {
            "missing": [
                mis("a", "01/05/2024", MISSING=None),
                mis("a", "01/05/2024"),
                mis("a", None, MISSING=None),
            ]
        },
        None,
        {("missing", 1)},
    ),
    (
        "566",
        Y,
        {
            "missing": [
                mis("a", None, "01/05/2024", MISSING=None),
                mis("a", None, "01/05/2024"),
                mis("a", "01/05/2024", MISSING=None),
            ]
        },
        None,
        {("missing", 1)},
    ),
    (
        "567",
        Y,
        {"missing": [mis("a", "02/05/2024", "01/05/2024"), mis("a", "01/05/2024", "01/05/2024")]},
        None,
        {("missing", 1)},
    ),
    (
        "570",
        Y,
        {"missing": [mis("a", "01/04/2025"), mis("a", "31/03/2025")]},
        None,
        {("missing", 1)},
    ),
    (
        "571",
        Y,
        {
            "missing": [
                mis("a", "01/03/2024", "31/03/2024"),
                mis("a", "01/03/2024", "01/04/2024"),
                mis("a", "01/03/2025", "31/03/2025"),
                mis("a", "01/03/2025", "01/04/2025"),
            ]
        },
        None,
        {("missing", 1), ("missing", 4)},
    ),
    (
        "574",
        Y,
        {
            "missing": [
                mis("a", "01/05/2024"),
                mis("a", "03/05/2024", "04/05/2024"),  # the earlier period is still open
                mis("b", "01/05/2024", "31/05/2024"),
                mis("b", "05/05/2024", "06/05/2024"),  # inside the first
                mis("b", "10/05/2024", "12/05/2024"),  # inside the first, not the second
                mis("b", "31/05/2024", "01/06/2024"),  # on the day the first ended
            ]
        },
        None,
        {("missing", 2), ("missing", 4), ("missing", 5)},
    ),
    (
        "575",
        Y,
        {
            "episodes": [ep("a", "01/05/2024", "01/06/2024", REC="X1"), ep("a", "01/06/2024")],
            "missing": [
                mis("a", "20/05/2024"),
                mis("a", "20/05/2024", "21/05/2024"),
                mis("a", "02/06/2024"),  # the placement it began in is still open
            ],
        },
        None,
        {("missing", 1)},
    ),
    (
        "576",
        Y,
        {"missing": [mis("a", "01/04/2024"), mis("b", "25/03/2024", "02/04/2024")]},
        {
            "missing": [
                mis("a", "25/03/2024"),
                mis("b", "25/03/2024"),
                mis("c", "25/03/2024"),
                mis("d", "25/03/2024", "26/03/2024"),
            ]
        },
        {("missing", 1), ("missing_last", 3)},
    ),
    (
        "577",
        Y,
        {
            "episodes": [
                ep("a", "01/05/2024", "01/06/2024", REC="E13"),
                ep("b", "01/05/2024", "01/06/2024", REC="X1"),
                ep("b", "01/06/2024"),
            ],
            "missing": [
                mis("a", "15/05/2024"),
                mis("a", "15/05/2024", "16/05/2024"),
                mis("b", "15/05/2024"),
            ],
        },
        None,
        {("missing", 1)},
    ),
    (
        "578",
        Y,
        {
            "episodes": [ep("a", "01/05/2024", "01/06/2024", REC="E13"), ep("a", "01/08/2024")],
            "missing": [
                mis("a", "02/06/2024"),  # between the two periods of care
                mis("a", "01/06/2024", "02/06/2024"),  # on the day care ended
                mis("a", "30/04/2024", "01/05/2024"),  # before care began: 581
            ],
        },
        None,
        {("missing", 1)},
    ),
    (
        "580",
        Y,
        {
            "episodes": [
                ep("a", "01/05/2024", "01/06/2024", REC="E13"),
                ep("b", "01/05/2024", "01/06/2024", REC="E8"),
                ep("c", "01/05/2024", "31/05/2024", REC="E13"),
            ],
            "missing": [
                mis("a", "20/05/2024", "01/06/2024", DOB="01/06/2006"),
                mis("b", "20/05/2024", "01/06/2024", DOB="01/06/2006"),
                mis("c", "20/05/2024", "31/05/2024", DOB="01/06/2006"),
            ],
        },
        None,
        {("episodes", 1)},
    ),
    (
        "581",
        Y,
        {
            "episodes": [ep("a", "01/05/2024")],
            "missing": [
                mis("a", "30/04/2024", "01/05/2024"),
                mis("a", "01/05/2024"),
                mis("b", "01/01/2024"),
            ],
        },
        None,
        {("missing", 1)},
    ),
    (
        "586",
        Y,
        {
            "missing": [
                mis("a", "31/12/2009", DOB="01/01/2010"),
                mis("a", "01/01/2010", DOB="01/01/2010"),
            ]
        },
        None,
        {("missing", 1)},
    ),
]

ALL_CASES = CASES + MISSING_CASES


@pytest.mark.parametrize(
    ("code", "ruleset", "current", "previous", "expected"),
    ALL_CASES,
    ids=[f"{c[0]}-{c[1]}" for c in ALL_CASES],
)
def test_rule_breaks_and_near_misses(
    code: str,
    ruleset: str,
    current: dict[str, Any],
    previous: dict[str, Any] | None,
    expected: set[tuple[str, int]],
) -> None:
    assert failures(code, ruleset, current=current, previous=previous) == expected


def test_503g_compares_placement_distances() -> None:
    postcodes = {
        "LS1 4DY": (53.7997, -1.5492),
        "M1 1AE": (53.4808, -2.2426),
        "M1 1AF": (53.4809, -2.2427),  # a few yards from M1 1AE
        "M20 2AA": (53.4200, -2.2300),  # about 4 miles south
    }
    current = {
        "episodes": [
            _LAST_OPEN | {"PL_POST": "M1 1AF"},
            _LAST_OPEN | {"CHILD": "b", "PL_POST": "M20 2AA"},
            _LAST_OPEN | {"CHILD": "c", "PL_POST": None},
        ]
    }
    previous = {
        "episodes": [
            _LAST_OPEN,
            _LAST_OPEN | {"CHILD": "b"},
            _LAST_OPEN | {"CHILD": "c"},
        ]
    }
    found = failures("503G", current=current, previous=previous, postcodes=postcodes)
    assert found == {("episodes", 2), ("episodes", 3)}

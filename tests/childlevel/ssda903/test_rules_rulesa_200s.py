"""SSDA903 rules 202-234, 1000-1016 and 3001: a broken return and a near miss per rule.

``expected`` is exactly the (table, row) pairs flagged. Collection year 2024-25 (1 April
2024 to 31 March 2025) unless the case says otherwise.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rulekit import failures

from cscwatch.childlevel.ssda903.engine import plan
from cscwatch.childlevel.ssda903.providers import Provider, ProviderLists

Case = tuple[str, str, dict[str, Any], dict[str, Any] | None, set[tuple[str, int]]]

Y = "lac2024_25"
OLD = "lac2022_23"
OC3_FULL = {"IN_TOUCH": "YES", "ACTIV": "F1", "ACCOM": "B1"}


def h(child: str, **kw: str) -> dict[str, str]:
    return {"CHILD": child, **kw}


CASES: list[Case] = [
    (
        "202",
        OLD,
        {"header": [h("a", SEX="1"), h("b", SEX="2"), h("c", SEX="1")]},
        {"header": [h("a", SEX="2"), h("b", SEX="2")]},
        {("header", 1)},
    ),
    # From 2024-25 last year's 1/2 are read as M/F.
    (
        "202",
        Y,
        {"header": [h("a", SEX="M"), h("b", SEX="M"), h("c", SEX="F")]},
        {"header": [h("a", SEX="1"), h("b", SEX="2"), h("c", SEX="F")]},
        {("header", 2)},
    ),
    (
        "203",
        Y,
        {"header": [h("a", DOB="01/02/2010"), h("b", DOB="1/2/2010"), h("c")]},
        {"header": [h("a", DOB="02/02/2010"), h("b", DOB="01/02/2010"), h("c", DOB="01/02/2010")]},
        {("header", 1), ("header", 3)},
    ),
    (
        "204",
        Y,
        {"header": [h("a", ETHNIC="WBRI"), h("b", ETHNIC="wbri")]},
        {"header": [h("a", ETHNIC="WIRI"), h("b", ETHNIC="WBRI")]},
        {("header", 1)},
    ),
    # 205A: UASC last year only; last year's DUC must fall in last year.
    (
        "205A",
        Y,
        {"header": [h("a"), h("b"), h("c")], "uasc": [h("c")]},
        {"uasc": [h("a", DUC="01/04/2023"), h("b", DUC="01/04/2024"), h("c", DUC="01/04/2024")]},
        {("header", 2)},
    ),
    (
        "205B",
        Y,
        {
            "header": [h("a"), h("b"), h("c")],
            "uasc": [h("a", DUC="01/06/2024"), h("b", DUC="01/06/2025"), h("c", DUC="01/06/2025")],
        },
        {
            "uasc": [
                h("a", DOB="01/06/2006", DUC="01/06/2024"),
                h("b", DOB="01/06/2007", DUC="01/06/2025"),
                h("c", DOB="01/06/2007", DUC="01/05/2025"),
            ]
        },
        {("uasc", 3), ("header", 3)},
    ),
    (
        "205D",
        Y,
        {"header": [h("a"), h("b"), h("c")], "uasc": [h("a"), h("b"), h("c")]},
        {"header": [h("a"), h("b")], "uasc": [h("b")]},
        {("header", 1)},
    ),
    (
        "207",
        Y,
        {
            "header": [h("a"), h("b", MOTHER="1"), h("c", MOTHER="0"), h("d", MOTHER="1")],
            "episodes": [h("a"), h("b"), h("c"), h("d")],
        },
        {
            "header": [
                h("a", MOTHER="1"),
                h("b", MOTHER="1"),
                h("c", MOTHER="1"),
                h("d", MOTHER="0"),
            ]
        },
        {("header", 1), ("header", 3)},
    ),
    ("207", Y, {"header": [h("a")], "episodes": []}, {"header": [h("a", MOTHER="1")]}, set()),
    (
        "208",
        Y,
        {
            "header": [
                h("a", UPN="A123456789012"),
                h("b", UPN="UN2"),
                h("c"),
                h("d", UPN="A123456789012"),
                h("e", UPN="UN3"),
                h("f", UPN="a123456789012"),
            ]
        },
        {
            "header": [
                h("a", UPN="B123456789012"),
                h("b", UPN="UN1"),
                h("c", UPN="A123456789012"),
                h("d", UPN="UN4"),
                h("e", UPN="UN2"),
                h("f", UPN="A123456789012"),
            ]
        },
        {("header", 1), ("header", 3), ("header", 5)},
    ),
    (
        "209",
        Y,
        {
            "header": [
                h("a", UPN="UN1", DOB="31/08/2019"),
                h("b", UPN="UN1", DOB="01/09/2019"),
                h("c", UPN="UN2", DOB="01/01/2010"),
            ]
        },
        None,
        {("header", 1)},
    ),
    (
        "210",
        Y,
        {
            "header": [h("a", UPN="UN4"), h("b", UPN="UN4"), h("c", UPN="UN1")],
            "episodes": [
                h("a", DECOM="24/03/2025"),
                h("b", DECOM="23/03/2025"),
                h("c", DECOM="30/03/2025"),
            ],
        },
        None,
        {("header", 1), ("episodes", 1)},
    ),
    (
        "213",
        Y,
        {
            "episodes": [
                h("a", PLACE="T0", PLACE_PROVIDER="PR1"),
                h("b", PLACE="T0"),
                h("c", PLACE="Z11", PLACE_PROVIDER="PR1"),
            ]
        },
        None,
        {("episodes", 1)},
    ),
    (
        "213",
        "lac2025_26",
        {
            "episodes": [
                h("a", PLACE="Z11", PLACE_PROVIDER="PR1"),
                h("b", PLACE="U1", PLACE_PROVIDER="PR1"),
            ]
        },
        None,
        {("episodes", 1)},
    ),
    (
        "214",
        Y,
        {
            "episodes": [
                h("a", LS="V3", PL_POST="LS1 1"),
                h("b", LS="V4", URN="SC1"),
                h("c", LS="C2", PL_POST="LS1 1"),
                h("d", LS="V3"),
            ]
        },
        None,
        {("episodes", 1), ("episodes", 2)},
    ),
    (
        "215",
        Y,
        {
            "oc3": [h("a", **OC3_FULL), h("b", **OC3_FULL), h("c")],
            "oc2": [h("a", CONVICTED="0"), h("b", SDQ_SCORE="3"), h("c", CONVICTED="0")],
        },
        None,
        {("oc3", 1), ("oc2", 1)},
    ),
    (
        "217",
        Y,
        {
            "episodes": [
                h("a", PLACE="A3", DECOM="01/04/2015", RNE="P"),
                h("b", PLACE="A5", DECOM="01/04/2015", RNE="T"),
                h("c", PLACE="A3", DECOM="31/03/2015", RNE="P"),
                h("d", PLACE="A5", DECOM="01/05/2024"),
            ]
        },
        None,
        {("episodes", 1), ("episodes", 4)},
    ),
    (
        "217t",
        "lac2023_24",
        {
            "episodes": [
                h("a", PLACE="P2", DEC="29/10/2023"),
                h("b", PLACE="P2", DEC="28/10/2023"),
                h("c", PLACE="P2"),
                h("d", PLACE="P1"),
            ]
        },
        None,
        {("episodes", 1), ("episodes", 3)},
    ),
    # 218: URN needed for an English placement of a type with one (H5 from 2024-25).
    (
        "218",
        Y,
        {
            "episodes": [
                h("a", PLACE="H5", PL_POST="LS1 1"),
                h("b", PLACE="U1", PL_POST="CF10 1"),
                h("c", PLACE="U1", DEC="31/03/2024", REC="E8"),
                h("d", PLACE="P1"),
                h("e", PLACE="U1", URN="SC123456"),
                h("f", PLACE="K2", PL_POST="G1 1", DEC="01/04/2024", REC="E8"),
                h("g", PLACE="K2", PL_POST="GL1 1"),
            ]
        },
        None,
        {("episodes", 1), ("episodes", 7)},
    ),
    (
        "218",
        OLD,
        {"episodes": [h("a", PLACE="H5"), h("b", PLACE="Z1"), h("c", PLACE="Z11")]},
        None,
        {("episodes", 3)},
    ),
    (
        "218",
        "lac2025_26",
        {"episodes": [h("a", PLACE="Z1"), h("b", PLACE="Z11")]},
        None,
        {("episodes", 1)},
    ),
    (
        "222",
        OLD,
        {
            "episodes": [
                h("a", PLACE="H5", URN="SC1"),
                h("b", PLACE="U1", URN="SC1"),
                h("c", PLACE="R1", URN="XXXXXXX"),
            ]
        },
        None,
        {("episodes", 1)},
    ),
    (
        "222",
        "lac2023_24",
        {"episodes": [h("a", PLACE="H5", URN="SC1"), h("b", PLACE="P2", URN="SC1")]},
        None,
        {("episodes", 2)},
    ),
    (
        "222",
        Y,
        {"episodes": [h("a", PLACE="P2", URN="SC1"), h("b", PLACE="Z1", URN="SC1")]},
        None,
        {("episodes", 2)},
    ),
    (
        "222",
        "lac2025_26",
        {"episodes": [h("a", PLACE="Z1", URN="SC1"), h("b", PLACE="Z13", URN="SC1")]},
        None,
        {("episodes", 2)},
    ),
    # 225: an X1 ending into a placement move with no reason for the change.
    (
        "225",
        Y,
        {
            "episodes": [
                h("a", DECOM="01/05/2024", DEC="01/06/2024", REC="X1", PLACE="U1"),
                h("a", DECOM="01/06/2024", RNE="P", PLACE="U2"),
                h(
                    "b",
                    DECOM="01/05/2024",
                    DEC="01/06/2024",
                    REC="X1",
                    PLACE="U1",
                    REASON_PLACE_CHANGE="CARPL",
                ),
                h("b", DECOM="01/06/2024", RNE="P", PLACE="U2"),
                h("c", DECOM="01/05/2024", DEC="01/06/2024", REC="X1", PLACE="U1"),
                h("c", DECOM="01/06/2024", RNE="L", PLACE="U1"),
                h("d", DECOM="01/05/2024", DEC="01/06/2024", REC="X1", PLACE="U1"),
                h("d", DECOM="01/06/2024", RNE="T", PLACE="T1"),
            ]
        },
        None,
        {("episodes", 1)},
    ),
    (
        "226",
        Y,
        {
            "episodes": [
                h(
                    "a",
                    DECOM="01/05/2024",
                    DEC="01/06/2024",
                    REC="X1",
                    PLACE="U1",
                    REASON_PLACE_CHANGE="CARPL",
                ),
                h("a", DECOM="01/06/2024", RNE="T", PLACE="T1"),
                h(
                    "b",
                    DECOM="01/05/2024",
                    DEC="01/06/2024",
                    REC="X1",
                    PLACE="T2",
                    REASON_PLACE_CHANGE="CARPL",
                ),
                h("c", DECOM="01/05/2024", DEC="01/06/2024", REC="X1", PLACE="U1"),
                h("c", DECOM="01/06/2024", RNE="T", PLACE="T1"),
                h("d", DECOM="01/05/2024", PLACE="U1", REASON_PLACE_CHANGE="CARPL"),
            ]
        },
        None,
        {("episodes", 2), ("episodes", 3)},
    ),
    (
        "230",
        "lac2023_24",
        {
            "episodes": [
                h("a", PLACE="H5", DEC="29/10/2023"),
                h("b", PLACE="H5", DEC="28/10/2023"),
                h("c", PLACE="H5", URN="XXXXXXX"),
                h("d", PLACE="H5", URN="SC1"),
                h("e", PLACE="H5", PL_POST="BT1 1"),
            ]
        },
        None,
        {("episodes", 1), ("episodes", 3)},
    ),
    (
        "231",
        Y,
        {
            "header": [
                h("a", DOB="01/04/2014"),
                h("b", DOB="31/03/2014"),
                h("c", DOB="01/04/2020"),
            ],
            "uasc": [h("a"), h("b")],
        },
        None,
        {("header", 1)},
    ),
    (
        "232",
        Y,
        {"header": [h("a", SEX="U"), h("b", SEX="u"), h("c", SEX="F")]},
        None,
        {("header", 1), ("header", 2)},
    ),
    (
        "233",
        "lac2025_26",
        {
            "episodes": [
                h("a", REASON_PLACE_CHANGE="CARPL"),
                h("b", DEC="01/05/2025", REASON_PLACE_CHANGE="CARPL"),
                h("c"),
            ]
        },
        None,
        {("episodes", 1)},
    ),
    (
        "234",
        "lac2025_26",
        {
            "header": [h("a", DOB="01/06/2015"), h("b", DOB="01/06/2015")],
            "episodes": [
                h(
                    "a",
                    DECOM="01/05/2025",
                    DEC="31/05/2025",
                    REC="X1",
                    REASON_PLACE_CHANGE="CUSTOD",
                ),
                h("a", DECOM="31/05/2025"),
                h(
                    "b",
                    DECOM="01/05/2025",
                    DEC="01/06/2025",
                    REC="X1",
                    REASON_PLACE_CHANGE="CUSTOD",
                ),
                h("b", DECOM="01/06/2025"),
            ],
        },
        None,
        {("episodes", 1), ("header", 1)},
    ),
    # 1000: died in care (this year or last) and care leaver information given.
    (
        "1000",
        Y,
        {
            "episodes": [h("a", REC="E2"), h("c", REC="E8")],
            "oc3": [h("a", **OC3_FULL), h("b", **OC3_FULL), h("c", **OC3_FULL), h("a")],
        },
        {"episodes": [h("b", REC="E2")]},
        {("oc3", 1), ("oc3", 2)},
    ),
    # 1001: relevant child = 13 weeks in care since 14 and some care after 16.
    (
        "1001",
        Y,
        {
            "header": [
                h("a", DOB="01/01/2007"),
                h("b", DOB="01/01/2007"),
                h("c", DOB="01/01/2007"),
                h("d", DOB="01/01/2004"),
            ],
            "episodes": [
                h("a", DECOM="01/01/2023", DEC="01/04/2023", REC="E8"),
                h("b", DECOM="01/01/2023", DEC="02/04/2023", REC="E8"),
                h("c", DECOM="01/01/2023", DEC="01/01/2024", REC="E11"),
            ],
            "oc3": [h("a", **OC3_FULL), h("b", **OC3_FULL), h("c", **OC3_FULL), h("d", **OC3_FULL)],
        },
        {"episodes": []},
        {("oc3", 1), ("oc3", 3)},
    ),
    (
        "1002",
        Y,
        {
            "episodes": [h("a", DECOM="01/01/2025")],
            "oc3": [h("a", **OC3_FULL), h("b", **OC3_FULL), h("c", **OC3_FULL), h("d")],
        },
        {"episodes": [h("b", DECOM="01/01/2024")]},
        {("oc3", 3)},
    ),
    (
        "1003",
        Y,
        {
            "episodes": [
                h("a", DECOM="01/05/2024", RNE="S"),
                h("a", DECOM="01/07/2024", RNE="P"),
                h("b", DECOM="01/05/2024", RNE="S"),
            ],
            "placed_for_adoption": [
                h("a", DATE_PLACED="30/04/2024"),
                h("b", DATE_PLACED="01/05/2024"),
            ],
        },
        None,
        {("placed_for_adoption", 1), ("episodes", 1)},
    ),
    (
        "1004",
        Y,
        {"missing": [h("a"), h("b", MIS_START="31/06/2024"), h("c", MIS_START="30/06/2024")]},
        None,
        {("missing", 1), ("missing", 2)},
    ),
    (
        "1005",
        Y,
        {
            "missing": [
                h("a"),
                h("b", MIS_END="31/06/2024"),
                h("c", MIS_END="30/06/2024"),
                h("d", MIS_END="30/06/24"),
            ]
        },
        None,
        {("missing", 2), ("missing", 4)},
    ),
    (
        "1006",
        Y,
        {"missing": [h("a", MISSING="X"), h("b", MISSING="A"), h("c")]},
        None,
        {("missing", 1)},
    ),
    # 1007: 17 or 18 on 31 March and in care on that birthday.
    (
        "1007",
        Y,
        {
            "episodes": [
                h("a", DECOM="01/01/2020"),
                h("b", DECOM="01/01/2020", DEC="02/06/2024"),
                h("c", DECOM="01/01/2020", DEC="01/06/2024", REC="E8"),
                h("d", DECOM="01/01/2020"),
            ],
            "oc3": [
                h("a", DOB="01/06/2007", **OC3_FULL),
                h("b", DOB="01/06/2006", **OC3_FULL),
                h("c", DOB="01/06/2007", **OC3_FULL),
                h("d", DOB="31/03/2006", **OC3_FULL),
            ],
        },
        None,
        {("oc3", 1), ("oc3", 2)},
    ),
    (
        "1009",
        Y,
        {"episodes": [h("a", REASON_PLACE_CHANGE="custod"), h("b", REASON_PLACE_CHANGE="CUSTOD")]},
        None,
        {("episodes", 1)},
    ),
    (
        "1010",
        Y,
        {
            "episodes": [h("c", DECOM="01/05/2024")],
            "oc3": [h("a", **OC3_FULL), h("b", **OC3_FULL), h("c", **OC3_FULL)],
        },
        {
            "episodes": [
                h("a", DECOM="01/01/2023", DEC="01/02/2023", REC="X1"),
                h("a", DECOM="01/02/2023"),
                h("b", DECOM="01/01/2023", DEC="01/02/2024", REC="E8"),
                h("c", DECOM="01/01/2023"),
            ]
        },
        {("oc3", 1)},
    ),
    (
        "1011",
        Y,
        {
            "episodes": [
                h("a", DECOM="01/01/2024", DEC="01/02/2024", REC="E3"),
                h("b", DECOM="01/01/2024", DEC="01/02/2024", REC="E3"),
                h("b", DECOM="01/03/2024", DEC="01/04/2024", REC="E8"),
            ],
            "oc3": [h("a", **OC3_FULL), h("b", **OC3_FULL)],
        },
        None,
        {("oc3", 1)},
    ),
    (
        "1012",
        Y,
        {"episodes": [h("a")], "reviews": [h("a"), h("b")], "oc2": [h("b")], "missing": [h("a")]},
        None,
        {("reviews", 2), ("oc2", 1)},
    ),
    (
        "1014",
        Y,
        {
            "episodes": [
                h("a", DECOM="01/01/2023", DEC="01/01/2024", REC="E8"),
                h("c", DECOM="01/01/2023"),
            ],
            "oc3": [h("a", **OC3_FULL), h("b", **OC3_FULL), h("c", **OC3_FULL), h("d", **OC3_FULL)],
            "uasc": [h("a"), h("b"), h("c")],
        },
        None,
        {("oc3", 1), ("oc3", 2), ("uasc", 1), ("uasc", 2)},
    ),
    (
        "1016",
        Y,
        {
            "episodes": [
                h("a", DECOM="01/01/2020", DEC="01/06/2024", REC="E8"),
                h("b", DECOM="01/01/2020", DEC="31/05/2024", REC="E8"),
                h("c", DECOM="01/01/2020", DEC="31/05/2024", REC="E8"),
            ],
            "oc3": [
                h("a", DOB="01/06/2007", **OC3_FULL),
                h("b", DOB="01/06/2007", **OC3_FULL),
                h("c", DOB="01/06/2006", **OC3_FULL),
            ],
        },
        None,
        {("oc3", 1)},
    ),
    (
        "3001",
        Y,
        {
            "header": [
                h("a", DOB="01/04/2007"),
                h("b", DOB="31/03/2007"),
                h("c", DOB="01/04/2007"),
            ],
            "oc3": [h("a", ACCOM="Z1"), h("b", ACCOM="Z2"), h("c", ACCOM="B1")],
        },
        None,
        {("oc3", 1)},
    ),
]


@pytest.mark.parametrize(
    ("code", "ruleset", "current", "previous", "expected"),
    CASES,
    ids=[f"{c[0]}-{c[1][3:]}-{n}" for n, c in enumerate(CASES)],
)
def test_rule_flags_exactly_the_broken_records(
    code: str,
    ruleset: str,
    current: dict[str, Any],
    previous: dict[str, Any] | None,
    expected: set[tuple[str, int]],
) -> None:
    assert failures(code, ruleset, current=current, previous=previous) == expected


# Rules needing Ofsted's provider lists run when the lists are given (``--providers``);
# here against two providers staged as the reader gives them.
PROVIDER_CASES: list[tuple[str, list[dict[str, str]], set[int]]] = [
    (
        "219",
        [
            h("a", URN="1", PLACE="K2"),
            h("b", URN="1", PLACE="K1"),
            h("c", URN="9"),
            h("d", URN="XXXXXXX", PLACE="U1"),
        ],
        {1, 3},
    ),
    (
        "221",
        [
            h("a", URN="1", PLACE="K1", PL_POST="LS1 1AA"),
            h("b", URN="1", PLACE="K1", PL_POST="ls1 1ab"),
            h("c", URN="1", PLACE="U1", PL_POST="LS1 1AA"),
        ],
        {1},
    ),
    ("224", [h("a", URN="1", PLACE_PROVIDER="PR2"), h("b", URN="1", PLACE_PROVIDER="PR1")], {1}),
    ("227", [h("a", URN="2", DECOM="01/01/2025"), h("b", URN="2", DECOM="31/12/2024")], {1}),
    (
        "228",
        [h("a", URN="2", DEC="02/01/2025"), h("b", URN="2", DEC="01/01/2025"), h("c", URN="2")],
        {1, 3},
    ),
    ("1008", [h("a", URN="9"), h("b", URN="1"), h("c", URN="XXXXXXX")], {1}),
]


_LISTS = ProviderLists(
    (),
    "combined list",
    (
        Provider("1", ("K1", "R3"), ("PR1",), None, ("LS11AB",)),
        Provider("2", ("K2",), ("PR2",), date(2025, 1, 1), ("LS11AB",)),
    ),
)


@pytest.mark.parametrize(("code", "episodes", "expected"), PROVIDER_CASES)
def test_provider_rules_flag_exactly_the_broken_records(
    code: str, episodes: list[dict[str, str]], expected: set[int]
) -> None:
    decided = plan(Y, {"episodes"}, has_previous=True, has_postcodes=True, codes={code})
    assert not decided.run
    assert "--providers" in decided.not_run[0].reason
    found = failures(code, Y, current={"episodes": episodes}, providers=_LISTS)
    assert {r for t, r in found if t == "episodes"} == expected
